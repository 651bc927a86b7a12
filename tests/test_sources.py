"""Reading YAML: positions, the YAML 1.1 traps, refused features, limits, no crash on any input."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from badgepages.sources import MAX_FILE_BYTES, MAX_SCALAR_CHARACTERS, parse_yaml, read_yaml
from badgepages.text import find_forbidden_character


def problems(source: str | bytes) -> list[str]:
    """Return the diagnostics of a source, formatted as check prints them."""
    raw = source.encode("utf-8") if isinstance(source, str) else source
    return [p.format_gcc() for p in parse_yaml(raw, "f.yaml")[1]]


def data(source: str) -> Any:
    """Return the data of a source that must read without any problem."""
    document, found = parse_yaml(source.encode("utf-8"), "f.yaml")
    assert found == []
    assert document is not None
    return document.data


def test_yaml_11_traps_stay_text() -> None:
    assert data(
        "country: NO\ntime: 1:20\nversion: 1.10\nday: 2025-01-02\nok: true\nnone: ~\n"
        "octal: 0o17\nhex: 0x1F\nexp: 1e3\ninf: .inf\nyes: yes\nempty:\nnull: Null\n"
    ) == {
        "country": "NO",
        "time": "1:20",
        "version": "1.10",
        "day": "2025-01-02",
        "ok": True,
        "none": None,
        "octal": "0o17",
        "hex": "0x1F",
        "exp": "1e3",
        "inf": ".inf",
        "yes": "yes",
        "empty": None,
        "null": None,
    }


def test_quoted_and_block_scalars_are_text_as_written() -> None:
    assert data("a: 'true'\nb: \"~\"\nc: |\n  null\nd: >-\n  FALSE\n  x\n") == {
        "a": "true",
        "b": "~",
        "c": "null\n",
        "d": "FALSE x",
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


def test_positions_count_characters_after_a_bom_and_crlf() -> None:
    document, _ = parse_yaml("\ufeffé: [ü, {ö: x}]\r\nnext: 'y'\r\n".encode(), "f.yaml")
    assert document is not None
    assert str(document.locate(("é", 1, "ö"))) == "f.yaml:1:12"
    assert str(document.locate(("next",))) == "f.yaml:2:7"


def test_top_level_list_and_scalar_and_empty_files() -> None:
    assert data("- a\n- [b, c]\n") == ["a", ["b", "c"]]
    assert data("just text\n") == "just text"
    assert data("") is None
    assert data("# only a comment\n") is None
    assert data("---\na: 1\n...\n") == {"a": "1"}


def test_invalid_utf8_is_reported() -> None:
    assert problems(b"name: caf\xe9\n") == [
        "f.yaml:1:1: file is not valid UTF-8 (save it as UTF-8)"
    ]
    assert problems(b"a: 1\nb: 2\nc: \xed\xa0\x80\n") == [
        "f.yaml:3:1: file is not valid UTF-8 (save it as UTF-8)"
    ]


_INDENT_HINT = "check the indentation of this line and the one before"
_TAB = "tab character in indentation (YAML indents with spaces only: replace the tab with spaces)"
_ANCHORS = "write the value out in full: anchors and aliases are not supported in these sources"
_TAGS = "tags are not supported in these sources: remove it"

REFUSED = {
    "anchor": ("a: &x 1\nb: 2\n", [f"f.yaml:1:4: YAML anchor '&x' is not allowed ({_ANCHORS})"]),
    "anchor on a mapping": (
        "a:\n  b: &m\n    c: 1\n",
        [f"f.yaml:2:6: YAML anchor '&m' is not allowed ({_ANCHORS})"],
    ),
    "anchor in a flow list": (
        "a: [x, &y z]\n",
        [f"f.yaml:1:8: YAML anchor '&y' is not allowed ({_ANCHORS})"],
    ),
    "alias of nothing": ("a: *x\n", [f"f.yaml:1:4: YAML alias '*x' is not allowed ({_ANCHORS})"]),
    "alias as a key": (
        "a: 1\n*k : 2\n",
        [f"f.yaml:2:1: YAML alias '*k' is not allowed ({_ANCHORS})"],
    ),
    "tag !!binary": (
        "a: !!binary aGk=\n",
        [f"f.yaml:1:4: YAML tag '!!binary' is not allowed ({_TAGS})"],
    ),
    "tag !include": (
        "a: !include other.yaml\n",
        [f"f.yaml:1:4: YAML tag '!include' is not allowed ({_TAGS})"],
    ),
    "tag !!str": ("a: !!str 1\n", [f"f.yaml:1:4: YAML tag '!!str' is not allowed ({_TAGS})"]),
    "non-specific tag": ("a: ! x\n", [f"f.yaml:1:4: YAML tag '!' is not allowed ({_TAGS})"]),
    "verbatim tag": (
        "a: !<tag:example.org,2026:x> y\n",
        [f"f.yaml:1:4: YAML tag 'tag:example.org,2026:x' is not allowed ({_TAGS})"],
    ),
    "tag on a mapping": (
        "a: !!map {b: 1}\n",
        [f"f.yaml:1:4: YAML tag '!!map' is not allowed ({_TAGS})"],
    ),
    "tag on a key": (
        "!!python/name:os.system k: v\n",
        [f"f.yaml:1:1: YAML tag '!!python/name:os.system' is not allowed ({_TAGS})"],
    ),
    "tag directive": (
        "%TAG !e! tag:example.org,2026:\n---\na: !e!x y\n",
        [f"f.yaml:3:4: YAML tag 'tag:example.org,2026:x' is not allowed ({_TAGS})"],
    ),
    "second document": (
        "a: 1\n---\nb: 2\n",
        ["f.yaml:2:1: a second YAML document is not allowed (keep one per file)"],
    ),
    "merge key": (
        "a: 1\n<<: {b: 2}\n",
        ["f.yaml:2:1: merge keys ('<<') are not supported (write keys out)"],
    ),
    "list as a key": (
        "? [a, b]\n: c\nd: 1\n",
        ["f.yaml:1:3: a key must be a plain name, not a list or mapping"],
    ),
    "mapping as a flow key": (
        "a: {{b: 1}: 2}\n",
        ["f.yaml:1:5: a key must be a plain name, not a list or mapping"],
    ),
    "duplicate key": (
        "a: 1\nb: 2\na: {x: [1, 2]}\n",
        [
            "f.yaml:3:1: duplicate key 'a' (first written at line 1) "
            "(YAML keeps only the last one: remove or rename one of them)"
        ],
    ),
    "duplicate key, once quoted": (
        "a: 1\n'a': 2\n",
        [
            "f.yaml:2:1: duplicate key 'a' (first written at line 1) "
            "(YAML keeps only the last one: remove or rename one of them)"
        ],
    ),
    "duplicate key in a flow mapping": (
        "x:\n  y: {b: 1, b: 2}\n",
        [
            "f.yaml:2:13: duplicate key 'b' (first written at line 2) "
            "(YAML keeps only the last one: remove or rename one of them)"
        ],
    ),
    "tab before a key": ("a:\n\tb: 1\n", [f"f.yaml:2:1: {_TAB}"]),
    "tab before a list item": ("a:\n  - b\n  -\n\t- c\n", [f"f.yaml:4:1: {_TAB}"]),
    "tab in a plain scalar's indentation": ("a:\n  b: 1\n\tc: 2\n", [f"f.yaml:3:1: {_TAB}"]),
    "tab in a block scalar": ("a: |\n  x\n\ty\n", [f"f.yaml:3:1: {_TAB}"]),
    "value with ': '": (
        "name: Bob: Smith\n",
        [
            "f.yaml:1:10: YAML syntax error: mapping values are not allowed here "
            "(a value containing ': ' must be quoted)"
        ],
    ),
    "value starting with @": (
        "a: @bob\n",
        [
            "f.yaml:1:4: YAML syntax error: found character '@' that cannot start any token "
            "(a value starting with '@' must be quoted)"
        ],
    ),
    "value starting with a backquote": (
        "a: `x`\n",
        [
            "f.yaml:1:4: YAML syntax error: found character '`' that cannot start any token "
            "(a value starting with '`' must be quoted)"
        ],
    ),
    "key less indented": (
        "a:\n  b: 1\n c: 2\n",
        [f"f.yaml:3:2: YAML syntax error: did not find expected key ({_INDENT_HINT})"],
    ),
    "key among list items": (
        "a:\n  - x\n  y: 1\n",
        [f"f.yaml:3:3: YAML syntax error: did not find expected '-' indicator ({_INDENT_HINT})"],
    ),
    "unclosed flow list": (
        "a: [1, 2\n",
        ["f.yaml:2:1: YAML syntax error: did not find expected ',' or ']'"],
    ),
    "unclosed quote": (
        "a: 'x\n",
        ["f.yaml:2:1: YAML syntax error: found unexpected end of stream"],
    ),
    "unknown escape": (
        'a: "\\q"\n',
        ["f.yaml:1:5: YAML syntax error: found unknown escape character"],
    ),
    "escaped surrogate": (
        'a: "\\ud800"\n',
        ["f.yaml:1:7: YAML syntax error: found invalid Unicode character escape code"],
    ),
}


@pytest.mark.parametrize(("source", "expected"), list(REFUSED.values()), ids=list(REFUSED))
def test_refused_yaml(source: str, expected: list[str]) -> None:
    assert problems(source) == expected


# -- characters no text may hold ------------------------------------------------------------

_DELETE = "delete it (often pasted by accident)"
_BIDI = "it can show the text in another order than it is written: delete it"
CHARACTERS = {
    "\x00": f"control character U+0000 is not allowed ({_DELETE})",
    "\x01": f"control character U+0001 is not allowed ({_DELETE})",
    "\x08": f"control character U+0008 is not allowed ({_DELETE})",
    "\x0b": f"control character U+000B is not allowed ({_DELETE})",
    "\x0c": f"control character U+000C is not allowed ({_DELETE})",
    "\x1b": f"control character U+001B is not allowed ({_DELETE})",
    "\x1f": f"control character U+001F is not allowed ({_DELETE})",
    "\x7f": f"control character U+007F is not allowed ({_DELETE})",
    "\x80": f"control character U+0080 is not allowed ({_DELETE})",
    "\x85": f"control character U+0085 is not allowed ({_DELETE})",
    "\x9b": f"control character U+009B is not allowed ({_DELETE})",
    "\x9f": f"control character U+009F is not allowed ({_DELETE})",
    "\u2028": "line separator U+2028 is not allowed (use an ordinary line break)",
    "\u2029": "paragraph separator U+2029 is not allowed (use an ordinary line break)",
    "\u202a": f"bidirectional control character U+202A is not allowed ({_BIDI})",
    "\u202b": f"bidirectional control character U+202B is not allowed ({_BIDI})",
    "\u202c": f"bidirectional control character U+202C is not allowed ({_BIDI})",
    "\u202d": f"bidirectional control character U+202D is not allowed ({_BIDI})",
    "\u202e": f"bidirectional control character U+202E is not allowed ({_BIDI})",
    "\u2066": f"bidirectional control character U+2066 is not allowed ({_BIDI})",
    "\u2067": f"bidirectional control character U+2067 is not allowed ({_BIDI})",
    "\u2068": f"bidirectional control character U+2068 is not allowed ({_BIDI})",
    "\u2069": f"bidirectional control character U+2069 is not allowed ({_BIDI})",
    "\ufdd0": "noncharacter U+FDD0 is not allowed (delete it)",
    "\ufdef": "noncharacter U+FDEF is not allowed (delete it)",
    "\ufffe": "noncharacter U+FFFE is not allowed (delete it)",
    "\uffff": "noncharacter U+FFFF is not allowed (delete it)",
    "\U0001fffe": "noncharacter U+1FFFE is not allowed (delete it)",
    "\U0001ffff": "noncharacter U+1FFFF is not allowed (delete it)",
    "\U0010ffff": "noncharacter U+10FFFF is not allowed (delete it)",
}


@pytest.mark.parametrize(
    ("character", "message"), CHARACTERS.items(), ids=[f"U+{ord(c):04X}" for c in CHARACTERS]
)
def test_a_character_written_is_refused_at_its_column(character: str, message: str) -> None:
    assert problems(f"name: Alice\nnarrative: |\n  Bob{character}Martin\n") == [
        f"f.yaml:3:6: {message}"
    ]


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@pytest.mark.parametrize(
    ("character", "message"), CHARACTERS.items(), ids=[f"U+{ord(c):04X}" for c in CHARACTERS]
)
def test_a_character_written_as_an_escape_is_refused_at_the_escape(
    character: str, message: str
) -> None:
    escape = _escape(character)
    what = message.split(" is not allowed")[0]
    assert problems(f'name: Alice\nnarrative: "Bob {escape}"\n') == [
        f"f.yaml:2:17: {what} is not allowed (the escape '{escape}' writes it: delete the escape)"
    ]


SHORT_ESCAPES = {
    "\\0": "U+0000",
    "\\a": "U+0007",
    "\\b": "U+0008",
    "\\v": "U+000B",
    "\\f": "U+000C",
    "\\e": "U+001B",
    "\\N": "U+0085",
}


@pytest.mark.parametrize(("escape", "label"), SHORT_ESCAPES.items())
def test_short_escapes_of_control_characters_are_refused(escape: str, label: str) -> None:
    assert problems(f'a: "x{escape}y"\nb: "\\\\{escape[1]} \\t \\n \\" \\\\ \\x41 \\u00e9"\n') == [
        f"f.yaml:1:6: control character {label} is not allowed "
        f"(the escape '{escape}' writes it: delete the escape)"
    ]


def test_separator_escapes_are_refused() -> None:
    assert problems('a: "x\\Ly"\nb: "x\\Py"\n') == [
        "f.yaml:1:6: line separator U+2028 is not allowed "
        "(the escape '\\L' writes it: delete the escape)",
        "f.yaml:2:6: paragraph separator U+2029 is not allowed "
        "(the escape '\\P' writes it: delete the escape)",
    ]


def test_escapes_in_a_key_and_over_several_lines_are_located() -> None:
    assert problems('"k\\x01": 1\nb: "first line\n  then \\x1b[31m red"\n') == [
        "f.yaml:1:3: control character U+0001 is not allowed "
        "(the escape '\\x01' writes it: delete the escape)",
        "f.yaml:3:8: control character U+001B is not allowed "
        "(the escape '\\x1b' writes it: delete the escape)",
    ]


def test_characters_are_refused_in_comments_and_keys_too() -> None:
    assert problems("# a\x07bell\nk\x1b: v\n") == [
        f"f.yaml:1:4: control character U+0007 is not allowed ({_DELETE})",
        f"f.yaml:2:2: control character U+001B is not allowed ({_DELETE})",
    ]


def test_ansi_and_osc_sequences_are_refused_once_per_line() -> None:
    assert problems("name: \x1b[31mred\x1b[0m\nissuer: \x1b]0;title\x07x\n") == [
        f"f.yaml:1:7: control character U+001B is not allowed ({_DELETE})",
        f"f.yaml:2:9: control character U+001B is not allowed ({_DELETE})",
    ]


def test_at_most_ten_lines_of_characters_are_listed() -> None:
    listed = problems("".join(f"k{n}: \x00\n" for n in range(50)))
    assert listed == [
        f"f.yaml:{n}:5: control character U+0000 is not allowed ({_DELETE})" for n in range(1, 11)
    ]


def test_positions_after_crlf_and_a_lone_cr() -> None:
    assert problems("a: 1\r\nb: 2\rc: \x01\n") == [
        f"f.yaml:3:4: control character U+0001 is not allowed ({_DELETE})"
    ]


VALID_TEXTS = [
    "Zoé Lefèvre-Ångström",
    "Ñandú Øster Ærø Œuvre ß ǅ",
    "李小龍",
    "Владимир",
    "Ελένη",
    "محمد عبد الله",
    "שלום",
    "देवनागरी",
    "ภาษาไทย",
    "한국어",
    "ግዕዝ",
    "𝔉𝔯𝔞𝔨𝔱𝔲𝔯",  # noqa: RUF001 (letters of another script, on purpose)
    "👩‍👩‍👧‍👦 family",
    "🏳️‍🌈 🏴󠁧󠁢󠁥󠁮󠁧󠁿 👍🏽",
    "مرحبا\u200f (RLM) \u200e (LRM) \u061c (ALM)",
    "می\u200cخواهم (ZWNJ)",  # noqa: RUF001
    "soft\u00adhyphen, no\u00a0break, thin\u2009space, zero\u200bwidth",
    "𠀀 CJK extension B, \U000e0001 tag",
    "\ufeffword joiner and BOM inside",
    "private \ue000 use",
]


@pytest.mark.parametrize("text", VALID_TEXTS)
def test_every_script_emoji_and_joiner_stay_valid(text: str) -> None:
    assert data(f"name: {json.dumps(text, ensure_ascii=False)}\nplain: {text}\n") == {
        "name": text,
        "plain": text,
    }


def _double_quoted(text: str) -> str:
    """Return text as a YAML double-quoted scalar that escapes everything but printable ASCII."""
    return (
        '"' + "".join(c if " " <= c <= "~" and c not in '"\\' else _escape(c) for c in text) + '"'
    )


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(st.text(st.characters(codec="utf-8"), min_size=1))
def test_any_text_without_refused_characters_reads_back_exactly(text: str) -> None:
    source = f"name: {_double_quoted(text)}\nraw: {json.dumps(text, ensure_ascii=False)}\n"
    document, found = parse_yaml(source.encode("utf-8"), "f.yaml")
    if find_forbidden_character(text) < 0:
        assert found == []
        assert document is not None
        assert document.data == {"name": text, "raw": text}
    else:
        assert found
        assert all("is not allowed" in p.message and "U+" in p.message for p in found)


REFUSED_CHARACTERS = st.sampled_from(sorted(CHARACTERS))
LINE_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30).filter(
    lambda text: find_forbidden_character(text) < 0
)


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(before=st.lists(LINE_TEXT, min_size=1, max_size=4), bad=REFUSED_CHARACTERS, after=LINE_TEXT)
def test_a_refused_character_anywhere_is_named_at_its_line_and_column(
    before: list[str], bad: str, after: str
) -> None:
    source = "\n".join(before) + bad + after + "\n"
    assert problems(source) == [f"f.yaml:{len(before)}:{len(before[-1]) + 1}: {CHARACTERS[bad]}"]


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(prefix=st.text("abc xyz-'", max_size=20), bad=REFUSED_CHARACTERS)
def test_an_escaped_refused_character_is_named_at_its_escape(prefix: str, bad: str) -> None:
    escape = _escape(bad)
    what = CHARACTERS[bad].split(" is not allowed")[0]
    assert problems(f'key: "{prefix}{escape}"\n') == [
        f"f.yaml:1:{7 + len(prefix)}: {what} is not allowed "
        f"(the escape '{escape}' writes it: delete the escape)"
    ]


# -- round trip and robustness --------------------------------------------------------------

SCALARS = st.text(st.characters(codec="utf-8"), max_size=20)
KEYS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=10)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (key, *_strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value]


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(value=VALUES, flow=st.booleans())
def test_what_pyyaml_writes_reads_back_or_names_its_refused_characters(
    value: Any, flow: bool
) -> None:
    source = yaml.safe_dump(value, allow_unicode=True, default_flow_style=flow)
    document, found = parse_yaml(source.encode("utf-8"), "f.yaml")
    if any(find_forbidden_character(text) >= 0 for text in _strings(value)):
        assert document is None or found
        assert found
        assert all("U+" in p.message for p in found)
    else:
        assert found == []
        assert document is not None
        assert document.data == value


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(st.text())
def test_any_text_gives_a_document_or_diagnostics(text: str) -> None:
    document, found = parse_yaml(text.encode("utf-8", "surrogatepass"), "f.yaml")
    assert document is not None or found
    assert all(p.location.path == "f.yaml" and p.location.line >= 1 for p in found)


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(st.binary(max_size=200))
def test_any_bytes_give_a_document_or_diagnostics(raw: bytes) -> None:
    document, found = parse_yaml(raw, "f.yaml")
    assert document is not None or found
    assert all(p.location.line >= 1 and p.location.column >= 1 for p in found)


@settings(deadline=None)  # machines shared by several builds: no wall clock
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                ":",
                " ",
                "-",
                "[",
                "]",
                "{",
                "}",
                ",",
                "\n",
                "  ",
                "'",
                '"',
                "#",
                "?",
                "&",
                "*",
                "!",
                "|",
                ">",
                "\t",
                "%",
                "@",
                "x: ",
                "- ",
            ]
        ),
        max_size=40,
    )
)
def test_yaml_punctuation_soup_gives_a_document_or_diagnostics(parts: list[str]) -> None:
    document, found = parse_yaml("".join(parts).encode(), "f.yaml")
    assert document is not None or found
    assert all(p.location.line >= 1 and p.location.column >= 1 for p in found)


# -- limits: nesting, size, alias bombs -----------------------------------------------------

_DEEP = (
    "nested more than 32 levels deep (these files need only a few levels: check the indentation)"
)


def _flow_lists(depth: int) -> str:
    return "a: " + "[" * depth + "]" * depth + "\n"


def _flow_mappings(depth: int) -> str:
    return "a: " + "{b: " * depth + "x" + "}" * depth + "\n"


def _block_lists(depth: int) -> str:
    return "- " * depth + "x\n"


def _block_mappings(depth: int) -> str:
    return "".join(" " * level + "k:\n" for level in range(depth)) + " " * depth + "x\n"


def _mixed(depth: int) -> str:
    half = depth // 2
    return (
        _block_mappings(half).removesuffix(" " * half + "x\n")
        + " " * half
        + _flow_lists(depth - half).removeprefix("a: ")
    )


NESTING = [
    (_flow_lists, 31, None),
    (_flow_lists, 32, "f.yaml:1:35"),
    (_flow_lists, 100, "f.yaml:1:35"),
    (_flow_lists, 998, "f.yaml:1:35"),
    (_flow_lists, 1000, "f.yaml:1:1003"),
    (_flow_lists, 100_000, "f.yaml:1:1003"),
    (_flow_mappings, 31, None),
    (_flow_mappings, 32, "f.yaml:1:128"),
    (_flow_mappings, 5_000, "f.yaml:1:128"),
    (_block_lists, 32, None),
    (_block_lists, 33, "f.yaml:1:65"),
    (_block_lists, 100_000, "f.yaml:1:65"),
    (_block_mappings, 32, None),
    (_block_mappings, 33, "f.yaml:33:33"),
    (_block_mappings, 1_000, "f.yaml:33:33"),
    (_mixed, 32, None),
    (_mixed, 33, "f.yaml:17:33"),
    (_mixed, 2_000, "f.yaml:33:33"),
]


@pytest.mark.parametrize(
    ("make", "depth", "where"), NESTING, ids=[f"{m.__name__}-{d}" for m, d, _ in NESTING]
)
def test_deep_nesting_is_refused_without_recursion(
    make: Any, depth: int, where: str | None
) -> None:
    source = make(depth)
    if where is None:
        document, found = parse_yaml(source.encode(), "f.yaml")
        assert found == []
        assert document is not None
    else:
        assert problems(source) == [f"{where}: {_DEEP}"]


def _alias_bomb(levels: int, fan_out: int, before: int = 0) -> str:
    lines = [f"k{n}: v\n" for n in range(before)]
    lines.append(f"l0: &l0 [{', '.join(['lol'] * fan_out)}]\n")
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"l{level}: &l{level} [{aliases}]\n")
    return "".join(lines)


@pytest.mark.parametrize(
    ("levels", "fan_out", "before"), [(3, 3, 0), (9, 10, 0), (30, 10, 0), (60, 50, 5_000)]
)
def test_an_alias_bomb_is_refused_at_its_first_anchor(
    levels: int, fan_out: int, before: int
) -> None:
    assert problems(_alias_bomb(levels, fan_out, before)) == [
        f"f.yaml:{before + 1}:5: YAML anchor '&l0' is not allowed ({_ANCHORS})"
    ]


def test_text_up_to_the_limit_is_read_and_longer_is_refused() -> None:
    longest = "x" * MAX_SCALAR_CHARACTERS
    assert data(f"a: {longest}\n") == {"a": longest}
    assert problems(f"a: b\nc: '{longest}y'\n") == [
        "f.yaml:2:4: text longer than 65,536 characters "
        "(shorten it; a page or a link would not hold it anyway)"
    ]


def test_files_up_to_the_limit_are_read_and_larger_are_refused(tmp_path: Path) -> None:
    largest = b"a: 1\n" + b"#" * (MAX_FILE_BYTES - 6) + b"\n"
    assert len(largest) == MAX_FILE_BYTES
    assert parse_yaml(largest, "f.yaml")[1] == []
    too_large = (
        "f.yaml:1:1: file is larger than 1024 KiB "
        "(a source file holds text only; is it the right file?)"
    )
    assert problems(largest + b"#") == [too_large]
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as stream:
        stream.truncate(4 * 1024**3)  # sparse: read_yaml reads only what the limit needs
    document, found = read_yaml(huge, "f.yaml")
    assert document is None
    assert [p.format_gcc() for p in found] == [too_large]


def test_reading_stops_at_a_hundred_problems() -> None:
    source = "a: 1\n" + "".join(f"a: {n}\n" for n in range(150))
    listed = problems(source)
    duplicate = (
        "duplicate key 'a' (first written at line 1) "
        "(YAML keeps only the last one: remove or rename one of them)"
    )
    assert listed == [
        *(f"f.yaml:{line}:1: {duplicate}" for line in range(2, 102)),
        "f.yaml:101:1: 100 problems in this file: stopped reading it here (fix these first)",
    ]
    assert parse_yaml(source.encode(), "f.yaml")[0] is None


def test_a_text_full_of_escapes_is_refused_once() -> None:
    many = "\\x01" * 60_000
    assert problems(f'a: ok\nb: "{many}"\nc: "\\e"\n') == [
        "f.yaml:2:5: control character U+0001 is not allowed "
        "(the escape '\\x01' writes it: delete the escape)",
        "f.yaml:3:5: control character U+001B is not allowed "
        "(the escape '\\e' writes it: delete the escape)",
    ]


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    (tmp_path / "folder.yaml").mkdir()
    for name in ("pipe.yaml", "folder.yaml"):
        document, found = read_yaml(tmp_path / name, name)
        assert document is None
        assert [p.format_gcc() for p in found] == [f"{name}:1:1: not a regular file"]
    document, found = read_yaml(tmp_path / "missing.yaml", "missing.yaml")
    assert [p.format_gcc() for p in found] == [
        "missing.yaml:1:1: cannot read file: No such file or directory"
    ]
