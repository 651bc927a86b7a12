"""Award lists from spreadsheets (CSV): reading, validating every row, planning the changes.

Real exports are the input: French Excel writes ``;``-separated Windows-1252 ("CSV
(séparateur: point-virgule)"), other tools write ``,``-separated UTF-8, with or without a
BOM; cells may hold quoted line breaks. Headers are matched in French or English, ignoring
case, accents, spaces and punctuation. Problems are diagnostics at ``FILE:LINE:COLUMN``,
where the column is the cell's number (A = 1) and the line is the file line the cell starts
on (the spreadsheet row, unless an earlier cell holds a line break).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import TypeAdapter, ValidationError

from badgepages.catalog import Catalog, Recipient, _slugify
from badgepages.diagnostics import Diagnostic, SourceLocation
from badgepages.editing import NewAward, NewRecipient, PreparedFile, RecipientChange
from badgepages.identity import normalize_email
from badgepages.models import Email, Url, did_you_mean
from badgepages.records import names
from badgepages.text import find_forbidden_character, forbidden_character

# Canonical column → accepted header names (compared after _header_key).
COLUMNS: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "courriel",
        "mail",
        "adresse e-mail",
        "adresse mail",
        "adresse électronique",
        "email address",
    ),
    "name": ("name", "nom", "prénom nom", "nom prénom", "nom complet", "full name"),
    "first_name": ("prénom", "first name", "given name"),
    "issued_on": (
        "issued_on",
        "date",
        "date d'obtention",
        "date de délivrance",
        "issue date",
        "issued on",
    ),
    "narrative": ("narrative", "récit", "commentaire", "description"),
    "evidence_url": ("evidence_url", "evidence", "preuve", "lien de la preuve", "url de la preuve"),
    "public": ("public", "consentement", "consent"),
}
REQUIRED = ("email", "name")
_TRUE = {"yes", "oui", "true", "vrai", "1", "y", "o"}
_FALSE = {"no", "non", "false", "faux", "0", "n"}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_SEPARATORS = (";", ",", "\t")
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_URL: TypeAdapter[str] = TypeAdapter(Url)
_NEWLINE = re.compile(r"\r\n?")
_Problem = Callable[[str], None]


@dataclass(frozen=True)
class AwardRow:
    """One valid row of an award list."""

    line: int = field(compare=False)  # where the row starts in the file
    email: str
    name: str
    issued_on: date
    narrative: str | None
    evidence_url: str | None
    public: bool | None
    cells: Mapping[str, tuple[SourceLocation, str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def where(self, column: str) -> tuple[SourceLocation, str]:
        """Return the location and the header name of one of this row's cells."""
        return self.cells[column]


def _header_key(header: str) -> str:
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", plain.lower())


_ALIASES = {_header_key(alias): column for column, names in COLUMNS.items() for alias in names}


