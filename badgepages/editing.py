"""Changes to the YAML sources that keep every comment and the author's layout (round trip)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from badgepages.identity import new_award_id

_ITEM = re.compile(r"^(?P<indent> *)awards:\s*(?:#.*)?\n(?:\s*(?:#.*)?\n)*(?P<dash> *)- ", re.M)


class EditError(Exception):
    """Raised when a source file cannot be changed safely."""


def _round_trip(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    match = _ITEM.search(text)
    # Keep the author's list style: "awards:\n  - id" (offset 2) or "awards:\n- id" (offset 0).
    offset = len(match["dash"]) - len(match["indent"]) if match else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def append_award(file: Path, badge: str, issued_on: date) -> str:
    """Append a new award with a fresh permanent id to a recipient file; return the id."""
    text = file.read_text(encoding="utf-8-sig")
    yaml = _round_trip(text)
    document = yaml.load(text)
    if not isinstance(document, CommentedMap):
        raise EditError(f"{file.name} does not hold a recipient mapping")
    awards = document.get("awards")
    if awards is None:
        awards = CommentedSeq()
        document["awards"] = awards
    if not isinstance(awards, CommentedSeq):
        raise EditError(f"'awards' in {file.name} is not a list")
    award_id = new_award_id()
    award = CommentedMap()
    award["id"] = award_id
    award["badge"] = badge
    award["issued_on"] = issued_on
    awards.append(award)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    file.write_text(buffer.getvalue(), encoding="utf-8")
    return award_id
