"""The build cache: source records follow the files; of artifacts, what the last builds used
stays, the rest goes, packs stay small."""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgepages.cache import CACHE_DIR, ObjectIndex, ObjectStore, RecordCache

OLD = 1_000_000_000  # seconds since 1970: a file stamped then is safely older than any save


def source_files(root: Path, count: int) -> dict[str, os.stat_result]:
    """Write ``count`` source files last changed long ago; return their stamps by name."""
    stamps = {}
    for number in range(count):
        name = f"recipients/r{number}.yaml"
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(f"name: R{number}\n")
        os.utime(root / name, (OLD, OLD))
        stamps[name] = os.stat(root / name)
    return stamps


def remembered(root: Path, stamps: dict[str, os.stat_result]) -> RecordCache:
    """Do what loading does with every file read: keep its record, then save."""
    cache = RecordCache(root, "context")
    for name, status in stamps.items():
        cache.keep(name, status, f"key of {name}", ("record of", name))
    cache.save()
    return RecordCache(root, "context")


def test_a_file_unchanged_since_it_was_read_is_known_by_its_stamp(tmp_path: Path) -> None:
    stamps = source_files(tmp_path, 3)
    cache = remembered(tmp_path, stamps)
    name = "recipients/r1.yaml"
    assert cache.known(name, stamps[name]) == (f"key of {name}", ("record of", name))
    assert RecordCache(tmp_path, "other languages").known(name, stamps[name]) is None


def test_a_changed_file_is_read_again_and_its_record_found_by_content(tmp_path: Path) -> None:
    stamps = source_files(tmp_path, 3)
    cache = remembered(tmp_path, stamps)
    name = "recipients/r1.yaml"
    os.utime(tmp_path / name, (OLD + 5, OLD + 5))  # touched: same content, new stamp
    assert cache.known(name, os.stat(tmp_path / name)) is None
    assert cache.recall(name, f"key of {name}") == ("record of", name)
    assert cache.recall(name, "key of other content") is None


def test_a_file_changed_as_the_cache_was_saved_is_read_again(tmp_path: Path) -> None:
    name = "recipients/r0.yaml"
    (tmp_path / "recipients").mkdir()
    (tmp_path / name).write_text("name: R\n")  # stamped now: an edit this second keeps it
    cache = remembered(tmp_path, {name: os.stat(tmp_path / name)})
    assert cache.known(name, os.stat(tmp_path / name)) is None


def test_one_changed_file_rewrites_one_shard_and_a_damaged_shard_loses_only_its_files(
    tmp_path: Path,
) -> None:
    stamps = source_files(tmp_path, 300)
    remembered(tmp_path, stamps)
    shards = tmp_path / CACHE_DIR / "records.d"
    before = {shard.name: shard.read_bytes() for shard in shards.iterdir()}
    assert len(before) == RecordCache.SHARDS

    cache = RecordCache(tmp_path, "context")
    for name, status in stamps.items():
        assert cache.known(name, status) is not None
    (tmp_path / "recipients/r7.yaml").write_text("name: Seven\n")
    cache.keep("recipients/r7.yaml", os.stat(tmp_path / "recipients/r7.yaml"), "new", ("new",))
    cache.save()
    after = {shard.name: shard.read_bytes() for shard in shards.iterdir()}
    rewritten = [name for name in before if before[name] != after[name]]
    assert len(rewritten) == 1

    (shards / rewritten[0]).write_bytes(b"damaged")
    cache = RecordCache(tmp_path, "context")
    lost = [name for name, status in stamps.items() if cache.known(name, status) is None]
    assert "recipients/r7.yaml" in lost
    assert 0 < len(lost) < 300 // 16


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


@pytest.mark.parametrize(
    "damaged",
    [
        (99, [("third", "pack", "offset", 1, "00")], []),  # a place of the wrong type
        (99, [("third", "pack", 0, 1, "zz")], []),  # a digest that is no digest
        (99, [("third",)], []),  # a place cut short
        ("99", [], []),  # a generation that is no number
        (99, 5, []),
        (99, [], [3]),  # a key that is no text
    ],
)
@pytest.mark.parametrize("lookups", [1, 1_000])  # the index's head, or the whole index
def test_a_log_record_of_the_wrong_shape_is_where_the_log_ends(
    tmp_path: Path, objects: dict[str, bytes], damaged: object, lookups: int
) -> None:
    store_build(tmp_path, {"first": b"1"}, list(objects))
    log = tmp_path / ".badgepages-cache/objects/index.log"
    with log.open("ab") as stream:
        stream.write(marshal.dumps(damaged))
    reopened = ObjectStore(tmp_path)
    reopened.open(lookups)
    assert reopened.load("first") == b"1"
    assert reopened.load("third") is None
    assert reopened.load("o5") == b"object 5"


@pytest.mark.parametrize("head", [7, (1, b"short", [], b"", b"", b"", b""), None])
@pytest.mark.parametrize("lookups", [1, 1_000])
def test_a_damaged_index_only_loses_objects(
    tmp_path: Path, objects: dict[str, bytes], head: object, lookups: int
) -> None:
    index = tmp_path / ".badgepages-cache/objects/index"
    version = marshal.loads(index.read_bytes())[0]
    index.write_bytes(marshal.dumps((version, head)) + b"damaged")
    reopened = ObjectStore(tmp_path)
    reopened.open(lookups)
    assert reopened.load("o5") is None  # made again by the next build
    store_build(tmp_path, {"new": b"n"}, list(objects))
    assert ObjectStore(tmp_path).load("new") == b"n"


@pytest.mark.parametrize("few_to_mark", [0, 1_000_000], ids=["by dictionary", "by bisection"])
def test_objects_the_site_holds_outlive_a_whole_rewrite(
    tmp_path: Path, objects: dict[str, bytes], few_to_mark: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ObjectIndex, "_FEW_TO_MARK", few_to_mark)
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
