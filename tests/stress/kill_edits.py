"""Long fault runs (``make stress``): hundreds of SIGKILLs and races against the editing commands.

For each kill, the next ``check`` must pass and leave the project as before the command or
exactly as the command intended, with no journal or temporary file left:

1. ``award --csv`` of a 500-row list, killed at random moments;
2. ``erase``, killed at random moments: the person's name and email are either untouched
   in their own file or gone from recipients/ altogether;
3. two ``award`` runs on one recipient started together: both awards are kept;
4. ``build --update-ledger``, killed at random moments: published.lock is always whole.

Prints what each kill interrupted; exits 1 on the first broken promise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from badgepages.cli import main  # noqa: E402
from badgepages.ledger import LEDGER_FILE  # noqa: E402
from badgepages.transaction import JOURNAL_FILE, STATE_DIR  # noqa: E402
from tests.conftest import BADGE, BADGE_SVG, BUILD_EPOCH, CONFIG, RECIPIENT  # noqa: E402
from tests.faults import (  # noqa: E402
    award_list,
    command_line,
    kill_after,
    kill_when,
    leftovers,
    personal_data_in,
    snapshot,
)

BOB = "name: Bob Stone\nemail: bob@example.org\n"
# A command's arguments ({root}: the project), files (globs) whose appearance marks a moment
# it writes, and what must hold after a kill once check has run.
Scenario = tuple[
    tuple[str, ...], tuple[str, ...], Callable[[Path, dict[str, str], dict[str, str]], str]
]
ALICE = ("Alice Martin", "alice@example.org")
# The journal's draft appears when staging begins; the journal itself at the commit point.
JOURNAL_MARKERS = (f"{STATE_DIR}/journal.*.tmp", JOURNAL_FILE)


class BrokenPromiseError(Exception):
    """Raised when a kill left the project in a state it must never be in."""


def make_project(root: Path) -> Path:
    """Write the test suite's small project (one badge, two recipients) under ``root``."""
    for path, text in (
        ("site_config.yaml", CONFIG),
        ("badges/civic.yaml", BADGE),
        ("badges/civic.svg", BADGE_SVG),
        ("recipients/alice-martin.yaml", RECIPIENT),
        ("recipients/bob.yaml", BOB),
    ):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def check(root: Path) -> tuple[int, str]:
    """Run ``check`` in this process; return its status and everything it printed."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = main(["-C", str(root), "check"])
    return status, output.getvalue()


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise BrokenPromiseError(what)


def writing_time(args: list[str], root: Path, marker: str) -> float:
    """Run a command once; return how long it ran after a file matching ``marker`` appeared."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not any(root.glob(marker)):
        time.sleep(0.001)
    seen = time.monotonic()
    expect(process.wait() == 0, f"{args} failed")
    return time.monotonic() - seen


def kill_runs(
    name: str,
    template: Path,
    work: Path,
    scenario: Scenario,
    kills: int,
) -> Counter[str]:
    """Kill a command ``kills`` times while it writes; verify what ``check`` then leaves.

    Each kill comes a random time after one of the marker files appears, up to a little more
    than the command ran after it in a clean run; a quarter of them come at random times from
    the start instead.
    """
    args, markers, verify = scenario

    def line(root: Path) -> list[str]:
        return command_line(root, *(arg.format(root=root) for arg in args))

    writing = {}
    for marker in markers:
        clean = shutil.copytree(template, work / f"{name}-clean", dirs_exist_ok=True)
        writing[marker] = writing_time(line(clean), clean, marker)
        after = snapshot(clean)
        shutil.rmtree(clean)
    before = snapshot(template)
    outcomes: Counter[str] = Counter()
    for index in range(kills):
        root = shutil.copytree(template, work / f"{name}-{index}")
        marker = markers[index % len(markers)]
        if index % 4:
            delay = random.uniform(0, 1.2 * writing[marker])
            killed = kill_when(line(root), root, marker, delay)
        else:
            killed = kill_after(line(root), random.uniform(0, 3.0))
        journal = (root / JOURNAL_FILE).exists()
        status, output = check(root)
        expect(status == 0, f"{name} #{index}: check failed after the kill:\n{output}")
        expect(leftovers(root) == [], f"{name} #{index}: left {leftovers(root)}")
        expect(journal == ("finished an interrupted" in output), f"{name} #{index}: {output}")
        state = verify(root, before, after)
        outcomes[f"{state}{' (finished by check)' if journal else ''}" if killed else "ended"] += 1
        shutil.rmtree(root)
    return outcomes


