"""Work on forked processes gives what the same work gives in one process."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from badgepages.workers import Started


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


def test_cancelled_work_leaves_no_process_behind(tmp_path: Path) -> None:
    def forever(start: int, end: int) -> list[int]:
        (tmp_path / str(os.getpid())).touch()
        while True:
            pass

    started = Started(forever, 10, 2)
    while len(list(tmp_path.iterdir())) < 2:  # both processes are running
        time.sleep(0.01)
    started.cancel()
    for pid in (int(file.name) for file in tmp_path.iterdir()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # killed and reaped: no such process any more
