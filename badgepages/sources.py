"""Reading YAML sources into plain values that remember where each value was written.

Scalars follow the YAML 1.2 core schema for booleans and null only; every other plain
scalar stays the exact text the author typed. That defuses the YAML 1.1 traps: ``NO``
stays ``"NO"``, ``1:20`` stays ``"1:20"`` (not 80), ``version: 1.10`` stays ``"1.10"``
(not 1.1), and dates stay text until a model field parses them. Fields that want a
boolean then reject ``yes``/``no``/``on``/``off`` with a message instead of guessing.

libyaml (PyYAML's C parser) turns the text into events, and this module builds the values
from them in one loop, without recursion, so that every rule is enforced in one place with
its file, line and column: duplicate and merge keys, tabs in indentation, one document per
file, the characters no text may hold (:func:`badgepages.text.find_forbidden_character`, also
when a double-quoted escape such as ``"\\x01"`` writes them), and the limits below. Anchors,
aliases and tags serve no purpose in these sources and are refused, so an alias bomb costs
one event and a ``!!binary`` or ``!include`` never passes for text.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from yaml import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    YAMLError,
)
from yaml._yaml import CParser  # libyaml; PyYAML's wheels include it

from badgepages.diagnostics import Diagnostic, SourceLocation
from badgepages.text import find_forbidden_character, forbidden_character

Loc = tuple[str | int, ...]

# Limits far above what any badge, recipient, configuration or theme file needs.
MAX_FILE_BYTES = 1024 * 1024
MAX_SCALAR_CHARACTERS = 65_536
MAX_DEPTH = 32
# Characters refused per file are listed up to this many lines (a pasted binary has many),
# and a file's reading stops at this many problems: a hostile file could make one per line.
_MAX_CHARACTER_PROBLEMS = 10
_MAX_PROBLEMS = 100

_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# YAML 1.2 §5.7 escapes; the single-character ones that write a refused character.
_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_ESCAPED_CHARACTER = {"0": "\0", "a": "\a", "b": "\b", "v": "\v", "f": "\f", "e": "\x1b"}
_ESCAPED_CHARACTER |= {"N": "\x85", "L": "\u2028", "P": "\u2029"}


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: its plain data and the position of every key and value."""

    path: str
    data: Any
    value_positions: dict[Loc, tuple[int, int]]
    key_positions: dict[Loc, tuple[int, int]]

    def locate(self, loc: Loc, *, at_key: bool = False) -> SourceLocation:
        """Return where the value (or its key) at ``loc`` was written, or its nearest parent."""
        for end in range(len(loc), -1, -1):
            part = loc[:end]
            position = (self.key_positions if at_key else {}).get(part)
            position = position or self.value_positions.get(part)
            if position:
                return SourceLocation(self.path, *position)
        return SourceLocation(self.path)


Parsed = tuple[YamlDocument | None, list[Diagnostic]]


def read_yaml(file: Path | str, display_path: str) -> Parsed:
    """Read one YAML file: its document (unless unreadable) and every problem found."""
    raw, problems = read_source(file, display_path)
    return parse_yaml(raw, display_path) if raw is not None else (None, problems)


def read_source(file: Path | str, display_path: str) -> tuple[bytes | None, list[Diagnostic]]:
    """Return a source file's bytes, reading at most one byte past the size limit."""
    try:
        # Non-blocking open: a pipe named like a source would otherwise never answer.
        descriptor = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return None, [Diagnostic(SourceLocation(display_path), f"cannot read file: {exc.strerror}")]
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):  # a folder, a pipe, a device
            return None, [Diagnostic(SourceLocation(display_path), "not a regular file")]
        # One read for the whole file; one that grew meanwhile is read on, up to the limit.
        data = os.read(descriptor, min(status.st_size, MAX_FILE_BYTES) + 1)
        while status.st_size < len(data) <= MAX_FILE_BYTES:
            more = os.read(descriptor, MAX_FILE_BYTES + 1 - len(data))
            if not more:
                break
            data += more
        return data, []
    except OSError as exc:
        return None, [Diagnostic(SourceLocation(display_path), f"cannot read file: {exc.strerror}")]
    finally:
        os.close(descriptor)


