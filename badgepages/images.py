"""Image files the site publishes: each read once under limits, cleaned, and rendered to PNG.

``check`` calls ``load_image`` for every badge image and the issuer logo, and
``load_theme_svgs`` for the theme's SVGs; the build publishes exactly the bytes they return
(``PublishedImage.data``, ``PublishedImage.raster``), never the files themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import resvg_py

from badgepages import rastersafe, svgsafe
from badgepages.cache import recall_parse, remember_parse
from badgepages.diagnostics import Diagnostic, SourceLocation, shown_path

ImageKind = Literal["svg", "png"]

# Every award page shows its badge's image and every baked download carries it: a badge is
# a few kilobytes to a few hundred; 1 MiB leaves room without letting a photo through.
MAX_IMAGE_BYTES = 1 << 20
# Badges are shown up to 256 px; 512 px keeps them sharp on high-density screens.
RASTER_SIZE = 512
LIMITS = (
    f"at most {MAX_IMAGE_BYTES // (1 << 20)} MiB; a PNG at most {rastersafe.MAX_SIDE}x"
    f"{rastersafe.MAX_SIDE} pixels; an SVG UTF-8, without DOCTYPE declarations, nested at most "
    f"{svgsafe.MAX_DEPTH} levels, at most {svgsafe.MAX_ELEMENTS} elements"
)
_RASTERS = "rasters"  # badge images rendered to PNG, in the build cache
_SVG_HINT = "only allow-listed SVG is published: see 'Images' in the README"
_PNG_HINT = (
    f"export it again as a PNG of at most {rastersafe.MAX_SIDE}x{rastersafe.MAX_SIDE} "
    "pixels, or as an SVG"
)


@dataclass(frozen=True)
class PublishedImage:
    """An image as the site publishes it: the sanitised SVG or cleaned PNG, and its PNG."""

    kind: ImageKind
    data: bytes
    raster: bytes  # the PNG itself, or the SVG rendered by resvg at RASTER_SIZE


def load_image(
    file: Path,
    display: str,
    named_at: SourceLocation,
    *,
    render: bool = True,
    cache: Path | None = None,
) -> tuple[PublishedImage | None, list[Diagnostic]]:
    """Read an SVG or PNG once under the limits; return what to publish, and its problems.

    ``display`` names the file in diagnostics (SVG problems are reported at its lines),
    ``named_at`` is where a source names it (whole-file problems are reported there).
    ``render`` also renders an SVG to PNG (badge images need it; the logo does not), and
    remembers the rendering in the build cache under the project folder ``cache``, if given.
    """
    name = file.name
    try:
        with file.open("rb") as stream:
            data = stream.read(MAX_IMAGE_BYTES + 1)
    except OSError as error:
        return None, [Diagnostic(named_at, f"cannot read image '{name}': {error.strerror}")]
    if len(data) > MAX_IMAGE_BYTES:
        message = f"image '{name}' is larger than {MAX_IMAGE_BYTES // (1 << 20)} MiB"
        return None, [Diagnostic(named_at, message, "publish a smaller image")]
    if data.startswith(rastersafe.PNG_SIGNATURE):
        return _load_png(data, name, named_at)
    if file.suffix.lower() == ".svg":
        return _load_svg(data, display, render, cache)
    return None, [Diagnostic(named_at, f"image '{name}' is not a readable PNG or SVG file")]


def load_theme_svgs(static: Path, root: Path) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """Return the theme's SVGs (by path under ``static``) as published, and their problems."""
    published: dict[str, bytes] = {}
    problems: list[Diagnostic] = []
    files = sorted(p for p in static.rglob("*") if p.suffix.lower() == ".svg" and p.is_file())
    for file in files:
        display = shown_path(file, root)
        image, found = load_image(file, display, SourceLocation(display), render=False)
        problems.extend(found)
        if image is not None:
            published[file.relative_to(static).as_posix()] = image.data
    return published, problems


def _load_png(
    data: bytes, name: str, named_at: SourceLocation
) -> tuple[PublishedImage | None, list[Diagnostic]]:
    try:
        png = rastersafe.clean_png(data)
    except rastersafe.RasterError as error:
        return None, [Diagnostic(named_at, f"image '{name}' is refused: {error}", _PNG_HINT)]
    warnings = [
        Diagnostic(
            named_at,
            f"image '{name}': removed {note}",
            "the published image keeps only its pixels and colour information",
            "warning",
        )
        for note in png.removed
    ]
    return PublishedImage("png", png.data, png.data), warnings


def _load_svg(
    data: bytes, display: str, render: bool, cache: Path | None
) -> tuple[PublishedImage | None, list[Diagnostic]]:
    try:
        svg = svgsafe.sanitize_svg(data)
    except svgsafe.UnsafeSvgError as error:
        location = SourceLocation(display, error.line, error.column)
        return None, [Diagnostic(location, error.message, error.hint)]
    warnings = _removal_warnings(svg.removals, display)
    raster = b""
    if render:
        try:
            raster = _raster(svg.data, display, cache)
        # resvg reports every refusal as an exception of its own making.
        except Exception as error:
            location = SourceLocation(display)
            return None, [*warnings, Diagnostic(location, f"the SVG cannot be rendered: {error}")]
    return PublishedImage("svg", svg.data, raster), warnings


def _raster(svg: bytes, display: str, cache: Path | None) -> bytes:
    """Return a sanitised SVG rendered to PNG, remembered in the build cache if given one.

    System fonts are skipped so that the rendering is identical on every machine.
    """
    # What shapes the rendering: the SVG and resvg (the engine's code versions every entry).
    shaped = svg + f"\0resvg {resvg_py.__version__} {RASTER_SIZE}".encode()
    name = f"{_RASTERS}/{display}"
    remembered = recall_parse(cache, name, shaped) if cache else None
    if isinstance(remembered, bytes):
        return remembered
    png = resvg_py.svg_to_bytes(
        svg_string=svg.decode("utf-8"),
        width=RASTER_SIZE,
        height=RASTER_SIZE,
        skip_system_fonts=True,
    )
    raster = bytes(png)
    if cache:
        remember_parse(cache, name, shaped, raster)
    return raster


def _removal_warnings(removals: tuple[svgsafe.Removal, ...], display: str) -> list[Diagnostic]:
    """Return one warning per kind of removal, at its first line, with how often it occurred."""
    counts = Counter(removal.message for removal in removals)
    first: dict[str, int] = {}
    for removal in removals:
        first.setdefault(removal.message, removal.line)
    return [
        Diagnostic(
            SourceLocation(display, line),
            message if counts[message] == 1 else f"{message} ({counts[message]} times)",
            _SVG_HINT,
            "warning",
        )
        for message, line in first.items()
    ]
