"""Running a pure function over many items on every core, with results in input order.

Workers are forked from the process that prepared the work, so they share its catalog and
build context without copying or pickling them; only item indexes go in and small results
come out. Where ``fork`` is unavailable (or one job is asked for) the work runs here, in
order: the results are the same either way, which the tests check. A process with other
threads running (a server) never forks, as forking one is unsafe.

Large sites also mean hundreds of thousands of long-lived objects: :func:`collection_paused`
keeps Python's cyclic garbage collector from walking them over and over while they are built.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# The function and items the forked workers read (set just before the pool forks).
_task: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


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
) -> Iterator[Result]:
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