def parse_yaml(raw: bytes, display_path: str) -> Parsed:
    """Parse YAML bytes (UTF-8, with or without BOM) into a positioned document."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [
            Diagnostic(
                SourceLocation(display_path),
                f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
                "a source file holds text only; is it the right file?",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        location = SourceLocation(display_path, line)
        return None, [Diagnostic(location, "file is not valid UTF-8", "save it as UTF-8")]
    problems = _character_problems(text, display_path)
    if problems:
        return None, problems
    builder = _Builder(text, display_path)
    data = builder.build()
    if builder.aborted:
        return None, builder.problems
    document = YamlDocument(display_path, data, builder.value_positions, builder.key_positions)
    return document, builder.problems


def _character_problems(text: str, display_path: str) -> list[Diagnostic]:
    """Refuse the characters no source may hold: the first of each line, at its column."""
    problems: list[Diagnostic] = []
    line, line_start, counted = 1, 0, 0
    index = find_forbidden_character(text)
    while index >= 0 and len(problems) < _MAX_CHARACTER_PROBLEMS:
        for line_break in _LINE_BREAK.finditer(text, counted, index):
            line, line_start = line + 1, line_break.end()
        counted = index
        what, hint = forbidden_character(text[index])
        location = SourceLocation(display_path, line, index - line_start + 1)
        problems.append(Diagnostic(location, f"{what} is not allowed", hint))
        next_line = _LINE_BREAK.search(text, index)
        index = find_forbidden_character(text, next_line.start()) if next_line else -1
    return problems


class _Skip:
    """Marks a mapping entry whose value is dropped (its key was refused)."""


_SKIP = _Skip()
_NodeEvent = ScalarEvent | CollectionStartEvent


class _Frame:
    """An open mapping or sequence: where it is and, for a mapping, the key awaiting a value."""

    __slots__ = ("container", "key", "loc", "mapping", "root")

    def __init__(self, loc: Loc, container: dict[str, Any] | list[Any], root: bool = False):
        self.loc = loc
        self.container = container
        self.mapping = isinstance(container, dict)
        self.key: str | _Skip | None = None
        self.root = root  # the document's frame: holds the one top value, at loc ()


class _AbortError(Exception):
    """Raised inside the builder when the rest of the file cannot be read."""


class _Builder:
    """Turn libyaml's events into plain values, recording positions and every problem."""

    def __init__(self, text: str, display_path: str) -> None:
        self.text = text
        self.display_path = display_path
        self.value_positions: dict[Loc, tuple[int, int]] = {}
        self.key_positions: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []
        self.aborted = False

    def build(self) -> Any:
        """Return the document's data (None when empty), or None with ``aborted`` set."""
        parser = CParser(self.text)
        try:
            return self._events(parser)
        except YAMLError as exc:
            self.problems.append(self._syntax_problem(exc))
        except _AbortError:
            pass
        finally:
            parser.dispose()
        self.aborted = True
        return None

    def _events(self, parser: CParser) -> Any:
        """Consume the events in one loop (libyaml pulls them lazily: nothing recurses)."""
        top: list[Any] = []
        stack = [_Frame((), top, root=True)]
        skipping = 0  # depth inside a collection whose value is dropped
        documents = 0
        while True:
            event = parser.get_event()
            kind = type(event)  # exact types: the fastest dispatch, and libyaml makes no others
            if type(event) is ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    self._check_properties(event)
                if event.style == '"' or len(event.value) > MAX_SCALAR_CHARACTERS:
                    self._check_scalar(event)
                if skipping:
                    continue
                frame = stack[-1]
                if frame.mapping and frame.key is None:
                    frame.key = self._key(event, frame)
                else:
                    self._place(frame, _scalar(event), event)
            elif type(event) is MappingStartEvent or type(event) is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None:
                    self._check_properties(event)
                if skipping:
                    skipping += 1
                    self._check_depth(event, len(stack) - 1 + skipping)
                    continue
                frame = stack[-1]
                if frame.mapping and frame.key is None:
                    self._problem(event, "a key must be a plain name, not a list or mapping")
                    frame.key, skipping = _SKIP, 1
                    continue
                container: dict[str, Any] | list[Any] = {} if kind is MappingStartEvent else []
                loc = self._place(frame, container, event)
                if loc is None:
                    skipping = 1
                else:
                    stack.append(_Frame(loc, container))
                    self._check_depth(event, len(stack) - 1)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                if skipping:
                    skipping -= 1
                else:
                    stack.pop()
            elif type(event) is AliasEvent:
                self._abort(event, f"YAML alias '*{event.anchor}' is not allowed", _NO_ANCHORS)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    self._abort(event, "a second YAML document is not allowed", "keep one per file")
            elif kind is StreamEndEvent:
                return top[0] if top else None

    def _key(self, event: ScalarEvent, frame: _Frame) -> str | _Skip:
        key = event.value
        if key == "<<":
            self._problem(event, "merge keys ('<<') are not supported", "write keys out")
            return _SKIP
        loc = (*frame.loc, key)
        first = self.key_positions.get(loc)
        if first is not None:
            self._problem(
                event,
                f"duplicate key '{key}' (first written at line {first[0]})",
                "YAML keeps only the last one: remove or rename one of them",
            )
            return _SKIP
        self.key_positions[loc] = _position(event)
        return key

    def _place(self, frame: _Frame, value: Any, event: _NodeEvent) -> Loc | None:
        """Put a value in the open collection; return its loc, or None when it is dropped."""
        container = frame.container
        loc: Loc
        if isinstance(container, list):
            loc = () if frame.root else (*frame.loc, len(container))
            container.append(value)
        else:
            key, frame.key = frame.key, None
            if not isinstance(key, str):
                return None
            loc = (*frame.loc, key)
            container[key] = value
        self.value_positions[loc] = _position(event)
        return loc

    def _check_properties(self, event: _NodeEvent) -> None:
        if event.anchor is not None:
            self._abort(event, f"YAML anchor '&{event.anchor}' is not allowed", _NO_ANCHORS)
        if event.tag is not None:
            tag = re.sub(r"^tag:yaml\.org,2002:", "!!", event.tag)
            self._problem(
                event,
                f"YAML tag '{tag}' is not allowed",
                "tags are not supported in these sources: remove it",
            )

    def _check_scalar(self, event: ScalarEvent) -> None:
        value = event.value
        if len(value) > MAX_SCALAR_CHARACTERS:
            self._problem(
                event,
                f"text longer than {MAX_SCALAR_CHARACTERS:,} characters",
                "shorten it; a page or a link would not hold it anyway",
            )
        if event.style == '"' and find_forbidden_character(value) >= 0:
            for match in _ESCAPE.finditer(self.text, *_span(event)):
                escape = match.group()
                character = _unescape(escape)
                if find_forbidden_character(character) == 0:
                    what, _ = forbidden_character(character)
                    hint = f"the escape '{escape}' writes it: delete the escape"
                    location = SourceLocation(
                        self.display_path, *self._inside(event, match.start())
                    )
                    self._add(Diagnostic(location, f"{what} is not allowed", hint))
                    return  # the first of each text: the others are alike

    def _inside(self, event: Any, index: int) -> tuple[int, int]:
        """Return the line and column of a character inside a node (breaks as libyaml's)."""
        mark = event.start_mark
        line, line_start = mark.line + 1, mark.index - mark.column
        for line_break in _LINE_BREAK.finditer(self.text, mark.index, index):
            line, line_start = line + 1, line_break.end()
        return line, index - line_start + 1

    def _check_depth(self, event: CollectionStartEvent, depth: int) -> None:
        if depth > MAX_DEPTH:
            self._abort(
                event,
                f"nested more than {MAX_DEPTH} levels deep",
                "these files need only a few levels: check the indentation",
            )

    def _abort(self, event: Any, message: str, hint: str) -> NoReturn:
        self._problem(event, message, hint)
        raise _AbortError

    def _problem(self, event: Any, message: str, hint: str | None = None) -> None:
        self._add(Diagnostic(SourceLocation(self.display_path, *_position(event)), message, hint))

    def _add(self, problem: Diagnostic) -> None:
        self.problems.append(problem)
        if len(self.problems) == _MAX_PROBLEMS:
            self.problems.append(
                Diagnostic(
                    problem.location,
                    f"{_MAX_PROBLEMS} problems in this file: stopped reading it here",
                    "fix these first",
                )
            )
            raise _AbortError

    def _syntax_problem(self, exc: YAMLError) -> Diagnostic:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if mark is None:
            return Diagnostic(SourceLocation(self.display_path), f"YAML syntax error: {exc}")
        location = SourceLocation(self.display_path, mark.line + 1, mark.column + 1)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        character = self.text[mark.index : mark.index + 1]
        if character == "\t":
            return Diagnostic(
                location,
                "tab character in indentation",
                "YAML indents with spaces only: replace the tab with spaces",
            )
        if problem == "exceeded maximum nesting depth":
            return Diagnostic(
                location,
                f"nested more than {MAX_DEPTH} levels deep",
                "these files need only a few levels: check the indentation",
            )
        if problem == "mapping values are not allowed in this context":
            problem = "mapping values are not allowed here"
        elif problem == "found character that cannot start any token":
            problem = f"found character '{character}' that cannot start any token"
        return Diagnostic(
            location, f"YAML syntax error: {problem}", _syntax_hint(problem, character)
        )


_NO_ANCHORS = "write the value out in full: anchors and aliases are not supported in these sources"


def _syntax_hint(problem: str, character: str) -> str | None:
    if problem.startswith("mapping values are not allowed"):
        return "a value containing ': ' must be quoted"
    if "cannot start any token" in problem and character in ("@", "`"):
        return f"a value starting with '{character}' must be quoted"
    if problem in ("could not find expected ':'", "did not find expected key") or (
        problem == "did not find expected '-' indicator"
    ):
        return "check the indentation of this line and the one before"
    return None


def _position(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


def _span(event: Any) -> tuple[int, int]:
    """Return where a node starts and ends, as indexes of characters in the text."""
    return event.start_mark.index, event.end_mark.index


def _scalar(event: ScalarEvent) -> Any:
    value = event.value
    if event.style or event.tag is not None:
        return value  # quoted or block: the text as written
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value in _NULL:
        return None
    return value


def _unescape(escape: str) -> str:
    if escape[1] in "xuU":
        return chr(int(escape[2:], 16))
    return _ESCAPED_CHARACTER.get(escape[1], escape[1])
