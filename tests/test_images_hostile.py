"""Hostile and careless badge images, generated rather than stored.

Every SVG construct that could run code or make a request, every PNG defect, and the limits
on both sides: each case is either refused with a diagnostic naming the file and line, or
published with its payload removed (and the removal reported at the SVG's line).
"""

from __future__ import annotations

import base64
import io
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import png as pypng
import pytest
import tinycss2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from badgepages import baking, cards, images, rastersafe, svgsafe, svgstyle
from badgepages.diagnostics import SourceLocation
from tests.conftest import Project

SVG_NS = "http://www.w3.org/2000/svg"
HEAD = f'<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 64 64">'
ART = '<circle cx="32" cy="32" r="30" fill="#0b4f6c"/>'
SVG_HINT = "only allow-listed SVG is published: see 'Images' in the README"
PNG_HINT = "export it again as a PNG of at most 2048x2048 pixels, or as an SVG"
NAMED_AT = SourceLocation("badges/civic.yaml", 4, 8)
# Every payload below names this host or calls this function: neither may be published.
PAYLOAD_MARKS = (b"evil.example", b"pwned", b"/etc/passwd")


# -- generators ------------------------------------------------------------------------------


def svg_with(payload: str) -> bytes:
    """Return an SVG with ``payload`` alone on line 2, between the root and the art."""
    return f"{HEAD}\n{payload}\n{ART}\n</svg>\n".encode()


def chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def raw_png(
    width: int,
    height: int,
    idat: bytes | None = None,
    *,
    depth: int = 8,
    colour: int = 6,
    before: bytes = b"",
    after: bytes = b"",
) -> bytes:
    """Return a PNG built chunk by chunk; its image data is all zero unless given."""
    if idat is None:
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
        idat = zlib.compress(b"\0" * (height * (1 + -(-width * channels * depth // 8))))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        rastersafe.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + before
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
        + after
    )


def pillow_png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (11, 79, 108, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def text_chunk(keyword: bytes, text: bytes, kind: bytes = b"iTXt") -> bytes:
    if kind == b"tEXt":
        return chunk(kind, keyword + b"\0" + text)
    if kind == b"zTXt":
        return chunk(kind, keyword + b"\0\0" + zlib.compress(text))
    return chunk(kind, keyword + b"\0\0\0\0\0" + text)


def insert_after_header(data: bytes, extra: bytes) -> bytes:
    return data[:33] + extra + data[33:]


def chunk_types(data: bytes) -> list[bytes]:
    kinds, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kinds.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return kinds


def badge_chunks(data: bytes) -> int:
    """Count the text chunks that carry an Open Badge."""
    count, offset = 0, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        keyword = body.split(b"\0", 1)[0]
        if kind in (b"tEXt", b"zTXt", b"iTXt") and keyword in (
            b"openbadges",
            b"openbadgecredential",
        ):
            count += 1
        offset += 12 + length
    return count


def load(tmp_path: Path, data: bytes, name: str = "civic.svg") -> tuple[bytes | None, list[str]]:
    """Load an image as check does; return the bytes to publish and the diagnostics."""
    file = tmp_path / name
    file.write_bytes(data)
    image, problems = images.load_image(file, f"badges/{name}", NAMED_AT)
    return (image.data if image else None), [p.format_gcc() for p in problems]


def warning(line: int, message: str) -> str:
    return f"badges/civic.svg:{line}:1: warning: {message} ({SVG_HINT})"


# -- SVG: payloads removed, each reported at its line ----------------------------------------

EXTERNAL_IMAGE = "it may only point at a PNG, JPEG, GIF or WebP image embedded as a data: URL"
EXTERNAL_ELEMENT = "it may only point at an element of this document (#id)"
EXTERNAL_FE_IMAGE = (
    "it may only point at an element of this document (#id) or a PNG, JPEG, GIF or WebP image "
    "embedded as a data: URL"
)
HANDLERS = ["onload", "onerror", "onclick", "onmouseover", "onfocusin", "onbegin", "onend"]
HANDLERS += ["onrepeat", "onanimationstart", "onunload", "onscroll", "onzoom", "onactivate"]
TINY_PNG = base64.b64encode(pillow_png((2, 2))).decode()
BAD_CRC_PNG = base64.b64encode(pillow_png((2, 2))[:-1] + b"\0").decode()
HTML = base64.b64encode(b"<script>pwned()</script>").decode()
SVG_DOC = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="pwned()"/>').decode()

REMOVED: dict[str, tuple[str, list[str]]] = {
    "script": ("<script>pwned()</script>", ["removed element <script>"]),
    "script with a source": (
        '<script xlink:href="https://evil.example/x.js"/>',
        ["removed element <script>"],
    ),
    "script with an SVG prefix": (
        f'<s:script xmlns:s="{SVG_NS}">pwned()</s:script>',
        ["removed element <s:script>"],
    ),
    "XHTML script": (
        '<h:script xmlns:h="http://www.w3.org/1999/xhtml">pwned()</h:script>',
        ["removed element <h:script>"],
    ),
    "XHTML iframe": (
        '<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example/"/>',
        ["removed element <iframe>"],
    ),
    "foreignObject": (
        '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" '
        'src="https://evil.example/"/></foreignObject>',
        ["removed element <foreignObject>"],
    ),
    "handler element": (
        '<handler type="application/ecmascript">pwned()</handler>',
        ["removed element <handler>"],
    ),
    "SMIL set writing a handler": (
        '<set attributeName="onmouseover" to="pwned()"/>',
        ["removed element <set>"],
    ),
    "SMIL animate writing a javascript href": (
        '<a><animate attributeName="href" values="javascript:pwned()"/></a>',
        ["removed element <animate>"],
    ),
    "SMIL animateMotion": (
        '<animateMotion dur="1s"><mpath xlink:href="https://evil.example/p.svg#p"/>'
        "</animateMotion>",
        ["removed element <animateMotion>"],
    ),
    "javascript link": (
        '<a href="javascript:pwned()"><circle r="2"/></a>',
        ['removed href="javascript:pwned()" from <a>: <a> may not link anywhere'],
    ),
    "javascript link with xlink and spaces": (
        '<a xlink:href="  javascript:pwned()"><circle r="2"/></a>',
        ['removed xlink:href="javascript:pwned()" from <a>: <a> may not link anywhere'],
    ),
    "link to another site": (
        '<a href="https://evil.example/"><circle r="2"/></a>',
        ['removed href="https://evil.example/" from <a>: <a> may not link anywhere'],
    ),
    "external image": (
        '<image href="https://evil.example/x.png" width="4" height="4"/>',
        [f'removed href="https://evil.example/x.png" from <image>: {EXTERNAL_IMAGE}'],
    ),
    "file: image": (
        '<image xlink:href="file:///etc/passwd"/>',
        [f'removed xlink:href="file:///etc/passwd" from <image>: {EXTERNAL_IMAGE}'],
    ),
    "relative image": (
        '<image href="pwned.png"/>',
        [f'removed href="pwned.png" from <image>: {EXTERNAL_IMAGE}'],
    ),
    "use of another file": (
        '<use href="pwned.svg#x"/>',
        [f'removed href="pwned.svg#x" from <use>: {EXTERNAL_ELEMENT}'],
    ),
    "use of another site": (
        '<use xlink:href="https://evil.example/a.svg#x"/>',
        [f'removed xlink:href="https://evil.example/a.svg#x" from <use>: {EXTERNAL_ELEMENT}'],
    ),
    "use of a data: SVG": (
        f'<use href="data:image/svg+xml;base64,{SVG_DOC}#x"/>',
        [
            f'removed href="{f"data:image/svg+xml;base64,{SVG_DOC}#x"[:59]}…" from <use>: '
            f"{EXTERNAL_ELEMENT}"
        ],
    ),
    "feImage of another site": (
        '<filter id="f"><feImage href="https://evil.example/x.png"/></filter>',
        [f'removed href="https://evil.example/x.png" from <feImage>: {EXTERNAL_FE_IMAGE}'],
    ),
    "textPath of another file": (
        '<text><textPath href="pwned.svg#p">a</textPath></text>',
        [f'removed href="pwned.svg#p" from <textPath>: {EXTERNAL_ELEMENT}'],
    ),
    "gradient inheriting from another site": (
        '<linearGradient id="g" xlink:href="https://evil.example/g.svg#g"/>',
        [
            'removed xlink:href="https://evil.example/g.svg#g" from <linearGradient>: '
            f"{EXTERNAL_ELEMENT}"
        ],
    ),
    "pattern of a file: URL": (
        '<pattern id="p" href="file:///etc/passwd"/>',
        [f'removed href="file:///etc/passwd" from <pattern>: {EXTERNAL_ELEMENT}'],
    ),
    "href on an element that never links": (
        '<rect width="1" height="1" href="https://evil.example/"/>',
        ['removed href="https://evil.example/" from <rect>: <rect> may not link anywhere'],
    ),
    "data: HTML image": (
        f'<image href="data:text/html;base64,{HTML}"/>',
        [f'removed href="data:text/html;base64,{HTML}" from <image>: {EXTERNAL_IMAGE}'],
    ),
    "data: SVG image": (
        f'<image href="data:image/svg+xml;base64,{SVG_DOC}"/>',
        [
            f'removed href="{f"data:image/svg+xml;base64,{SVG_DOC}"[:59]}…" from <image>: '
            f"{EXTERNAL_IMAGE}"
        ],
    ),
    "data: PNG with a bad CRC": (
        f'<image href="data:image/png;base64,{BAD_CRC_PNG}"/>',
        [
            f'removed href="{f"data:image/png;base64,{BAD_CRC_PNG}"[:59]}…" from <image>: '
            "the embedded image is refused: it is damaged: chunk IEND at byte 65 fails its CRC"
        ],
    ),
    "data: PNG that is a JPEG": (
        f'<image href="data:image/jpeg;base64,{TINY_PNG}"/>',
        [
            f'removed href="{f"data:image/jpeg;base64,{TINY_PNG}"[:59]}…" from <image>: '
            "the embedded image is refused: it is not a readable image/jpeg image"
        ],
    ),
    "data: PNG with damaged base64": (
        '<image href="data:image/png;base64,iVBORw0KGgo=A"/>',
        [
            'removed href="data:image/png;base64,iVBORw0KGgo=A" from <image>: '
            "its base64 data is damaged"
        ],
    ),
    "stylesheet instruction inside the root": (
        '<?xml-stylesheet href="https://evil.example/x.css"?>',
        ["removed processing instruction <?xml-stylesheet?>"],
    ),
    "CSS @import": (
        "<style>@import url(https://evil.example/a.css);</style>",
        ["removed CSS from <style>: '@import url(https://evil.example/a.css)'"],
    ),
    "CSS @font-face": (
        "<style>@font-face { font-family: x; src: url(https://evil.example/f.woff) }</style>",
        ["removed CSS from <style>: '@font-face { font-family: x; src: url(https://evi…'"],
    ),
    "CSS url() in a rule": (
        "<style>circle { fill: url(https://evil.example/p.svg#p) }</style>",
        ["removed CSS from <style>: 'fill: url(https://evil.example/p.svg#p)'"],
    ),
    "CSS url() hidden by an escape": (
        "<style>circle { fill: u\\72l(https://evil.example/p.svg#p) }</style>",
        ["removed CSS from <style>: 'fill: url(https://evil.example/p.svg#p)'"],
    ),
    "CSS image-set()": (
        "<style>circle { fill: image-set('https://evil.example/x.png' 1x) }</style>",
        ["removed CSS from <style>: 'fill: image-set(\"https://evil.example/x.png\" 1x)'"],
    ),
    "CSS selector with url()": (
        "<style>circle:not(url(https://evil.example/)) { fill: red }</style>",
        ["removed CSS from <style>: 'circle:not(url(https://evil.example/)) { fill: re…'"],
    ),
    "CSS nested past the limit": (
        f"<style>{'circle { ' * 40000}</style>",
        ["removed CSS from <style>: all of it, nested more than 32 brackets deep"],
    ),
    "presentation value nested past the limit": (
        f'<g fill="{"rgb(" * 10000}"/>',
        [f'removed fill="{"rgb(" * 14}rgb…" from <g>: it nests more than 32 brackets deep'],
    ),
    "CSS that does not parse": (
        '<rect width="1" height="1" style="(pwned); fill: red"/>',
        ["removed CSS from <rect>: a part that does not parse"],
    ),
    "style attribute url()": (
        '<rect width="1" height="1" style="fill: url(https://evil.example/p.svg#p)"/>',
        ["removed CSS from <rect>: 'fill: url(https://evil.example/p.svg#p)'"],
    ),
    "style attribute behavior": (
        '<rect width="1" height="1" style="behavior: url(pwned.htc); fill: red"/>',
        ["removed CSS from <rect>: 'behavior: url(pwned.htc)'"],
    ),
    "style attribute -moz-binding": (
        '<rect width="1" height="1" style="-moz-binding: url(https://evil.example/x.xml)"/>',
        ["removed CSS from <rect>: '-moz-binding: url(https://evil.example/x.xml)'"],
    ),
    "fill pointing at another site": (
        '<rect width="1" height="1" fill="url(https://evil.example/p.svg#p)"/>',
        [
            'removed fill="url(https://evil.example/p.svg#p)" from <rect>: '
            "it points outside the document"
        ],
    ),
    "filter pointing at a file: URL": (
        '<g filter="url(file:///etc/passwd#f)"/>',
        ['removed filter="url(file:///etc/passwd#f)" from <g>: it points outside the document'],
    ),
    "mask through an unknown function": (
        '<g mask="attr(pwned)"/>',
        ['removed mask="attr(pwned)" from <g>: attr() is not allowed'],
    ),
    "cursor": (
        '<g cursor="url(https://evil.example/c.cur), auto"/>',
        ['removed attribute cursor="url(https://evil.example/c.cur), auto" from <g>'],
    ),
    "cursor element": (
        '<cursor xlink:href="https://evil.example/c.png"/>',
        ["removed element <cursor>"],
    ),
    "xml:base": (
        '<g xml:base="https://evil.example/"><use href="#x"/></g>',
        ['removed attribute xml:base="https://evil.example/" from <g>'],
    ),
    "SVG font from another site": (
        '<font-face><font-face-src><font-face-uri xlink:href="https://evil.example/f.svg"/>'
        "</font-face-src></font-face>",
        ["removed element <font-face>"],
    ),
    "colour profile from another site": (
        '<color-profile name="p" xlink:href="https://evil.example/p.icc"/>',
        ["removed element <color-profile>"],
    ),
    "feMorphology": (
        '<filter id="m"><feMorphology radius="10000"/></filter>',
        ["removed element <feMorphology>"],
    ),
    "feTurbulence with a million octaves": (
        '<filter id="t"><feTurbulence numOctaves="1000000"/></filter>',
        ["lowered numOctaves from 1000000 to 10"],
    ),
    "editor data": (
        '<g xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:label="pwned"/>',
        ['removed attribute inkscape:label="pwned" from <g>'],
    ),
    "several of a kind": (
        '<g onclick="pwned()"/><g onclick="pwned()"/><g onclick="pwned()"/>',
        ['removed attribute onclick="pwned()" from <g> (3 times)'],
    ),
    **{
        f"event handler {name}": (
            f'<g {name}="pwned()"/>',
            [f'removed attribute {name}="pwned()" from <g>'],
        )
        for name in HANDLERS
    },
}


@pytest.mark.parametrize("case", sorted(REMOVED))
def test_svg_payload_is_removed_and_reported_at_its_line(tmp_path: Path, case: str) -> None:
    payload, messages = REMOVED[case]
    published, problems = load(tmp_path, svg_with(payload))
    assert problems == [warning(2, message) for message in messages]
    assert published is not None
    for mark in PAYLOAD_MARKS:
        assert mark not in published
    assert ART.encode() in published  # the art itself is kept
    again = svgsafe.sanitize_svg(published)
    assert (again.data, again.removals) == (published, ())


def test_onload_on_the_root_is_removed(tmp_path: Path) -> None:
    data = f'<svg xmlns="{SVG_NS}"\n  onload="pwned()">{ART}</svg>'.encode()
    published, problems = load(tmp_path, data)
    # An element's line is where its start tag ends (libxml2), here the attribute's line.
    assert problems == [warning(2, 'removed attribute onload="pwned()" from <svg>')]
    assert published == f'<svg xmlns="{SVG_NS}">{ART}</svg>\n'.encode()


def test_prolog_instructions_and_external_dtd_are_removed(tmp_path: Path) -> None:
    data = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<?xml-stylesheet href="https://evil.example/x.css" type="text/css"?>\n'
        "<!-- a comment -->\n"
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "https://evil.example/svg11.dtd">\n'
        f"{HEAD}{ART}</svg>\n"
    ).encode()
    published, problems = load(tmp_path, data)
    assert problems == [
        warning(2, "removed processing instruction <?xml-stylesheet?>"),
        warning(4, "removed the DOCTYPE (its DTD is never loaded)"),
    ]
    assert published == f'<svg xmlns="{SVG_NS}" viewBox="0 0 64 64">{ART}</svg>\n'.encode()


KEPT = {
    "gradient": '<defs><linearGradient id="g" x2="1"><stop offset="0" stop-color="red"/>'
    '<stop offset="1" stop-color="#00f" stop-opacity=".5"/></linearGradient></defs>'
    '<rect width="9" height="9" fill="url(#g)"/>',
    "radial gradient inheriting": '<radialGradient id="r" xlink:href="#g2"/>'
    '<linearGradient id="g2"><stop offset="0"/></linearGradient>'
    '<circle r="4" fill="url(\'#r\')"/>',
    "clip path and mask": '<clipPath id="c"><circle r="9"/></clipPath><mask id="m">'
    '<rect width="9" height="9" fill="white"/></mask>'
    '<g clip-path="url(#c)" mask="url(#m)"><rect width="9" height="9"/></g>',
    "filter": '<filter id="f" x="-1" y="-1" width="3" height="3"><feGaussianBlur '
    'stdDeviation="2" result="b"/><feOffset dx="1" dy="1"/><feMerge><feMergeNode in="b"/>'
    '<feMergeNode in="SourceGraphic"/></feMerge></filter><g filter="url(#f)"/>',
    "text": '<text x="3" y="9" font-family="DejaVu Sans" font-size="8" text-anchor="middle" '
    'xml:space="preserve">Zoé ✓</text>',
    "class and style sheet": "<style>.a { fill: #fff; stroke: rgb(1, 2, 3) }\n"
    ".b &gt; .c { opacity: 0.5 }</style>"
    '<g class="a" style="stroke-width: 2; transform: rotate(45deg)"/>',
    "use and symbol": '<symbol id="s" viewBox="0 0 2 2"><rect width="2" height="2"/>'
    '</symbol><use href="#s" width="9" height="9"/><use xlink:href="#s" x="9"/>',
    "text on a path": '<path id="p" d="M0 0 L9 9"/><text><textPath href="#p">a</textPath></text>',
    "marker and pattern": '<marker id="k" markerWidth="3" markerHeight="3" refX="1" refY="1">'
    '<circle r="1"/></marker><pattern id="q" width="4" height="4" patternUnits="userSpaceOnUse">'
    '<rect width="2" height="2"/></pattern><path d="M0 0 L9 9" marker-end="url(#k)" '
    'fill="url(#q)"/>',
    "embedded PNG": f'<image width="2" height="2" href="data:image/png;base64,{TINY_PNG}"/>',
    "feImage of an element": '<filter id="e"><feImage href="#p2"/></filter>'
    '<path id="p2" d="M0 0"/>',
    "accessibility": '<g role="img" aria-label="A badge" lang="fr"><title>Badge</title>'
    "<desc>Un badge</desc></g>",
    "link without a target": '<a><circle r="3"/></a>',
}


@pytest.mark.parametrize("case", sorted(KEPT))
def test_badge_art_is_kept(tmp_path: Path, case: str) -> None:
    data = svg_with(KEPT[case])
    published, problems = load(tmp_path, data)
    assert problems == []
    assert published is not None
    assert _canonical(published) == _canonical(data)


def _canonical(data: bytes) -> bytes:
    """Return the document as C14N, without whitespace-only text and its style sheets' layout."""
    parser = etree.XMLParser(remove_blank_text=True)
    root = etree.fromstring(data, parser)
    etree.cleanup_namespaces(root)
    for style in root.iter(f"{{{SVG_NS}}}style"):
        style.text = "".join((style.text or "").split()).replace(";}", "}")
    for element in root.iter():
        if element.get("style"):
            element.set("style", "".join(element.get("style", "").split()))
    return etree.tostring(root, method="c14n")


def test_embedded_png_is_cleaned_of_its_baked_badge(tmp_path: Path) -> None:
    foreign = baking.bake_png(pillow_png((2, 2)), baking.OB2_KEYWORD, '{"pwned": true}')
    data = svg_with(f'<image href="data:image/png;base64,{base64.b64encode(foreign).decode()}"/>')
    published, problems = load(tmp_path, data)
    assert problems == []
    assert published is not None
    embedded = etree.fromstring(published).find(f"{{{SVG_NS}}}image")
    assert embedded is not None
    raster = base64.b64decode(embedded.get("href", "").split(",", 1)[1])
    assert badge_chunks(raster) == 0
    assert Image.open(io.BytesIO(raster)).tobytes() == Image.open(io.BytesIO(foreign)).tobytes()


# -- SVG: refused, at the SVG's line -----------------------------------------------------------


def laughs(levels: int) -> str:
    entities = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "pwned"}">' for i in range(levels)
    )
    return f"<!DOCTYPE svg [{entities}]>\n{HEAD}<text>&l{levels - 1};</text></svg>"


def nested(depth: int) -> str:
    """Return an SVG whose innermost element is ``depth`` levels deep, one per line."""
    return HEAD + "\n<g>" * (depth - 1) + "</g>" * (depth - 1) + "</svg>"


def use_bomb(levels: int, fanout: int) -> str:
    groups = "".join(
        f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * fanout + "</g>" for i in range(1, levels)
    )
    return f'{HEAD}<defs><circle id="l0" r="1"/>{groups}</defs><use href="#l{levels - 1}"/></svg>'


def use_chain(length: int) -> str:
    """Return an SVG drawing a circle through ``length`` groups, each using the next."""
    links = "".join(f'<g id="c{i}"><use href="#c{i + 1}"/></g>' for i in range(length))
    return f'{HEAD}<defs>{links}<circle id="c{length}" r="1"/></defs><use href="#c0"/></svg>'


DOCTYPE_ERROR = (
    "the SVG declares entities or a DTD in its DOCTYPE "
    "(remove the DOCTYPE: entities and DTDs are never loaded)"
)
UTF8_HINT = "save it as UTF-8"
REFUSED: dict[str, tuple[bytes, str]] = {
    "internal entity": (
        f'<!DOCTYPE svg [<!ENTITY x "pwned">]>\n{HEAD}<text>&x;</text></svg>'.encode(),
        f"1:1: {DOCTYPE_ERROR}",
    ),
    "billion laughs": (laughs(10).encode(), f"1:1: {DOCTYPE_ERROR}"),
    "external parameter entity": (
        f'<!DOCTYPE svg [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n{HEAD}</svg>'.encode(),
        f"1:1: {DOCTYPE_ERROR}",
    ),
    "external entity": (
        f'<!DOCTYPE svg [<!ENTITY x SYSTEM "https://evil.example/">]>\n{HEAD}<text>&x;</text>'
        "</svg>".encode(),
        f"1:1: {DOCTYPE_ERROR}",
    ),
    "default attribute in the DTD": (
        f'<!DOCTYPE svg [<!ATTLIST svg onload CDATA "pwned()">]>\n{HEAD}</svg>'.encode(),
        f"1:1: {DOCTYPE_ERROR}",
    ),
    "empty internal subset after a comment": (
        f"<!-- a\ncomment -->\n<!DOCTYPE svg []>\n{HEAD}</svg>".encode(),
        f"3:1: {DOCTYPE_ERROR}",
    ),
    "undeclared entity": (
        f"{HEAD}\n<text>&pwned;</text></svg>".encode(),
        "2:14: the SVG is not well-formed XML: Entity 'pwned' not defined",
    ),
    "UTF-16 with a byte order mark": (
        f'<?xml version="1.0" encoding="UTF-16"?>{HEAD}</svg>'.encode("utf-16"),
        f"1:1: the SVG is in UTF-16 or UTF-32 ({UTF8_HINT})",
    ),
    "UTF-16 big-endian without a mark": (
        f"{HEAD}</svg>".encode("utf-16-be"),
        f"1:1: the SVG is in UTF-16 or UTF-32 ({UTF8_HINT})",
    ),
    "UTF-32": (
        f"{HEAD}</svg>".encode("utf-32"),
        f"1:1: the SVG is in UTF-16 or UTF-32 ({UTF8_HINT})",
    ),
    "Latin-1 declared": (
        f'<?xml version="1.0" encoding="ISO-8859-1"?>\n{HEAD}</svg>'.encode(),
        "1:1: the SVG declares the encoding 'ISO-8859-1' "
        "(only UTF-8 is accepted: save it as UTF-8)",
    ),
    "Latin-1 bytes": (
        f"{HEAD}\n\n<text>caf\xe9</text></svg>".encode("latin-1"),
        f"3:10: the SVG is not valid UTF-8 (byte 0xE9) ({UTF8_HINT})",
    ),
    "nested one level too deep": (
        nested(svgsafe.MAX_DEPTH + 1).encode(),
        f"{svgsafe.MAX_DEPTH + 1}:1: the SVG nests elements more than {svgsafe.MAX_DEPTH} levels "
        "deep (flatten the groups in a drawing program)",
    ),
    "nested 100,000 levels": (
        nested(100_000).encode(),
        f"{svgsafe.MAX_DEPTH + 1}:1: the SVG nests elements more than {svgsafe.MAX_DEPTH} levels "
        "deep (flatten the groups in a drawing program)",
    ),
    "too many elements": (
        f"{HEAD}{'<g/>' * svgsafe.MAX_ELEMENTS}</svg>".encode(),
        f"1:1: the SVG has more than {svgsafe.MAX_ELEMENTS} elements (simplify the drawing)",
    ),
    "use bomb": (
        use_bomb(6, 10).encode(),
        f"1:1: the SVG draws more than {svgsafe.MAX_ELEMENTS} elements once its references are "
        "followed (simplify the drawing)",
    ),
    "use chain": (
        use_chain(31).encode(),
        f"1:1: references from <svg> nest more than {svgsafe.MAX_DEPTH} levels deep "
        "(point references at the drawn elements directly)",
    ),
    "use of itself": (
        f'{HEAD}\n<g id="a">\n<use href="#a"/></g></svg>'.encode(),
        "3:1: <use> refers to an element that contains it "
        "(a reference cycle has no picture: point it at another element)",
    ),
    "pattern filled with itself": (
        f'{HEAD}\n<pattern id="p"><rect fill="url(#p)"/></pattern></svg>'.encode(),
        "2:1: <rect> refers to an element that contains it "
        "(a reference cycle has no picture: point it at another element)",
    ),
    "HTML instead of SVG": (
        b"<html><body>pwned</body></html>",
        f'1:1: the root element is <html>, not <svg> (start the file with <svg xmlns="{SVG_NS}">)',
    ),
    "SVG without its namespace": (
        b'<svg viewBox="0 0 9 9"/>',
        f"1:1: the root element is <svg> without the SVG namespace "
        f'(start the file with <svg xmlns="{SVG_NS}">)',
    ),
    "empty file": (b"", "1:1: the SVG is not well-formed XML: no element found"),
    "unclosed element": (
        f"{HEAD}\n<g>\n</svg>".encode(),
        "3:7: the SVG is not well-formed XML: Opening and ending tag mismatch: g line 2 and svg",
    ),
    "size resvg cannot render": (
        f'<svg xmlns="{SVG_NS}" width="0" height="0"/>'.encode(),
        "1:1: the SVG cannot be rendered: SVG has an invalid size",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unsafe_svg_is_refused_at_its_line(tmp_path: Path, case: str) -> None:
    data, expected = REFUSED[case]
    published, problems = load(tmp_path, data)
    assert published is None
    assert problems == [f"badges/civic.svg:{expected}"]


def test_limits_are_inclusive(tmp_path: Path) -> None:
    """Exactly at each limit is accepted: the refusals above are one step past it."""
    deep = nested(svgsafe.MAX_DEPTH).encode()
    many = f"{HEAD}{'<g/>' * (svgsafe.MAX_ELEMENTS - 1)}</svg>".encode()
    chain = use_chain(30).encode()  # 2 levels a link: the root is 63 levels deep
    for data in (deep, many, chain):
        published, problems = load(tmp_path, data)
        assert (published is not None, problems) == (True, [])


def test_file_past_the_size_limit_is_refused_where_it_is_named(tmp_path: Path) -> None:
    data = svg_with(f"<desc>{'x' * images.MAX_IMAGE_BYTES}</desc>")
    assert load(tmp_path, data) == (
        None,
        ["badges/civic.yaml:4:8: image 'civic.svg' is larger than 1 MiB (publish a smaller image)"],
    )


# -- SVG: generated documents ------------------------------------------------------------------

NAMESPACES = [SVG_NS, SVG_NS, SVG_NS, "http://www.w3.org/1999/xhtml", "urn:other"]
TAGS = [*sorted(svgsafe.ELEMENTS), "script", "handler", "foreignObject", "set", "animate"]
TAGS += ["iframe", "a", "image", "use", "feImage", "style", "font-face-uri", "feMorphology"]
ATTRIBUTES = ["id", "fill", "style", "href", "{http://www.w3.org/1999/xlink}href", "onload"]
ATTRIBUTES += ["onclick", "class", "filter", "mask", "x", "d", "numOctaves", "cursor"]
ATTRIBUTES += ["{http://www.w3.org/XML/1998/namespace}base", "{urn:other}href", "begin"]
VALUES = ["#a", "#b", "url(#a)", "url(https://evil.example/x)", "javascript:pwned()", "red"]
VALUES += ["https://evil.example/i.png", "file:///etc/passwd", "fill: url(#b); stroke: blue"]
VALUES += ["u\\72l(https://evil.example/)", "@import 'https://evil.example/'", "pwned()", "3"]
VALUES += [f"data:image/png;base64,{TINY_PNG}", f"data:image/svg+xml;base64,{SVG_DOC}"]
TEXTS = ["", "a", "@import url(https://evil.example/)", "pwned()", "g { fill: red }"]

CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]*)", re.IGNORECASE)
Tree = tuple[str, str, list[tuple[str, str]], str, list["Tree"]]
trees: st.SearchStrategy[Tree] = st.recursive(
    st.tuples(
        st.sampled_from(NAMESPACES),
        st.sampled_from(TAGS),
        st.lists(st.tuples(st.sampled_from(ATTRIBUTES), st.sampled_from(VALUES)), max_size=3),
        st.sampled_from(TEXTS),
        st.just([]),
    ),
    lambda children: st.tuples(
        st.sampled_from(NAMESPACES),
        st.sampled_from(TAGS),
        st.lists(st.tuples(st.sampled_from(ATTRIBUTES), st.sampled_from(VALUES)), max_size=3),
        st.sampled_from(TEXTS),
        st.lists(children, max_size=4),
    ),
    max_leaves=25,
)


def sanitize(data: bytes) -> svgsafe.SanitizedSvg | svgsafe.UnsafeSvgError:
    """Return the sanitised SVG, or the refusal."""
    try:
        return svgsafe.sanitize_svg(data)
    except svgsafe.UnsafeSvgError as error:
        return error


def build_tree(tree: Tree, parent: etree._Element | None = None) -> etree._Element:
    namespace, tag, attributes, text, children = tree
    name = f"{{{namespace}}}{tag}"
    element = etree.Element(name) if parent is None else etree.SubElement(parent, name)
    for attribute, value in attributes:
        element.set(attribute, value)
    element.text = text or None
    for child in children:
        build_tree(child, element)
    return element


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trees, max_size=4))
def test_generated_documents_publish_only_inert_svg(children: list[Tree]) -> None:
    root = build_tree((SVG_NS, "svg", [], "", children))
    result = sanitize(etree.tostring(root))
    if isinstance(result, svgsafe.UnsafeSvgError):
        assert "refers to an element that contains it" in result.message  # #a and #b cycles
        return
    published = result.data
    for element in etree.fromstring(published).iter():
        # Text, names (id, class…) and invalid values are inert; links and CSS act.
        css = [
            value
            for name, value in element.attrib.items()
            if etree.QName(name).localname in {"style", *svgstyle.PROPERTIES}
        ]
        if etree.QName(element).localname == "style":
            css.append(element.text or "")
        for value in css:
            assert all(t.startswith("#") for t in CSS_URL.findall(value)), value
            assert "@" not in value
            assert "\\" not in value
        assert etree.QName(element).namespace == SVG_NS
        assert etree.QName(element).localname not in {
            "script",
            "handler",
            "foreignObject",
            "set",
            "animate",
            "iframe",
            "font-face-uri",
        }
        for name, value in element.attrib.items():
            local = etree.QName(name).localname
            assert not local.startswith("on")
            assert local not in ("base", "cursor", "begin")
            if local == "href":
                assert value.startswith(("#", "data:image/png;base64,"))
    again = svgsafe.sanitize_svg(published)
    assert (again.data, again.removals) == (published, ())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_are_published_or_refused_never_crash(data: bytes) -> None:
    result = sanitize(data)
    if isinstance(result, svgsafe.UnsafeSvgError):
        assert (result.line >= 1, result.column >= 1) == (True, True)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.text(max_size=40))
