"""The build cache in ``.badgepages-cache/``: source records and produced artifacts.

Both are content-addressed: a source record by the hash of the file's bytes (and of what
else shapes it), an artifact by the hash of its inputs (:mod:`badgepages.plan`). Nothing
here is trusted blindly: an artifact's bytes are hashed again before they are reused, and
an entry that does not match (corrupted, truncated, written by someone else) is dropped and
produced anew. Losing the cache only costs time; it is safe to delete, and CI restores it
with ``actions/cache``.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import marshal
import os
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

CACHE_DIR = ".badgepages-cache"
_RECORDS_DIR = "records.d"
_OBJECTS_DIR = "objects"
_INDEX_FILE = "index"
_LOG_FILE = "index.log"  # what builds did since the index was last written whole
_FORMAT = 3


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


def recall_parse(root: Path, name: str, content: bytes) -> Any:
    """Return the parse of a file's content remembered under ``name``, if it is this content's."""
    remembered = _read(root / CACHE_DIR / name)
    if isinstance(remembered, tuple) and len(remembered) == 2 and remembered[0] == _hash(content):
        return remembered[1]
    return None


def remember_parse(root: Path, name: str, content: bytes, parse: Any) -> None:
    """Remember the parse of a file's content (marshal's plain values), for the next build."""
    _write(root / CACHE_DIR / name, (_hash(content), parse))


def _hash(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=20).hexdigest()


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


# A file's stamp when read (size, modification time, inode), its key and its record.
_Recorded = tuple[int, int, int, str, Any]


class RecordCache:
    """Records of source files (plain tuples), each under the digest of what shapes it.

    It also remembers each file's size, modification time and inode when it was read: a
    file whose stamp is unchanged is not even read again, as git does with its index. A file
    changed within two seconds of its shard's last save is read anyway ("racy" stamps: a
    change in the same clock tick would leave the stamp as it was).

    Files are spread over shards by name, and a build rewrites only the shards whose files
    changed: one award added to a site of 50,000 recipient files writes 1/64 of the records.
    """

    RACY_NS = 2_000_000_000
    SHARDS = 64

    def __init__(self, root: Path, context: str) -> None:
        self.folder = root / CACHE_DIR / _RECORDS_DIR
        self.context = context  # what else shapes records: engine version, languages
        self._old = [self._read_shard(number) for number in range(self.SHARDS)]
        self._new: list[dict[str, _Recorded]] = [{} for _ in range(self.SHARDS)]

    def _read_shard(self, number: int) -> tuple[dict[str, _Recorded], int]:
        loaded = _read(self.folder / str(number))
        if isinstance(loaded, tuple) and len(loaded) == 3 and loaded[0] == self.context:
            return loaded[1], loaded[2] - self.RACY_NS
        return {}, 0

    def _shard(self, name: str) -> int:
        return zlib.crc32(name.encode()) % self.SHARDS

    def known(self, name: str, status: os.stat_result) -> tuple[str, Any] | None:
        """Return the key and record of a file read before and unchanged since, by its stamp."""
        shard = self._shard(name)
        recorded, trusted_before = self._old[shard]
        entry = recorded.get(name)
        if (
            entry is None
            or entry[:3] != (status.st_size, status.st_mtime_ns, status.st_ino)
            or status.st_mtime_ns >= trusted_before
        ):
            return None
        self._new[shard][name] = entry
        return entry[3], entry[4]

    def recall(self, name: str, key: str) -> Any:
        """Return the record of a file whose content was read again, if its key is unchanged."""
        entry = self._old[self._shard(name)][0].get(name)
        return entry[4] if entry is not None and entry[3] == key else None

    def keep(self, name: str, status: os.stat_result, key: str, record: Any) -> None:
        """Remember a file's record and its stamp (taken before the file was read)."""
        entry = (status.st_size, status.st_mtime_ns, status.st_ino, key, record)
        self._new[self._shard(name)][name] = entry

    def save(self) -> None:
        """Write the shards this run changed, with its files only: the cache follows them."""
        now = time.time_ns()
        for number, (new, (old, _)) in enumerate(zip(self._new, self._old, strict=True)):
            if new == old:
                continue
            if new:
                _write(self.folder / str(number), (self.context, new, now))
            else:
                with contextlib.suppress(OSError):
                    (self.folder / str(number)).unlink()
        with contextlib.suppress(OSError):  # the single file of versions before the shards
            (self.folder.parent / "records").unlink()


