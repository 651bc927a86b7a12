"""RDFC-1.0 canonical N-Quads: term serialisation and a fast path for compiled datasets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

# RDFC-1.0 §4.4 (and rdf-canonize NQuads.js) escape string literals: ECHAR for \b \t \n \f \r
# " and \, UCHAR for the other C0 controls and DEL. pyld 3.3 only escapes \t \n \r " \.
_LITERAL_ESCAPES: Final = {
    **{code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]},
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}
_LITERAL_NEEDS_ESCAPE: Final = re.compile(r'[\x00-\x1f"\\\x7f]')
# IRIs: rdf-canonize escapes these as UCHAR (N-Quads IRIREF excludes them).
_IRI_ESCAPES: Final = {code: f"\\u{code:04X}" for code in [*range(0x21), *map(ord, '<>"{}|^`\\')]}
_IRI_NEEDS_ESCAPE: Final = re.compile(r'[\x00-\x20<>"{}|^`\\]')

XSD_STRING: Final = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")
# Canonical term strings cached across credentials: badge texts repeat from one award to the next.
_ESCAPE_CACHE_SIZE: Final = 4096


@lru_cache(maxsize=_ESCAPE_CACHE_SIZE)
def iri_term(value: str) -> str:
    """Serialise an IRI as an N-Quads term, e.g. <https://example.org/>."""
    # Scanning with a regex first keeps the common (nothing to escape) case fast.
    if _IRI_NEEDS_ESCAPE.search(value):
        value = value.translate(_IRI_ESCAPES)
    return "<" + value + ">"


@lru_cache(maxsize=_ESCAPE_CACHE_SIZE)
def quoted_literal(value: str) -> str:
    """Serialise a literal's lexical form, quoted and escaped as RDFC-1.0 §4.4 requires."""
    if _LITERAL_NEEDS_ESCAPE.search(value):
        value = value.translate(_LITERAL_ESCAPES)
    return '"' + value + '"'


def literal_suffix(datatype: str, language: str | None) -> str:
    """Return what follows a quoted literal: @language, ^^<datatype>, or nothing for xsd:string."""
    if datatype == RDF_LANGSTRING:
        return "@" + language if language else ""
    return "" if datatype == XSD_STRING else "^^" + iri_term(datatype)


def serialize_term(component: Mapping[str, str]) -> str:
    """Serialise a pyld RDF term (IRI, blank node or literal) in canonical N-Quads form."""
    kind = component["type"]
    if kind == "IRI":
        return iri_term(component["value"])
    if kind == "literal":
        suffix = literal_suffix(component["datatype"], component.get("language"))
        return quoted_literal(component["value"]) + suffix
    return component["value"]


def serialize_quad(quad: Mapping[str, Mapping[str, str]]) -> str:
    """Serialise a pyld quad as one canonical N-Quads line, "\\n" included."""
    parts = [serialize_term(quad[key]) for key in ("subject", "predicate", "object")]
    if "name" in quad:
        parts.append(serialize_term(quad["name"]))
    return " ".join(parts) + " .\n"


def _utf16_order(line: str) -> bytes:
    return line.encode("utf-16-be")


def utf16_order_agrees(ordered: list[str]) -> bool:
    """Tell whether lines sorted by code point (RDFC-1.0) are also sorted by UTF-16 code unit.

    rdf-canonize, used by JS verifiers, sorts by code unit: the orders differ only for lines
    that mix characters above U+FFFF with characters U+E000-U+FFFF at the same position.
    """
    joined = "".join(ordered)
    return (
        joined.isascii()
        or not _ASTRAL.search(joined)
        or ordered == sorted(ordered, key=_utf16_order)
    )


# --- compiled datasets ----------------------------------------------------------------


@dataclass(frozen=True)
class Blank:
    """A blank node of a compiled dataset, numbered from 0."""

    index: int


@dataclass(frozen=True)
class Value:
    """A term filled in per call from values[index]: an IRI, or a literal when suffix is set."""

    index: int
    literal_suffix: str | None = None


# A term of a compiled quad; a str is an already serialised constant term.
Term = str | Blank | Value


