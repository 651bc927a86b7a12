"""The right to erasure: a recipient file rewritten to keep awards as withdrawn records only.

The new file holds no name, email, consent, narrative, evidence or comment (comments can
hold personal data too); every award keeps its permanent id, badge and dates so that every
URL ever published keeps answering, as a withdrawal notice, and its status bit is set.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from badgepages.sources import read_yaml

_HEADER = """\
# yaml-language-server: $schema=../schemas/recipient.schema.json
# Erased at the holder's request (right to erasure). No personal data is kept; the
# awards stay as withdrawn records so that their published URLs keep answering.
"""


class ErasureError(Exception):
    """Raised when a recipient file cannot be erased."""


@dataclass(frozen=True)
class Erasure:
    """What erasing a recipient changes: the file removed, the record written in its place."""

    file: Path
    record: Path
    text: str
    kept: int  # awards kept as withdrawn records


def erase_recipient(file: Path, today: date) -> Erasure:
    """Return the erasure record that replaces a recipient file; write nothing.

    The record gets a new random name, since the old one (the slug) is made from the
    person's name. Removing the file and writing the record must be one transaction.
    """
    document, problems = read_yaml(file, file.name)
    if document is None or problems or not isinstance(document.data, dict):
        raise ErasureError(f"{file.name} does not load: fix it with 'badgepages check' first")
    if document.data.get("erased_on"):
        raise ErasureError(f"{file.name} was already erased")
    awards = document.data.get("awards") or []
    lines = [_HEADER, f"erased_on: {today.isoformat()}\n"]
    lines.append("awards:\n" if awards else "awards: []\n")
    for award in awards:
        if not isinstance(award, dict) or not award.get("id"):
            raise ErasureError(f"{file.name} has an award without an id: fix it first")
        lines.append(f"  - id: {award['id']}\n")
        for key in ("badge", "issued_on", "expires"):
            if award.get(key):
                lines.append(f"    {key}: {award[key]}\n")
    record = file.with_name(f"erased-{secrets.token_hex(6)}.yaml")
    while record.exists():
        record = file.with_name(f"erased-{secrets.token_hex(6)}.yaml")
    return Erasure(file, record, "".join(lines), len(awards))
