"""The build benchmark runs end to end: every case, at two sizes (figures are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_build.py"
CASES = (
    "clean signed build",
    "footprint",
    "file system alone",
    "nothing changed, first",
    "nothing changed ",
    "one award added",
    "one award revoked",
    "oldest named award revoked",
    "criteria edited",
    "check, warm cache",
    "new folder, cache restored",
    "check, cold cache",
)


def test_the_benchmark_measures_every_case_at_each_size() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--awards", "20,30", "--jobs", "2", "--no-signing"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    reports: dict[str, str] = {}
    size = ""
    for line in run.stdout.splitlines():
        if " awards, 2 workers: " in line:
            size = line.split(" awards")[0]
        else:
            reports[size] = reports.get(size, "") + line + "\n"
    assert list(reports) == ["", "20", "30"]  # the machine first
    for report in (reports["20"], reports["30"]):
        for case in CASES:
            assert case in report, case
