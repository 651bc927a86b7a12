"""Reading YAML: positions, the YAML 1.1 traps, and no crash on any input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from badgepages.sources import parse_yaml


def test_yaml_11_traps_stay_text() -> None:
    document, problems = parse_yaml(
        b"country: NO\ntime: 1:20\nversion: 1.10\nday: 2025-01-02\nok: true\nnone: ~\n", "f.yaml"
    )
    assert problems == []
    assert document is not None
    assert document.data == {
        "country": "NO",
        "time": "1:20",
        "version": "1.10",
        "day": "2025-01-02",
        "ok": True,
        "none": None,
    }


def test_quoted_true_is_text_and_bom_is_ignored() -> None:
    document, _ = parse_yaml(b'\xef\xbb\xbfa: "true"\n', "f.yaml")
    assert document is not None
    assert document.data == {"a": "true"}


def test_positions_of_keys_and_values() -> None:
    document, _ = parse_yaml(b"a:\n  - b: x\n    c: y\n", "f.yaml")
    assert document is not None
    assert str(document.locate(("a", 0, "c"))) == "f.yaml:3:8"
    assert str(document.locate(("a", 0, "c"), at_key=True)) == "f.yaml:3:5"
    assert str(document.locate(("a", 0, "missing"))) == "f.yaml:2:5"


def test_invalid_utf8_is_reported() -> None:
    document, problems = parse_yaml(b"name: caf\xe9\n", "f.yaml")
    assert document is None
    assert [p.format_gcc() for p in problems] == [
        "f.yaml:1:1: file is not valid UTF-8 (save it as UTF-8)"
    ]


@given(st.text())
def test_any_text_gives_a_document_or_diagnostics(text: str) -> None:
    document, problems = parse_yaml(text.encode("utf-8"), "f.yaml")
    assert document is not None or problems
    assert all(p.location.path == "f.yaml" and p.location.line >= 1 for p in problems)