def _escape_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _format_piece(term: Term, arguments: Mapping[tuple[int, bool], int], blank_base: int) -> str:
    """Return a str.format pattern for one term: constants as they are, others as {n}."""
    if isinstance(term, str):
        return _escape_braces(term)
    if isinstance(term, Blank):
        return "{" + str(blank_base + term.index) + "}"
    argument = arguments[term.index, term.literal_suffix is not None]
    return "{" + str(argument) + "}" + _escape_braces(term.literal_suffix or "")


def _first_degree_term(term: Term, blank: int) -> Term:
    """RDFC-1.0 §4.6.3 step 3.1.1: the reference blank node reads _:a, any other _:z."""
    if isinstance(term, Blank):
        return "_:a" if term.index == blank else "_:z"
    return term


class CompiledDataset:
    """A dataset whose quads are fixed but for some terms, canonicalised fast per set of values.

    Each quad becomes a str.format pattern; per call only the values are escaped. The fast
    path covers datasets whose blank nodes all have distinct first-degree hashes (RDFC-1.0
    §4.4.3 step 4 then labels every blank node, and step 5, Hash N-Degree Quads, has nothing
    to do); canonize returns None for anything else, and the caller takes the reference path.
    """

    def __init__(self, quads: Iterable[Sequence[Term]]) -> None:
        """Compile quads whose blank nodes are numbered 0, 1, 2, ... without gaps."""
        quads = [tuple(quad) for quad in quads]
        values = [term for quad in quads for term in quad if isinstance(term, Value)]
        arguments: dict[tuple[int, bool], int] = {}
        for value in values:
            arguments.setdefault((value.index, value.literal_suffix is not None), len(arguments))
        self._arguments = tuple(arguments)
        # Blank node labels are passed after the values.
        base = len(arguments)
        self._lines = tuple(_pattern(quad, arguments, base) for quad in quads)
        # RDFC-1.0 §4.4.3 step 2.1: every quad that mentions a blank node, once per mention
        # (as pyld's URDNA2015 does).
        mentions: dict[int, list[str]] = {}
        for quad in quads:
            for term in quad:
                if isinstance(term, Blank):
                    first_degree = [_first_degree_term(t, term.index) for t in quad]
                    pattern = _pattern(first_degree, arguments, base)
                    mentions.setdefault(term.index, []).append(pattern)
        self._blank_lines = tuple(tuple(mentions[blank]) for blank in range(len(mentions)))
        self._constants_astral = any(
            _ASTRAL.search(term) for quad in quads for term in quad if isinstance(term, str)
        )

    def canonize(self, values: Sequence[str]) -> str | None:
        """Return the canonical N-Quads for these values, or None if the fast path cannot tell."""
        args = [
            quoted_literal(values[index]) if literal else iri_term(values[index])
            for index, literal in self._arguments
        ]
        # Code point and UTF-16 orders can only disagree on lines with astral characters.
        joined = "".join(args)  # one pass over every value, not a generator step per value
        check_order = self._constants_astral or (
            not joined.isascii() and _ASTRAL.search(joined) is not None
        )
        hashes = []
        for patterns in self._blank_lines:
            lines = sorted([pattern.format(*args) for pattern in patterns])
            if check_order and not utf16_order_agrees(lines):
                return None
            # RDFC-1.0 §4.6.3 steps 4-5: SHA-256 of the sorted, joined lines.
            hashes.append(hashlib.sha256("".join(lines).encode("utf-8")).hexdigest())
        if len(set(hashes)) < len(hashes):
            # Equal first-degree hashes need Hash N-Degree Quads (RDFC-1.0 §4.4.3 step 5).
            return None
        # RDFC-1.0 §4.4.3 step 4: canonical identifiers in code point order of the hashes.
        labels = [""] * len(hashes)
        for number, blank in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
            labels[blank] = f"_:c14n{number}"
        args += labels
        lines = sorted([pattern.format(*args) for pattern in self._lines])
        if check_order and not utf16_order_agrees(lines):
            return None
        if len(set(lines)) < len(lines):
            # Values made two quads equal: a dataset is a set, the reference path merges them.
            return None
        return "".join(lines)


def _pattern(quad: Sequence[Term], arguments: Mapping[tuple[int, bool], int], base: int) -> str:
    return " ".join(_format_piece(term, arguments, base) for term in quad) + " .\n"
