"""The artifact cache: what the last builds used stays, the rest goes, packs stay small."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgepages.cache import ObjectStore


def store_build(
    root: Path, new: dict[str, bytes], site: list[str], used: tuple[str, ...] = ()
) -> ObjectStore:
    """Do what a build does with the cache: add what it produced, then record what it used.

    ``site``: the keys its site holds besides the new ones; ``used``: those it took from the
    cache or replaced.
    """
    store = ObjectStore(root)
    stored = {}
    for key, data in new.items():
        place = store.add(data, hashlib.sha256(data).hexdigest())
        assert place is not None
        stored[key] = place
    store.save(stored, list(used), site=[*site, *new])
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


@pytest.fixture
def objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Return a cache's objects, past the size from which builds log: stored by a first build."""
    monkeypatch.setattr(ObjectStore, "LOG_FROM", 50)
    objects = {f"o{n}": f"object {n}".encode() for n in range(100)}
    store_build(tmp_path, objects, [])
    return objects


def test_a_small_change_to_a_large_cache_is_logged_and_read_back(
    tmp_path: Path, objects: dict[str, bytes]
) -> None:
    index = (tmp_path / ".badgepages-cache/objects/index").read_bytes()
    store_build(tmp_path, {"new": b"new"}, list(objects), used=("o1",))
    assert (tmp_path / ".badgepages-cache/objects/index").read_bytes() == index  # not rewritten
    reopened = ObjectStore(tmp_path)
    assert reopened.load("new") == b"new"
    assert reopened.load("o1") == b"object 1"


def test_a_damaged_log_loses_only_what_it_no_longer_says(
    tmp_path: Path, objects: dict[str, bytes]
) -> None:
    store_build(tmp_path, {"first": b"1"}, list(objects))
    log = tmp_path / ".badgepages-cache/objects/index.log"
    whole = log.read_bytes()
    store_build(tmp_path, {"second": b"2"}, [*objects, "first"])
    log.write_bytes(log.read_bytes()[: len(whole) + 5])  # the second record cut short
    reopened = ObjectStore(tmp_path)
    assert reopened.load("first") == b"1"
    assert reopened.load("second") is None  # produced again by the next build
    assert reopened.load("o5") == b"object 5"


def test_objects_the_site_holds_outlive_a_whole_rewrite(
    tmp_path: Path, objects: dict[str, bytes]
) -> None:
    store_build(tmp_path, {"gone": b"g"}, list(objects))  # the second build
    log = tmp_path / ".badgepages-cache/objects/index.log"
    for _ in range(ObjectStore.REWRITE_EVERY - 3):  # logged builds, without "gone"
        store_build(tmp_path, {}, list(objects))
    assert log.exists()
    assert ObjectStore(tmp_path).load("gone") == b"g"  # dropped only when written whole
    store_build(tmp_path, {}, list(objects))  # the 64th build writes the index whole
    assert not log.exists()
    reopened = ObjectStore(tmp_path)
    assert reopened.load("o7") == b"object 7"  # held by the site, never marked since
    assert reopened.load("gone") is None  # neither held nor used for 62 builds


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.text("abz", min_size=1, max_size=3), max_size=6), min_size=1, max_size=8),
    st.sampled_from([1, 4, 10_000]),
)
def test_every_object_a_site_holds_is_found_after_any_builds(
    builds: list[list[str]], log_from: int
) -> None:
    """Keys stored in any order, again with new bytes, logged or written whole: all found."""
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as folder:
        patch.setattr(ObjectStore, "LOG_FROM", log_from)
        root = Path(folder)
        site: dict[str, bytes] = {}
        for number, keys in enumerate(builds):
            new = {key: f"{key} in build {number}".encode() for key in keys}
            store_build(root, new, [key for key in site if key not in new])
            site.update(new)
            reopened = ObjectStore(root)
            assert {key: reopened.load(key) for key in site} == site
