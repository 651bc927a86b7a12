"""The ledger of everything ever published (``published.lock``): ids are never lost or reused.

Every award id with its badge and its status-list index, and every badge slug, once
published, stay in the ledger. A pull request that removes one fails ``badgepages check``
(revoke or erase instead); a new award gets a status-list index never used before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEDGER_FILE = "published.lock"
# Bitstring Status List §2.1: at least 16 KB uncompressed, i.e. 131,072 entries.
STATUS_LIST_SIZE = 131_072


@dataclass(frozen=True)
class LedgerEntry:
    """What was published for one award."""

    badge: str
    status_index: int


@dataclass
class Ledger:
    """Award ids and badge slugs ever published, and the status-list index of each award."""

    awards: dict[str, LedgerEntry] = field(default_factory=dict)
    badges: set[str] = field(default_factory=set)

    def with_awards(self, awards: Iterable[tuple[str, str]], badges: Iterable[str]) -> Ledger:
        """Return the ledger extended with (award id, badge slug) pairs and badge slugs.

        A new award's index starts at a position derived from its id (the spec asks for
        indexes that do not reveal issuing order) and moves to the next free one.
        """
        entries = dict(self.awards)
        used = {entry.status_index for entry in entries.values()}
        for award_id, badge in sorted(awards):
            if award_id in entries:
                continue
            if len(used) >= STATUS_LIST_SIZE:
                raise OverflowError("the status list is full")
            index = (
                int.from_bytes(hashlib.sha256(award_id.encode()).digest()[:8]) % STATUS_LIST_SIZE
            )
            while index in used:
                index = (index + 1) % STATUS_LIST_SIZE
            used.add(index)
            entries[award_id] = LedgerEntry(badge, index)
        return Ledger(entries, self.badges | set(badges))

    def to_json(self) -> str:
        """Return the ledger file's text: sorted, one award per line, stable for diffs."""
        lines = [
            f'    {json.dumps(award_id)}: {{"badge": {json.dumps(e.badge)}, '
            f'"status_index": {e.status_index}}}'
            for award_id, e in sorted(self.awards.items())
        ]
        awards = "{\n" + ",\n".join(lines) + "\n  }" if lines else "{}"
        return (
            "{\n"
            '  "about": "Everything ever published. Never edit by hand: the deploy build '
            'updates it, and badgepages check refuses removals.",\n'
            f'  "badges": {json.dumps(sorted(self.badges))},\n'
            f'  "awards": {awards}\n'
            "}\n"
        )


class LedgerError(ValueError):
    """Raised when published.lock cannot be read."""


def load_ledger(root: Path) -> Ledger:
    """Read published.lock (absent means nothing published yet)."""
    file = root / LEDGER_FILE
    if not file.is_file():
        return Ledger()
    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
        awards = {
            award_id: LedgerEntry(str(entry["badge"]), int(entry["status_index"]))
            for award_id, entry in data["awards"].items()
        }
        return Ledger(awards, {str(slug) for slug in data["badges"]})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LedgerError(f"{LEDGER_FILE} is damaged ({exc}): restore it from git") from None


def write_ledger(root: Path, ledger: Ledger) -> None:
    """Write published.lock."""
    (root / LEDGER_FILE).write_text(ledger.to_json(), encoding="utf-8")