class Stored(NamedTuple):
    """Where an object lies in the packs, and what it must hash to."""

    pack: str
    offset: int
    size: int
    sha256: str


class ObjectIndex:
    """Where each object lies, and the last build that used it, as columns.

    Columns (a list per text, an array per number) rather than a record per object: at
    400,000 objects the index reads and writes in a fraction of a second. The index is
    written sorted by key and searched by bisection: a build that looks up a few keys does
    not hash 400,000 of them into a dictionary first. Keys added since are looked up by
    dictionary. An index whose order was damaged only misses objects, which are made again.
    """

    _FEW_TO_MARK = 1024  # keys marked by bisection; more by a dictionary of the index

    __slots__ = (
        "_added",
        "_sorted",
        "generation",
        "keys",
        "last_used",
        "offsets",
        "pack_of",
        "packs",
        "sha256s",
        "sizes",
    )

    def __init__(
        self,
        generation: int = 0,
        keys: list[str] | None = None,
        packs: list[str] | None = None,
        sha256s: bytes = b"",
    ) -> None:
        self.generation = generation  # the last build that saved the cache
        self.keys = keys or []
        self.packs = packs or []  # pack file names, referred to by number
        # The objects' SHA-256 digests, 32 bytes each, in one piece (quick to read and write).
        self.sha256s = bytearray(sha256s)
        self.pack_of = array("l")
        self.offsets = array("q")
        self.sizes = array("q")
        self.last_used = array("q")
        self._sorted = len(self.keys)  # the keys as read: sorted (by dump)
        self._added: dict[str, int] = {}  # the keys put since, by position

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, key: str) -> Stored | None:
        """Return where the object of ``key`` lies, if the cache has it."""
        at = self.position(key)
        if at is None:
            return None
        pack = self.packs[self.pack_of[at]]
        sha256 = self.sha256s[at * 32 : at * 32 + 32].hex()
        return Stored(pack, self.offsets[at], self.sizes[at], sha256)

    def position(self, key: str) -> int | None:
        """Return the position of ``key`` in the columns, if the index has it."""
        at = self._added.get(key)
        if at is None:
            at = bisect.bisect_left(self.keys, key, 0, self._sorted)
            if at == self._sorted or self.keys[at] != key:
                return None
        return at

    def put(self, key: str, place: Stored, generation: int) -> None:
        """Record where an object was stored (anew, or again after it was found damaged)."""
        if place.pack not in self.packs:
            self.packs.append(place.pack)
        values = (self.packs.index(place.pack), place.offset, place.size, generation)
        at = self.position(key)
        if at is None:
            self._added[key] = len(self.keys)
            self.keys.append(key)
            self.sha256s += bytes.fromhex(place.sha256)
            for column, value in zip(self._numbers(), values, strict=True):
                column.append(value)
        else:
            self.sha256s[at * 32 : at * 32 + 32] = bytes.fromhex(place.sha256)
            for column, value in zip(self._numbers(), values, strict=True):
                column[at] = value

    def mark(self, keys: Iterable[str], generation: int) -> None:
        """Record that a build used these objects (keys the index lacks are ignored)."""
        keys = list(keys)
        if len(keys) > self._FEW_TO_MARK:
            # A build marks every key its site holds (400,000): one dictionary of the
            # index is then quicker than a bisection per key (0.06 s against 0.4 s).
            where = dict(zip(self.keys, range(len(self.keys)), strict=True))
            positions = map(where.get, keys)
        else:
            positions = map(self.position, keys)
        last_used = self.last_used
        for at in [at for at in positions if at is not None]:
            last_used[at] = generation

    def kept(self, positions: list[int]) -> ObjectIndex:
        """Return the index of these objects only, sorted by key (as dump writes it)."""
        positions = sorted(positions, key=self.keys.__getitem__)
        index = ObjectIndex(
            self.generation, list(map(self.keys.__getitem__, positions)), list(self.packs)
        )
        sha256s = self.sha256s
        index.sha256s = bytearray(b"".join([sha256s[at * 32 : at * 32 + 32] for at in positions]))
        for mine, theirs in zip(self._numbers(), index._numbers(), strict=True):
            theirs.extend(map(mine.__getitem__, positions))
        return index

    def _numbers(self) -> tuple[array[int], array[int], array[int], array[int]]:
        return (self.pack_of, self.offsets, self.sizes, self.last_used)

    def dump(self) -> tuple[Any, ...]:
        """Return the index as marshal writes it."""
        numbers = tuple(column.tobytes() for column in self._numbers())
        return (self.generation, self.keys, self.packs, bytes(self.sha256s), *numbers)

    @classmethod
    def load(cls, raw: Any) -> ObjectIndex:
        """Return the index marshal read (an empty one when it is not this version's)."""
        if not isinstance(raw, tuple) or len(raw) != 8:
            return cls()
        index = cls(raw[0], raw[1], raw[2], raw[3])
        for column, data in zip(index._numbers(), raw[4:], strict=True):
            column.frombytes(data)
        if any(len(column) != len(index.keys) for column in index._numbers()):
            return cls()
        if len(index.sha256s) != 32 * len(index.keys) or max(index.pack_of, default=-1) >= len(
            index.packs
        ):
            return cls()
        return index