def decode_csv(raw: bytes) -> str | None:
    """Return the text of a CSV file in UTF-8 (BOM or not), UTF-16 with BOM, or Windows-1252."""
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and b"\x00" in raw:
        return None  # a workbook (.xlsx, .ods: zip files) or another binary file
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _separator(text: str) -> tuple[str, str, int]:
    """Return the separator, the text without an Excel ``sep=`` line, and the lines skipped."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if first.startswith("sep=") and len(first) == 5:
        rest = text[len(first) :]
        return first[4], rest[2:] if rest.startswith("\r\n") else rest[1:], 1
    counts = {separator: _count_outside_quotes(first, separator) for separator in _SEPARATORS}
    return max(_SEPARATORS, key=lambda s: counts[s]), text, 0


def _count_outside_quotes(line: str, separator: str) -> int:
    return sum(part.count(separator) for part in line.split('"')[::2])


def read_award_rows(
    raw: bytes, display_path: str, default_date: date | None, today: date
) -> tuple[list[AwardRow], list[Diagnostic]]:
    """Read and validate every row of an award list; return the good rows and every problem."""
    text = decode_csv(raw)
    if text is None:
        message = "cannot read the file as text: is it a CSV file?"
        hint = "save it as CSV UTF-8, or as CSV (séparateur: point-virgule)"
        return [], [Diagnostic(SourceLocation(display_path), message, hint)]
    separator, text, skipped = _separator(text)
    return _Reader(display_path, default_date, today, skipped).read(text, separator)


class _Reader:
    """Reads the records of one file and turns each into an AwardRow or diagnostics."""

    def __init__(self, path: str, default_date: date | None, today: date, offset: int) -> None:
        self.path = path
        self.default_date = default_date
        self.today = today
        self.offset = offset
        self.problems: list[Diagnostic] = []
        self.columns: dict[int, str] = {}
        self.headers: dict[int, str] = {}

    def read(self, text: str, separator: str) -> tuple[list[AwardRow], list[Diagnostic]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
        rows: list[AwardRow] = []
        header_read = False
        previous_end = 0
        try:
            for record in reader:
                start, previous_end = previous_end + 1 + self.offset, reader.line_num
                if not any(cell.strip() for cell in record):
                    continue  # blank lines, and the ';;;;' rows spreadsheets leave at the end
                if not header_read:
                    header_read = True
                    if not self._header(record, start):
                        break
                elif (row := self._row(record, start)) is not None:
                    rows.append(row)
        except csv.Error as error:
            self._error(previous_end + 1 + self.offset, 1, _csv_message(str(error)))
        if not header_read:
            self._error(1, 1, "the file is empty", "its first row names the columns")
        return rows, self.problems

    def _error(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(SourceLocation(self.path, line, column), message, hint))

    # -- header ----------------------------------------------------------------------------

    def _header(self, record: list[str], line: int) -> bool:
        """Read the column names; return whether they are usable."""
        before = len(self.problems)
        seen: dict[str, str] = {}
        for index, header in enumerate(record, start=1):
            name = header.strip()
            if not name:
                continue
            column = _ALIASES.get(_header_key(name))
            if column is None:
                hint = did_you_mean(name, [n for names in COLUMNS.values() for n in names])
                self._error(line, index, f"unknown column '{name}'", hint or _COLUMNS_HINT)
            elif column in seen:
                self._error(line, index, f"column '{name}' repeats column '{seen[column]}'")
            else:
                seen[column] = name
                self.columns[index] = column
                self.headers[index] = name
        for column in REQUIRED:
            if column not in seen:
                names = ", ".join(COLUMNS[column][:4])
                self._error(line, 1, f"no '{column}' column", f"name one column {names}")
        if "issued_on" not in seen and self.default_date is None:
            self._error(
                line,
                1,
                "no 'issued_on' column",
                "add a 'date' column, or give --date YYYY-MM-DD for every row",
            )
        return len(self.problems) == before

    # -- rows ------------------------------------------------------------------------------

    def _row(self, record: list[str], line: int) -> AwardRow | None:
        before = len(self.problems)
        cells: dict[str, tuple[SourceLocation, str]] = {}
        values: dict[str, str] = {}
        cell_line = line
        for index, value in enumerate(record, start=1):
            location = SourceLocation(self.path, cell_line, index)
            cell_line += value.count("\n") - value.count("\r\n") + value.count("\r")
            column = self.columns.get(index)
            if column is None:
                if value.strip():
                    self.problems.append(
                        Diagnostic(location, f"'{value.strip()}' is in a column without a name")
                    )
                continue
            cells[column] = (location, self.headers[index])
            values[column] = _NEWLINE.sub("\n", value).strip()
            if (bad := find_forbidden_character(value)) >= 0:
                what, hint = forbidden_character(value[bad])
                message = f"{what} is not allowed"
                self.problems.append(
                    Diagnostic(location, message, f"column '{self.headers[index]}': {hint}")
                )
        for column, index in ((c, i) for i, c in self.columns.items()):
            cells.setdefault(column, (SourceLocation(self.path, line, index), self.headers[index]))
        row = self._validate(values, cells, line)
        return row if len(self.problems) == before else None

    def _validate(
        self, values: dict[str, str], cells: dict[str, tuple[SourceLocation, str]], line: int
    ) -> AwardRow | None:
        def problem(column: str, message: str) -> None:
            location, header = cells[column]
            self.problems.append(Diagnostic(location, message, f"column '{header}'"))

        email = values.get("email", "")
        if not email:
            problem("email", "the email is empty")
        else:
            _check(_EMAIL, email, lambda message: problem("email", message))
        name = values.get("name", "")
        if values.get("first_name"):
            name = f"{values['first_name']} {name}".strip()
        if not name:
            problem("name", "the name is empty")
        elif "\n" in name:
            problem("name", "the name holds a line break")
        issued_on = self._date(values.get("issued_on", ""), lambda m: problem("issued_on", m))
        url = values.get("evidence_url") or None
        if url is not None:
            _check(_URL, url, lambda message: problem("evidence_url", message))
        public = _public(values.get("public", ""), lambda m: problem("public", m))
        if issued_on is None:
            return None
        return AwardRow(
            line, email, name, issued_on, values.get("narrative") or None, url, public, cells
        )

    def _date(self, value: str, problem: _Problem) -> date | None:
        if not value:
            if self.default_date is None:
                problem("the issue date is empty: fill it in, or give --date YYYY-MM-DD")
            return self.default_date
        parsed = parse_date(value)
        if parsed is None:
            problem(f"'{value}' is not a date: write YYYY-MM-DD or DD/MM/YYYY (day first)")
        elif parsed > self.today:
            problem(f"issue date {parsed.isoformat()} is in the future")
            return None
        return parsed


_COLUMNS_HINT = (
    "the columns are email, name, issued_on, narrative, evidence_url, public, "
    "or courriel, nom, date, récit, preuve, consentement; delete or rename this one"
)


def _check(adapter: TypeAdapter[str], value: str, problem: _Problem) -> None:
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        problem(error.errors()[0]["msg"])


def parse_date(value: str) -> date | None:
    """Return the day written YYYY-MM-DD or DD/MM/YYYY (French spreadsheets), else None."""
    if match := _ISO_DATE.match(value):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.match(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _public(value: str, problem: _Problem) -> bool | None:
    key = _header_key(value)
    if not key:
        return None
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    problem(f"'{value}' is not yes or no: write oui/non, yes/no, true/false or 1/0")
    return None


def _csv_message(error: str) -> str:
    if "unexpected end of data" in error:
        return 'a quoted cell is never closed: check the quotes (") from this row on'
    if "expected after" in error:
        return 'a quote (") in this row is not at the start or end of a cell'
    return f"cannot read this row: {error}"


# -- planning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    """The changes an award list makes: one entry per recipient file touched."""

    changes: tuple[RecipientChange, ...]


def plan_import(
    rows: Sequence[AwardRow], badge: str, catalog: Catalog
) -> tuple[ImportPlan, list[Diagnostic]]:
    """Match rows to recipients by email, give new people unique slugs, check consent rules."""
    by_email = {recipient.email: recipient for recipient in catalog.recipients}
    taken = {recipient.slug for recipient in catalog.recipients}
    planned: dict[str, _Planned] = {}
    problems: list[Diagnostic] = []
    for row in rows:
        email = normalize_email(row.email)
        entry = planned.get(email)
        if entry is None:
            existing = by_email.get(email)
            slug = existing.slug if existing else _unique_slug(row.name, taken)
            taken.add(slug)
            entry = planned[email] = _Planned(slug, badge, row, existing)
        problems.extend(entry.add(row))
    for entry in planned.values():
        problems.extend(entry.check_anonymous())
    return ImportPlan(tuple(entry.change() for entry in planned.values())), problems


def _unique_slug(name: str, taken: set[str]) -> str:
    # A name without any Latin letter (e.g. 李小龍) gives no slug: use a neutral one.
    latin = re.search(r"[A-Za-z0-9]", unicodedata.normalize("NFKD", name))
    base = _slugify(name) if latin else "recipient"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@dataclass
class _Planned:
    """The rows of one person, and their recipient file (existing or to create)."""

    slug: str
    badge: str
    first: AwardRow
    existing: Recipient | None
    rows: list[AwardRow] = field(default_factory=list)
    consent: AwardRow | None = None

    def add(self, row: AwardRow) -> list[Diagnostic]:
        """Take one more row of this person; report a consent that contradicts an earlier one."""
        self.rows.append(row)
        if row.public is None:
            return []
        if self.consent is not None and self.consent.public != row.public:
            location, header = row.where("public")
            message = f"the consent differs from the one on line {self.consent.line} for this email"
            return [Diagnostic(location, message, f"column '{header}'")]
        self.consent = self.consent or row
        return []

    @property
    def public(self) -> bool:
        """Return whether the person will have consented once the list is imported."""
        if self.consent is not None and self.consent.public is not None:
            return self.consent.public
        return self.existing.public if self.existing else False

    def check_anonymous(self) -> list[Diagnostic]:
        """Refuse texts that name a person who has not consented to be named (as check does)."""
        if self.public:
            return []
        name = self.existing.name if self.existing else self.first.name
        email = normalize_email(self.first.email)
        problems = []
        for row in self.rows:
            for column in ("narrative", "evidence_url"):
                text = getattr(row, column)
                if text and names(text, name, email):
                    location, header = row.where(column)
                    message = (
                        "this text names the person, who has not consented to be named: "
                        "remove the name, or record their consent in the public column"
                    )
                    problems.append(Diagnostic(location, message, f"column '{header}'"))
        return problems

    def change(self) -> RecipientChange:
        """Return the change to this person's recipient file."""
        awards = tuple(
            NewAward(
                self.badge,
                row.issued_on,
                row.narrative,
                (row.evidence_url,) if row.evidence_url else (),
            )
            for row in self.rows
        )
        if self.existing is None:
            create = NewRecipient(self.first.name, self.first.email, self.public)
            return RecipientChange(self.slug, awards, create=create)
        consent = self.consent.public if self.consent else None
        public = consent if consent is not None and consent != self.existing.public else None
        return RecipientChange(self.slug, awards, public=public)


def summarize_import(prepared: Sequence[PreparedFile]) -> str:
    """Return the one-line summary of an import: files created, awards added, duplicates."""
    created = sum(item.created for item in prepared)
    added = sum(len(item.added) for item in prepared)
    skipped = sum(len(item.skipped) for item in prepared)
    return (
        f"created {_count(created, 'recipient')}, added {_count(added, 'award')}, "
        f"skipped {_count(skipped, 'duplicate')}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
