"""Problems found in the sources, with the place they were found and how to fix them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]

# What a diagnostic never prints as it is, since paths and messages quote the input: line
# breaks (one diagnostic is one line, and a CI log line starting with '::' is a workflow
# command), other C0 and C1 controls and DEL (terminal escape sequences), the bidirectional
# controls (they reorder what is shown) and lone surrogates (undecodable file names).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown_path(file: Path, root: Path) -> str:
    """Return a file's name as diagnostics give it: relative to the project when inside it."""
    return file.relative_to(root).as_posix() if file.is_relative_to(root) else file.as_posix()


def printable(text: str) -> str:
    """Return text with those characters escaped as ``\\n``, ``\\x01`` or ``\\u202e``."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    return _SHORT_ESCAPES.get(character) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A 1-based line and column in a file named relative to the project root."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{printable(self.path)}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where it is, what is wrong and, when we know, how to fix it."""

    location: SourceLocation
    message: str
    hint: str | None = None
    severity: Severity = "error"

    @property
    def text(self) -> str:
        """Return the message with its hint, as one line of printable text."""
        text = f"{self.message} ({self.hint})" if self.hint else self.message
        return printable(text)

    def format_gcc(self) -> str:
        """Return ``path:line:col: message (hint)``, the form editors and CI logs link."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location}: {prefix}{self.text}"

    def format_github(self) -> str:
        """Return a GitHub Actions workflow command that annotates the source line."""
        loc = self.location
        text = _escape_github_data(self.text)
        path = _escape_github_property(printable(loc.path))
        return f"::{self.severity} file={path},line={loc.line},col={loc.column}::{text}"


def _escape_github_data(value: str) -> str:
    # Workflow commands: '%', CR and LF are percent-encoded in the message; printable text
    # holds no CR or LF, so only '%' is left.
    return value.replace("%", "%25")


def _escape_github_property(value: str) -> str:
    return _escape_github_data(value).replace(":", "%3A").replace(",", "%2C")


@dataclass
class Diagnostics:
    """Collects every problem of a run so that all of them are reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: SourceLocation, message: str, hint: str | None = None) -> None:
        """Record an error."""
        self.items.append(Diagnostic(location, message, hint))

    def warning(self, location: SourceLocation, message: str, hint: str | None = None) -> None:
        """Record a warning."""
        self.items.append(Diagnostic(location, message, hint, "warning"))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record several problems."""
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        """Return the errors, without warnings."""
        return [d for d in self.items if d.severity == "error"]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(set(self.items)))

    def __len__(self) -> int:
        return len(set(self.items))


class SourceError(Exception):
    """Raised when the sources have errors; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(set(diagnostics))
        super().__init__(f"{len(self.diagnostics)} problem(s) in the sources")


def summarize(diagnostics: Iterable[Diagnostic]) -> str:
    """Return the one-line summary printed after the list."""
    items = list(diagnostics)
    errors = sum(d.severity == "error" for d in items)
    warnings = len(items) - errors
    files = len({d.location.path for d in items})
    if not items:
        return "no problems found"
    parts = [plural(errors, "error")] if errors else []
    if warnings:
        parts.append(plural(warnings, "warning"))
    return f"{' and '.join(parts)} in {plural(files, 'file')}"


def plural(count: int, noun: str) -> str:
    """Return '1 file', '2 files': a count with its noun."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
