"""The output folder: written whole once, then changed file by file under a journal.

A site of 100,000 awards is 400,000 files, and on many file systems creating a file or a
folder costs far more than computing its bytes. So the site is written whole only when
there is none to start from (into a staging folder, swapped in with one rename); after that,
a build writes only the files whose inputs changed, each first to a temporary file, and
then commits: it records the renames to make in a journal (the commit point), makes them,
and records the new manifest (route → input key, size, modification time): a small change
to a large site as a record appended to the manifest's log, folded in every so often.
A build interrupted before its commit changes nothing; one interrupted after it is finished
by the next command. Every route always holds a whole file; a file is never written in
place. Beside ``DIR`` lives ``.DIR.badgepages/``: the manifest, the journal, the temporary
files, and the lock that lets one build at a time write the folder.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import errno
import functools
import io
import itertools
import json
import marshal
import mmap
import operator
import os
import shutil
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from badgepages.workers import Started

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

FILE_MODE = 0o644
FOLDER_MODE = 0o755
_MANIFEST_VERSION = 5
_LOG = "manifest.log"  # the changes since the manifest was last written whole
# Leftovers of earlier versions' staging folders, removed on sight.
_LEGACY_PREFIXES = (".staging-", ".old-")


class OutputCollisionError(Exception):
    """Raised when two artefacts claim the same output path."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"two outputs would be written to '{path}'")


class OutputBusyError(Exception):
    """Raised when another build is writing the same output folder."""


def encode_json(document: Any) -> bytes:
    """Return the site's one JSON encoding: compact UTF-8, key order kept.

    Compact: a fifth smaller than indented (a site pays it on every award, and GitHub Pages
    counts bytes); browsers and editors lay it out for reading. orjson writes the bytes
    Python's encoder writes (ensure_ascii off, no spaces) ten times faster: 4 µs against
    40 µs a credential. What orjson refuses (integers past 64 bits, keys that are not
    texts) goes to Python's encoder, which takes or refuses it as it always did.
    """
    try:
        return orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        text = json.dumps(document, ensure_ascii=False, separators=_COMPACT) + "\n"
        return text.encode("utf-8")


_COMPACT = (",", ":")


def check_route(route: str) -> None:
    """Refuse an output path that would land outside the site folder."""
    if (
        not route
        or route.startswith("/")
        or "\\" in route
        or "\0" in route
        or ".." in route.split("/")
    ):
        raise ValueError(f"output path '{route}' is outside the site")


@dataclass(frozen=True, slots=True)
class Entry:
    """What a manifest knows of one file: the inputs' key, and the size and time written."""

    key: str
    size: int
    mtime_ns: int


class Comparison(NamedTuple):
    """What a new plan keeps of a published site (:meth:`Manifest.compare`)."""

    positions: list[int]  # per planned route: where it is published with that key, else -1
    obsolete: list[str]  # published routes the plan no longer has
    superseded: list[str]  # keys the site held that it no longer will (replaced or removed)


