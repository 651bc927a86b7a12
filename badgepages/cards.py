"""Link-preview cards: the 1200x627 PNG that LinkedIn, Slack and messaging apps show.

Drawn with Pillow's bundled TrueType font (no system fonts), so that every machine draws
the same pixels. The recipient's name appears only when they consented to be named.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 627
_BACKGROUND = (255, 255, 255)
_BAND = (23, 43, 77)
_INK = (23, 43, 77)
_MUTED = (75, 85, 99)
_BADGE_SIZE = 380


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, lines: int) -> list[str]:
    """Split text into at most ``lines`` lines that fit ``width`` pixels, with an ellipsis."""
    font = _font(size)
    words, result, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            result.append(current)
        current = word
    if current:
        result.append(current)
    if len(result) > lines:
        result = result[:lines]
        last = result[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1].rstrip()
        result[-1] = last + "…"
    return result


@functools.lru_cache(maxsize=64)
def _background(badge_png: bytes) -> Image.Image:
    """Return the card without text: drawn once per badge, copied for each award."""
    card = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    ImageDraw.Draw(card).rectangle((0, HEIGHT - 24, WIDTH, HEIGHT), fill=_BAND)
    with Image.open(io.BytesIO(badge_png)) as source:
        badge = source.convert("RGBA").resize((_BADGE_SIZE, _BADGE_SIZE), Image.Resampling.LANCZOS)
    card.paste(badge, (60, (HEIGHT - 24 - _BADGE_SIZE) // 2), badge)
    return card


def render_card(badge_png: bytes, title: str, issuer: str, holder: str | None) -> bytes:
    """Return the preview card of a badge, or of an award when ``holder`` is given."""
    card = _background(badge_png).copy()
    draw = ImageDraw.Draw(card)
    left, width = 500, WIDTH - 500 - 60
    y = 110
    if holder:
        for line in _wrap(draw, holder, 40, width, 2):
            draw.text((left, y), line, font=_font(40), fill=_MUTED)
            y += 52
        y += 12
    for line in _wrap(draw, title, 64, width, 3):
        draw.text((left, y), line, font=_font(64), fill=_INK)
        y += 78
    y += 20
    for line in _wrap(draw, issuer, 34, width, 2):
        draw.text((left, y), line, font=_font(34), fill=_MUTED)
        y += 46
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()
