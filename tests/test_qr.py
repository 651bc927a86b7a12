"""QR codes decode, with a real decoder, to the award page URL."""

from __future__ import annotations

import io

import resvg_py
import zxingcpp
from PIL import Image

from badgepages import qr

URL = "https://essca.github.io/badges/awards/k3j5q2m7x4w6v8n2p5r7/"


def decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_svg_decodes_to_url() -> None:
    png = bytes(resvg_py.svg_to_bytes(svg_string=qr.qr_svg(URL).decode(), width=400, height=400))
    assert decode(png) == [URL]