class Manifest:
    """What the published folder holds: per route, the input key, the file's size and time.

    Kept as columns (a list per text, an array per number): a site of 400,000 files loads
    it in a fraction of a second, where a record per file took seconds, and a build that
    plans the same site again compares two lists instead of 400,000 records.
    """

    __slots__ = ("generation", "keys", "logged", "mtimes", "routes", "sizes")

    def __init__(
        self,
        routes: Iterable[str] = (),
        keys: Iterable[str] = (),
        sizes: Iterable[int] = (),
        mtimes: Iterable[int] = (),
    ) -> None:
        self.routes = list(routes)
        self.keys = list(keys)
        self.sizes = array("q", sizes)
        self.mtimes = array("q", mtimes)
        self.generation = 0  # of the manifest written whole; each logged change adds one
        self.logged = 0  # changes read from the log since it was written whole

    def __len__(self) -> int:
        return len(self.routes)

    def compare(self, routes: Sequence[str], keys: Sequence[str]) -> Comparison:
        """Return what a new plan keeps of this site, and what it no longer has.

        A new plan mostly lists the routes of the last one, in the same order: the two lists
        are aligned on their common start and end, and only the span between is matched by
        name. Every step runs in C (map, list equality): a site has 400,000 routes, and
        hashing them all into a dictionary took a third of a second.
        """
        mine, held = self.routes, self.keys
        if routes == mine and keys == held:
            return Comparison(list(range(len(mine))), [], [])
        start = _differs_from(routes, mine, min(len(routes), len(mine)))
        tail = min(len(routes), len(mine)) - start
        end = _differs_from(reversed(routes), reversed(mine), tail)
        stop, my_stop = len(routes) - end, len(mine) - end  # the aligned end starts there
        middle = dict(zip(mine[start:my_stop], range(start, my_stop), strict=True))
        found = list(range(start))
        found += map(middle.get, routes[start:stop], itertools.repeat(-1))
        found += range(my_stop, len(mine))
        # A route published with another key is written again.
        moved = [at for at in range(start, stop) if found[at] >= 0]
        replaced = [
            *_unequal(keys, held, 0, 0, start),
            *(at for at in moved if keys[at] != held[found[at]]),
            *_unequal(keys, held, stop, my_stop, end),
        ]
        positions = found.copy()
        for at in replaced:
            positions[at] = -1
        planned = set(routes[start:stop])
        obsolete = [route for route in middle if route not in planned]
        superseded = [
            held[at]
            for at in [*map(found.__getitem__, replaced), *map(middle.__getitem__, obsolete)]
        ]
        return Comparison(positions, obsolete, superseded)

    def updated(
        self,
        routes: list[str],
        keys: list[str],
        positions: Sequence[int],
        written: dict[str, Entry],
    ) -> Manifest:
        """Return the manifest of a new site: each route kept from ``positions`` or written."""
        none = array("q", [0])  # at position -1: a file written now
        sizes = array("q", map((self.sizes + none).__getitem__, positions))
        mtimes = array("q", map((self.mtimes + none).__getitem__, positions))
        for at in itertools.compress(
            range(len(routes)), map(operator.lt, positions, itertools.repeat(0))
        ):
            entry = written[routes[at]]
            sizes[at], mtimes[at] = entry.size, entry.mtime_ns
        manifest = Manifest(routes, keys)
        manifest.sizes, manifest.mtimes = sizes, mtimes
        return manifest

    def dump(self, inode: int) -> Any:
        """Return the manifest as marshal writes it, tied to the folder's inode."""
        numbers = (self.sizes.tobytes(), self.mtimes.tobytes())
        return (_MANIFEST_VERSION, inode, self.generation, self.routes, self.keys, *numbers)

    @classmethod
    def load(cls, raw: Any, inode: int, log: Iterable[Any] = ()) -> Manifest | None:
        """Return the manifest marshal read, with the changes logged since, if it is this
        version's and this folder's (and the log is whole)."""
        if not isinstance(raw, tuple) or len(raw) != 7 or raw[:2] != (_MANIFEST_VERSION, inode):
            return None
        manifest = cls(raw[3], raw[4])
        manifest.sizes.frombytes(raw[5])
        manifest.mtimes.frombytes(raw[6])
        manifest.generation = raw[2]
        lengths = {len(manifest.keys), len(manifest.sizes), len(manifest.mtimes)}
        if not isinstance(manifest.generation, int) or lengths != {len(manifest.routes)}:
            return None
        changes: list[list[Any]] = []
        for generation, pieces in _records(log, inode):
            if generation <= manifest.generation:
                continue  # logged before the manifest was written whole
            if generation != manifest.generation + len(changes) + 1:
                return None  # a change missing or twice: the log is damaged
            changes.append(pieces)
        if changes:
            try:
                changed = _replay(manifest, changes)
            except (TypeError, ValueError):
                return None
            if changed is None:
                return None
            manifest = changed
        return manifest if _all_text(manifest.routes) else None


class Change(NamedTuple):
    """A new site as its manifest follows from the published one (see Manifest.compare)."""

    routes: list[str]
    keys: list[str]
    positions: Sequence[int]  # per route: its row in the published manifest, or -1: written
    written: dict[str, Entry]  # the rows written by this build, by route


# A run of a manifest's rows: (start, length) in the manifest it follows from; or rows
# written by a build, as columns (routes, keys, sizes, modification times).
Piece = tuple[int, int] | tuple[list[str], list[str], list[int], list[int]]


