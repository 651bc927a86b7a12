"""Baking: embedding an Open Badge in a PNG or SVG image without re-encoding it.

Spec: Open Badges Baking 1.0 (OB 2.0, keyword ``openbadges``, SVG element
``openbadges:assertion``) and OB 3.0 §"Baked Badge" (keyword ``openbadgecredential``, SVG
element ``openbadges:credential``).
"""

from __future__ import annotations

import re
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB2_KEYWORD = "openbadges"
OB3_KEYWORD = "openbadgecredential"
OB2_SVG_NAMESPACE = "http://openbadges.org"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"

_SVG_OPEN_TAG = re.compile(rb"<svg\b[^>]*>", re.DOTALL)


class BakingError(ValueError):
    """Raised when an image cannot carry or does not carry a badge."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _itxt(keyword: str, text: str) -> bytes:
    # Keyword NUL, compression flag 0 and method 0 (compression MUST NOT be used), empty
    # language tag NUL, empty translated keyword NUL, then UTF-8 text.
    return keyword.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG file")
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        chunks.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def bake_png(png: bytes, keyword: str, text: str) -> bytes:
    """Return the PNG with one iTXt chunk ``keyword`` holding ``text``, right after IHDR.

    Any chunk already baked with the same keyword is replaced ("MUST NOT appear more than
    once"); image data is copied byte for byte.
    """
    chunks = _chunks(png)
    if not chunks or chunks[0][0] != b"IHDR":
        raise BakingError("PNG does not start with IHDR")
    prefix = keyword.encode("latin-1") + b"\x00"
    kept = [
        _chunk(kind, data)
        for kind, data in chunks[1:]
        if not (kind in (b"iTXt", b"tEXt") and data.startswith(prefix))
    ]
    head = _chunk(*chunks[0]) + _chunk(b"iTXt", _itxt(keyword, text))
    return PNG_SIGNATURE + head + b"".join(kept)


def unbake_png(png: bytes, keyword: str) -> str | None:
    """Return the text baked under ``keyword`` in a PNG, or None if there is none."""
    prefix = keyword.encode("latin-1") + b"\x00"
    for kind, data in _chunks(png):
        if kind == b"iTXt" and data.startswith(prefix):
            rest = data[len(prefix) :]
            if rest[0] != 0:
                raise BakingError("baked text is compressed, which the baking spec forbids")
            language_end = rest.index(b"\x00", 2)
            translated_end = rest.index(b"\x00", language_end + 1)
            return rest[translated_end + 1 :].decode("utf-8")
    return None


def bake_svg(svg: bytes, element: str, namespace: str, text: str, verify: str | None) -> bytes:
    """Return the SVG with ``<openbadges:ELEMENT>`` holding ``text`` right after ``<svg>``."""
    match = _SVG_OPEN_TAG.search(svg)
    if match is None:
        raise BakingError("no <svg> element")
    open_tag = match.group(0)
    if b"xmlns:openbadges=" not in open_tag:
        closing = 2 if open_tag.endswith(b"/>") else 1
        attribute = f' xmlns:openbadges="{namespace}"'.encode()
        open_tag = open_tag[:-closing] + attribute + open_tag[-closing:]
    if "]]>" in text:
        raise BakingError("text cannot be wrapped in CDATA")
    verify_attribute = f' verify="{_xml_attribute(verify)}"' if verify else ""
    baked = (
        f"<openbadges:{element}{verify_attribute}><![CDATA[{text}]]></openbadges:{element}>"
    ).encode()
    return svg[: match.start()] + open_tag + baked + svg[match.end() :]


_SVG_BADGE = re.compile(
    rb"<openbadges:(?P<kind>credential|assertion)\b[^>]*>\s*<!\[CDATA\[(?P<text>.*?)\]\]>",
    re.DOTALL,
)


def unbake_svg(svg: bytes) -> str | None:
    """Return the JSON baked in an SVG (OB 3.0 credential first, then OB 2.0 assertion)."""
    found = {m["kind"]: m["text"] for m in _SVG_BADGE.finditer(svg)}
    text = found.get(b"credential") or next(iter(found.values()), None)
    return text.decode("utf-8") if text is not None else None


def _xml_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
