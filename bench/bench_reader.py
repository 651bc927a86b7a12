"""Reading recipient files: microseconds per file, read alone and read then validated.

Figures are printed, never asserted. Each measure keeps its best of ``--repeat`` runs
(other processes on the machine only ever slow a run down). The files are the example
recipients and the synthetic recipient bench_build.py writes, the common case of a large
site (a 100,000-award site has about 50,000 recipient files: ``check`` reads them all).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from badgepages.models import RecipientSource, validate_document  # noqa: E402
from badgepages.sources import parse_yaml  # noqa: E402

SYNTHETIC = (
    b"name: Student 7\nemail: student7@example.org\npublic: true\nawards:\n"
    b"  - id: bench000000000000007\n    badge: citadin-citoyen\n    issued_on: 2025-08-17\n"
    b"    narrative: Took part in the school's projects for a whole year.\n"
)


def best_microseconds(files: list[bytes], work: Callable[[bytes], object], repeat: int) -> float:
    """Return the best time per file over ``repeat`` runs, in microseconds."""
    rounds = max(1, 2000 // len(files))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(rounds):
            for raw in files:
                work(raw)
        best = min(best, (time.perf_counter() - start) / (rounds * len(files)))
    return best * 1e6


def read(raw: bytes) -> object:
    """Read one file."""
    return parse_yaml(raw, "recipients/x.yaml")


def read_and_validate(raw: bytes) -> object:
    """Read one file and validate it as a recipient."""
    document, _ = parse_yaml(raw, "recipients/x.yaml")
    return document and validate_document(document, RecipientSource)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    examples = [file.read_bytes() for file in sorted((REPO / "recipients").glob("*.yaml"))]
    for label, files in (("example recipients", examples), ("synthetic recipient", [SYNTHETIC])):
        size = sum(map(len, files)) / len(files)
        alone = best_microseconds(files, read, args.repeat)
        validated = best_microseconds(files, read_and_validate, args.repeat)
        print(f"{label} ({size:.0f} bytes): read {alone:.0f} us, validated {validated:.0f} us")


if __name__ == "__main__":
    main()
