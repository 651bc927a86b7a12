"""QR codes that lead to award pages: SVG for the page, a print-quality PNG for CVs."""

from __future__ import annotations

import qrcode
import qrcode.constants

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
    """Return a QR code of ``url`` as a scalable single-path SVG, one unit per module."""
    matrix = _qr(url).get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>\n'
    ).encode()
