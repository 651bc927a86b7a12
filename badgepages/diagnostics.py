"""Problems found in the sources, with the place they were found and how to fix them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A 1-based line and column in a file named relative to the project root."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where it is, what is wrong and, when we know, how to fix it."""

    location: SourceLocation
    message: str
    hint: str | None = None
    severity: Severity = "error"

    @property
    def text(self) -> str:
        """Return the message with its hint, as one line."""
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def format_gcc(self) -> str:
        """Return ``path:line:col: message (hint)``, the form editors and CI logs link."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location}: {prefix}{self.text}"

    def format_github(self) -> str:
        """Return a GitHub Actions workflow command that annotates the source line."""
        loc = self.location
        text = _escape_github_data(self.text)
        path = _escape_github_property(loc.path)
        return f"::{self.severity} file={path},line={loc.line},col={loc.column}::{text}"


def _escape_github_data(value: str) -> str:
    # Workflow commands: '%', CR and LF must be percent-encoded in the message.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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
    parts = [_plural(errors, "error")] if errors else []
    if warnings:
        parts.append(_plural(warnings, "warning"))
    return f"{' and '.join(parts)} in {_plural(files, 'file')}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