def _pieces(change: Change) -> list[Piece]:
    """Return a new manifest as runs of the published one's rows and the rows written.

    In C where it counts: a run is where each row's shift (its old position less its new one)
    is its neighbour's, compared by map. Shifts are small numbers, which Python does not
    allocate: 400,000 positions plus one each were 400,000 new integers.
    """
    routes, positions, written = change.routes, change.positions, change.written
    count = len(positions)
    fresh = list(itertools.compress(range(count), map(operator.lt, positions, itertools.repeat(0))))
    shifts = list(map(operator.sub, positions, range(count)))
    jumps = itertools.compress(range(1, count), map(operator.ne, shifts[1:], shifts[:-1]))
    cuts = sorted({0, count, *jumps, *fresh, *(at + 1 for at in fresh)})
    pieces: list[Piece] = []
    block: tuple[list[str], list[str], list[int], list[int]] | None = None  # written rows
    for start, end in itertools.pairwise(cuts):
        if positions[start] >= 0:
            pieces.append((positions[start], end - start))
            block = None
            continue
        if block is None:
            block = ([], [], [], [])
            pieces.append(block)
        entry = written[routes[start]]  # one written row between two cuts
        block[0].append(routes[start])
        block[1].append(entry.key)
        block[2].append(entry.size)
        block[3].append(entry.mtime_ns)
    return pieces


def _records(log: Iterable[Any], inode: int) -> Iterator[tuple[int, list[Any]]]:
    """Yield the log's changes as (generation, pieces), for this folder's manifest only."""
    for record in log:
        if isinstance(record, tuple) and len(record) == 3 and record[1] == inode:
            yield record[0], record[2]


def _replay(manifest: Manifest, changes: list[list[Any]]) -> Manifest | None:
    """Return a manifest with logged changes made, each to the manifest before it.

    The changes are composed as runs of rows first, then the columns are copied once: a
    log of many small changes costs one copy of 400,000 rows, not one per change. None if a
    change does not fit what it follows (a damaged log: the folder is then written anew).
    """
    # A run: the columns it takes rows from, the first row, and how many.
    base = (manifest.routes, manifest.keys, manifest.sizes, manifest.mtimes)
    runs: list[tuple[Sequence[Any], int, int]] = [(base, 0, len(manifest))]
    for pieces in changes:
        ends = list(itertools.accumulate(length for _, _, length in runs))
        composed: list[tuple[Sequence[Any], int, int]] = []
        for piece in pieces:
            if not isinstance(piece, tuple) or len(piece) not in (2, 4):
                return None
            if len(piece) == 4:
                if len({len(column) for column in piece}) != 1:
                    return None
                composed.append((piece, 0, len(piece[0])))
                continue
            start, length = piece
            if start < 0 or length <= 0 or start + length > (ends[-1] if ends else 0):
                return None
            at = bisect.bisect_right(ends, start)
            while length:
                columns, first, size = runs[at]
                offset = start - (ends[at] - size)
                taken = min(length, size - offset)
                composed.append((columns, first + offset, taken))
                start, length, at = start + taken, length - taken, at + 1
        runs = composed
    replayed = Manifest()
    for columns, first, size in runs:
        routes, keys, sizes, mtimes = columns
        replayed.routes += routes[first : first + size]
        replayed.keys += keys[first : first + size]
        replayed.sizes.extend(sizes[first : first + size])
        replayed.mtimes.extend(mtimes[first : first + size])
    replayed.generation = manifest.generation
    replayed.logged = len(changes)
    return replayed


class Target(NamedTuple):
    """Where a build writes its files: a whole new tree, or temporary files to rename."""

    folder: str  # the staging tree, or the folder of temporary files
    fresh: bool  # True: files go to their routes in a new tree


class Written(NamedTuple):
    """A file a worker wrote: its stat, and its temporary name when it is to be renamed."""

    status: os.stat_result
    temporary: str | None


