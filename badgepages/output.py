"""The built site as an in-memory tree, written to disk atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any


class OutputCollisionError(Exception):
    """Raised when two artefacts claim the same output path."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"two outputs would be written to '{path}'")


def encode_json(document: Any) -> bytes:
    """Return the site's one JSON encoding: UTF-8, 2-space indent, key order kept."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass
class SiteTree:
    """Every output file by its path relative to the site root; a path is written once."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        """Add a file; refuse a second file at the same path or one outside the site."""
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not path:
            raise ValueError(f"output path '{path}' is outside the site")
        if path in self.files:
            raise OutputCollisionError(path)
        self.files[path] = data

    def add_json(self, path: str, document: Any) -> None:
        """Add a JSON document."""
        self.add(path, encode_json(document))

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        return iter(sorted(self.files.items()))

    def __len__(self) -> int:
        return len(self.files)


def write_site(tree: SiteTree, out_dir: Path) -> None:
    """Write the tree to ``out_dir`` atomically: a failure leaves the previous site intact.

    Everything is written to a staging folder beside ``out_dir``, then swapped in with two
    renames; the old site is deleted only once the new one is in place.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    try:
        for path, data in tree:
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.replace(out_dir, retired / "site")
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)
