"""The output folder: updated by difference in a standby twin, then swapped in atomically.

Beside the published folder ``DIR`` lives ``.DIR.badgepages/`` with a standby copy of the
site and a manifest per copy (route → input key, content hash, size, modification time). A
build brings the standby copy to the new plan by writing only what changed, then exchanges
the two folders in one system call (``renameat2(RENAME_EXCHANGE)`` on Linux), so ``DIR`` is a
complete site at every instant and the previous site becomes the next standby. Unchanged
files are shared between the two copies as hard links and never written in place: a file is
replaced by renaming a new one over it. A standby copy without a manifest (first build,
interrupted build) is rebuilt from the published one. One build at a time holds the lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import marshal
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from badgepages.workers import map_in_order

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

FILE_MODE = 0o644
FOLDER_MODE = 0o755
_MANIFEST_VERSION = 1
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
    counts bytes), and the C encoder makes it several times faster. Browsers and editors
    lay it out for reading.
    """
    return (json.dumps(document, ensure_ascii=False, separators=_COMPACT) + "\n").encode("utf-8")


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
    """What a manifest knows of one file: the inputs' key and what was written."""

    key: str
    sha256: str
    size: int
    mtime_ns: int


Manifest = dict[str, Entry]


class SiteOutput:
    """The published folder and its standby twin; use as a context manager (takes the lock)."""

    def __init__(self, out_dir: Path, jobs: int = 1) -> None:
        self.jobs = jobs  # file-system work on many files runs on this many processes
        self.out_dir = Path(os.path.abspath(out_dir))
        self.state = self.out_dir.parent / f".{self.out_dir.name}.badgepages"
        self.standby = self.state / "standby"
        self._lock_file: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> SiteOutput:
        self.state.mkdir(parents=True, exist_ok=True)
        self._lock()
        self._recover_swap()
        self._remove_legacy_leftovers()
        return self

    def __exit__(self, *exc: object) -> None:
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

    # -- the standby copy ------------------------------------------------------------------

    def prepare(self) -> Manifest:
        """Make the standby copy ready to change and return its manifest (what it holds).

        Its manifest file is removed first: until :meth:`commit`, the copy is unknown.
        """
        _known_folders.clear()
        manifest = self._manifest_of(self.standby)
        if manifest is None:
            manifest = self._rebuild_standby()
        self._manifest_file(self.standby).unlink(missing_ok=True)
        _fsync_folder(self.state)
        return manifest

    def _rebuild_standby(self) -> Manifest:
        """Start the standby copy again from the published site (hard links), or empty."""
        shutil.rmtree(self.standby, ignore_errors=True)
        _known_folders.clear()
        _make_folder(str(self.standby))
        published = self._manifest_of(self.out_dir)
        if published is None:
            return {}
        self._spread(functools.partial(_link_files, self.out_dir, self.standby), list(published))
        return published

    def verified(self, manifest: Manifest, routes: Iterable[str]) -> set[str]:
        """Return the routes whose standby file is still what the manifest says (size, time).

        A file edited in place (by hand, in the published copy it was shared with) fails
        this check and is produced again.
        """
        expected = [(route, manifest[route].size, manifest[route].mtime_ns) for route in routes]
        good: set[str] = set()
        for found in self._spread(functools.partial(_intact_files, self.standby), expected):
            good.update(found)
        return good

    def _spread(self, work: Callable[[Sequence[Any]], _Done], items: Sequence[Any]) -> list[_Done]:
        """Run file-system work over many items in batches, on up to ``jobs`` processes."""
        batches = [items[start : start + _BATCH] for start in range(0, len(items), _BATCH)]
        return list(map_in_order(work, batches, self.jobs, chunk=1))

    def remove(self, routes: Iterable[str]) -> None:
        """Delete routes from the standby copy, and the folders they leave empty."""
        folders: set[Path] = set()
        for route in routes:
            path = self.standby / route
            path.unlink(missing_ok=True)
            folders.update(path.parents)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            if folder != self.standby and self.standby in folder.parents:
                with contextlib.suppress(OSError):
                    folder.rmdir()
                    _known_folders.discard(str(folder))

    def commit(self, manifest: Manifest) -> None:
        """Record the standby copy's manifest and swap it in: it becomes the published site."""
        self._write_manifest(self.standby, manifest)
        if not self.out_dir.exists():
            os.replace(self.standby, self.out_dir)
            _fsync_folder(self.out_dir.parent)
            # The next build changes a standby copy: make it now, while the site is new.
            self._write_manifest(self.standby, self._rebuild_standby())
            return
        if not _exchange(self.out_dir, self.standby):
            self._swap_by_renames()
        _fsync_folder(self.out_dir.parent)

    def discard(self) -> None:
        """Drop an unfinished standby copy (after a failure), freeing its space."""
        shutil.rmtree(self.standby, ignore_errors=True)
        _known_folders.clear()

    # -- manifests -------------------------------------------------------------------------

    def _manifest_file(self, folder: Path) -> Path:
        # Named by the folder's inode: a swap moves folders, and their manifests follow.
        return self.state / f"manifest-{os.stat(folder).st_ino}"

    def _manifest_of(self, folder: Path) -> Manifest | None:
        if not folder.is_dir():
            return None
        try:
            raw = marshal.loads(self._manifest_file(folder).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not isinstance(raw, tuple) or len(raw) != 2 or raw[0] != _MANIFEST_VERSION:
            return None
        return {route: Entry(*fields) for route, fields in raw[1].items()}

    def _write_manifest(self, folder: Path, manifest: Manifest) -> None:
        data = marshal.dumps(
            (
                _MANIFEST_VERSION,
                {r: (e.key, e.sha256, e.size, e.mtime_ns) for r, e in manifest.items()},
            )
        )
        target = self._manifest_file(folder)
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
        kept = {target.name}
        if self.out_dir.exists():
            kept.add(self._manifest_file(self.out_dir).name)
        for stale in self.state.glob("manifest-*"):
            if stale.name not in kept:
                stale.unlink(missing_ok=True)
        _fsync_folder(self.state)

    # -- swapping without RENAME_EXCHANGE ----------------------------------------------------

    @property
    def _retired(self) -> Path:
        return self.state / "retired"

    @property
    def _journal(self) -> Path:
        return self.state / "swap-in-progress"

    def _swap_by_renames(self) -> None:
        """Swap with three renames, journaled so that an interrupted swap is finished later."""
        self._journal.write_bytes(b"")
        _fsync_folder(self.state)
        os.replace(self.out_dir, self._retired)
        os.replace(self.standby, self.out_dir)
        os.replace(self._retired, self.standby)
        self._journal.unlink()

    def _recover_swap(self) -> None:
        """Finish a swap that was interrupted between its renames (the journal says so)."""
        if not self._journal.exists():
            return
        if not self.out_dir.exists() and self.standby.exists():
            os.replace(self.standby, self.out_dir)
        if self._retired.exists() and not self.standby.exists():
            os.replace(self._retired, self.standby)
        self._journal.unlink()


_BATCH = 2048
_Done = TypeVar("_Done")


def _link_files(source: Path, target: Path, routes: Sequence[str]) -> None:
    """Hard-link files of one site copy into another (copy across devices)."""
    for route in routes:
        path = f"{target}/{route}"
        _make_folder(path.rpartition("/")[0])
        try:
            os.link(f"{source}/{route}", path)
        except FileExistsError:
            continue
        except OSError:
            shutil.copy2(f"{source}/{route}", path)


def _intact_files(site: Path, expected: Sequence[tuple[str, int, int]]) -> list[str]:
    """Return the routes whose file has the size and modification time given."""
    intact = []
    for route, size, mtime_ns in expected:
        try:
            status = os.stat(f"{site}/{route}")
        except OSError:
            continue
        if status.st_size == size and status.st_mtime_ns == mtime_ns:
            intact.append(route)
    return intact


def write_file(site: Path, route: str, data: bytes) -> os.stat_result:
    """Write one file of a site copy with the published mode, never in place; return its stat.

    Paths are plain strings here: this runs once per file of a site of 400,000.
    """
    path = f"{site}/{route}"
    _make_folder(path.rpartition("/")[0])
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        # The old file may be shared with the published copy: replace it, never rewrite it.
        folder, _, name = path.rpartition("/")
        temporary = f"{folder}/.{name}.{os.getpid()}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        status = _write_all(descriptor, data)
        os.replace(temporary, path)
        return status
    return _write_all(descriptor, data)


def _write_all(descriptor: int, data: bytes) -> os.stat_result:
    try:
        os.fchmod(descriptor, FILE_MODE)  # whatever the umask
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
        os.mkdir(folder)
        os.chmod(folder, FOLDER_MODE)  # whatever the umask
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