class SiteOutput:
    """The published folder and its state; use as a context manager (takes the lock)."""

    # A manifest of fewer routes is written whole every time (quick, and simple to read).
    LOG_FROM = 10_000
    LOG_CHANGES = 32  # logged changes at the most before the manifest is written whole
    LOG_PIECES = 1_000  # a change of more runs of rows is written whole
    LOG_ROWS = 10_000  # and one that writes more rows

    def __init__(self, out_dir: Path, jobs: int = 1) -> None:
        self.jobs = jobs  # file-system work on many files runs on this many processes
        self.out_dir = Path(os.path.abspath(out_dir))
        self.state = self.out_dir.parent / f".{self.out_dir.name}.badgepages"
        self._manifest_file = self.state / "manifest"
        self._new_manifest = self.state / "manifest.new"
        self._log = self.state / _LOG
        self._journal = self.state / "journal"
        self._incoming = self.state / "incoming"
        self._staging = self.state / "staging"
        self._retired = self.state / "retired"
        self._lock_file: int | None = None
        self._check: Started | None = None  # the published files, checked on other cores
        self._published = Manifest()  # what prepare found
        self.target = Target(str(self._staging), True)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> SiteOutput:
        self.state.mkdir(parents=True, exist_ok=True)
        self._lock()
        self._recover()
        self._remove_legacy_leftovers()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._check is not None:
            self._check.cancel()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def _lock(self) -> None:
        self._lock_file = os.open(self.state / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is None:
            return
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_file)
            self._lock_file = None
            raise OutputBusyError(
                f"another build is writing {self.out_dir}: wait for it to finish"
            ) from None

    def _remove_legacy_leftovers(self) -> None:
        prefix = f".{self.out_dir.name}"
        for path in self.out_dir.parent.glob(f"{prefix}.*"):
            if path.is_dir() and path.name[len(prefix) :].startswith(_LEGACY_PREFIXES):
                shutil.rmtree(path, ignore_errors=True)

    # -- before writing --------------------------------------------------------------------

    def prepare(self) -> Manifest:
        """Return what the published folder holds, and set where this build writes.

        Without a manifest that matches the folder (first build, a folder made by something
        else), the build writes a whole new tree and returns an empty manifest.
        """
        _known_folders.clear()
        _read_umask()
        for leftover in (self._incoming, self._staging, self._retired):
            shutil.rmtree(leftover, ignore_errors=True)
        manifest = self._read_manifest()
        if manifest is None:
            self.target = Target(str(self._staging), True)
            _make_folder(str(self._staging))
            manifest = Manifest()
        else:
            self.target = Target(str(self._incoming), False)
            _make_folder(str(self._incoming))
        self._published = manifest
        # Checking 400,000 files takes a second or two: on the other cores, while the build
        # loads its sources and plans.
        check = functools.partial(_changed_files, str(self.out_dir), manifest)
        self._check = Started(check, len(manifest), self.jobs - 1)
        return manifest

    def changed(self) -> set[int]:
        """Return the manifest positions of files no longer as it says.

        A file edited by hand (its size or modification time changed) is produced again.
        """
        return set(self._check.results()) if self._check is not None else set()

    # -- committing ------------------------------------------------------------------------

    def commit(self, change: Change, renames: list[tuple[str, str]], removed: list[str]) -> None:
        """Publish what the build wrote: the new tree, or the changed files and removals.

        A small change to a large site is appended to the manifest's log rather than the
        manifest written whole (77 MB at 100,000 awards); the log is folded into the
        manifest every so many changes, or when a change is large.
        """
        before = self._published
        pieces = None
        if not self.target.fresh and self._logs(change, before):
            pieces = _pieces(change)
            written = sum(len(piece[0]) for piece in pieces if len(piece) == 4)
            if len(pieces) > self.LOG_PIECES or written > self.LOG_ROWS:
                pieces = None
        if pieces is None:
            self._commit_whole(before.updated(*change), renames, removed)
            return
        # The commit point: the journal holds the change too, so an interrupted build is
        # finished, its change logged, by the next one.
        record = (before.generation + before.logged + 1, os.stat(self.out_dir).st_ino, pieces)
        self._write_marshal(self._journal, (renames, removed, record))
        self._apply(renames, removed)
        self._append(record)
        self._journal.unlink()
        _fsync_folder(self.state)
        shutil.rmtree(self._incoming, ignore_errors=True)

    def _logs(self, change: Change, before: Manifest) -> bool:
        return len(change.routes) >= self.LOG_FROM and before.logged < self.LOG_CHANGES

    def _commit_whole(
        self, manifest: Manifest, renames: list[tuple[str, str]], removed: list[str]
    ) -> None:
        manifest.generation = self._published.generation + self._published.logged + 1
        self._write_marshal(self._new_manifest, self._dump(manifest))
        if self.target.fresh:
            self._swap_in_staging()
        else:
            # The commit point: from here, an interrupted build is finished by the next one.
            self._write_marshal(self._journal, (renames, removed))
            self._apply(renames, removed)
        os.replace(self._new_manifest, self._manifest_file)
        self._log.unlink(missing_ok=True)  # older than the manifest, its changes are skipped
        self._journal.unlink(missing_ok=True)
        _fsync_folder(self.state)
        shutil.rmtree(self._incoming, ignore_errors=True)

    def _append(self, record: tuple[int, int, list[Piece]]) -> None:
        """Log a change, once: a record cut short by a crash is dropped first."""
        records, whole, _ = _read_log(self._log)
        logged = [generation for generation, _ in _records(records, record[1])]
        with open(self._log, "ab") as log:
            log.truncate(whole)
            if not logged or logged[-1] < record[0]:
                log.write(marshal.dumps(record))
            log.flush()
            os.fsync(log.fileno())

    def discard(self) -> None:
        """Drop what an unfinished build wrote (after a failure), freeing its space."""
        for leftover in (self._incoming, self._staging):
            shutil.rmtree(leftover, ignore_errors=True)
        _known_folders.clear()

    def _swap_in_staging(self) -> None:
        """Put the new tree in place: at once when there is no folder, else by exchange."""
        if not self.out_dir.exists():
            os.replace(self._staging, self.out_dir)
        elif _exchange(self.out_dir, self._staging):
            shutil.rmtree(self._staging, ignore_errors=True)
        else:
            # Without RENAME_EXCHANGE: two renames, journaled so an interruption is finished.
            self._write_marshal(self._journal, ("swap",))
            os.replace(self.out_dir, self._retired)
            os.replace(self._staging, self.out_dir)
            shutil.rmtree(self._retired, ignore_errors=True)
        _fsync_folder(self.out_dir.parent)

    def _apply(self, renames: Iterable[tuple[str, str]], removed: Iterable[str]) -> None:
        """Make the journal's renames and removals (again: each one is idempotent)."""
        site = str(self.out_dir)
        for temporary, route in renames:
            path = f"{site}/{route}"
            _make_folder(path.rpartition("/")[0])
            with contextlib.suppress(FileNotFoundError):  # made before an interruption
                os.replace(temporary, path)
        folders: set[str] = set()
        # Removals come from the manifest read from disk: a damaged one never names a file
        # outside the site that this would then delete (the plan's own routes are checked).
        for route in filter(_inside, removed):
            path = f"{site}/{route}"
            # Gone already (removed before an interruption), or no file (a damaged manifest).
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                os.unlink(path)
            folders.add(path.rpartition("/")[0])
        for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
            while folder != site and folder.startswith(site + "/"):
                try:
                    os.rmdir(folder)  # only when it is left empty
                except OSError:
                    break
                _known_folders.discard(folder)
                folder = folder.rpartition("/")[0]

    def _recover(self) -> None:
        """Finish a build interrupted after its commit point (the journal says what to do)."""
        if self._journal.exists():
            try:
                journal = marshal.loads(self._journal.read_bytes())
            except (OSError, ValueError, EOFError):
                journal = None
            if journal == ("swap",):
                if not self.out_dir.exists() and self._staging.exists():
                    os.replace(self._staging, self.out_dir)
            elif isinstance(journal, tuple) and len(journal) == 2:
                self._apply(*journal)
            elif isinstance(journal, tuple) and len(journal) == 3:
                self._apply(journal[0], journal[1])
                self._append(journal[2])
            if self._new_manifest.exists():
                os.replace(self._new_manifest, self._manifest_file)
            self._journal.unlink()
        self._new_manifest.unlink(missing_ok=True)

    # -- the manifest ----------------------------------------------------------------------

    def _read_manifest(self) -> Manifest | None:
        return read_manifest(self.out_dir)

    def _dump(self, manifest: Manifest) -> Any:
        # The folder's inode, as it will be once published, ties the manifest to it.
        folder = self._staging if self.target.fresh else self.out_dir
        return manifest.dump(os.stat(folder).st_ino)

    def _write_marshal(self, file: Path, value: Any) -> None:
        temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as stream:
            stream.write(marshal.dumps(value))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, file)
        _fsync_folder(self.state)


