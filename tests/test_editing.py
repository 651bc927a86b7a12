"""`badgepages award`: a new award with a fresh id, appended without touching anything else."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import Project

COMMENTED = """\
# yaml-language-server: $schema=../schemas/recipient.schema.json
# Consent received in writing on 2024-09-12.
name: Alice Martin   # as on the student card
email: alice@example.org
public: true
awards:
  # first badge, from the spring fair
  - id: aaaaaaaaaaaaaaaaaaaa
    badge: civic
    issued_on: 2025-01-15
    narrative: {fr: "Bénévole", en: Volunteer}
"""


def test_appends_award_and_keeps_comments(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.write("recipients/alice-martin.yaml", COMMENTED)
    status, output = project.run(capsys, "award", "civic", "alice-martin", "--date", "2025-03-01")
    assert status == 0
    text = file.read_text(encoding="utf-8")
    assert text.startswith(COMMENTED)
    added = text[len(COMMENTED) :]
    match = re.fullmatch(
        r"  - id: ([a-z2-7]{20})\n    badge: civic\n    issued_on: 2025-03-01\n", added
    )
    assert match, added
    assert output == f"added award {match[1]} to recipients/alice-martin.yaml\n"
    assert project.run(capsys, "check")[0] == 0


def test_defaults_to_build_date_and_creates_awards_list(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    file = project.write("recipients/bob.yaml", "name: Bob\nemail: bob@example.org\n")
    assert project.run(capsys, "award", "civic", "bob")[0] == 0
    text = file.read_text(encoding="utf-8")
    assert f"issued_on: {date(2025, 12, 4).isoformat()}" in text
    assert project.run(capsys, "check")[0] == 0


def test_unknown_badge_or_recipient(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.run(capsys, "award", "civc", "alice-martin") == (
        2,
        "unknown badge 'civc' (did you mean 'civic'?)\n",
    )
    assert project.run(capsys, "award", "civic", "alice-martn") == (
        2,
        "no recipient file recipients/alice-martn.yaml (did you mean 'alice-martin'?)\n",
    )


def test_new_ids_are_random_and_long() -> None:
    from badgepages.identity import new_award_id

    ids = {new_award_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[a-z2-7]{20}", i) for i in ids)
