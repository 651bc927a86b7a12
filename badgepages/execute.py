"""Executing a plan: produce what changed on every core, stream it to the standby copy, swap.

An artifact whose key the standby copy already holds (and whose file is intact) is kept
as it is; one the cache holds is copied from it after its content hash is checked; the rest
are produced by the workers, written straight to disk and added to the cache, unless
making them is cheaper than reading them back (BuildContext.keeps). The site is
never held in memory, and the output does not depend on the number of workers. Any failure
becomes a diagnostic at the artifact's source (or the theme file and line of a template),
and nothing is swapped in: the published site stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import itertools
import operator
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from badgepages.cache import ObjectStore, Stored
from badgepages.diagnostics import Diagnostic, SourceError, SourceLocation, plural, shown_path
from badgepages.output import Change, Entry, Manifest, SiteOutput, Target, write_file
from badgepages.plan import Artifact, Plan
from badgepages.produce import PRODUCERS, BuildContext
from badgepages.signing import UnsafeCredentialError
from badgepages.workers import map_in_order

# A broken template fails every page made from it: stop there rather than fail (and
# report) hundreds of thousands of pages.
FAILURES_BEFORE_STOPPING = 50


@dataclass(frozen=True)
class Execution:
    """What executing a plan did."""

    files: int  # in the site now
    produced: int  # made by a producer
    copied: int  # taken from the cache
    kept: int  # already in place
    removed: int  # no longer in the plan


class _Result(NamedTuple):
    """What realising one artifact did.

    A worker sends it back as a plain tuple of plain values: pickling an instance of a
    class costs 10-20 µs, a tuple 1 µs, and a site of 100,000 awards sends 460,000.
    """

    route: str
    entry: tuple[str, int, int] | None  # the manifest's Entry: key, size, mtime_ns
    produced: bool  # made by its producer (else taken from the cache)
    temporary: str | None  # to be renamed to the route when the build commits
    stored: tuple[str, int, int, str] | None  # where the cache keeps what was produced (Stored)
    problem: Diagnostic | None = None
    fatal: OSError | None = None  # the disk failed: stop at once


_Fields = tuple[
    str,
    tuple[str, int, int] | None,
    bool,
    str | None,
    tuple[str, int, int, str] | None,
    Diagnostic | None,
    OSError | None,
]


def execute(
    plan: Plan,
    ctx: BuildContext,
    output: SiteOutput,
    before: Manifest,
    before_swap: Callable[[], None] | None = None,
) -> Execution:
    """Write the plan's site to ``output``; raise SourceError, having changed nothing, on error.

    ``before`` is what ``output.prepare()`` found published. ``before_swap`` runs once every
    new file is written and before any is published: the ledger is written there, so that
    no award is ever public without being recorded.
    """
    jobs = output.jobs
    routes, keys = plan.routes, plan.keys
    store = ObjectStore(ctx.catalog.config.root)
    positions, obsolete, superseded = before.compare(routes, keys)
    changed = output.changed()
    if changed:
        positions = [-1 if at in changed else at for at in positions]
    todo = plan.where(list(map(operator.lt, positions, itertools.repeat(0))))
    kept = len(plan) - len(todo)
    if todo:
        ctx.warm_up()
        store.open(len(todo))
    realize = functools.partial(_realize, ctx, store, output.target)
    results: list[_Result] = []
    problems: list[Diagnostic] = []
    stopped = False
    with contextlib.closing(map_in_order(realize, todo, jobs)) as realized:
        for result in map(_Result._make, realized):
            if result.fatal is not None:
                output.discard()
                raise result.fatal
            if result.problem is not None:
                problems.append(result.problem)
                stopped = len(problems) == FAILURES_BEFORE_STOPPING
                if stopped:
                    break  # the workers stop as the pool closes
            results.append(result)
    if problems:
        output.discard()
        raise SourceError(_grouped(problems, stopped=stopped))
    if before_swap is not None:
        before_swap()
    if not results and not obsolete and routes == before.routes:
        output.discard()  # the published folder already is this site, in this order
        return Execution(len(plan), 0, 0, kept, 0)
    written = {r.route: Entry(*r.entry) for r in results if r.entry is not None}
    renames = [(r.temporary, r.route) for r in results if r.temporary is not None]
    output.commit(Change(routes, keys, positions, written), renames, obsolete)
    stored = {r.entry[0]: Stored(*r.stored) for r in results if r.entry and r.stored}
    # Used by this build: what it took from the cache, and what its site held until now.
    used = [r.entry[0] for r in results if r.entry and not r.produced] + superseded
    store.save(stored, used, site=keys)
    produced = sum(r.produced for r in results)
    return Execution(len(routes), produced, len(results) - produced, kept, len(obsolete))


def _realize(ctx: BuildContext, store: ObjectStore, target: Target, artifact: Artifact) -> _Fields:
    """Write one artifact: from the cache when it holds it intact, else produced (and kept).

    Return the fields of a :class:`_Result`, as a plain tuple.
    """
    try:
        kept = ctx.keeps(artifact.producer)
        data = store.load(artifact.key) if kept else None
        produced = data is None
        if data is None:
            data = PRODUCERS[artifact.producer](ctx, *artifact.args)
        written = write_file(target, artifact.route, data)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
            return (artifact.route, None, True, None, None, None, error)
        return (artifact.route, None, True, None, None, diagnose(artifact, error, ctx), None)
    except Exception as error:
        return (artifact.route, None, True, None, None, diagnose(artifact, error, ctx), None)
    status = written.status
    entry = (artifact.key, status.st_size, status.st_mtime_ns)
    stored = store.add(data, hashlib.sha256(data).hexdigest()) if produced and kept else None
    place = (stored.pack, stored.offset, stored.size, stored.sha256) if stored else None
    return (artifact.route, entry, produced, written.temporary, place, None, None)


def _grouped(problems: list[Diagnostic], *, stopped: bool) -> list[Diagnostic]:
    """Return one diagnostic per place and message: a template line fails every page."""
    counts = Counter((problem.location, problem.message) for problem in problems)
    first: dict[tuple[SourceLocation, str], Diagnostic] = {}
    for problem in problems:
        first.setdefault((problem.location, problem.message), problem)
    reported = []
    for key, problem in first.items():
        notes = [problem.hint] if problem.hint else []
        if counts[key] > 1:
            notes.append(f"and {plural(counts[key] - 1, 'other file')}")
        if stopped:
            notes.append(f"the build stopped at {FAILURES_BEFORE_STOPPING} failures")
        reported.append(replace(problem, hint="; ".join(notes) or None))
    return reported


def diagnose(artifact: Artifact, error: BaseException, ctx: BuildContext) -> Diagnostic:
    """Return a producer's failure as a diagnostic: at the template line, else at the source."""
    what = f"cannot produce {artifact.route}"
    frame = _template_frame(error, ctx)
    if frame is not None:
        return Diagnostic(
            frame, f"template error: {_describe(error)}", f"{what} (from {artifact.origin})"
        )
    if isinstance(error, UnsafeCredentialError):
        return Diagnostic(artifact.origin, f"{what}: {error}")
    return Diagnostic(artifact.origin, f"{what}: {_describe(error)}")


def _describe(error: BaseException) -> str:
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return f"{type(error).__name__}: {text}" if not isinstance(error, KeyError) else text


def _template_frame(error: BaseException, ctx: BuildContext) -> SourceLocation | None:
    """Return the innermost template line of a failure raised while rendering, if any."""
    templates = (ctx.catalog.config.theme_dir / "templates").resolve()
    root = ctx.catalog.config.root.resolve()
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = Path(frame.f_code.co_filename).resolve()
        if name.suffix == ".html" and templates in name.parents:
            found = SourceLocation(shown_path(name, root), line or 1)
    return found
