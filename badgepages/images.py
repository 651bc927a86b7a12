"""Badge images: the source file, and a PNG rendering of SVG sources."""

from __future__ import annotations

import resvg_py

from badgepages.catalog import Badge

# Badges are shown up to 256 px; 512 px keeps them sharp on high-density screens.
RASTER_SIZE = 512


def render_png(badge: Badge) -> bytes:
    """Return the badge image as PNG: the source itself, or the SVG rendered by resvg."""
    if badge.image_kind == "png":
        return badge.image.read_bytes()
    svg = badge.image.read_text(encoding="utf-8")
    # System fonts are skipped so that the rendering is identical on every machine.
    png = resvg_py.svg_to_bytes(
        svg_string=svg, width=RASTER_SIZE, height=RASTER_SIZE, skip_system_fonts=True
    )
    return bytes(png)
