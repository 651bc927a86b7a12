"""Hostile input in every source field: refused at its line and column, or kept as typed.

Each text field of each source file is tried with control, bidirectional and noncharacter
payloads (written, and written as double-quoted escapes), with markup and template payloads
(valid text, kept exactly as typed: the pages escape or sanitise them), and each web
address, email address, date and validity field with values that are not one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from badgepages.keys import KeysSource
from badgepages.models import (
    BadgeSource,
    RecipientSource,
    SiteConfigSource,
    ThemeStringsSource,
    validate_document,
)
from badgepages.sources import parse_yaml

CONFIG = """\
issuer:
  name: {name}
  url: {url}
  email: {email}
  description: {{fr: {description_fr}, en: {description}}}
  linkedin_organization_id: {linkedin}
base_url: {base_url}
languages: [fr, en]
theme: {theme}
output: {output}
"""
BADGE = """\
name: {{fr: {name_fr}, en: {name}}}
description: {description}
criteria: {criteria}
image: {image}
tags: [one, {tag}]
skills:
  - name: {skill}
    url: {skill_url}
    framework: {framework}
valid_for: {valid_for}
version: {version}
"""
RECIPIENT = """\
name: {name}
email: {email}
public: true
awards:
  - id: aaaaaaaaaaaaaaaaaaaa
    badge: civic
    issued_on: {issued_on}
    expires: {expires}
    narrative: {{fr: {narrative_fr}, en: {narrative}}}
    evidence:
      - url: {evidence_url}
        narrative: {evidence}
    revoked:
      on: {revoked_on}
      reason: {reason}
"""
ERASED = """\
erased_on: {erased_on}
awards:
  - id: aaaaaaaaaaaaaaaaaaaa
    badge: civic
    issued_on: 2025-01-02
"""
STRINGS = """\
home: {{fr: {home_fr}, en: {home}}}
footer: {{fr: Pied, en: Foot}}
"""
KEYS = """\
keys:
  - id: key-1
    public_key_multibase: z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK
    valid_from: {valid_from}
"""

NEUTRAL = {
    "url": "https://school.example.org/",
    "base_url": "https://example.github.io/badges/",
    "skill_url": "https://example.org/skill",
    "evidence_url": "https://example.org/evidence",
    "email": "alice@example.org",
    "issued_on": "2025-01-02",
    "expires": "2027-01-02",
    "revoked_on": "2025-06-01",
    "erased_on": "2025-06-01",
    "valid_from": "2025-01-01",
    "valid_for": "3y",
    "image": "civic.svg",
    "theme": "theme",
    "output": "_site",
}
FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "site_config.yaml": (CONFIG, SiteConfigSource),
    "badges/civic.yaml": (BADGE, BadgeSource),
    "recipients/alice.yaml": (RECIPIENT, RecipientSource),
    "recipients/erased.yaml": (ERASED, RecipientSource),
    "theme/strings.yaml": (STRINGS, ThemeStringsSource),
    "keys.yaml": (KEYS, KeysSource),
}
TEXT_FIELDS = [
    ("site_config.yaml", "name"),
    ("site_config.yaml", "description"),
    ("site_config.yaml", "description_fr"),
    ("site_config.yaml", "linkedin"),
    ("site_config.yaml", "theme"),
    ("site_config.yaml", "output"),
    ("badges/civic.yaml", "name"),
    ("badges/civic.yaml", "name_fr"),
    ("badges/civic.yaml", "description"),
    ("badges/civic.yaml", "criteria"),
    ("badges/civic.yaml", "image"),
    ("badges/civic.yaml", "tag"),
    ("badges/civic.yaml", "skill"),
    ("badges/civic.yaml", "framework"),
    ("badges/civic.yaml", "version"),
    ("recipients/alice.yaml", "name"),
    ("recipients/alice.yaml", "narrative"),
    ("recipients/alice.yaml", "narrative_fr"),
    ("recipients/alice.yaml", "evidence"),
    ("recipients/alice.yaml", "reason"),
    ("theme/strings.yaml", "home"),
    ("theme/strings.yaml", "home_fr"),
]


def render(path: str, **values: str) -> str:
    """Return a source file with every field neutral but the given ones."""
    template, _ = FILES[path]
    fields = {**NEUTRAL, **values}
    return template.format_map(_Default(fields))


class _Default(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "Alice Martin"


def diagnostics(path: str, text: str) -> list[str]:
    """Return what reading and validating a source reports, formatted as check prints it."""
    document, found = parse_yaml(text.encode("utf-8"), path)
    if document is not None and not found:
        _, found = validate_document(document, FILES[path][1])
    return [p.format_gcc() for p in found]


def position(path: str, field: str, **values: str) -> tuple[int, int]:
    """Return the line and column where a field's value starts."""
    text = render(path, **{field: "\0MARK", **values})
    index = text.index("\0MARK")
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


