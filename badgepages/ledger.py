"""The ledger of everything ever published (``published.lock``): ids are never lost or reused.

Every award id with its badge and its status-list index, and every badge slug, once
published, stay in the ledger. A pull request that removes one fails ``badgepages check``
(revoke or erase instead); a new award gets a status-list index never used before.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, Literal, NamedTuple

from badgepages.cache import recall_parse, remember_parse
from badgepages.transaction import write_atomically

LEDGER_FILE = "published.lock"
_REMEMBERED = "ledger"  # its parse, in the build cache
# A text as json.dumps writes it, without json.dumps's cost per call (a ledger holds 100,000
# awards, each with three texts).
_quoted = encode_basestring_ascii
# Bitstring Status List §2.1: at least 16 KB uncompressed, i.e. 131,072 entries.
STATUS_LIST_SIZE = 131_072
# Awards per list before the next list opens: half full keeps index probing short, and a
# list still hides each holder among tens of thousands (Bitstring Status List §6.1, herd).
STATUS_LIST_CAPACITY = STATUS_LIST_SIZE // 2
State = Literal["active", "revoked", "erased"]
STATES = ("active", "revoked", "erased")


class LedgerEntry(NamedTuple):
    """What was published for one award (a named tuple: a ledger holds 100,000 of them)."""

    badge: str
    status_index: int
    state: State = "active"
    status_list: int = 1  # which revocation list (status/revocation-<n>.json)


@dataclass
class Ledger:
    """Award ids (with badge, status-list index and state) and badges ever published."""

    awards: dict[str, LedgerEntry] = field(default_factory=dict)
    badges: dict[str, str] = field(default_factory=dict)  # slug → digest of its sources

    def updated(
        self, awards: Iterable[tuple[str, str, State]], badges: Mapping[str, str]
    ) -> Ledger:
        """Return the ledger with the current (award id, badge, state) and badge digests.

        A new award's index starts at a position derived from its id (the spec asks for
        indexes that do not reveal issuing order) and moves to the next free one; a known
        award keeps its index forever.
        """
        entries = dict(self.awards)
        new: list[tuple[str, str, State]] = []
        for award_id, badge, state in awards:
            known = entries.get(award_id)
            if known is None:
                new.append((award_id, badge, state))
            elif known.state != state or known.badge != badge:
                entries[award_id] = LedgerEntry(badge, known.status_index, state, known.status_list)
        if new:
            # The indexes each list uses, gathered in C (a ledger holds 100,000 awards).
            lists = list(map(operator.attrgetter("status_list"), entries.values()))
            indexes = list(map(operator.attrgetter("status_index"), entries.values()))
            used = {
                number: set(
                    itertools.compress(indexes, map(operator.eq, lists, itertools.repeat(number)))
                )
                for number in set(lists)
            }
            number = 1
            for award_id, badge, state in sorted(new):  # the same order on every machine
                while not _has_room(used, number):
                    number += 1  # lists fill in order: the first with room takes new awards
                taken = used.setdefault(number, set())
                index = (
                    int.from_bytes(hashlib.sha256(award_id.encode()).digest()[:8])
                    % STATUS_LIST_SIZE
                )
                while index in taken:
                    index = (index + 1) % STATUS_LIST_SIZE
                taken.add(index)
                entries[award_id] = LedgerEntry(badge, index, state, number)
        return Ledger(entries, {**self.badges, **badges})

    def to_json(self) -> str:
        """Return the ledger file's text: sorted, one entry per line, stable for diffs."""
        ids = sorted(self.awards)  # unique: sorting them alone is enough, and faster
        awards = [
            f'{_quoted(award_id)}: {{"badge": {_quoted(e.badge)}, '
            f'"status_index": {e.status_index}, "state": {_quoted(e.state)}'
            + (f', "status_list": {e.status_list}' if e.status_list != 1 else "")
            + "}"
            for award_id, e in zip(ids, map(self.awards.__getitem__, ids), strict=True)
        ]
        badges = [f"{json.dumps(slug)}: {json.dumps(d)}" for slug, d in sorted(self.badges.items())]
        return (
            "{\n"
            '  "about": "Everything ever published. Never edit by hand: the deploy build '
            'updates it, and badgepages check refuses removals.",\n'
            f'  "badges": {_block(badges)},\n'
            f'  "awards": {_block(awards)}\n'
            "}\n"
        )


def _has_room(used: dict[int, set[int]], number: int) -> bool:
    return len(used.get(number, ())) < STATUS_LIST_CAPACITY


def _block(lines: list[str]) -> str:
    return "{\n    " + ",\n    ".join(lines) + "\n  }" if lines else "{}"


def _state(value: object) -> State:
    if value not in STATES:
        raise ValueError(f"unknown state {value!r}")
    return value  # type: ignore[return-value]


class LedgerError(ValueError):
    """Raised when published.lock cannot be read."""


def load_ledger(root: Path) -> Ledger:
    """Read published.lock (absent means nothing published yet).

    Its parse is remembered in the build cache by the file's bytes: a ledger of 100,000
    awards is read from there in a third of the time.
    """
    file = root / LEDGER_FILE
    if not file.is_file():
        return Ledger()
    content = file.read_bytes()
    columns = recall_parse(root, _REMEMBERED, content)
    if columns is not None:
        with contextlib.suppress(ValueError, TypeError):
            return _from_columns(columns)
    try:
        ledger = _parse(content.decode("utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LedgerError(f"{LEDGER_FILE} is damaged ({exc}): restore it from git") from None
    remember_parse(root, _REMEMBERED, content, _columns(ledger))
    return ledger


def _parse(text: str) -> Ledger:
    data: Any = json.loads(text)
    entries = data["awards"].values()
    # Checked column by column, in C where possible: a ledger holds 100,000 awards.
    badges = list(map(str, map(operator.itemgetter("badge"), entries)))
    indexes = list(map(int, map(operator.itemgetter("status_index"), entries)))
    states = list(map(operator.itemgetter("state"), entries))
    if not set(states) <= set(STATES):
        _state(next(state for state in states if state not in STATES))
    lists = [int(entry.get("status_list", 1)) for entry in entries]
    awards = dict(
        zip(data["awards"], map(LedgerEntry, badges, indexes, states, lists), strict=True)
    )
    return Ledger(awards, {str(slug): str(digest) for slug, digest in data["badges"].items()})


def _columns(ledger: Ledger) -> tuple[Any, ...]:
    """Return a ledger as columns of plain values (what marshal keeps quickly)."""
    entries = ledger.awards.values()
    return (
        list(ledger.awards),
        *(list(map(operator.itemgetter(n), entries)) for n in range(4)),
        list(ledger.badges.items()),
    )


def _from_columns(columns: tuple[Any, ...]) -> Ledger:
    ids, badges, indexes, states, lists, badge_digests = columns
    awards = dict(zip(ids, map(LedgerEntry, badges, indexes, states, lists), strict=True))
    return Ledger(awards, dict(badge_digests))


def write_ledger(root: Path, ledger: Ledger) -> None:
    """Write published.lock atomically and durably: after a crash it is the old or the new one.

    Call it once the new site is complete in its staging folder and before it is swapped in,
    so that nothing is ever public without being in the ledger.
    """
    content = ledger.to_json().encode("utf-8")
    write_atomically(root / LEDGER_FILE, content)
    remember_parse(root, _REMEMBERED, content, _columns(ledger))