_KEY_HASH = 16  # bytes of a key's hash in the index's head: collisions are out of reach


def _key_hash(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=_KEY_HASH).digest()


class _Hashes:
    """A sorted run of fixed-length hashes in one piece, as bisect searches it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data) // _KEY_HASH

    def __getitem__(self, at: int) -> bytes:
        return self.data[at * _KEY_HASH : (at + 1) * _KEY_HASH]


class _Head(NamedTuple):
    """Where each object lies, by a hash of its key: what a build needs for a few lookups.

    The index file holds it before the index itself (sorted by hash, with each object's
    place), so a build that makes a few artifacts reads a third of the file, and never
    makes the index's 400,000 keys into strings.
    """

    generation: int  # of the index with its log
    size: int  # objects in the index and stored by the log since (at most)
    logged: int  # keys in the log
    hashes: _Hashes  # of each key, sorted
    places: tuple[list[str], array[int], array[int], array[int], bytes]  # in the same order
    added: dict[str, Stored]  # what the log stored (newer than the rest)

    def find(self, key: str) -> Stored | None:
        """Return where the object of ``key`` lies, if the cache has it."""
        place = self.added.get(key)
        if place is not None:
            return place
        wanted = _key_hash(key)
        at = bisect.bisect_left(self.hashes, wanted)
        if at == len(self.hashes) or self.hashes[at] != wanted:
            return None
        packs, pack_of, offsets, sizes, sha256s = self.places
        sha256 = sha256s[at * 32 : at * 32 + 32].hex()
        return Stored(packs[pack_of[at]], offsets[at], sizes[at], sha256)

    @staticmethod
    def of(index: ObjectIndex) -> tuple[Any, ...]:
        """Return the head of an index as marshal writes it."""
        hashes = list(map(_key_hash, index.keys))
        order = sorted(range(len(hashes)), key=hashes.__getitem__)
        sha256s = index.sha256s
        columns = (
            array("l", map(index.pack_of.__getitem__, order)),
            array("q", map(index.offsets.__getitem__, order)),
            array("q", map(index.sizes.__getitem__, order)),
        )
        return (
            index.generation,
            b"".join(map(hashes.__getitem__, order)),
            index.packs,
            *(column.tobytes() for column in columns),
            b"".join([sha256s[at * 32 : at * 32 + 32] for at in order]),
        )

    @classmethod
    def load(cls, raw: Any, log: Callable[[int], Iterable[_LogRecord]]) -> _Head:
        """Return the head marshal read (empty if damaged), with what ``log`` stored since."""
        try:
            generation, hashes, packs, pack_of_data, offsets_data, sizes_data, sha256s = raw
            pack_of, offsets, sizes = array("l"), array("q"), array("q")
            pack_of.frombytes(pack_of_data)
            offsets.frombytes(offsets_data)
            sizes.frombytes(sizes_data)
            if not (
                isinstance(generation, int)
                and isinstance(hashes, bytes)
                and isinstance(sha256s, bytes)
                and isinstance(packs, list)
                and all(isinstance(pack, str) for pack in packs)
            ):
                raise TypeError("not an index head")
            count = len(hashes) // _KEY_HASH
            if len(hashes) % _KEY_HASH or len(sha256s) != 32 * count:
                raise ValueError("hashes cut short")
            if {len(pack_of), len(offsets), len(sizes)} != {count}:
                raise ValueError("columns of different lengths")
            if max(pack_of, default=-1) >= len(packs):
                raise ValueError("unknown pack")
        except (TypeError, ValueError):  # no index, or damaged: the log may still hold keys
            generation, hashes, packs, sha256s, count = 0, b"", [], b"", 0
            pack_of, offsets, sizes = array("l"), array("q"), array("q")
        added: dict[str, Stored] = {}
        logged = 0
        for logged_generation, stored, used in log(generation):
            added.update(stored)
            logged += len(stored) + len(used)
            generation = logged_generation
        places = (packs, pack_of, offsets, sizes, sha256s)
        return cls(generation, count + len(added), logged, _Hashes(hashes), places, added)


# A build's record in the index's log: its generation, what it stored, and what it used.
_LogRecord = tuple[int, list[tuple[str, Stored]], list[str]]


def _place(key: object, pack: object, offset: object, size: object, sha256: object) -> Stored:
    """Return where a logged object lies; raise TypeError or ValueError if it is damaged."""
    if not (
        isinstance(key, str)
        and isinstance(pack, str)
        and isinstance(offset, int)
        and isinstance(size, int)
        and isinstance(sha256, str)
        and len(bytes.fromhex(sha256)) == 32  # ValueError if not hexadecimal
    ):
        raise TypeError("damaged record")
    return Stored(pack, offset, size, sha256)


class ObjectStore:
    """Artifacts' bytes by input key, each checked against its content hash before reuse.

    Objects are appended to pack files (one per worker and build), not kept one file each:
    a site of 400,000 files would otherwise pay 400,000 more file creations for its cache,
    and a cache of a few large files is quick for CI to save and restore.

    An object is kept while the site holds it, and for the few builds after one last took
    it from the cache or replaced it (a preview and a signed build, or two branches, take
    turns without starting over). A build appends what it stored and used to a log; the
    index is written whole, and the objects no recent build used dropped, only when the log
    has grown (rewriting the index of 400,000 objects on every build took most of a second).
    Packs left with no object are deleted, and packs mostly made of stale objects rewritten.
    """

    KEEP_BUILDS = 3
    LOG_FROM = 10_000  # objects: a smaller index is written whole by every build (quick)
    REWRITE_EVERY = 64  # builds at the most between two whole indexes
    FEW_LOOKUPS = 64  # a change this small reads the index's head only (as one worker works)

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR / _OBJECTS_DIR
        self._readers: dict[str, int] = {}
        self._writer: tuple[int, str, int, int] | None = None  # pid, pack, descriptor, size
        self._logged = 0  # keys in the log

    @functools.cached_property
    def index(self) -> ObjectIndex:
        """Return where each object lies, read when first needed (by a build that produces)."""
        try:
            index = ObjectIndex.load(self._read_index(whole=True)[1])
        except (TypeError, ValueError):  # damaged: the cache starts again
            return ObjectIndex()
        self._logged = 0
        for generation, stored, used in self._log(index.generation):
            for key, place in stored:
                index.put(key, place, generation)
            index.mark(used, generation)
            index.generation = generation
            self._logged += len(stored) + len(used)
        return index

    @functools.cached_property
    def _head(self) -> _Head:
        """Return where each object lies by a hash of its key: the index file's head."""
        return _Head.load(self._read_index(whole=False)[0], self._log)

    def _read_index(self, *, whole: bool) -> tuple[Any, Any]:
        """Return the index file's head (generation, key hashes) and, if ``whole``, its body.

        The head comes first in the file: a build that looks up a few keys reads only it.
        """
        try:
            with open(self.folder / _INDEX_FILE, "rb") as stream:
                version, head = marshal.load(stream)
                if version != (_FORMAT, code_version()):
                    return None, None
                return head, marshal.load(stream) if whole else None
        except (OSError, ValueError, EOFError, TypeError):
            return None, None

    def _write_index(self, index: ObjectIndex) -> None:
        head = ((_FORMAT, code_version()), _Head.of(index))
        with contextlib.suppress(OSError):
            file = self.folder / _INDEX_FILE
            temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
            temporary.write_bytes(marshal.dumps(head) + marshal.dumps(index.dump()))
            os.replace(temporary, file)

    def _log(self, base: int) -> Iterator[_LogRecord]:
        """Yield the log's records after generation ``base``, up to the first not whole."""
        try:
            log = open(self.folder / _LOG_FILE, "rb")  # noqa: SIM115 (closed below)
        except OSError:
            return
        with log, contextlib.suppress(ValueError, EOFError, TypeError):
            while True:
                generation, stored, used = marshal.load(log)
                if not isinstance(generation, int) or not all(isinstance(k, str) for k in used):
                    raise TypeError("damaged record")
                places = [(key, _place(key, *place)) for key, *place in stored]
                if generation > base:  # else from before the index was last written whole
                    yield generation, places, used

    def open(self, lookups: int) -> None:
        """Get ready for ``lookups`` lookups, before workers fork (each would read again).

        A few (a small change) read only the index's head; more read the whole index.
        """
        if lookups <= self.FEW_LOOKUPS:
            self._head  # noqa: B018
        else:
            self.index  # noqa: B018

    def _has_index(self) -> bool:
        return "index" in self.__dict__  # read (functools.cached_property)

    def load(self, key: str) -> bytes | None:
        """Return the verified bytes of ``key``'s object, or None (absent or not intact)."""
        place = self.index.find(key) if self._has_index() else self._head.find(key)
        if place is None:
            return None
        try:
            descriptor = self._readers.get(place.pack)
            if descriptor is None:
                descriptor = os.open(self.folder / place.pack, os.O_RDONLY)
                self._readers[place.pack] = descriptor
            data = os.pread(descriptor, place.size, place.offset)
        except OSError:
            return None
        if len(data) != place.size or hashlib.sha256(data).hexdigest() != place.sha256:
            return None
        return data

    def add(self, data: bytes, sha256: str) -> Stored | None:
        """Append an object to this process's pack; None when the cache cannot be written."""
        try:
            if self._writer is None or self._writer[0] != os.getpid():
                self.folder.mkdir(parents=True, exist_ok=True)
                pack = f"{self._generation() + 1}-{os.getpid()}.pack"
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

    def _generation(self) -> int:
        return self.index.generation if self._has_index() else self._head.generation

    def save(self, stored: dict[str, Stored], used: list[str], site: list[str]) -> None:
        """Record what this build stored and used; ``site`` is every key its site holds."""
        for descriptor in self._readers.values():
            os.close(descriptor)
        self._readers.clear()
        if self._has_index():
            generation, size, logged = self.index.generation, len(self.index), self._logged
        else:
            generation, size, logged, *_ = self._head
        generation += 1
        logged += len(stored) + len(used)
        size += len(stored)
        if logged * 8 < size and size >= self.LOG_FROM and generation % self.REWRITE_EVERY:
            record = (generation, [(key, *place) for key, place in stored.items()], used)
            try:
                with open(self.folder / _LOG_FILE, "ab") as log:
                    log.write(marshal.dumps(record))
            except OSError:
                pass  # the index is written whole instead
            else:
                if self._has_index():  # as the next build will read it
                    self._record(self.index, stored, used, generation)
                    self._logged = logged
                return
        index = self.index
        self._record(index, stored, used, generation)
        index.mark(site, generation)
        oldest = generation - self.KEEP_BUILDS
        index = index.kept([at for at, last in enumerate(index.last_used) if last > oldest])
        with contextlib.suppress(OSError):
            index = self._compact(index)
        self.index = index
        self._write_index(index)
        with contextlib.suppress(OSError):
            (self.folder / _LOG_FILE).unlink(missing_ok=True)
        self._logged = 0
        live = {index.packs[number] for number in set(index.pack_of)}
        with contextlib.suppress(OSError):
            for pack in self.folder.glob("*.pack"):
                if pack.name not in live:
                    pack.unlink()

    @staticmethod
    def _record(
        index: ObjectIndex, stored: dict[str, Stored], used: list[str], generation: int
    ) -> None:
        for key, place in stored.items():
            index.put(key, place, generation)
        index.mark(used, generation)
        index.generation = generation

    def _compact(self, index: ObjectIndex) -> ObjectIndex:
        """Rewrite the objects of packs that are mostly stale into one new pack."""
        live = [0] * len(index.packs)
        for number, size in zip(index.pack_of, index.sizes, strict=True):
            live[number] += size
        stale = {
            number
            for number, pack in enumerate(index.packs)
            if (self.folder / pack).is_file()
            and live[number] * 2 < (self.folder / pack).stat().st_size
        }
        if not stale:
            return index
        target = f"{index.generation}-compact-{os.getpid()}.pack"
        moved = sorted((key, at) for at, key in enumerate(index.keys) if index.pack_of[at] in stale)
        with open(self.folder / target, "wb") as output:
            for key, at in moved:
                with open(self.folder / index.packs[index.pack_of[at]], "rb") as source:
                    source.seek(index.offsets[at])
                    data = source.read(index.sizes[at])
                sha256 = index.sha256s[at * 32 : at * 32 + 32].hex()
                place = Stored(target, output.tell(), len(data), sha256)
                output.write(data)
                index.put(key, place, index.last_used[at])
        return index
