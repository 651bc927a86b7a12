"""QR codes that lead to award pages: SVG for the page, a print-quality PNG for CVs."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.svg

# Medium error correction survives a smudged print; a 4-module quiet zone is the standard.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_BORDER = 4
# 20 px per module gives about 5 cm at 300 dpi for a typical 37-module code.
_PNG_BOX_SIZE = 20


def _qr(url: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, border=_BORDER)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_svg(url: str) -> bytes:
    """Return a QR code of ``url`` as a compact single-path SVG."""
    image = _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    """Return a QR code of ``url`` as a black-and-white PNG for print."""
    code = _qr(url)
    code.box_size = _PNG_BOX_SIZE
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