def read_manifest(out_dir: Path) -> Manifest | None:
    """Return what a published folder holds, if the manifest beside it describes it."""
    out_dir = Path(os.path.abspath(out_dir))
    state = out_dir.parent / f".{out_dir.name}.badgepages"
    try:
        raw = _load_mapped(state / "manifest")
        log, whole, size = _read_log(state / _LOG)
        if whole != size:
            # A record cut short with no journal left to finish it: a change was committed
            # and never logged. The folder is written anew.
            return None
        return Manifest.load(raw, os.stat(out_dir).st_ino, log)
    except (OSError, ValueError, EOFError, TypeError):  # damaged: build the folder anew
        return None


def _load_mapped(file: Path) -> Any:
    """Return what marshal wrote to a file, read through a memory map.

    The manifest of a large site is 77 MB: mapped, its pages come from the kernel's cache
    in large runs, where reading it whole first copied it into 19,000 new pages (0.07 s).
    The file is never written in place (a new one is renamed over it), so the map holds.
    """
    with open(file, "rb") as stream:
        if os.fstat(stream.fileno()).st_size == 0:
            raise EOFError("empty file")
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return marshal.loads(mapped)


def _read_log(file: Path) -> tuple[list[Any], int, int]:
    """Return the log's whole records, the bytes they fill, and the log's size (no log: none)."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return [], 0, 0
    stream = io.BytesIO(data)
    records: list[Any] = []
    whole = 0
    with contextlib.suppress(ValueError, EOFError, TypeError):
        while stream.tell() < len(data):
            records.append(marshal.load(stream))
            whole = stream.tell()
    return records, whole, len(data)


# Temporary names are unique per process and file.
_temporary_numbers = itertools.count()


def _all_text(routes: list[str]) -> bool:
    """Tell whether every route of a manifest read from disk is a text (one C loop)."""
    return not set(map(type, routes)) - {str}


def _inside(route: str) -> bool:
    try:
        check_route(route)
    except ValueError:
        return False
    return True


def _differs_from(first: Iterable[str], second: Iterable[str], limit: int) -> int:
    """Return where two lists first differ (at most ``limit``): one C loop, stopped there."""
    differs = itertools.compress(itertools.count(), map(operator.ne, first, second))
    return min(next(differs, limit), limit)


def _unequal(
    first: Sequence[str], second: Sequence[str], at: int, my_at: int, count: int
) -> list[int]:
    """Return where ``first[at:]`` differs from ``second[my_at:]`` in ``count`` items."""
    pairs = map(
        operator.ne,
        itertools.islice(first, at, at + count),
        itertools.islice(second, my_at, my_at + count),
    )
    return [at + offset for offset in itertools.compress(range(count), pairs)]


def _changed_files(site: str, manifest: Manifest, start: int, end: int) -> list[int]:
    """Return the positions from ``start`` to ``end`` whose file's size or time changed."""
    changed = []
    routes, sizes, mtimes = manifest.routes, manifest.sizes, manifest.mtimes
    for at in range(start, end):
        try:
            status = os.stat(f"{site}/{routes[at]}")
        except (OSError, ValueError):  # gone, or a damaged manifest's route (a NUL in it)
            changed.append(at)
            continue
        if status.st_size != sizes[at] or status.st_mtime_ns != mtimes[at]:
            changed.append(at)
    return changed