def test_text_inserted_anywhere_is_published_or_refused(position: int, insert: str) -> None:
    data = svg_with(KEPT["class and style sheet"]).decode()
    spliced = (data[:position] + insert + data[position:]).encode()
    try:
        published = svgsafe.sanitize_svg(spliced).data
    except svgsafe.UnsafeSvgError:
        return
    assert svgsafe.sanitize_svg(published).data == published


CSS_PIECES = ["fill", ":", ";", " ", "url(", "#a", ")", "'", '"', "\\", "@import", "{", "}"]
CSS_PIECES += ["https://evil.example/", "u\\72l(", "image-set(", "red", "/*", "*/", "("]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CSS_PIECES) | st.text(max_size=5), max_size=30).map("".join))
def test_css_keeps_only_inert_declarations(css: str) -> None:
    for sanitize_css in (svgstyle.sanitize_declarations, svgstyle.sanitize_stylesheet):
        kept, _ = sanitize_css(css)
        assert not list(outside_references(tinycss2.parse_component_value_list(kept))), kept
        assert sanitize_css(kept) == (kept, [])
    svgstyle.value_problem(css)  # never raises


def outside_references(tokens: list[Any]) -> Iterator[str]:
    """Yield what CSS tokens fetch or declare outside the document (strings are inert)."""
    for token in tokens:
        if token.type == "at-keyword":
            yield f"@{token.value}"
        elif token.type == "url" and not token.value.startswith("#"):
            yield token.value
        elif token.type == "function":
            arguments = [t for t in token.arguments if t.type != "whitespace"]
            if token.lower_name == "url" and not (
                arguments and arguments[0].type == "string" and arguments[0].value[:1] == "#"
            ):
                yield tinycss2.serialize([token])
            yield from outside_references(token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            yield from outside_references(token.content)


# -- PNG: refused, where the image is named ---------------------------------------------------


def bomb() -> bytes:
    """Return a 16x16 PNG whose image data inflates to 200 MB."""
    deflater = zlib.compressobj(9)
    block = b"\0" * (1 << 20)
    idat = b"".join(deflater.compress(block) for _ in range(200)) + deflater.flush()
    return raw_png(16, 16, idat)


def with_crc_broken(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


SIXTEEN = raw_png(16, 16)
PNG_REFUSED: dict[str, tuple[bytes, str]] = {
    "decompression bomb": (
        bomb(),
        "its image data inflates beyond what 16x16 pixels need (a decompression bomb)",
    ),
    "header claiming 2^31-1 pixels a side": (
        raw_png(2**31 - 1, 2**31 - 1, b""),
        "it is 2147483647x2147483647 pixels: the limit is 2048 a side",
    ),
    "9,400 pixels a side": (
        raw_png(9400, 9400, zlib.compress(b"\0" * 1000)),
        "it is 9400x9400 pixels: the limit is 2048 a side",
    ),
    "one side past the limit": (
        raw_png(2049, 1),
        "it is 2049x1 pixels: the limit is 2048 a side",
    ),
    "0x0": (raw_png(0, 0, b""), "it is 0x0 pixels: an image needs at least one a side"),
    "no width": (raw_png(0, 5, b""), "it is 0x5 pixels: an image needs at least one a side"),
    "truncated image data": (
        SIXTEEN[:60],
        "it is truncated: chunk IDAT at byte 33 is cut",
    ),
    "truncated before IEND": (SIXTEEN[:-12], "it is truncated: it ends before its IEND chunk"),
    "signature only": (rastersafe.PNG_SIGNATURE, "it is truncated: it ends before its IEND chunk"),
    "bad CRC in IDAT": (
        with_crc_broken(SIXTEEN, 45),
        "it is damaged: chunk IDAT at byte 33 fails its CRC",
    ),
    "bad CRC in IHDR": (
        with_crc_broken(SIXTEEN, 20),
        "it is damaged: chunk IHDR at byte 8 fails its CRC",
    ),
    "bad CRC in a text chunk": (
        insert_after_header(SIXTEEN, with_crc_broken(text_chunk(b"Comment", b"x"), 14)),
        "it is damaged: chunk iTXt at byte 33 fails its CRC",
    ),
    "image data stopping short": (
        raw_png(16, 16, zlib.compress(b"\0" * 100)),
        "it is truncated: its image data is shorter than its pixels need",
    ),
    "zlib stream cut": (
        raw_png(16, 16, zlib.compress(b"\0" * (16 * 65))[:-6]),
        "it is truncated: its image data stops in the middle",
    ),
    "zlib stream damaged": (
        raw_png(16, 16, b"\x78\x9c\xff\xff\xff"),
        "its image data is damaged (Error -3 while decompressing data: invalid block type)",
    ),
    "bytes after the zlib stream": (
        raw_png(16, 16, zlib.compress(b"\0" * (16 * 65)) + b"pwned"),
        "its image data has extra bytes after its end",
    ),
    "unknown row filter": (
        raw_png(1, 1, zlib.compress(b"\x09\0\0\0\0")),
        "its image data is damaged: unknown row filter 9",
    ),
    "no image data": (
        rastersafe.PNG_SIGNATURE
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
        + chunk(b"IEND", b""),
        "it has no image data (IDAT chunk)",
    ),
    "bit depth not allowed": (
        raw_png(1, 1, depth=4, colour=2),
        "its header is invalid: bit depth 4 with colour type 2",
    ),
    "palette image without palette": (
        raw_png(1, 1, depth=8, colour=3),
        "it is a palette image without a palette (PLTE chunk)",
    ),
    "unknown critical chunk": (
        insert_after_header(SIXTEEN, chunk(b"EVIL", b"pwned")),
        "it has an unknown critical chunk EVIL",
    ),
    "damaged chunk type": (
        insert_after_header(SIXTEEN, chunk(b"a\0bc", b"")),
        "it has a damaged chunk header at byte 33",
    ),
    "two headers": (
        insert_after_header(SIXTEEN, SIXTEEN[8:33]),
        "it has two IHDR chunks",
    ),
    "colour profile bomb": (
        insert_after_header(
            SIXTEEN, chunk(b"iCCP", b"icc\0\0" + zlib.compress(b"\0" * (2 * (1 << 20))))
        ),
        f"its colour profile (iCCP chunk) inflates beyond {rastersafe.MAX_ICC_BYTES} bytes",
    ),
    "gamma of the wrong length": (
        insert_after_header(SIXTEEN, chunk(b"gAMA", b"\1")),
        "its gAMA chunk is damaged (wrong length)",
    ),
    "chromaticities of the wrong length": (
        insert_after_header(SIXTEEN, chunk(b"cHRM", b"\1" * 3)),
        "its cHRM chunk is damaged (wrong length)",
    ),
    "empty sRGB": (
        insert_after_header(SIXTEEN, chunk(b"sRGB", b"")),
        "its sRGB chunk is damaged (wrong length)",
    ),
    "not a PNG at all": (b"GIF89a pwned", "it is not a PNG file"),
}


@pytest.mark.parametrize("case", sorted(PNG_REFUSED))
def test_damaged_png_is_refused_where_it_is_named(tmp_path: Path, case: str) -> None:
    data, reason = PNG_REFUSED[case]
    if not data.startswith(rastersafe.PNG_SIGNATURE):
        with pytest.raises(rastersafe.RasterError, match=f"^{reason}$"):
            rastersafe.clean_png(data)
        return
    assert load(tmp_path, data, "civic.png") == (
        None,
        [f"badges/civic.yaml:4:8: image 'civic.png' is refused: {reason} ({PNG_HINT})"],
    )


def test_png_past_the_size_limit_is_refused(tmp_path: Path) -> None:
    data = insert_after_header(SIXTEEN, chunk(b"prVt", b"\0" * images.MAX_IMAGE_BYTES))
    assert load(tmp_path, data, "civic.png") == (
        None,
        ["badges/civic.yaml:4:8: image 'civic.png' is larger than 1 MiB (publish a smaller image)"],
    )


# -- PNG: cleaned ------------------------------------------------------------------------------


def test_text_bomb_is_dropped_without_being_inflated(tmp_path: Path) -> None:
    deflater = zlib.compressobj(9)
    text = b"".join(deflater.compress(b"\0" * (1 << 20)) for _ in range(300)) + deflater.flush()
    ztxt = chunk(b"zTXt", b"Comment\0\0" + text)
    published, problems = load(tmp_path, insert_after_header(SIXTEEN, ztxt), "civic.png")
    assert (published, problems) == (SIXTEEN, [])


def test_foreign_badges_and_trailing_bytes_are_removed_and_reported(tmp_path: Path) -> None:
    source = pillow_png()
    foreign = (
        text_chunk(b"openbadges", b'{"pwned": true}')
        + text_chunk(b"openbadgecredential", b'{"pwned": true}', b"tEXt")
        + text_chunk(b"openbadges", b'{"pwned": true}', b"zTXt")
    )
    data = insert_after_header(source, foreign) + b"<script>pwned()</script>"
    published, problems = load(tmp_path, data, "civic.png")
    hint = "the published image keeps only its pixels and colour information"
    assert problems == [
        f"badges/civic.yaml:4:8: warning: image 'civic.png': removed {note} ({hint})"
        for note in [
            "an Open Badge baked into it (keyword openbadges)",
            "an Open Badge baked into it (keyword openbadgecredential)",
            "an Open Badge baked into it (keyword openbadges)",
            "24 bytes after its end (IEND chunk)",
        ]
    ]
    assert published == source


def pypng_image(
    width: int, height: int, mode: str, depth: int, interlace: bool, seed: int
) -> tuple[bytes, list[list[int]]]:
    """Encode a random image with pypng (an encoder independent of the code under test)."""
    planes = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "P": 1}[mode]
    top = (1 << depth) - 1
    rows = [
        [
            (seed * 7919 + (y * width * planes + x) * 104729) % (top + 1)
            for x in range(width * planes)
        ]
        for y in range(height)
    ]
    options: dict[str, object] = {"bitdepth": depth, "interlace": interlace, "chunk_limit": 64}
    if mode == "P":
        options["palette"] = [(i, 255 - i, i // 2) for i in range(1 << depth)]
    else:
        options.update(greyscale=mode in ("L", "LA"), alpha=mode in ("LA", "RGBA"))
        options["gamma"] = 0.45455
        options["x_pixels_per_unit"] = options["y_pixels_per_unit"] = 2835
    buffer = io.BytesIO()
    pypng.Writer(width, height, **options).write(buffer, rows)
    return buffer.getvalue(), rows


FORMATS = [("L", d) for d in (1, 2, 4, 8, 16)] + [("LA", 8), ("LA", 16), ("RGB", 8)]
FORMATS += [("RGB", 16), ("RGBA", 8), ("RGBA", 16)] + [("P", d) for d in (1, 2, 4, 8)]
images_st = st.tuples(
    st.integers(1, 33),
    st.integers(1, 33),
    st.sampled_from(FORMATS),
    st.booleans(),
    st.integers(0, 1000),
)
EXTRA_CHUNKS = [
    text_chunk(b"Comment", b"pwned"),
    text_chunk(b"openbadges", b"{}", b"tEXt"),
    text_chunk(b"Software", b"pwned", b"zTXt"),
    chunk(b"tIME", b"\x07\xe9\x01\x01\0\0\0"),
    chunk(b"eXIf", b"MM\0*pwned"),
    chunk(b"prVt", b"pwned"),
]


@settings(max_examples=150, deadline=None)
@given(images_st, st.lists(st.sampled_from(EXTRA_CHUNKS), max_size=3))
def test_clean_png_keeps_every_pixel_and_only_colour_chunks(
    image: tuple[int, int, tuple[str, int], bool, int], extra: list[bytes]
) -> None:
    width, height, (mode, depth), interlace, seed = image
    data, rows = pypng_image(width, height, mode, depth, interlace, seed)
    clean = rastersafe.clean_png(insert_after_header(data, b"".join(extra)))
    assert (clean.width, clean.height) == (width, height)
    assert set(chunk_types(clean.data)) <= {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"gAMA"}
    assert [list(row) for row in pypng.Reader(bytes=clean.data).read()[2]] == rows
    Image.open(io.BytesIO(clean.data)).load()  # and Pillow decodes it, as the cards do


@settings(max_examples=300, deadline=None)
@given(images_st, st.data())
def test_any_changed_byte_or_truncation_is_refused(
    image: tuple[int, int, tuple[str, int], bool, int], data: st.DataObject
) -> None:
    width, height, (mode, depth), interlace, seed = image
    encoded, _ = pypng_image(width, height, mode, depth, interlace, seed)
    position = data.draw(st.integers(0, len(encoded) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = encoded[:position] + bytes([encoded[position] ^ flip]) + encoded[position + 1 :]
    for damaged in (changed, encoded[:position]):
        with pytest.raises(rastersafe.RasterError):
            rastersafe.clean_png(damaged)


def split_chunks(data: bytes) -> list[bytes]:
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append(data[offset : offset + 12 + length])
        offset += 12 + length
    return chunks


KINDS = [b"PLTE", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"IDAT", b"IHDR", b"IEND"]
KINDS += [b"tEXt", b"zTXt", b"acTL", b"fdAT", b"prVt", b"sBIT", b"bKGD"]


@settings(max_examples=200, deadline=None)
@given(
    images_st,
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from(KINDS), st.binary(max_size=40))),
)
def test_what_check_accepts_the_build_can_draw(
    image: tuple[int, int, tuple[str, int], bool, int], inserts: list[tuple[int, bytes, bytes]]
) -> None:
    """Chunks with valid CRCs in any order and content: refused, or decoded by Pillow and
    drawn on a card (a traceback in build after check passed is the failure)."""
    width, height, (mode, depth), interlace, seed = image
    chunks = split_chunks(pypng_image(width, height, mode, depth, interlace, seed)[0])
    for position, kind, body in inserts:
        chunks.insert(min(position, len(chunks)), chunk(kind, body))
    data = rastersafe.PNG_SIGNATURE + b"".join(chunks)
    try:
        clean = rastersafe.clean_png(data).data
    except rastersafe.RasterError:
        return
    with Image.open(io.BytesIO(clean)) as decoded:
        decoded.load()
    cards.render_card(clean, "Badge", "Issuer", None)


# -- through check and build ---------------------------------------------------------------------


def test_check_lists_svg_removals_and_build_publishes_none(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    svg = project.root / "badges" / "civic.svg"
    svg.write_bytes(svg_with('<script>pwned()</script><image href="https://evil.example/t.png"/>'))
    status, output = project.run(capsys, "check")
    assert (status, output.splitlines()) == (
        0,
        [
            warning(2, "removed element <script>"),
            warning(2, f'removed href="https://evil.example/t.png" from <image>: {EXTERNAL_IMAGE}'),
            "1 badge, 1 recipient, 1 award (a site of 39 files, 0.9 MB): 2 warnings in 1 file",
        ],
    )
    status, output = project.run(capsys, "build", "--out", str(project.root / "site"))
    assert status == 0
    published = sorted((project.root / "site").rglob("*.svg"))
    assert "badges/civic/image.svg" in {
        p.relative_to(project.root / "site").as_posix() for p in published
    }
    for file in published:
        content = file.read_bytes()
        for mark in PAYLOAD_MARKS:
            assert mark not in content, file
    # Baked copies are made from the published image: each holds our element only.
    image = (project.root / "site" / "badges" / "civic" / "image.svg").read_bytes()
    for element, namespace in (
        ("assertion", baking.OB2_SVG_NAMESPACE),
        ("credential", baking.OB3_SVG_NAMESPACE),
    ):
        baked = baking.bake_svg(image, element, namespace, '{"id": "ours"}', None)
        assert baked.count(b"<openbadges:") == 1
        assert baking.unbake_svg(baked) == '{"id": "ours"}'


def test_baked_png_holds_exactly_our_badge(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = text_chunk(b"openbadges", b'{"pwned": true}') + text_chunk(
        b"openbadgecredential", b'{"pwned": true}'
    )
    (project.root / "badges" / "civic.png").write_bytes(insert_after_header(pillow_png(), foreign))
    project.write(
        "badges/civic.yaml",
        (project.root / "badges/civic.yaml").read_text().replace("civic.svg", "civic.png"),
    )
    status, output = project.run(capsys, "build", "--out", str(project.root / "site"))
    assert status == 0, output
    image = (project.root / "site" / "badges" / "civic" / "image.png").read_bytes()
    assert (badge_chunks(image), b"pwned" in image) == (0, False)
    # Baked copies are made from the published image: each holds exactly one badge, ours.
    for keyword in (baking.OB2_KEYWORD, baking.OB3_KEYWORD):
        baked = baking.bake_png(image, keyword, '{"id": "ours"}')
        assert badge_chunks(baked) == 1
        assert baking.unbake_png(baked, keyword) == '{"id": "ours"}'


@pytest.mark.parametrize(
    "case", ["nested 100,000 levels", "external parameter entity", "UTF-16 with a byte order mark"]
)
def test_build_refuses_what_crashed_resvg(project: Project, case: str) -> None:
    """These crashed resvg (a segfault, exceptions): a separate process, so a crash shows."""
    (project.root / "badges" / "civic.svg").write_bytes(REFUSED[case][0])
    result = subprocess.run(
        [sys.executable, "-m", "badgepages", "-C", str(project.root), "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        f"badges/civic.svg:{REFUSED[case][1]}",
        "recipients/alice-martin.yaml:6:12: unknown badge 'civic' "
        "(the badges are the files in badges/)",
        "2 errors in 2 files",
        "nothing was built: fix the problems above",
    ]


def test_logo_and_theme_svgs_are_sanitised(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    theme = project.root / "theme"
    theme.mkdir()
    (theme / "templates").symlink_to(Path(__file__).parents[1] / "theme" / "templates")
    (theme / "strings.yaml").symlink_to(Path(__file__).parents[1] / "theme" / "strings.yaml")
    (theme / "static" / "icons").mkdir(parents=True)
    (theme / "static" / "icons" / "star.svg").write_bytes(svg_with("<script>pwned()</script>"))
    (project.root / "logo.svg").write_bytes(svg_with('<g onload="pwned()"/>'))
    config = (project.root / "site_config.yaml").read_text()
    config = config.replace(f"theme: {Path(__file__).parents[1] / 'theme'}", "theme: theme")
    project.write(
        "site_config.yaml",
        config.replace(
            "  email: badges@example.org\n", "  email: badges@example.org\n  logo: logo.svg\n"
        ),
    )
    status, output = project.run(capsys, "check")
    assert (status, output.splitlines()) == (
        0,
        [
            f'logo.svg:2:1: warning: removed attribute onload="pwned()" from <g> ({SVG_HINT})',
            f"theme/static/icons/star.svg:2:1: warning: removed element <script> ({SVG_HINT})",
            "1 badge, 1 recipient, 1 award (a site of 26 files, 0.6 MB): 2 warnings in 2 files",
        ],
    )
