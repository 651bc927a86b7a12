"""The build cache in ``.badgepages-cache/``: source records and produced artifacts.

Both are content-addressed: a source record by the hash of the file's bytes (and of what
else shapes it), an artifact by the hash of its inputs (:mod:`badgepages.plan`). Nothing
here is trusted blindly: an artifact's bytes are hashed again before they are reused, and
an entry that does not match (corrupted, truncated, written by someone else) is dropped and
produced anew. Losing the cache only costs time; it is safe to delete, and CI restores it
with ``actions/cache``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

CACHE_DIR = ".badgepages-cache"
_RECORDS_FILE = "records"
_OBJECTS_DIR = "objects"
_INDEX_FILE = "index"
_FORMAT = 1


@functools.cache
def code_version() -> str:
    """Return a hash of the engine's own files: a new version never reuses old artifacts."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*")):
        if file.is_file() and file.suffix in (".py", ".json"):
            digest.update(file.relative_to(package).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:32]


def digest(*parts: str | bytes) -> str:
    """Return a short, collision-safe hash of several parts.

    The parts are hashed as the ``repr`` of their tuple: one call, and unambiguous (no two
    different tuples of texts and bytes have the same representation).
    """
    text = repr(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=20).hexdigest()


def _read(file: Path) -> Any:
    try:
        data = marshal.loads(file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, tuple) or len(data) != 2 or data[0] != (_FORMAT, code_version()):
        return None
    return data[1]


def _write(file: Path, value: Any) -> None:
    """Write a cache file atomically; a cache that cannot be written is no error."""
    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(((_FORMAT, code_version()), value)))
        os.replace(temporary, file)


class RecordCache:
    """Records of source files (plain tuples) by the digest of what shapes them.

    It also remembers each file's size, modification time and inode when it was read: a
    file whose stamp is unchanged is not even read again, as git does with its index. A file
    changed within two seconds of the last save is read anyway ("racy" stamps: a change in
    the same clock tick would leave the stamp as it was).
    """

    RACY_NS = 2_000_000_000

    def __init__(self, root: Path, context: str) -> None:
        self.file = root / CACHE_DIR / _RECORDS_FILE
        self.context = context  # what else shapes records: engine version, languages
        loaded = _read(self.file)
        entries: dict[str, Any] = {}
        stamps: dict[str, tuple[int, int, int, str]] = {}
        saved_ns = 0
        if isinstance(loaded, tuple) and len(loaded) == 4 and loaded[0] == context:
            _, entries, stamps, saved_ns = loaded
        self._entries: dict[str, Any] = entries
        self._stamps: dict[str, tuple[int, int, int, str]] = stamps
        self._trusted_before = saved_ns - self.RACY_NS
        self._used: dict[str, Any] = {}
        self._new_stamps: dict[str, tuple[int, int, int, str]] = {}

    def known(self, name: str, status: os.stat_result) -> str | None:
        """Return the key of a file read before and unchanged since, by its stamp."""
        stamp = self._stamps.get(name)
        if (
            stamp is None
            or stamp[:3] != (status.st_size, status.st_mtime_ns, status.st_ino)
            or status.st_mtime_ns >= self._trusted_before
            or stamp[3] not in self._entries
        ):
            return None
        self._new_stamps[name] = stamp
        self._used[stamp[3]] = self._entries[stamp[3]]
        return stamp[3]

    def stamp(self, name: str, status: os.stat_result, key: str) -> None:
        """Remember the stamp of a file just read (taken before reading it)."""
        self._new_stamps[name] = (status.st_size, status.st_mtime_ns, status.st_ino, key)

    def get(self, key: str) -> Any:
        """Return the record stored under ``key``, or None."""
        record = self._used.get(key)
        if record is None:
            record = self._entries.get(key)
            if record is not None:
                self._used[key] = record
        return record

    def put(self, key: str, record: Any) -> None:
        """Store a record."""
        self._used[key] = record

    def save(self) -> None:
        """Keep the records and stamps of this run only, so the cache follows the sources."""
        if self._used.keys() != self._entries.keys() or self._new_stamps != self._stamps:
            _write(self.file, (self.context, self._used, self._new_stamps, time.time_ns()))


class Stored(NamedTuple):
    """Where an object lies in the packs, and what it must hash to."""

    pack: str
    offset: int
    size: int
    sha256: str