def write_file(target: Target, route: str, data: bytes) -> Written:
    """Write one file of the site with the published mode, never in place.

    Paths are plain strings here: this runs once per file of a site of 400,000.
    """
    if target.fresh:
        path = f"{target.folder}/{route}"
        _make_folder(path.rpartition("/")[0])
        return Written(_write_new(path, data), None)
    temporary = f"{target.folder}/{os.getpid()}-{next(_temporary_numbers)}"
    return Written(_write_new(temporary, data), temporary)


# Whether the umask takes permissions away from the published modes (then they are set
# again after each creation: one system call more per file).
_umask_strips_modes = True


def _read_umask() -> None:
    global _umask_strips_modes
    umask = os.umask(0o022)
    os.umask(umask)
    _umask_strips_modes = bool(umask & (FILE_MODE | FOLDER_MODE))


def _write_new(path: str, data: bytes) -> os.stat_result:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        if _umask_strips_modes:
            os.fchmod(descriptor, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        return os.fstat(descriptor)
    finally:
        os.close(descriptor)


# Folders known to exist in this process: most files share their folder with others.
_known_folders: set[str] = set()


def _make_folder(folder: str) -> None:
    if folder in _known_folders:
        return
    try:
        os.mkdir(folder, FOLDER_MODE)
        if _umask_strips_modes:
            os.chmod(folder, FOLDER_MODE)
    except FileExistsError:
        pass
    except FileNotFoundError:
        _make_folder(folder.rpartition("/")[0])
        _make_folder(folder)
    _known_folders.add(folder)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(error, os.strerror(error), str(first))