def verify_import(root: Path, before: dict[str, str], after: dict[str, str]) -> str:
    current = snapshot(root)
    expect(current in (before, after), f"{root.name}: a partial import")
    return "nothing imported" if current == before else "all imported"


def verify_erasure(root: Path, before: dict[str, str], after: dict[str, str]) -> str:
    current = snapshot(root)
    expect(current in (before, after), f"{root.name}: a partial erasure")
    if current == before:
        return "not erased"
    found = personal_data_in(root, ALICE)
    expect(found == [], f"{root.name}: personal data left in {found}")
    return "erased"


def verify_ledger(root: Path, before: dict[str, str], after: dict[str, str]) -> str:
    text = snapshot(root).get(LEDGER_FILE, "")
    expect(text in ("", after[LEDGER_FILE]), f"{root.name}: published.lock is {text[:80]!r}")
    return "ledger written" if text else "ledger not written yet"


def races(template: Path, work: Path, trials: int) -> Counter[str]:
    """Start two awards on one recipient together, ``trials`` times; both must be kept."""
    root = shutil.copytree(template, work / "races")
    outcomes: Counter[str] = Counter()
    for trial in range(trials):
        day = f"2025-{1 + trial // 28:02d}-{1 + trial % 28:02d}"
        processes = [
            subprocess.Popen(
                command_line(root, "award", "civic", person, "--date", day),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for person in ("alice-martin", "alice-martin")
        ]
        outputs = [process.communicate()[0] for process in processes]
        text = (root / "recipients/alice-martin.yaml").read_text(encoding="utf-8")
        added = [re.findall(r"added award ([a-z2-7]{20})", output) for output in outputs]
        skipped = [output.startswith("skipped") for output in outputs]
        expect(sorted(map(len, added)) == [0, 1] and any(skipped), f"race {trial}: {outputs}")
        expect(all(f"id: {i}" in text for ids in added for i in ids), f"race {trial}: lost")
        outcomes["one added, the other told it was already there"] += 1
    status, output = check(root)
    expect(status == 0, f"races: check failed:\n{output}")
    return outcomes


def main_stress() -> int:
    """Run every fault scenario and print what the kills interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="kills per scenario")
    parser.add_argument("--rows", type=int, default=500, help="rows of the imported list")
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    random.seed(options.seed)
    os.environ["SOURCE_DATE_EPOCH"] = BUILD_EPOCH
    with tempfile.TemporaryDirectory(prefix="badgepages-stress-") as folder:
        work = Path(folder)
        template = make_project(work / "template")
        (work / "list.csv").write_text(award_list(options.rows, "2025-03-01"), encoding="utf-8")
        scenarios: dict[str, Scenario] = {
            "award --csv": (
                ("award", "civic", "--csv", str(work / "list.csv")),
                JOURNAL_MARKERS,
                verify_import,
            ),
            "erase": (("erase", "alice-martin"), JOURNAL_MARKERS, verify_erasure),
            "build --update-ledger": (
                ("build", "--update-ledger", "--out", "{root}/site"),
                (f".{LEDGER_FILE}.*.tmp",),
                verify_ledger,
            ),
        }
        try:
            for name, scenario in scenarios.items():
                outcomes = kill_runs(name, template, work, scenario, options.kills)
                print(f"{name}: {options.kills} kills: {dict(outcomes)}", flush=True)
            print(f"concurrent award: {dict(races(template, work, options.kills // 5))}")
        except BrokenPromiseError as error:
            print(f"BROKEN: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main_stress())