class ObjectStore:
    """Artifacts' bytes by input key, each checked against its content hash before reuse.

    Objects are appended to pack files (one per worker and build), not kept one file each:
    a site of 400,000 files would otherwise pay 400,000 more file creations for its cache,
    and a cache of a few large files is quick for CI to save and restore. Objects used by
    one of the last few builds are kept (a preview and a signed build, or two branches,
    take turns without starting over); packs left with no object are deleted, and packs
    mostly made of stale objects are rewritten.
    """

    KEEP_BUILDS = 3

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR / _OBJECTS_DIR
        self._readers: dict[str, int] = {}
        self._writer: tuple[int, str, int, int] | None = None  # pid, pack, descriptor, size

    @functools.cached_property
    def _loaded(self) -> tuple[int, dict[str, tuple[str, int, int, str, int]]]:
        loaded = _read(self.folder / _INDEX_FILE)
        if not (isinstance(loaded, tuple) and len(loaded) == 2):
            return (0, {})
        return (loaded[0], loaded[1])

    @property
    def generation(self) -> int:
        """Return the number of the last build that saved the cache."""
        return self._loaded[0]

    @property
    def index(self) -> dict[str, tuple[str, int, int, str, int]]:
        """Return key → (pack, offset, size, content SHA-256, the last build that used it)."""
        return self._loaded[1]

    def open(self) -> None:
        """Read the index now, before workers fork (each would read it again).

        Otherwise it is read when first needed: a build with nothing to produce never is.
        """
        self._loaded  # noqa: B018

    def load(self, key: str) -> bytes | None:
        """Return the verified bytes of ``key``'s object, or None (absent or not intact)."""
        entry = self.index.get(key)
        if entry is None:
            return None
        pack, offset, size, sha256, _ = entry
        try:
            descriptor = self._readers.get(pack)
            if descriptor is None:
                descriptor = self._readers[pack] = os.open(self.folder / pack, os.O_RDONLY)
            data = os.pread(descriptor, size, offset)
        except OSError:
            return None
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha256:
            return None
        return data

    def add(self, data: bytes, sha256: str) -> Stored | None:
        """Append an object to this process's pack; None when the cache cannot be written."""
        try:
            if self._writer is None or self._writer[0] != os.getpid():
                self.folder.mkdir(parents=True, exist_ok=True)
                pack = f"{self.generation + 1}-{os.getpid()}.pack"
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
                descriptor = os.open(self.folder / pack, flags, 0o644)
                self._writer = (os.getpid(), pack, descriptor, os.fstat(descriptor).st_size)
            pid, pack, descriptor, size = self._writer
            # Unbuffered: a worker may end without closing anything.
            os.write(descriptor, data)
            self._writer = (pid, pack, descriptor, size + len(data))
        except OSError:
            return None
        return Stored(pack, size, len(data), sha256)

    def save(self, stored: dict[str, Stored], used: Iterable[str]) -> None:
        """Record the objects this build stored or used; drop those no recent build used."""
        generation = self.generation + 1
        index = dict(self.index)
        for key in used:
            if key in index:
                index[key] = (*index[key][:4], generation)
        for key, place in stored.items():
            index[key] = (*place, generation)
        index = {k: e for k, e in index.items() if e[4] > generation - self.KEEP_BUILDS}
        for descriptor in self._readers.values():
            os.close(descriptor)
        self._readers.clear()
        with contextlib.suppress(OSError):
            index = self._compact(index, generation)
        self._loaded = (generation, index)
        _write(self.folder / _INDEX_FILE, (generation, index))
        live = {entry[0] for entry in index.values()}
        with contextlib.suppress(OSError):
            for pack in self.folder.glob("*.pack"):
                if pack.name not in live:
                    pack.unlink()

    def _compact(
        self, index: dict[str, tuple[str, int, int, str, int]], generation: int
    ) -> dict[str, tuple[str, int, int, str, int]]:
        """Rewrite packs that are mostly stale objects into one new pack."""
        live: dict[str, int] = {}
        for pack, _, size, _, _ in index.values():
            live[pack] = live.get(pack, 0) + size
        stale = {
            pack
            for pack, size in live.items()
            if (self.folder / pack).is_file() and size * 2 < (self.folder / pack).stat().st_size
        }
        if not stale:
            return index
        target = f"{generation}-compact-{os.getpid()}.pack"
        with open(self.folder / target, "wb") as output:
            for key, (pack, offset, size, sha256, used) in sorted(index.items()):
                if pack in stale:
                    with open(self.folder / pack, "rb") as source:
                        source.seek(offset)
                        index[key] = (target, output.tell(), size, sha256, used)
                        output.write(source.read(size))
        return index
