"""The artifact cache: what the last builds used stays, the rest goes, packs stay small."""

from __future__ import annotations

import hashlib
from pathlib import Path

from badgepages.cache import ObjectStore


def store_build(root: Path, new: dict[str, bytes], used: list[str]) -> ObjectStore:
    """Do what a build does with the cache: add what it produced, then record what it used."""
    store = ObjectStore(root)
    stored = {}
    for key, data in new.items():
        place = store.add(data, hashlib.sha256(data).hexdigest())
        assert place is not None
        stored[key] = place
    store.save(stored, used=[*used, *new])
    return store


def test_objects_stay_while_one_of_the_last_three_builds_uses_them(tmp_path: Path) -> None:
    store_build(tmp_path, {"kept": b"k" * 10, "dropped": b"d" * 10}, [])
    for _ in range(2):
        store = store_build(tmp_path, {}, ["kept"])
        assert store.load("dropped") == b"d" * 10  # still one of the last three builds'
    store = store_build(tmp_path, {}, ["kept"])
    assert store.load("dropped") is None
    assert ObjectStore(tmp_path).load("kept") == b"k" * 10
    assert ObjectStore(tmp_path).load("dropped") is None


def test_a_pack_of_mostly_stale_objects_is_rewritten_and_an_empty_one_deleted(
    tmp_path: Path,
) -> None:
    store_build(tmp_path, {"small": b"s" * 10, "large": b"L" * 10_000}, [])
    store_build(tmp_path, {"alone": b"a" * 100}, ["small"])
    for _ in range(3):
        store = store_build(tmp_path, {}, ["small"])
    packs = sorted(store.folder.glob("*.pack"))
    assert sum(pack.stat().st_size for pack in packs) == 10  # only "small" is left
    reopened = ObjectStore(tmp_path)
    assert reopened.load("small") == b"s" * 10
    assert reopened.load("large") is None
    assert reopened.load("alone") is None


def test_an_object_produced_again_replaces_its_damaged_copy(tmp_path: Path) -> None:
    store = store_build(tmp_path, {"key": b"first"}, [])
    (pack,) = store.folder.glob("*.pack")
    pack.write_bytes(b"xxxxx")
    assert ObjectStore(tmp_path).load("key") is None
    store_build(tmp_path, {"key": b"first"}, [])
    assert ObjectStore(tmp_path).load("key") == b"first"
