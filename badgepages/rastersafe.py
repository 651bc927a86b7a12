"""Raster images under limits: PNGs read strictly and cleaned, embedded rasters checked.

A PNG is read chunk by chunk (PNG specification, 3rd edition, §5), every CRC checked, the
header checked against the size limit before anything is inflated, and the image data
inflated once, never beyond what the header's pixels need, so that a decompression bomb, a
truncated file or a damaged chunk is refused before any decoder sees it. The cleaned PNG
keeps its pixel data byte for byte and only the chunks that say how to show it: text chunks
(and with them any Open Badge another issuer baked in), timestamps, EXIF and private chunks
are dropped, so a baked copy holds exactly one Open Badges chunk, ours.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

# Badges are shown at most 256 px wide and rendered at 512 px; 2048 px leaves room for
# print while keeping every baked copy small. The byte limit is enforced where files are read.
MAX_SIDE = 2048
# An ICC profile is a few kilobytes; more is not a profile.
MAX_ICC_BYTES = 1 << 20

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_CHUNK = 2**31 - 1  # §5.3: a chunk's length is at most 2^31 - 1
# Chunks a published image keeps: pixel data, transparency and colour space (§11.2, §11.3).
_KEPT = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP"})
_TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
# §11.3: the fixed lengths of the colour-space chunks (decoders refuse other lengths).
_COLOUR_LENGTHS = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1}
_BAKED_KEYWORDS = (b"openbadges", b"openbadgecredential")
# §11.2.1: allowed bit depths per colour type, and samples per pixel.
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# §8.2: Adam7 passes as (x start, y start, x step, y step).
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
# Media types of the rasters an SVG may embed, and the Pillow formats they must decode as.
EMBEDDED_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}


class RasterError(ValueError):
    """Raised when an image is damaged, beyond the limits, or not what it claims to be."""


@dataclass(frozen=True)
class CleanPng:
    """A PNG fit to publish, with what was taken out of it (as short notes)."""

    data: bytes
    width: int
    height: int
    removed: tuple[str, ...]


@dataclass(frozen=True)
class _Header:
    width: int
    height: int
    depth: int
    colour: int
    interlaced: bool


def clean_png(data: bytes) -> CleanPng:
    """Check a PNG strictly under the limits; return it reduced to pixels and colour chunks."""
    chunks, trailing = _read_chunks(data)
    header = _read_header(chunks[0])
    removed: list[str] = []
    kept: list[tuple[bytes, bytes]] = [chunks[0]]
    palette: bytes | None = None
    idat: list[bytes] = []
    idat_done = False
    for kind, body in chunks[1:]:
        if kind == b"IHDR":
            raise RasterError("it has two IHDR chunks")
        if kind == b"IDAT":
            if idat_done:
                raise RasterError("its IDAT chunks are not consecutive")
            idat.append(body)
        elif idat:
            idat_done = True
        if kind == b"PLTE":
            palette = _check_palette(header, body, palette, bool(idat))
        elif kind == b"tRNS":
            _check_transparency(header, body, palette)
        elif kind == b"iCCP":
            _check_profile(body)
        elif kind in _COLOUR_LENGTHS and len(body) != _COLOUR_LENGTHS[kind]:
            raise RasterError(f"its {_name(kind)} chunk is damaged (wrong length)")
        elif kind in _TEXT and body.split(b"\x00", 1)[0] in _BAKED_KEYWORDS:
            keyword = body.split(b"\x00", 1)[0].decode("ascii")
            removed.append(f"an Open Badge baked into it (keyword {keyword})")
        elif kind[0:1].isupper() and kind not in _KEPT:
            raise RasterError(f"it has an unknown critical chunk {_name(kind)}")
        if kind in _KEPT and (kind in (b"IDAT", b"IEND") or not idat):
            kept.append((kind, body))
    if not idat:
        raise RasterError("it has no image data (IDAT chunk)")
    if header.colour == 3 and palette is None:
        raise RasterError("it is a palette image without a palette (PLTE chunk)")
    _check_pixels(header, b"".join(idat))
    if trailing:
        removed.append(f"{trailing} bytes after its end (IEND chunk)")
    clean = PNG_SIGNATURE + b"".join(_chunk(kind, body) for kind, body in kept)
    return CleanPng(clean, header.width, header.height, tuple(removed))


def check_embedded_raster(data: bytes, media_type: str) -> bytes:
    """Return an embedded raster fit to publish (PNGs cleaned), or raise RasterError."""
    expected = EMBEDDED_FORMATS[media_type]
    if expected == "PNG":
        return clean_png(data).data
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            _check_size(*image.size)
            image.load()
    except RasterError:
        raise
    # Pillow's decoders report damage with many exception types (OSError, SyntaxError,
    # ValueError, EOFError, struct.error…): every one of them means "damaged".
    except Exception:
        raise RasterError(f"it is not a readable {media_type} image") from None
    return data


def _read_chunks(data: bytes) -> tuple[list[tuple[bytes, bytes]], int]:
    """Return the chunks up to IEND (CRCs checked) and how many bytes follow IEND."""
    if not data.startswith(PNG_SIGNATURE):
        raise RasterError("it is not a PNG file")
    chunks: list[tuple[bytes, bytes]] = []
    offset = len(PNG_SIGNATURE)
    while True:
        if offset + 8 > len(data):
            raise RasterError("it is truncated: it ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if not kind.isalpha() or not kind.isascii():
            raise RasterError(f"it has a damaged chunk header at byte {offset}")
        if length > _MAX_CHUNK or offset + 12 + length > len(data):
            raise RasterError(f"it is truncated: chunk {_name(kind)} at byte {offset} is cut")
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise RasterError(f"it is damaged: chunk {_name(kind)} at byte {offset} fails its CRC")
        if not chunks and kind != b"IHDR":
            raise RasterError("it does not start with an IHDR chunk")
        chunks.append((kind, body))
        offset += 12 + length
        if kind == b"IEND":
            return chunks, len(data) - offset


def _read_header(chunk: tuple[bytes, bytes]) -> _Header:
    body = chunk[1]
    if len(body) != 13:
        raise RasterError("its IHDR chunk is damaged")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    _check_size(width, height)
    if depth not in _DEPTHS.get(colour, ()):
        raise RasterError(f"its header is invalid: bit depth {depth} with colour type {colour}")
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise RasterError("its header names an unknown compression, filter or interlace method")
    return _Header(width, height, depth, colour, interlace == 1)


def _check_size(width: int, height: int) -> None:
    if width == 0 or height == 0:
        raise RasterError(f"it is {width}x{height} pixels: an image needs at least one a side")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise RasterError(f"it is {width}x{height} pixels: the limit is {MAX_SIDE} a side")


def _check_palette(header: _Header, body: bytes, seen: bytes | None, after_idat: bool) -> bytes:
    entries = len(body) // 3
    if seen is not None or after_idat or header.colour in (0, 4):
        raise RasterError("its palette (PLTE chunk) is misplaced")
    if len(body) % 3 or not 1 <= entries <= 256:
        raise RasterError("its palette (PLTE chunk) is damaged")
    if header.colour == 3 and entries > 1 << header.depth:
        raise RasterError("its palette (PLTE chunk) has more entries than its bit depth allows")
    return body


def _check_transparency(header: _Header, body: bytes, palette: bytes | None) -> None:
    sizes = {0: 2, 2: 6}
    if header.colour == 3:
        valid = palette is not None and len(body) <= len(palette) // 3
    else:
        valid = sizes.get(header.colour) == len(body)
    if not valid:
        raise RasterError("its transparency (tRNS chunk) does not match its colour type")


def _check_profile(body: bytes) -> None:
    name, _, rest = body.partition(b"\x00")
    if not 1 <= len(name) <= 79 or rest[:1] != b"\x00":
        raise RasterError("its colour profile (iCCP chunk) is damaged")
    inflated = _inflate(rest[1:], MAX_ICC_BYTES, "its colour profile (iCCP chunk)")
    if len(inflated) > MAX_ICC_BYTES:
        raise RasterError(f"its colour profile (iCCP chunk) inflates beyond {MAX_ICC_BYTES} bytes")


def _check_pixels(header: _Header, compressed: bytes) -> None:
    """Inflate the image data once, no further than the pixels need; check every row."""
    rows = list(_rows(header))
    needed = sum(1 + length for length in rows)
    raw = _inflate(compressed, needed, "its image data")
    if len(raw) > needed:
        raise RasterError(
            f"its image data inflates beyond what {header.width}x{header.height} pixels need "
            "(a decompression bomb)"
        )
    if len(raw) < needed:
        raise RasterError("it is truncated: its image data is shorter than its pixels need")
    offset = 0
    for length in rows:
        if raw[offset] > 4:  # §7.3: filter types 0 to 4
            raise RasterError(f"its image data is damaged: unknown row filter {raw[offset]}")
        offset += 1 + length


def _rows(header: _Header) -> list[int]:
    """Return the length in bytes of every scanline, pass after pass when interlaced (§8.2)."""
    bits = header.depth * _CHANNELS[header.colour]
    passes = _ADAM7 if header.interlaced else ((0, 0, 1, 1),)
    lengths: list[int] = []
    for x0, y0, dx, dy in passes:
        width = max(0, -(-(header.width - x0) // dx))
        height = max(0, -(-(header.height - y0) // dy))
        if width:
            lengths.extend([-(-(width * bits) // 8)] * height)
    return lengths


def _inflate(compressed: bytes, limit: int, what: str) -> bytes:
    """Return at most ``limit + 1`` inflated bytes of a complete zlib stream."""
    inflater = zlib.decompressobj()
    try:
        # With a maximum length, fewer bytes than asked for means all the input was used.
        raw = inflater.decompress(compressed, limit + 1)
    except zlib.error as error:
        raise RasterError(f"{what} is damaged ({error})") from None
    if len(raw) <= limit and not inflater.eof:
        raise RasterError(f"it is truncated: {what} stops in the middle")
    if inflater.unused_data:
        raise RasterError(f"{what} has extra bytes after its end")
    return raw


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _name(kind: bytes) -> str:
    return kind.decode("ascii", "replace")
