"""Running a pure function over many items on every core, with results in input order.

Workers are forked from the process that prepared the work, so they share its catalog and
build context without copying or pickling them; only item indexes go in and small results
come out. Where ``fork`` is unavailable (or one job is asked for) the work runs here, in
order: the results are the same either way, which the tests check. A process with other
threads running (a server) never forks, as forking one is unsafe.

Large sites also mean hundreds of thousands of long-lived objects: :func:`collection_paused`
keeps Python's cyclic garbage collector from walking them over and over while they are built,
and a one-shot command exits without freeing them one by one (:func:`end_process`).
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# The function and items the forked workers read (set just before the pool forks).
_task: tuple[Callable[[Any], Any], Sequence[Any]] | None = None

# What a one-shot command holds until it exits (None: a process that frees as usual).
_kept_until_exit: list[object] | None = None


def default_jobs() -> int:
    """Return how many workers to use: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_in_order(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    jobs: int,
    *,
    chunk: int = 64,
) -> Generator[Result, None, None]:
    """Yield ``function(item)`` for every item, in order, using up to ``jobs`` processes."""
    global _task
    if jobs <= 1 or len(items) <= chunk or not _can_fork():
        yield from map(function, items)
        return
    _task = (function, items)
    gc.freeze()  # the workers share the parent's objects: leave their pages untouched
    try:
        context = multiprocessing.get_context("fork")
        spans = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]
        with context.Pool(processes=min(jobs, len(spans))) as pool:
            for results in pool.imap(_run_span, spans):
                yield from results
    finally:
        _task = None


def _run_span(span: tuple[int, int]) -> list[Any]:
    assert _task is not None, "workers run only inside map_in_order"
    function, items = _task
    return [function(items[index]) for index in range(*span)]


class Started:
    """``function(0, count)`` started now on forked processes; its results taken later.

    For work the main process does not wait on, such as checking the published files while
    the sources load. Each process does a span and sends back its list of results (plain
    values) through a pipe; nothing is pickled going in, and no thread is left running,
    so the main process may still fork its workers. Without fork, or with no process to
    spare, the work is done when its results are asked for; so is a failed process's span.
    """

    def __init__(
        self, function: Callable[[int, int], list[Any]], count: int, processes: int
    ) -> None:
        self._function = function
        self._count = count
        self._children: list[tuple[int, int, int, int]] = []  # pid, pipe, start, end
        if processes < 1 or count == 0 or not _can_fork():
            return
        step = -(-count // processes)
        for start in range(0, count, step):
            end = min(start + step, count)
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                _run_child(function, start, end, read, write)
            os.close(write)
            self._children.append((pid, read, start, end))

    def results(self) -> list[Any]:
        """Return the results of every span, in order (waiting for the processes)."""
        if not self._children:
            return self._function(0, self._count)
        results: list[Any] = []
        for pid, read, start, end in self._children:
            with os.fdopen(read, "rb") as stream:
                data = stream.read()
            _, status = os.waitpid(pid, 0)
            try:
                part = marshal.loads(data) if status == 0 else None
            except (ValueError, EOFError, TypeError):
                part = None
            results.extend(self._function(start, end) if part is None else part)
        self._children.clear()
        return results

    def cancel(self) -> None:
        """Stop the processes still running (the build failed before it needed them)."""
        for pid, read, _, _ in self._children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            os.close(read)
        self._children.clear()


def _run_child(
    function: Callable[[int, int], list[Any]], start: int, end: int, read: int, write: int
) -> NoReturn:
    status = 1
    try:
        os.close(read)
        data = marshal.dumps(function(start, end))
        with os.fdopen(write, "wb") as stream:
            stream.write(data)
        status = 0
    finally:
        os._exit(status)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large structures without cycles.

    Each full collection walks every tracked object; building a catalog of 100,000 awards
    triggers dozens of them, which pausing saves (about half the time to load and plan).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was built lives on: set it aside, or the next collection walks all of it.
        gc.freeze()
        if enabled:
            gc.enable()


def hold_until_exit() -> None:
    """Make this process hold what :func:`keep_until_exit` is given: it is about to exit.

    Only for a process that builds once and ends with :func:`end_process`; a server that
    rebuilds would hold every build it made.
    """
    global _kept_until_exit
    _kept_until_exit = []


def keep_until_exit(*objects: object) -> None:
    """Hold large objects (a catalog, a plan) to the end of a process that exits at once.

    Freeing a catalog of 100,000 awards object by object takes 0.2-0.3 s, which ends the
    command no sooner: the operating system takes the memory back whole.
    """
    if _kept_until_exit is not None:
        _kept_until_exit.extend(objects)


def end_process(status: int) -> NoReturn:
    """Exit with ``status``: at once if the process holds its objects, else as usual."""
    if _kept_until_exit is None:
        raise SystemExit(status)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(status)
