"""Reading YAML sources into plain values that remember where each value was written.

Scalars follow the YAML 1.2 core schema for booleans and null only; every other plain
scalar stays the exact text the author typed. That defuses the YAML 1.1 traps: ``NO``
stays ``"NO"``, ``1:20`` stays ``"1:20"`` (not 80), ``version: 1.10`` stays ``"1.10"``
(not 1.1), and dates stay text until a model field parses them. Fields that want a
boolean then reject ``yes``/``no``/``on``/``off`` with a message instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from badgepages.diagnostics import Diagnostic, SourceLocation

Loc = tuple[str | int, ...]

_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}


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


def read_yaml(file: Path, display_path: str) -> Parsed:
    """Read one YAML file: its document (unless unreadable) and every problem found."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(SourceLocation(display_path), f"cannot read file: {exc.strerror}")]
    return parse_yaml(raw, display_path)


def parse_yaml(raw: bytes, display_path: str) -> Parsed:
    """Parse YAML bytes (UTF-8, with or without BOM) into a positioned document."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        location = SourceLocation(display_path, line)
        return None, [Diagnostic(location, "file is not valid UTF-8", "save it as UTF-8")]
    try:
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        return None, [_syntax_diagnostic(exc, display_path)]
    except ReaderError as exc:
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        message = f"control character U+{exc.character:04X} is not allowed in YAML"
        location = SourceLocation(display_path, line, column)
        return None, [Diagnostic(location, message, "delete it (often pasted by accident)")]
    builder = _Builder(display_path)
    data = builder.build(node, ()) if node is not None else None
    document = YamlDocument(display_path, data, builder.value_positions, builder.key_positions)
    return document, builder.problems


def _syntax_diagnostic(exc: MarkedYAMLError, display_path: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    location = SourceLocation(display_path, mark.line + 1, mark.column + 1) if mark else None
    location = location or SourceLocation(display_path)
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem:
        return Diagnostic(
            location,
            "tab character in indentation",
            "YAML indents with spaces only: replace the tab with spaces",
        )
    return Diagnostic(location, f"YAML syntax error: {problem}", _syntax_hint(problem))


def _syntax_hint(problem: str) -> str | None:
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted"
    if "found character" in problem and "'@'" in problem:
        return "a value starting with '@' must be quoted"
    if "could not find expected ':'" in problem or "expected <block end>" in problem:
        return "check the indentation of this line and the one before"
    return None


class _Builder:
    """Turn a composed node tree into plain values, recording positions and duplicates."""

    def __init__(self, display_path: str) -> None:
        self.display_path = display_path
        self.value_positions: dict[Loc, tuple[int, int]] = {}
        self.key_positions: dict[Loc, tuple[int, int]] = {}
        self.problems: list[Diagnostic] = []

    def build(self, node: Node, loc: Loc) -> Any:
        self.value_positions[loc] = _position(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*loc, index)) for index, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, "a key must be a plain name, not a list or mapping")
                continue
            key = str(key_node.value)
            if key == "<<":
                self._problem(key_node, "merge keys ('<<') are not supported", "write keys out")
                continue
            if key in result:
                first = self.key_positions[(*loc, key)]
                self._problem(
                    key_node,
                    f"duplicate key '{key}' (first written at line {first[0]})",
                    "YAML keeps only the last one: remove or rename one of them",
                )
                continue
            self.key_positions[(*loc, key)] = _position(key_node)
            result[key] = self.build(value_node, (*loc, key))
        return result

    def _problem(self, node: Node, message: str, hint: str | None = None) -> None:
        location = SourceLocation(self.display_path, *_position(node))
        self.problems.append(Diagnostic(location, message, hint))


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar(node: Node) -> Any:
    value = str(node.value)
    if getattr(node, "style", None) is not None or node.tag not in _IMPLICIT_TAGS:
        return value  # quoted, block or explicitly tagged: the text as written
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value in _NULL:
        return None
    return value


# Tags the resolver assigns to plain scalars; an explicit tag such as !!str is kept as text.
_IMPLICIT_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
