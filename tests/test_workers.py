"""Work on forked processes gives what the same work gives in one process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from badgepages.workers import Started
from tests.site import REPO


def squares(start: int, end: int) -> list[int]:
    return [number * number for number in range(start, end)]


@pytest.mark.parametrize("processes", [0, 1, 2, 5])
def test_results_come_back_in_order_however_many_processes(processes: int) -> None:
    assert Started(squares, 1000, processes).results() == squares(0, 1000)


def test_a_failed_process_has_its_share_done_by_the_caller() -> None:
    parent = os.getpid()

    def fails_in_a_child(start: int, end: int) -> list[int]:
        if os.getpid() != parent and start == 0:
            raise RuntimeError("a worker fails")
        return squares(start, end)

    assert Started(fails_in_a_child, 100, 2).results() == squares(0, 100)


# In a fresh interpreter: work is forked only where no other thread runs, and a test run
# may have started some.
CANCELLED = """
import os, sys, time
from pathlib import Path
from badgepages.workers import Started
from tests.site import REPO

folder = Path(sys.argv[1])

def forever(start, end):
    (folder / str(os.getpid())).touch()
    while True:
        pass

started = Started(forever, 10, 2)
while len(list(folder.iterdir())) < 2:  # both processes are running
    time.sleep(0.01)
started.cancel()
for file in folder.iterdir():
    try:
        os.kill(int(file.name), 0)
    except ProcessLookupError:  # killed and reaped
        continue
    sys.exit(f"process {file.name} still runs")
"""


def test_cancelled_work_leaves_no_process_behind(tmp_path: Path) -> None:
    run = [sys.executable, "-c", CANCELLED, str(tmp_path)]
    result = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.iterdir())) == 2