@pytest.mark.parametrize("path", FILES)
def test_every_template_is_valid_as_it_is(path: str) -> None:
    assert diagnostics(path, render(path)) == []


_DELETE = "delete it (often pasted by accident)"
_BIDI = "it can show the text in another order than it is written: delete it"
WRITTEN = {
    "NUL": ("Alice\x00Martin", 5, f"control character U+0000 is not allowed ({_DELETE})"),
    "backspace": ("Alice\bMartin", 5, f"control character U+0008 is not allowed ({_DELETE})"),
    "ANSI": ("Alice \x1b[2J\x1b[31mred", 6, f"control character U+001B is not allowed ({_DELETE})"),
    "OSC 8 link": (
        "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07",
        0,
        f"control character U+001B is not allowed ({_DELETE})",
    ),
    "DEL": ("Alice\x7f", 5, f"control character U+007F is not allowed ({_DELETE})"),
    "C1 CSI": ("Alice\x9b31m", 5, f"control character U+009B is not allowed ({_DELETE})"),
    "NEL": ("Alice\x85Martin", 5, f"control character U+0085 is not allowed ({_DELETE})"),
    "line separator": (
        "Alice\u2028Martin",
        5,
        "line separator U+2028 is not allowed (use an ordinary line break)",
    ),
    "RLO": (
        "Alice \u202egpj.exe",
        6,
        f"bidirectional control character U+202E is not allowed ({_BIDI})",
    ),
    "LRI": (
        "\u2066Alice\u2069",
        0,
        f"bidirectional control character U+2066 is not allowed ({_BIDI})",
    ),
    "noncharacter": ("Alice\ufdd0", 5, "noncharacter U+FDD0 is not allowed (delete it)"),
}


@pytest.mark.parametrize(("path", "field"), TEXT_FIELDS, ids=[f"{p}:{f}" for p, f in TEXT_FIELDS])
@pytest.mark.parametrize(("payload", "offset", "message"), WRITTEN.values(), ids=list(WRITTEN))
def test_characters_written_in_a_text_field_are_refused(
    path: str, field: str, payload: str, offset: int, message: str
) -> None:
    line, column = position(path, field)
    assert diagnostics(path, render(path, **{field: payload})) == [
        f"{path}:{line}:{column + offset}: {message}"
    ]


ESCAPED = {
    "\\x01": "control character U+0001",
    "\\0": "control character U+0000",
    "\\e": "control character U+001B",
    "\\u0085": "control character U+0085",
    "\\u202E": "bidirectional control character U+202E",
}


@pytest.mark.parametrize(("path", "field"), TEXT_FIELDS, ids=[f"{p}:{f}" for p, f in TEXT_FIELDS])
@pytest.mark.parametrize(("escape", "what"), ESCAPED.items(), ids=list(ESCAPED))
def test_characters_escaped_in_a_text_field_are_refused(
    path: str, field: str, escape: str, what: str
) -> None:
    line, column = position(path, field)
    assert diagnostics(path, render(path, **{field: f'"Alice{escape}Martin"'})) == [
        f"{path}:{line}:{column + 6}: {what} is not allowed "
        f"(the escape '{escape}' writes it: delete the escape)"
    ]


MARKUP = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "<img src=x onerror=alert(document.domain)>",
    "javascript:alert(1)",
    "{{ 7*7 }} {% raw %}",
    "]]><x>",
    "' onmouseover='alert(1)",
    "<!-- comment -->",
    "&lt;b&gt; &amp;",
    "[link](javascript:alert(1))",
]


@pytest.mark.parametrize(("path", "field"), TEXT_FIELDS, ids=[f"{p}:{f}" for p, f in TEXT_FIELDS])
@pytest.mark.parametrize("payload", MARKUP)
def test_markup_in_a_text_field_is_kept_as_typed(path: str, field: str, payload: str) -> None:
    if field in ("image", "theme", "output"):
        payload = payload.replace("/", "-")  # file names: only their text is of interest here
    text = render(path, **{field: json.dumps(payload)})
    document, found = parse_yaml(text.encode(), path)
    assert found == []
    assert document is not None
    assert payload in _strings(document.data)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value]


URL_FIELDS = [
    ("site_config.yaml", "url"),
    ("site_config.yaml", "base_url"),
    ("badges/civic.yaml", "skill_url"),
    ("recipients/alice.yaml", "evidence_url"),
]
NOT_WEB_ADDRESSES = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "ftp://example.org/",
    "https://",
    "https:///path",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/<script>alert(1)</script>",
    "https://example.org/a b",
    "https://example.org/\\evil",
    "https://example.org/{{7*7}}",
    "https://example.org/a|b",
    "https://example.org/`x`",
    "https://example.org/%zz",
    "https://user:password@evil.example/",
    "https://example.org@evil.example/",
    "https://example.org:99999/",
    "https://example.org:0/",
    "https://[::1/",
    "www.example.org",
]


