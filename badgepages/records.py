"""One recipient file read into a plain record: parsed, validated and checked on its own.

Everything here depends only on the file's bytes, its name and the site's languages, so a
record is cached by content (:mod:`badgepages.cache`) and made on any core. Records are
plain tuples (dates as ordinals) because they load from the cache ten times faster than
objects; :mod:`badgepages.catalog` turns them into domain objects and checks what spans
several files or depends on the day.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from badgepages.cache import digest
from badgepages.diagnostics import Diagnostic, SourceLocation
from badgepages.identity import normalize_email
from badgepages.models import AwardSource, RecipientSource, TextSource, validate_document
from badgepages.sources import Loc, YamlDocument, parse_yaml
from badgepages.text import localize

ERASED_REASON = "Withdrawn at the holder's request (right to erasure)"

# (line, column) of an award's entry and of the keys that cross-file checks point at.
AWARD_POSITIONS = ("entry", "id", "badge", "issued_on", "expires", "revoked_on")
_POSITION_LOCS: dict[str, Loc] = {
    "entry": (),
    "id": ("id",),
    "badge": ("badge",),
    "issued_on": ("issued_on",),
    "expires": ("expires",),
    "revoked_on": ("revoked", "on"),
}

Texts = tuple[tuple[str, str], ...]
AwardRecord = tuple[
    str,  # id
    str,  # badge slug
    int,  # issued_on, as an ordinal
    int | None,  # expires as written, as an ordinal
    Texts | None,  # narrative, per site language
    tuple[tuple[str, Texts | None], ...],  # evidence: url, narrative
    tuple[int, str] | None,  # revocation: day (ordinal), reason
    tuple[int, ...],  # line, column of each AWARD_POSITIONS entry (0 when absent)
    str,  # digest of the file name, the holder and the above but positions: what it shows
]
ProblemRecord = tuple[int, int, str, str | None, str]
RecipientRecord = tuple[
    tuple[str, str, int | None, bool] | None,  # name, normalised email, erased_on, public
    tuple[AwardRecord, ...],
    tuple[ProblemRecord, ...],
]


def read_recipient(display: str, raw: bytes, languages: Sequence[str]) -> RecipientRecord:
    """Return the record of one recipient file (``display`` is its path in the project)."""
    document, problems = parse_yaml(raw, display)
    if document is None or problems:
        return None, (), _problem_records(problems)
    source, errors = validate_document(document, RecipientSource)
    if source is None:
        return None, (), _problem_records(errors)
    reader = _RecordReader(document, languages, source)
    erased = source.erased_on.toordinal() if source.erased_on else None
    person = (source.name or "", reader.email, erased, source.public)
    holder = repr(person)
    awards = tuple(
        (*award, digest(display, holder, repr(award[:7])))
        for award in (reader.award(index, award) for index, award in enumerate(source.awards))
    )
    return person, awards, _problem_records(reader.problems)


def location_of(display: str, positions: tuple[int, ...], name: str) -> SourceLocation:
    """Return where an award's entry or key was written, from its record's positions."""
    index = AWARD_POSITIONS.index(name) * 2
    line, column = positions[index], positions[index + 1]
    if line == 0:
        line, column = positions[0], positions[1]
    return SourceLocation(display, line, column)


def diagnostics_of(display: str, record: RecipientRecord) -> list[Diagnostic]:
    """Return a record's problems as diagnostics."""
    return [
        Diagnostic(SourceLocation(display, line, column), message, hint, severity)  # type: ignore[arg-type]
        for line, column, message, hint, severity in record[2]
    ]


