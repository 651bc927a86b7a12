"""Diagnostics: one line each, whatever the input they quote holds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgepages.diagnostics import Diagnostic, SourceLocation, printable

ESCAPED = {
    "a\nb": "a\\nb",
    "a\r\nb": "a\\r\\nb",
    "tab\there": "tab\\there",
    "nul\x00": "nul\\x00",
    "\x1b[31mred\x1b[0m": "\\x1b[31mred\\x1b[0m",
    "osc \x1b]0;title\x07": "osc \\x1b]0;title\\x07",
    "del\x7f c1\x9b nel\x85": "del\\x7f c1\\x9b nel\\x85",
    "ls\u2028ps\u2029": "ls\\u2028ps\\u2029",
    "rlo\u202egpj.exe": "rlo\\u202egpj.exe",
    "isolate\u2066x\u2069": "isolate\\u2066x\\u2069",
    "undecodable \udcff name": "undecodable \\udcff name",
    "Zoé 李 👩‍👩‍👧 \u200d \u200f": "Zoé 李 👩‍👩‍👧 \u200d \u200f",
}


@pytest.mark.parametrize(("text", "shown"), ESCAPED.items())
def test_printable_escapes_what_would_act_on_a_terminal(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_both_formats_escape_path_message_and_hint() -> None:
    diagnostic = Diagnostic(
        SourceLocation("recipients/a\nb.yaml", 2, 3), "bad 'x\x1b[2J'", "fix\r\n::error::it"
    )
    assert diagnostic.format_gcc() == (
        "recipients/a\\nb.yaml:2:3: bad 'x\\x1b[2J' (fix\\r\\n::error::it)"
    )
    assert diagnostic.format_github() == (
        "::error file=recipients/a\\nb.yaml,line=2,col=3::bad 'x\\x1b[2J' (fix\\r\\n::error::it)"
    )


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(path=st.text(), message=st.text(), hint=st.none() | st.text())
def test_any_diagnostic_prints_as_one_line_without_control_characters(
    path: str, message: str, hint: str | None
) -> None:
    diagnostic = Diagnostic(SourceLocation(path, 1, 1), message, hint)
    for line in (diagnostic.format_gcc(), diagnostic.format_github(), diagnostic.text):
        assert (line + ".").splitlines() == [line + "."]
        assert not any(
            ord(c) < 0x20
            or 0x7F <= ord(c) <= 0x9F
            or 0x202A <= ord(c) <= 0x202E
            or 0x2066 <= ord(c) <= 0x2069
            or 0xD800 <= ord(c) <= 0xDFFF
            for c in line
        )
        line.encode("utf-8")  # printable even from an undecodable file name


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Zl", "Zp", "Cf"))))
def test_printable_text_is_unchanged(text: str) -> None:
    assert printable(text) == text