@pytest.mark.parametrize(("path", "field"), URL_FIELDS, ids=[f"{p}:{f}" for p, f in URL_FIELDS])
@pytest.mark.parametrize("url", NOT_WEB_ADDRESSES)
def test_what_is_not_a_web_address_is_refused(path: str, field: str, url: str) -> None:
    line, column = position(path, field)
    assert diagnostics(path, render(path, **{field: json.dumps(url)})) == [
        f"{path}:{line}:{column}: '{url}' is not a valid web address (write a full https:// URL)"
    ]


WEB_ADDRESSES = [
    "https://example.org/",
    "http://example.org",
    "https://exemple.fr/école/été?q=ü#frag",
    "https://example.org:8443/a;b=c?x=1&y='2'#z",
    "https://sub.example.co.uk/a%20b",
    "https://[2001:db8::1]/x",
]


@pytest.mark.parametrize("url", WEB_ADDRESSES)
def test_web_addresses_are_accepted(url: str) -> None:
    text = render("recipients/alice.yaml", evidence_url=json.dumps(url))
    assert diagnostics("recipients/alice.yaml", text) == []


EMAIL_FIELDS = [("site_config.yaml", "email"), ("recipients/alice.yaml", "email")]
NOT_EMAILS = {
    "a@b..c": "an email address cannot have two periods in a row",
    "bob@example.org<script>": ("the part after the @-sign contains invalid characters: '<', '>'"),
    "bob@example.org<script>alert(1)</script>": (
        "the part after the @-sign contains invalid characters: '(', ')', '/', '<', '>'"
    ),
    "x" * 310 + "@example.org": "the email address is too long (68 characters too many)",
    "nope": "an email address must have an @-sign",
    "carl@": "there must be something after the @-sign",
    "@example.org": "there must be something before the @-sign",
    "a@b@example.org": "the part after the @-sign contains invalid characters: '@'",
    "a..b@example.org": "an email address cannot have two periods in a row",
    ".a@example.org": "an email address cannot start with a period",
    "user@localhost": "the part after the @-sign is not valid. It should have a period",
    '"quoted"@example.org': "quoting the part before the @-sign is not allowed here",
    "a@[192.0.2.1]": "a bracketed IP address after the @-sign is not allowed here",
    "a b@example.org": "the email address contains invalid characters before the @-sign: SPACE",
    "a@-example.org": "an email address cannot have a hyphen immediately after the @-sign",
}


@pytest.mark.parametrize(("path", "field"), EMAIL_FIELDS, ids=[f"{p}:{f}" for p, f in EMAIL_FIELDS])
@pytest.mark.parametrize(("email", "reason"), NOT_EMAILS.items(), ids=[e[:30] for e in NOT_EMAILS])
def test_what_is_not_an_email_address_is_refused(
    path: str, field: str, email: str, reason: str
) -> None:
    line, column = position(path, field)
    shown = f"'{email[:60]}…'" if len(email) > 60 else f"'{email}'"
    assert diagnostics(path, render(path, **{field: json.dumps(email)})) == [
        f"{path}:{line}:{column}: {shown} is not a valid email address ({reason})"
    ]


def test_an_email_with_a_nul_is_refused_by_the_reader() -> None:
    line, column = position("recipients/alice.yaml", "email")
    text = render("recipients/alice.yaml", email='"alice\\0@example.org"')
    assert diagnostics("recipients/alice.yaml", text) == [
        f"recipients/alice.yaml:{line}:{column + 6}: control character U+0000 is not allowed "
        "(the escape '\\0' writes it: delete the escape)"
    ]


DATE_FIELDS = [
    ("recipients/alice.yaml", "issued_on"),
    ("recipients/alice.yaml", "expires"),
    ("recipients/alice.yaml", "revoked_on"),
    ("recipients/erased.yaml", "erased_on"),
    ("keys.yaml", "valid_from"),
]
OUT_OF_RANGE = ["1899-12-31", "0001-01-01", "3000-01-01", "9999-12-31"]


@pytest.mark.parametrize(("path", "field"), DATE_FIELDS, ids=[f"{p}:{f}" for p, f in DATE_FIELDS])
@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_dates_outside_1900_to_2999_are_refused(path: str, field: str, day: str) -> None:
    line, column = position(path, field)
    assert diagnostics(path, render(path, **{field: day})) == [
        f"{path}:{line}:{column}: '{day}' is not between the years 1900 and 2999 (check the year)"
    ]


