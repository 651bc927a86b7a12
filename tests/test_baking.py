"""Baking: the official bakery unbakes our images to exactly the hosted assertion."""

from __future__ import annotations

import io
import json
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openbadges_bakery import unbake
from PIL import Image

from badgepages import baking


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (11, 79, 108, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><g/></svg>'
ASSERTION = json.dumps({"id": "https://example.org/awards/a/assertion.json", "name": "Zoé ✓"})


def test_bakery_unbakes_png_to_the_exact_text() -> None:
    baked = baking.bake_png(png_bytes(), baking.OB2_KEYWORD, ASSERTION)
    assert unbake(io.BytesIO(baked)) == ASSERTION


def test_png_image_data_is_not_reencoded() -> None:
    source = png_bytes()
    baked = baking.bake_png(source, baking.OB2_KEYWORD, ASSERTION)
    assert source[33:] in baked  # everything after IHDR is copied byte for byte
    assert Image.open(io.BytesIO(baked)).tobytes() == Image.open(io.BytesIO(source)).tobytes()


def test_rebaking_replaces_the_chunk() -> None:
    once = baking.bake_png(png_bytes(), baking.OB2_KEYWORD, "first")
    twice = baking.bake_png(once, baking.OB2_KEYWORD, "second")
    assert twice.count(b"iTXtopenbadges\x00") == 1
    assert baking.unbake_png(twice, baking.OB2_KEYWORD) == "second"


def test_ob2_and_ob3_keywords_coexist() -> None:
    ob2 = baking.bake_png(png_bytes(), baking.OB2_KEYWORD, "two")
    both = baking.bake_png(ob2, baking.OB3_KEYWORD, "three")
    assert baking.unbake_png(both, baking.OB2_KEYWORD) == "two"
    assert baking.unbake_png(both, baking.OB3_KEYWORD) == "three"


@given(st.text())
def test_png_round_trip(text: str) -> None:
    baked = baking.bake_png(png_bytes(), baking.OB2_KEYWORD, text)
    assert baking.unbake_png(baked, baking.OB2_KEYWORD) == text


def test_bakery_reads_baked_svg_verify_url() -> None:
    url = "https://example.org/awards/a/assertion.json"
    baked = baking.bake_svg(SVG, "assertion", baking.OB2_SVG_NAMESPACE, ASSERTION, verify=url)
    # The bakery returns the hosted URL from the `verify` attribute (Baking 1.0 §SVG).
    assert unbake(io.BytesIO(baked)) == url
    assert f"<![CDATA[{ASSERTION}]]>".encode() in baked
    assert b'xmlns:openbadges="http://openbadges.org"' in baked


def test_svg_splits_cdata_at_its_terminator() -> None:
    text = '{"narrative": "a]]>b]]]>c"}'
    baked = baking.bake_svg(SVG, "credential", baking.OB3_SVG_NAMESPACE, text, verify=None)
    assert b'<![CDATA[{"narrative": "a]]]]><![CDATA[>b]]]]]><![CDATA[>c"}]]>' in baked
    assert baking.unbake_svg(baked) == text
    # An XML reader joins the sections back into the same text.
    element = ElementTree.fromstring(baked).find(f"{{{baking.OB3_SVG_NAMESPACE}}}credential")
    assert element is not None
    assert element.text == text


@given(st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc"))))
def test_svg_round_trip(text: str) -> None:
    baked = baking.bake_svg(SVG, "assertion", baking.OB2_SVG_NAMESPACE, text, verify="https://x/")
    assert baking.unbake_svg(baked) == text


def test_not_a_png_is_refused() -> None:
    with pytest.raises(baking.BakingError):
        baking.bake_png(b"GIF89a", baking.OB2_KEYWORD, "x")
