"""Fault injection for source edits: die at any file-system step, kill, race; what must hold after.

Shared by the fault tests of the suite and the long runs of ``make stress``.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from badgepages.transaction import JOURNAL_FILE, STATE_DIR

# The calls through which an edit reaches the disk; dying between any two of them is a kill.
STEPS = ("write", "fsync", "replace", "unlink")
TRANSACTION_MODULE = "badgepages.transaction"
SOURCES = ("badges", "recipients", "keys.yaml", "published.lock")
_RANDOM_PARTS = (
    (re.compile(r"\b[a-z2-7]{20}\b"), "<award id>"),
    (re.compile(r"erased-[0-9a-f]{12}"), "erased-<random>"),
    (re.compile(r"z6Mk[1-9A-HJ-NP-Za-km-z]+"), "<public key>"),
)


class Crash(BaseException):
    """Stands for the process dying: no handler of the program catches it."""


@dataclass
class StepLog:
    """Every file-system step an edit took, as (call, file name)."""

    steps: list[tuple[str, str]] = field(default_factory=list)

    def commit_point(self) -> int:
        """Return the index of the step that renamed the journal into place."""
        return next(
            index
            for index, (call, name) in enumerate(self.steps)
            if call == "replace" and name == Path(JOURNAL_FILE).name
        )


@contextmanager
def dying_at(monkeypatch: pytest.MonkeyPatch, step: int | None) -> Iterator[StepLog]:
    """Log the file-system steps edits take inside the block; raise Crash instead of ``step``.

    Only the steps of :mod:`badgepages.transaction` count: other writers (the build cache)
    are left alone, so that runs of one command take the same steps.
    """
    log = StepLog()

    def wrap(call: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def stepping(*args: Any, **kwargs: Any) -> Any:
            if not _called_from(TRANSACTION_MODULE):  # e.g. the build cache: not an edit's step
                return original(*args, **kwargs)
            if step is not None and len(log.steps) == step:
                raise Crash(f"killed before step {step}: {call}")
            # write and fsync take a descriptor; replace is named by its target.
            named = {"replace": 1, "unlink": 0}.get(call)
            log.steps.append((call, "" if named is None else Path(args[named]).name))
            return original(*args, **kwargs)

        return stepping

    with monkeypatch.context() as patch:
        for call in STEPS:
            patch.setattr(os, call, wrap(call, getattr(os, call)))
        yield log


def failing_at(monkeypatch: pytest.MonkeyPatch, call: str, nth: int) -> None:
    """Make an edit's ``os.<call>`` fail from the ``nth`` (counting from 0), as a full disk does."""
    original = getattr(os, call)
    counted = iter(range(nth + 1))

    def full(*args: Any) -> Any:
        if _called_from(TRANSACTION_MODULE) and next(counted, nth) == nth:
            names = [arg for arg in args if isinstance(arg, str | os.PathLike)]
            raise OSError(errno.ENOSPC, "No space left on device", *names[:1], None, *names[1:2])
        return original(*args)

    monkeypatch.setattr(os, call, full)


def _called_from(module: str) -> bool:
    """Tell whether the caller of the patched call runs, at any depth, inside ``module``."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == module:
            return True
        frame = frame.f_back
    return False


def snapshot(root: Path) -> dict[str, str]:
    """Return every source file's text, with random ids and names made comparable.

    Hidden files (temporary files among them) are not sources: :func:`leftovers` lists them.
    """
    files: list[Path] = []
    for name in SOURCES:
        path = root / name
        found = path.rglob("*") if path.is_dir() else [path] if path.is_file() else []
        files.extend(sorted(p for p in found if p.is_file() and not p.name.startswith(".")))
    result = {}
    for file in files:
        name, text = file.relative_to(root).as_posix(), file.read_text(encoding="utf-8")
        for pattern, replacement in _RANDOM_PARTS:
            name, text = pattern.sub(replacement, name), pattern.sub(replacement, text)
        result[name] = text
    return result


def leftovers(root: Path) -> list[str]:
    """Return what an edit leaves behind besides sources: journals and temporary files."""
    state = {".gitignore", "lock"}
    return sorted(
        file.relative_to(root).as_posix()
        for file in root.rglob("*")
        if file.is_file()
        and (
            file.suffix == ".tmp"
            or (file.parent.name == STATE_DIR and file.name not in state)
            or file.as_posix().endswith(JOURNAL_FILE)
        )
    )


def personal_data_in(folder: Path, texts: tuple[str, ...]) -> list[str]:
    """Return the files under a folder (hidden ones too) holding any of the texts."""
    return sorted(
        file.as_posix()
        for file in folder.rglob("*")
        if file.is_file() and any(text.encode() in file.read_bytes() for text in texts)
    )


def command_line(root: Path, *args: str) -> list[str]:
    """Return the command line that runs badgepages on a project in a process of its own."""
    return [sys.executable, "-m", "badgepages", "-C", str(root), *args]


def award_list(rows: int, day: str) -> str:
    """Return an award list (CSV) of ``rows`` new people, all awarded on one day."""
    lines = [f"student{index}@example.org;Student Number{index:04d};{day}" for index in range(rows)]
    return "email;name;date\n" + "\n".join(lines) + "\n"


def kill_after(args: list[str], delay: float) -> bool:
    """Run a command and SIGKILL it after ``delay`` seconds; tell whether it was killed."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _killed_after(process, delay)


def kill_when(args: list[str], root: Path, marker: str, delay: float) -> bool:
    """Run a command; SIGKILL it ``delay`` seconds after a file matching ``marker`` appears.

    Waiting for the file, rather than for a fixed time, aims the kill at the moment the
    command writes, however loaded the machine is. Tell whether it was killed.
    """
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not any(root.glob(marker)):
        time.sleep(0.001)
    return _killed_after(process, delay)


def _killed_after(process: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL the process unless it ends within ``delay`` seconds; tell whether it was."""
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True
    return False