@pytest.mark.parametrize(("path", "field"), DATE_FIELDS, ids=[f"{p}:{f}" for p, f in DATE_FIELDS])
@pytest.mark.parametrize("day", ["2025-02-30", "2025-13-01", "25-01-02", "2025-1-2", "+2025-01-02"])
def test_what_is_not_a_date_is_refused(path: str, field: str, day: str) -> None:
    line, column = position(path, field)
    assert diagnostics(path, render(path, **{field: day})) == [
        f"{path}:{line}:{column}: '{day}' is not a date (write it as YYYY-MM-DD, e.g. 2025-06-30)"
    ]


VALIDITIES = {
    "101y": "write at most 100y (100 years)",
    "1201m": "write at most 1200m (1200 months)",
    "5201w": "write at most 5200w (5200 weeks)",
    "36501d": "write at most 36500d (36500 days)",
    "99999999y": "write at most 100y (100 years)",
    "9" * 5000 + "d": "write at most 36500d (36500 days)",
}


@pytest.mark.parametrize(("validity", "hint"), VALIDITIES.items(), ids=[v[:12] for v in VALIDITIES])
def test_validities_longer_than_a_century_are_refused(validity: str, hint: str) -> None:
    line, column = position("badges/civic.yaml", "valid_for")
    shown = f"'{validity[:60]}…'" if len(validity) > 60 else f"'{validity}'"
    assert diagnostics("badges/civic.yaml", render("badges/civic.yaml", valid_for=validity)) == [
        f"badges/civic.yaml:{line}:{column}: {shown} is longer than a century ({hint})"
    ]


@pytest.mark.parametrize("validity", ["100y", "1200m", "5200w", "36500d", "1d"])
def test_validities_up_to_a_century_are_accepted(validity: str) -> None:
    assert diagnostics("badges/civic.yaml", render("badges/civic.yaml", valid_for=validity)) == []


NAME_FIELDS = [
    ("site_config.yaml", "name"),
    ("badges/civic.yaml", "name"),
    ("badges/civic.yaml", "skill"),
    ("recipients/alice.yaml", "name"),
]


@pytest.mark.parametrize(("path", "field"), NAME_FIELDS, ids=[f"{p}:{f}" for p, f in NAME_FIELDS])
def test_names_longer_than_200_characters_are_refused(path: str, field: str) -> None:
    assert diagnostics(path, render(path, **{field: "é" * 200})) == []
    line, column = position(path, field)
    location = f"{path}:{line}:{column}"
    if path == "badges/civic.yaml" and field == "name":
        location = f"{path}:1:7"  # the mapping of both languages
    assert diagnostics(path, render(path, **{field: "é" * 201})) == [
        f"{location}: a name is at most 200 characters (shorten it: titles and cards show it whole)"
    ]


def test_a_norwegian_string_stays_norwegian() -> None:
    text = "home: {no: Hjem, fr: Accueil}\nyes: {on: x, off: y}\n"
    document, found = parse_yaml(text.encode(), "theme/strings.yaml")
    assert found == []
    assert document is not None
    strings, errors = validate_document(document, ThemeStringsSource)
    assert errors == []
    assert strings is not None
    assert strings.root == {"home": {"no": "Hjem", "fr": "Accueil"}, "yes": {"on": "x", "off": "y"}}


STRINGS_PROBLEMS = {
    "not a mapping": (
        "- a\n- b\n",
        ["theme/strings.yaml:1:1: expected a mapping of keys, found a list"],
    ),
    "a text without languages": (
        "home: Accueil\n",
        ["theme/strings.yaml:1:7: expected a mapping of keys, found text"],
    ),
    "a bad language code": (
        "home: {fr: Accueil, FR: x}\n",
        [
            "theme/strings.yaml:1:25: 'FR' is not a language code "
            "(use two-letter codes such as fr, en)"
        ],
    ),
    "an empty text": (
        "home: {fr: '', en: Home}\n",
        ["theme/strings.yaml:1:12: string should have at least 1 character"],
    ),
    "a duplicate key": (
        "home: {fr: A}\nhome: {fr: B}\n",
        [
            "theme/strings.yaml:2:1: duplicate key 'home' (first written at line 1) "
            "(YAML keeps only the last one: remove or rename one of them)"
        ],
    ),
}


@pytest.mark.parametrize(
    ("text", "expected"), STRINGS_PROBLEMS.values(), ids=list(STRINGS_PROBLEMS)
)
def test_a_malformed_strings_file_is_reported_at_its_line(text: str, expected: list[str]) -> None:
    assert diagnostics("theme/strings.yaml", text) == expected
