"""Source edits are transactions: killed anywhere, raced or left half-done, nothing is lost."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from badgepages import transaction
from badgepages.cli import main
from badgepages.transaction import JOURNAL_FILE, STATE_DIR
from tests.conftest import Project
from tests.faults import (
    Crash,
    award_list,
    command_line,
    dying_at,
    failing_at,
    kill_when,
    leftovers,
    personal_data_in,
    snapshot,
)

AWARD = "aaaaaaaaaaaaaaaaaaaa"
REVOKED = "bbbbbbbbbbbbbbbbbbbb"
BOB = """\
name: Bob Stone   # hand-written comment
email: bob@example.org
awards:
  - id: bbbbbbbbbbbbbbbbbbbb
    badge: civic
    issued_on: 2025-01-02
    revoked:
      on: 2025-02-01
      reason: error
"""
AWARD_LIST = (
    "email;name;date\n"
    "alice@example.org;Alice Martin;2025-03-01\n"
    "carla@example.org;Carla Diaz;2025-03-01\n"
    "dan@example.org;Dan Ho;2025-03-01\n"
)
# Each edit, and the number of files it changes.
EDITS: dict[str, tuple[tuple[str, ...], int]] = {
    "award --csv": (("award", "civic", "--csv", "{root}/list.csv"), 3),
    "award": (("award", "civic", "alice-martin", "bob", "--date", "2025-03-01"), 2),
    "revoke": (("revoke", AWARD, "--reason", "Awarded by mistake"), 1),
    "unrevoke": (("unrevoke", REVOKED), 1),
    "erase": (("erase", "alice-martin"), 2),
    "new-badge": (("new-badge", "tutorat"), 2),
    "keygen": (("keygen",), 1),
}
ALICE = ("Alice Martin", "alice@example.org")


@pytest.fixture
def template(project: Project) -> Project:
    """Return the test project with a second recipient and an award list beside it."""
    project.write("recipients/bob.yaml", BOB)
    project.write("list.csv", AWARD_LIST)
    return project


def copy(template: Project, target: Path) -> Path:
    shutil.copytree(template.root, target)
    return target


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["-C", str(root), *(arg.format(root=root) for arg in args)])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.mark.parametrize("command", list(EDITS))
def test_an_edit_killed_at_any_step_is_finished_or_never_happened(
    template: Project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    args, changes = EDITS[command]
    before = snapshot(template.root)
    clean = copy(template, tmp_path / "clean")
    with dying_at(monkeypatch, None) as log:
        assert run(clean, capsys, *args)[0] == 0
    after = snapshot(clean)
    assert (after != before, leftovers(clean)) == (True, [])
    verdicts = [run(root, capsys, "check") for root in (template.root, clean)]
    assert [status for status, _ in verdicts] == [0, 0]
    commit = log.commit_point()
    journal_removed = log.steps.index(("unlink", Path(JOURNAL_FILE).name))
    finished = (
        f"finished an interrupted '{command}' (it was stopped half-way): {changes} file "
        f"change{'s' if changes > 1 else ''} now made as it intended (see 'git status')\n"
    )
    removed = "removed the temporary files of an interrupted edit (it had changed nothing)\n"

    for step in range(len(log.steps)):
        root = copy(template, tmp_path / f"killed-{step}")
        with dying_at(monkeypatch, step), pytest.raises(Crash):
            run(root, capsys, *args)
        capsys.readouterr()
        has_journal = (root / JOURNAL_FILE).exists()
        assert has_journal == (commit < step <= journal_removed), step
        if step <= commit:
            assert snapshot(root) == before, step
        if has_journal and command == "erase":
            assert personal_data_in(root / STATE_DIR, ALICE) == []

        note = removed if step <= commit else finished if has_journal else ""
        verdict = verdicts[step > commit][1]
        assert run(root, capsys, "check") == (0, verdict + note), step
        assert snapshot(root) == (after if step > commit else before), step
        assert leftovers(root) == [], step
        if command == "erase" and step > commit:
            assert personal_data_in(root / "recipients", ALICE) == []


def test_the_next_edit_finishes_an_interrupted_one_first(
    template: Project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = EDITS["award --csv"][0]
    with dying_at(monkeypatch, None) as log:
        assert run(copy(template, tmp_path / "clean"), capsys, *args)[0] == 0
    root = template.root
    with dying_at(monkeypatch, log.commit_point() + 2), pytest.raises(Crash):
        run(root, capsys, *args)
    capsys.readouterr()
    assert run(root, capsys, "revoke", AWARD, "--reason", "Mistake") == (
        0,
        f"revoked award {AWARD} in recipients/alice-martin.yaml\n"
        "finished an interrupted 'award --csv' (it was stopped half-way): 3 file changes now "
        "made as it intended (see 'git status')\n",
    )
    text = (root / "recipients/alice-martin.yaml").read_text(encoding="utf-8")
    assert "issued_on: 2025-03-01" in text
    assert "reason: Mistake" in text
    assert sorted(p.name for p in (root / "recipients").iterdir()) == [
        "alice-martin.yaml", "bob.yaml", "carla-diaz.yaml", "dan-ho.yaml"
    ]  # fmt: skip
    assert run(root, capsys, "check")[0] == 0


def test_a_file_changed_by_hand_since_the_kill_is_reported_never_overwritten(
    template: Project,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = EDITS["award --csv"][0]
    with dying_at(monkeypatch, None) as log:
        assert run(copy(template, tmp_path / "clean"), capsys, *args)[0] == 0
    first_rename = log.steps.index(("replace", "alice-martin.yaml"))
    root = template.root
    with dying_at(monkeypatch, first_rename), pytest.raises(Crash):
        run(root, capsys, *args)
    capsys.readouterr()
    alice = root / "recipients/alice-martin.yaml"
    as_it_was = alice.read_text(encoding="utf-8")
    alice.write_text(as_it_was + "# a comment added meanwhile\n", encoding="utf-8")
    changed = alice.read_text(encoding="utf-8")
    report = (
        "recipients/alice-martin.yaml:1:1: changed since an interrupted 'award --csv' began "
        "rewriting it, so that edit was not finished (put the file back as it was and the next "
        "command finishes the edit, or delete .badgepages/journal.json to give the edit up and "
        "review 'git status')\n"
        "1 error in 1 file\n"
    )
    assert run(root, capsys, "check") == (1, report)
    assert run(root, capsys, "award", "civic", "bob") == (1, report)
    assert run(root, capsys, "build", "--out", str(tmp_path / "site")) == (
        1,
        report + "nothing was built\n",
    )
    assert alice.read_text(encoding="utf-8") == changed
    assert not (tmp_path / "site").exists()

    alice.write_text(as_it_was, encoding="utf-8")
    status, output = run(root, capsys, "check")
    assert status == 0
    assert output.endswith(
        "finished an interrupted 'award --csv' (it was stopped half-way): 3 file changes now "
        "made as it intended (see 'git status')\n"
    )
    assert leftovers(root) == []


def test_a_journal_that_cannot_be_read_is_reported(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(JOURNAL_FILE, '{"format": 1, "command": "award", "changes": [{"path": "../x"')
    report = (
        ".badgepages/journal.json:1:1: this is not a journal badgepages can finish (an "
        "interrupted edit may have changed some files: review them with 'git status', then "
        "delete this file)\n"
        "1 error in 1 file\n"
    )
    assert run(project.root, capsys, "check") == (1, report)
    assert run(project.root, capsys, "revoke", AWARD, "--reason", "x") == (1, report)
    (project.root / JOURNAL_FILE).unlink()
    assert run(project.root, capsys, "check")[0] == 0


WAITING = "another badgepages command is using this project: waiting for it to finish…\n"


def test_a_command_refuses_when_the_project_stays_busy(
    template: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transaction, "LOCK_WAIT", 0.2)
    root = template.root
    before = snapshot(root)
    busy = (
        "error: another badgepages command is still using this project after 0.2 s "
        "(try again once it has finished)\n"
    )
    with transaction.reading(root):
        assert run(root, capsys, "award", "civic", "alice-martin") == (1, WAITING + busy)
        assert run(root, capsys, "erase", "alice-martin") == (1, WAITING + busy)
    with transaction.source_edit(root, "award"):
        assert run(root, capsys, "check") == (1, WAITING + busy)
    assert snapshot(root) == before
    with transaction.reading(root), transaction.reading(root):  # readers share the project
        assert run(root, capsys, "check")[0] == 0


def test_an_edit_waits_for_the_one_under_way(template: Project) -> None:
    root = template.root
    alice = root / "recipients/alice-martin.yaml"
    before = alice.read_bytes()
    with transaction.source_edit(root, "award"):
        process = subprocess.Popen(
            command_line(root, "award", "civic", "alice-martin", "--date", "2025-03-01"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr is not None
            assert process.stderr.readline() == WAITING
            assert alice.read_bytes() == before
        except BaseException:
            process.kill()
            process.communicate()
            raise
    out, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (0, "")
    assert re.fullmatch(r"added award [a-z2-7]{20} to recipients/alice-martin\.yaml\n", out)


def test_concurrent_awards_never_lose_one(template: Project) -> None:
    root = template.root
    alice = root / "recipients/alice-martin.yaml"
    for trial in range(2):
        processes = [
            subprocess.Popen(
                command_line(
                    root, "award", "civic", "alice-martin", "--date", f"2025-0{m}-1{trial}"
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for m in range(2, 5)
        ]
        results = [(*process.communicate(timeout=120), process.returncode) for process in processes]
        text = alice.read_text(encoding="utf-8")
        for out, err, status in results:
            added = re.fullmatch(
                r"added award ([a-z2-7]{20}) to recipients/alice-martin\.yaml\n", out
            )
            assert (status, err in ("", WAITING), bool(added)) == (0, True, True), (out, err)
            assert added is not None
            assert f"- id: {added[1]}\n" in text
    assert len(re.findall(r"- id: ", alice.read_text(encoding="utf-8"))) == 1 + 2 * 3
    assert leftovers(root) == []


def test_real_kills_during_a_large_import(
    template: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 100
    template.write("list.csv", award_list(rows, "2025-03-01"))
    args = ("award", "civic", "--csv", str(template.root / "list.csv"))
    killed = []
    for trial, delay in enumerate((0.0, 0.02, 0.1)):
        root = copy(template, tmp_path / f"killed-{trial}")
        # SIGKILL once the journal's draft appears: the import is staging its files.
        killed.append(kill_when(command_line(root, *args), root, ".badgepages/journal*", delay))
        status, output = run(root, capsys, "check")
        assert status == 0, output
        assert len(list((root / "recipients").iterdir())) in (2, 2 + rows)
        assert leftovers(root) == []
    assert any(killed)


def test_a_full_disk_before_the_commit_changes_nothing(
    template: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = template.root
    before = snapshot(root)
    with monkeypatch.context() as patch:
        failing_at(patch, "fsync", 2)  # the journal's and one staged file's went through
        status, output = run(root, capsys, *EDITS["award --csv"][0])
    assert (status, output) == (
        1,
        "error: cannot write recipients/carla-diaz.yaml: No space left on device "
        "(nothing was changed)\n",
    )
    assert (snapshot(root), leftovers(root)) == (before, [])


def test_a_full_disk_after_the_commit_is_finished_by_the_next_command(
    template: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = template.root
    before = snapshot(root)
    with monkeypatch.context() as patch:
        failing_at(patch, "replace", 2)  # the commit (the journal's rename) and one more
        status, output = run(root, capsys, *EDITS["award --csv"][0])
    assert (status, output) == (
        1,
        "error: the edit stopped half-way: recipients/carla-diaz.yaml: No space left on "
        "device (fix the cause (free disk space, permissions), then run 'badgepages check': it "
        "finishes the edit)\n",
    )
    assert snapshot(root) != before
    status, output = run(root, capsys, "check")
    assert status == 0
    assert output.endswith("3 file changes now made as it intended (see 'git status')\n")
    assert len(list((root / "recipients").iterdir())) == 4
    assert leftovers(root) == []
