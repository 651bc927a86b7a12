"""Human texts: given once or per language, resolved for every site language, and the
characters that no source text may hold."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from badgepages.diagnostics import Diagnostic, SourceLocation


@dataclass(frozen=True)
class Localized:
    """A text in each site language; the first language is the default."""

    texts: tuple[tuple[str, str], ...]

    def __getitem__(self, language: str) -> str:
        return dict(self.texts).get(language, self.texts[0][1])

    @property
    def default(self) -> str:
        """Return the text in the default language."""
        return self.texts[0][1]

    def translations(self) -> dict[str, str]:
        """Return each language's text, in site-language order."""
        return dict(self.texts)


def localize(
    value: str | dict[str, str], languages: Sequence[str], location: SourceLocation
) -> tuple[Localized, list[Diagnostic]]:
    """Resolve a source text for every site language, falling back to the default language."""
    if isinstance(value, str):
        return Localized(tuple((language, value) for language in languages)), []
    problems = [
        Diagnostic(
            location,
            f"language '{language}' is not one of the site languages ({', '.join(languages)})",
            "add it to languages in site_config.yaml, or remove this translation",
        )
        for language in value
        if language not in languages
    ]
    default = value.get(languages[0])
    if default is None:
        problems.append(
            Diagnostic(
                location,
                f"no text in the default language '{languages[0]}'",
                f"add a '{languages[0]}:' entry; other languages fall back to it",
            )
        )
        default = next(iter(value.values()))
    texts = tuple((language, value.get(language, default)) for language in languages)
    return Localized(texts), problems


# Characters refused anywhere in a source, written or produced by a YAML escape (issue 11):
# C0 controls but TAB, LF and CR; DEL and the C1 controls (NEL included); the line and
# paragraph separators, which YAML 1.1 parsers read as line breaks; the bidirectional
# embeddings, overrides and isolates, which can show a name in another order than it is
# stored (Unicode UAX #9 §2.1-2.4); lone surrogates; and the 66 noncharacters (Unicode §23.7).
# Bidi marks (U+200E, U+200F, U+061C), joiners (ZWJ, ZWNJ) and every script stay valid.
# The pattern also matches every character from U+1FFFE on (a class of 32 separate astral
# noncharacters makes the search 15 times slower); those that are not noncharacters are
# skipped below.
_CANDIDATE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\U0001fffe-\U0010ffff]"
)


def find_forbidden_character(text: str, start: int = 0) -> int:
    """Return the index of the first character no source text may hold, or -1 (as str.find)."""
    match = _CANDIDATE.search(text, start)
    while (
        match is not None and ord(match.group()) > 0xFFFF and ord(match.group()) & 0xFFFE != 0xFFFE
    ):
        match = _CANDIDATE.search(text, match.end())
    return -1 if match is None else match.start()


def forbidden_character(character: str) -> tuple[str, str]:
    """Name a character found by :func:`find_forbidden_character`, and say how to fix it."""
    code = ord(character)
    label = f"U+{code:04X}"
    if code in (0x2028, 0x2029):
        kind = "line separator" if code == 0x2028 else "paragraph separator"
        return f"{kind} {label}", "use an ordinary line break"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return (
            f"bidirectional control character {label}",
            "it can show the text in another order than it is written: delete it",
        )
    if 0xD800 <= code <= 0xDFFF:
        return f"lone surrogate {label}", "delete it"
    if code > 0x9F:
        return f"noncharacter {label}", "delete it"
    return f"control character {label}", "delete it (often pasted by accident)"
