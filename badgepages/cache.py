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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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
    """Return a short, collision-safe hash of several parts (kept apart by their lengths)."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


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
    """Records of source files (plain tuples) by the digest of what shapes them."""

    def __init__(self, root: Path) -> None:
        self.file = root / CACHE_DIR / _RECORDS_FILE
        loaded = _read(self.file)
        self._entries: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self._used: dict[str, Any] = {}

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
        """Keep the records used by this run only, so the cache follows the sources."""
        if self._used.keys() != self._entries.keys():
            _write(self.file, self._used)


class ObjectStore:
    """Artifacts' bytes by input key, each checked against its content hash before reuse."""

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR / _OBJECTS_DIR
        loaded = _read(self.folder / _INDEX_FILE)
        self.index: dict[str, tuple[str, int]] = loaded if isinstance(loaded, dict) else {}

    def path(self, key: str) -> Path:
        """Return where the object of ``key`` is kept."""
        return self.folder / key[:2] / key

    def load(self, key: str) -> bytes | None:
        """Return the verified bytes of ``key``'s object, or None (absent or not intact)."""
        expected = self.index.get(key)
        if expected is None:
            return None
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        if len(data) != expected[1] or hashlib.sha256(data).hexdigest() != expected[0]:
            return None
        return data

    def add(self, key: str, file: Path) -> None:
        """Keep a produced file as ``key``'s object: a hard link, or a copy across devices."""
        target = self.path(key)
        with contextlib.suppress(OSError):
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f"{key}.{os.getpid()}.tmp")
            temporary.unlink(missing_ok=True)
            try:
                os.link(file, temporary)
            except OSError:
                temporary.write_bytes(file.read_bytes())
            os.replace(temporary, target)

    def save(self, entries: dict[str, tuple[str, int]], keep: Iterable[str]) -> None:
        """Record new objects and delete those no longer wanted (``keep`` lists the wanted)."""
        wanted = set(keep)
        index = {k: v for k, v in {**self.index, **entries}.items() if k in wanted}
        for key in self.index.keys() - index.keys():
            self.path(key).unlink(missing_ok=True)
        if index != self.index:
            self.index = index
            _write(self.folder / _INDEX_FILE, index)
