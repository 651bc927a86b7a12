"""Baking: embedding an Open Badge in a PNG or SVG image without re-encoding it.

Spec: Open Badges Baking 1.0 (OB 2.0, keyword ``openbadges``, SVG element
``openbadges:assertion``) and OB 3.0 §"Baked Badge" (keyword ``openbadgecredential``, SVG
element ``openbadges:credential``).
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Final

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB2_KEYWORD = "openbadges"
OB3_KEYWORD = "openbadgecredential"
OB2_SVG_NAMESPACE = "http://openbadges.org"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"

_SVG_OPEN_TAG = re.compile(rb"<svg\b[^>]*>", re.DOTALL)
# PNG §5.3: a chunk's length "is restricted to 2^31-1 bytes".
_MAX_CHUNK_LENGTH: Final = 2**31 - 1


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
    """Split a PNG into (type, data) chunks; refuse one cut short (PNG §5.3 chunk layout)."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG file")
    chunks = []
    offset = len(PNG_SIGNATURE)
    while offset < len(png):
        if offset + 12 > len(png):
            raise BakingError(f"the PNG is cut short inside a chunk header (byte {offset})")
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if length > _MAX_CHUNK_LENGTH or offset + 12 + length > len(png):
            raise BakingError(f"the PNG is cut short inside its {_chunk_name(kind)} chunk")
        chunks.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def _chunk_name(kind: bytes) -> str:
    return kind.decode("ascii") if kind.isascii() and kind.isalpha() else repr(kind)


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
    """Return the text baked under ``keyword`` in a PNG, or None if there is none.

    Raises BakingError when the PNG or its baked chunk is damaged, or holds two of them.
    """
    prefix = keyword.encode("latin-1") + b"\x00"
    chunks = _chunks(png)
    if not chunks or chunks[-1][0] != b"IEND":
        raise BakingError("the PNG is cut short: IEND is not its last chunk (PNG §5.6)")
    found = [data for kind, data in chunks if kind == b"iTXt" and data.startswith(prefix)]
    if not found:
        return None
    if len(found) > 1:
        # Baking 1.0: the iTXt chunk "MUST NOT appear more than once"; which one a
        # verifier reads would decide what it verifies.
        raise BakingError(f"the PNG holds {len(found)} '{keyword}' chunks, where one is allowed")
    rest = found[0][len(prefix) :]
    # PNG §11.3.4.5 iTXt: compression flag, method, language tag NUL, translated keyword NUL.
    if rest[:1] != b"\x00":
        raise BakingError("the baked text is compressed, which the baking spec forbids")
    language_end = rest.find(b"\x00", 2)
    translated_end = rest.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        raise BakingError(f"the '{keyword}' chunk is not a complete iTXt chunk")
    return _utf8(rest[translated_end + 1 :])


def _utf8(text: bytes) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BakingError(f"the baked text is not UTF-8 (byte {error.start})") from None


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
    verify_attribute = f' verify="{_xml_attribute(verify)}"' if verify else ""
    # A "]]>" in the text would end the CDATA section: it is split across two sections
    # (XML 1.0 §2.7), which every XML reader joins back into the same text.
    cdata = text.replace("]]>", "]]]]><![CDATA[>")
    baked = (
        f"<openbadges:{element}{verify_attribute}><![CDATA[{cdata}]]></openbadges:{element}>"
    ).encode()
    return svg[: match.start()] + open_tag + baked + svg[match.end() :]


_SVG_ELEMENTS: Final = (b"credential", b"assertion")
_CDATA_START: Final = b"<![CDATA["
_CDATA_END: Final = b"]]>"
_NOT_SPACE: Final = re.compile(rb"\S")


def unbake_svg(svg: bytes) -> str | None:
    """Return the JSON baked in an SVG (OB 3.0 credential first, then OB 2.0 assertion).

    Raises BakingError when a baked element is damaged or appears twice.
    """
    found = {kind: _svg_baked_texts(svg, kind) for kind in _SVG_ELEMENTS}
    for kind, texts in found.items():
        if len(texts) > 1:
            raise BakingError(f"the SVG holds {len(texts)} openbadges:{kind.decode()} elements")
    text = next((texts[0] for texts in found.values() if texts), None)
    return _utf8(text) if text is not None else None


def _svg_baked_texts(svg: bytes, kind: bytes) -> list[bytes]:
    """Return the CDATA text of each ``<openbadges:KIND …>`` element, in one linear scan."""
    texts = []
    tag = b"<openbadges:" + kind
    start = svg.find(tag)
    while start >= 0:
        name_end = start + len(tag)
        if not svg[name_end : name_end + 1].isspace() and svg[name_end : name_end + 1] != b">":
            start = svg.find(tag, name_end)  # a longer name, such as openbadges:credentials
            continue
        tag_end = svg.find(b">", name_end)
        if tag_end < 0:
            raise BakingError(f"the openbadges:{kind.decode()} element is cut short")
        content = _NOT_SPACE.search(svg, tag_end + 1)
        body = content.start() if content else len(svg)
        if not svg.startswith(_CDATA_START, body):
            # Hosted verification only (Baking 1.0): a verify attribute, no embedded JSON.
            start = svg.find(tag, body)
            continue
        # Consecutive CDATA sections are one text (bake_svg splits one at each "]]>").
        sections = []
        while svg.startswith(_CDATA_START, body):
            text_end = svg.find(_CDATA_END, body + len(_CDATA_START))
            if text_end < 0:
                raise BakingError(f"the openbadges:{kind.decode()} element is cut short")
            sections.append(svg[body + len(_CDATA_START) : text_end])
            body = text_end + len(_CDATA_END)
        texts.append(b"".join(sections))
        start = svg.find(tag, body)
    return texts


def _xml_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