class _RecordReader:
    """Turns one validated recipient file into award records, checking what the file alone shows."""

    def __init__(
        self, document: YamlDocument, languages: Sequence[str], source: RecipientSource
    ) -> None:
        self.document = document
        self.languages = languages
        self.source = source
        self.email = normalize_email(source.email) if source.email else ""
        self.problems: list[Diagnostic] = []

    def award(self, index: int, source: AwardSource) -> tuple[Any, ...]:
        loc: Loc = ("awards", index)
        if self.source.erased_on is not None:
            self._check_erased(source, self.source.erased_on, loc)
        elif not self.source.public:
            self._check_anonymous(source, loc)
        self._check_dates(source, loc)
        narrative = self._texts(source.narrative, (*loc, "narrative"))
        evidence = tuple(
            (e.url, self._texts(e.narrative, (*loc, "evidence", i, "narrative")))
            for i, e in enumerate(source.evidence)
        )
        positions: list[int] = []
        for name in AWARD_POSITIONS:
            exact = self.document.value_positions.get((*loc, *_POSITION_LOCS[name]))
            positions.extend(exact or (0, 0))
        return (
            source.id,
            source.badge,
            source.issued_on.toordinal(),
            source.expires.toordinal() if source.expires else None,
            narrative,
            evidence,
            self._revocation(source),
            tuple(positions),
        )

    def _revocation(self, source: AwardSource) -> tuple[int, str] | None:
        if self.source.erased_on is not None:
            return self.source.erased_on.toordinal(), ERASED_REASON
        revoked = source.revoked
        return (revoked.on.toordinal(), revoked.reason) if revoked else None

    def _texts(self, value: TextSource | None, loc: Loc) -> Texts | None:
        if value is None:
            return None
        localized, problems = localize(value, self.languages, self.document.locate(loc))
        self.problems.extend(problems)
        return localized.texts

    def _check_dates(self, source: AwardSource, loc: Loc) -> None:
        if source.expires is not None and source.expires <= source.issued_on:
            self._error(
                (*loc, "expires"),
                f"expiry date {source.expires} is not after the issue date {source.issued_on}",
            )
        revoked = source.revoked
        if revoked is not None and revoked.on < source.issued_on:
            self._error(
                (*loc, "revoked", "on"),
                f"revocation date {revoked.on} is before the issue date {source.issued_on}",
            )

    def _check_erased(self, source: AwardSource, erased_on: date, loc: Loc) -> None:
        """An erased recipient's awards keep only what holds no personal data."""
        if source.narrative or source.evidence or source.revoked:
            self._error(
                loc,
                "an erased recipient's award keeps only id, badge, issued_on and expires",
                "remove narrative, evidence and revoked: erasure already withdraws it",
            )
        if erased_on < source.issued_on:
            self._error(("erased_on",), "erasure date is before an issue date")

    def _check_anonymous(self, source: AwardSource, loc: Loc) -> None:
        """Refuse public texts that name a recipient who has not consented to be named."""
        texts: list[tuple[Loc, str]] = [((*loc, "narrative"), _flat(source.narrative))]
        for index, evidence in enumerate(source.evidence):
            texts.append(((*loc, "evidence", index, "url"), evidence.url))
            texts.append(((*loc, "evidence", index, "narrative"), _flat(evidence.narrative)))
        for text_loc, text in texts:
            if names(text, self.source.name or "", self.email):
                self._error(
                    text_loc,
                    "this public text names the recipient, who has not consented to be named",
                    "remove the name (or the email) from it, or set public: true with consent",
                )

    def _error(self, loc: Loc, message: str, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(self.document.locate(loc), message, hint))


def _problem_records(problems: Sequence[Diagnostic]) -> tuple[ProblemRecord, ...]:
    return tuple(
        (p.location.line, p.location.column, p.message, p.hint, p.severity) for p in problems
    )


def _flat(text: TextSource | None) -> str:
    if text is None:
        return ""
    return text if isinstance(text, str) else " ".join(text.values())


def names(text: str, name: str, email: str) -> bool:
    """Return whether a text contains a part of the recipient's name or email."""
    words = set(ascii_words(text))
    parts = [part for part in ascii_words(name) if len(part) > 3]
    local_part = email.split("@")[0]
    return any(part in words for part in parts) or (
        len(local_part) > 3 and local_part in text.lower()
    )


def ascii_words(text: str) -> list[str]:
    """Return the lower-case ASCII words of a text, accents removed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())
