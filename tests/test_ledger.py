"""The permanence guard: what was published stays; status-list indexes are never reused."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import ledger as ledger_module
from badgepages.cache import CACHE_DIR
from badgepages.ledger import LEDGER_FILE, STATUS_LIST_SIZE, Ledger, load_ledger, write_ledger
from tests.conftest import Project
from tests.faults import Crash, dying_at


@pytest.fixture
def published(project: Project, capsys: pytest.CaptureFixture[str]) -> Project:
    """Return the project after a deployment recorded it in published.lock."""
    project.write(
        "recipients/bob.yaml",
        "name: Bob Stone\nemail: bob@example.org\nawards:\n  - id: bbbbbbbbbbbbbbbbbbbb\n"
        "    badge: civic\n    issued_on: 2025-01-02\n"
        "    revoked: {on: 2025-02-01, reason: error}\n",
    )
    project.write("badges/other.yaml", "name: O\ndescription: d\ncriteria: c\nimage: civic.svg\n")
    out = project.root / "out"
    assert project.run(capsys, "build", "--out", str(out), "--update-ledger")[0] == 0
    return project


def check(project: Project, capsys: pytest.CaptureFixture[str]) -> list[str]:
    return project.run(capsys, "check")[1].splitlines()


def test_deleting_a_published_award_fails(
    published: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    published.write(
        "recipients/alice-martin.yaml", "name: Alice Martin\nemail: alice@example.org\n"
    )
    assert check(published, capsys) == [
        "published.lock:1:1: published award 'aaaaaaaaaaaaaaaaaaaa' (civic) is missing from "
        "recipients/ (a published award cannot be deleted: put it back and revoke it "
        "(badgepages revoke aaaaaaaaaaaaaaaaaaaa --reason …), or erase the recipient)",
        "1 error in 1 file",
    ]


def test_undoing_a_published_revocation_fails(
    published: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (published.root / "recipients" / "bob.yaml").read_text()
    published.write(
        "recipients/bob.yaml", text.replace("    revoked: {on: 2025-02-01, reason: error}\n", "")
    )
    assert check(published, capsys)[0] == (
        "recipients/bob.yaml:4:5: award 'bbbbbbbbbbbbbbbbbbbb' was published as revoked: this "
        "cannot be undone (revocation is final in the status list (W3C Bitstring Status List); "
        "award a new badge instead)"
    )


def test_moving_an_award_to_another_badge_fails(
    published: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (published.root / "recipients" / "alice-martin.yaml").read_text()
    published.write("recipients/alice-martin.yaml", text.replace("badge: civic", "badge: other"))
    assert check(published, capsys)[0] == (
        "recipients/alice-martin.yaml:6:12: award 'aaaaaaaaaaaaaaaaaaaa' was published as "
        "'civic' (a published award cannot change badge: revoke it and award the right one)"
    )


def test_deleting_a_published_badge_fails(
    published: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    (published.root / "badges" / "other.yaml").unlink()
    assert check(published, capsys) == [
        "published.lock:1:1: published badge 'other' is missing from badges/ (a published badge "
        "cannot be deleted or renamed: restore badges/other.yaml)",
        "1 error in 1 file",
    ]


def test_summary_of_a_pull_request(
    published: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    published.write(
        "recipients/zoe.yaml",
        "name: Zoé Lefèvre-Ångström\nemail: zoe@example.org\nawards:\n"
        "  - id: zzzzzzzzzzzzzzzzzzzz\n    badge: civic\n    issued_on: 2025-06-01\n",
    )
    assert published.run(capsys, "revoke", "aaaaaaaaaaaaaaaaaaaa", "--reason", "Mistake")[0] == 0
    badge = (published.root / "badges" / "civic.yaml").read_text()
    published.write("badges/civic.yaml", badge.replace("Engagement civique.", "Engagement."))
    summary = tmp_path / "summary.md"
    assert published.run(capsys, "check", "--summary", str(summary))[0] == 0
    text = summary.read_text(encoding="utf-8")
    assert "### New awards (1)\n\n- Civique, 2025-06-01, Z. L.-Å.\n" in text
    assert "### Revocations (1)\n\n- `aaaaaaaaaaaaaaaaaaaa` (Civique, A. M.): Mistake\n" in text
    assert "### Changed badges (1)\n\n- Civique (`civic`)\n" in text
    assert "Zoé" not in text
    assert "zoe@example.org" not in text


@given(st.lists(st.sets(st.text("abcdefghij", min_size=3, max_size=8), max_size=30), max_size=5))
def test_indexes_are_stable_and_never_reused(batches: list[set[str]]) -> None:
    ledger = Ledger()
    seen: dict[str, int] = {}
    for batch in batches:
        ledger = ledger.updated(((i, "b", "active") for i in batch), {})
        for award_id, entry in ledger.awards.items():
            assert seen.setdefault(award_id, entry.status_index) == entry.status_index
        indexes = [e.status_index for e in ledger.awards.values()]
        assert len(set(indexes)) == len(indexes)
        assert all(0 <= i < STATUS_LIST_SIZE for i in indexes)


@given(st.lists(st.integers(1, 7), max_size=6))
def test_a_full_status_list_hands_new_awards_to_the_next(batches: list[int]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger_module, "STATUS_LIST_CAPACITY", 4)
        ledger = Ledger()
        for number, size in enumerate(batches):
            before = ledger.awards
            ledger = ledger.updated(((f"a{number}-{i}", "b", "active") for i in range(size)), {})
            assert all(ledger.awards[award_id] == entry for award_id, entry in before.items())
        by_list: dict[int, list[int]] = {}
        for entry in ledger.awards.values():
            by_list.setdefault(entry.status_list, []).append(entry.status_index)
        assert sorted(by_list) == list(range(1, len(by_list) + 1))  # filled in order
        for number, indexes in by_list.items():
            assert len(set(indexes)) == len(indexes)
            assert len(indexes) <= 4
            if number < len(by_list):
                assert len(indexes) == 4  # a list is full before the next opens


def test_the_ledger_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Ledger().updated([("aaaaaaaaaaaaaaaaaaaa", "civic", "active")], {"civic": "1"})
    new = old.updated([("bbbbbbbbbbbbbbbbbbbb", "civic", "revoked")], {"other": "2"})
    write_ledger(tmp_path, old)
    with dying_at(monkeypatch, None) as log:
        write_ledger(tmp_path, new)
    renamed = log.steps.index(("replace", LEDGER_FILE))
    for step in range(len(log.steps)):
        write_ledger(tmp_path, old)
        with dying_at(monkeypatch, step), pytest.raises(Crash):
            write_ledger(tmp_path, new)
        assert load_ledger(tmp_path) == (new if step > renamed else old), step


def test_a_ledger_that_cannot_be_written_stays_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Ledger().updated([("aaaaaaaaaaaaaaaaaaaa", "civic", "active")], {"civic": "1"})
    write_ledger(tmp_path, old)

    def full_disk(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_ledger(tmp_path, Ledger())
    assert load_ledger(tmp_path) == old
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != CACHE_DIR) == [LEDGER_FILE]


def test_an_edit_removes_what_a_killed_ledger_write_left(
    published: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with dying_at(monkeypatch, 1), pytest.raises(Crash):
        write_ledger(published.root, Ledger())
    assert [p.name for p in published.root.glob(".published.lock.*.tmp")] != []
    assert published.run(capsys, "new-badge", "tutorat") == (
        0,
        "wrote badges/tutorat.yaml and badges/tutorat.svg: replace the placeholder texts and "
        "image before the first award\n"
        "removed the temporary files of an interrupted edit (it had changed nothing)\n",
    )
    assert [p.name for p in published.root.glob(".published.lock.*.tmp")] == []


def _ledger(states: list[str]) -> Ledger:
    awards = [(f"{n:020d}", "civic", state) for n, state in enumerate(states)]
    return Ledger().updated(awards, {"civic": "1"})  # type: ignore[arg-type]


@given(st.lists(st.sampled_from(["active", "revoked", "erased"]), max_size=6), st.booleans())
def test_the_ledger_read_is_the_one_on_disk_whatever_the_cache_remembers(
    states: list[str], damaged: bool
) -> None:
    """What a build wrote is read back from the cache; a hand edit or damage is read anew."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        written = _ledger(states)
        write_ledger(root, written)
        assert load_ledger(root) == written
        edited = _ledger([*states, "revoked"])
        (root / LEDGER_FILE).write_text(edited.to_json(), encoding="utf-8")
        if damaged:
            for remembered in (root / CACHE_DIR).iterdir():
                remembered.write_bytes(remembered.read_bytes()[:-3])
        assert load_ledger(root) == edited
        assert load_ledger(root) == edited  # now from the cache


def test_a_deploy_that_publishes_nothing_new_leaves_the_ledger_as_it_is(
    published: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = published.root / LEDGER_FILE
    before = ledger.stat().st_mtime_ns, ledger.read_bytes()
    out = published.root / "out"
    assert published.run(capsys, "build", "--out", str(out), "--update-ledger")[0] == 0
    assert (ledger.stat().st_mtime_ns, ledger.read_bytes()) == before
    published.write(
        "badges/other.yaml", "name: O2\ndescription: d\ncriteria: c\nimage: civic.svg\n"
    )
    assert published.run(capsys, "build", "--out", str(out), "--update-ledger")[0] == 0
    assert ledger.read_bytes() != before[1]  # the badge's new digest is recorded
