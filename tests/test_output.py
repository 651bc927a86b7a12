"""Writing the site: whole once, then file by file under a journal; never half a site."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import output
from badgepages.output import (
    Change,
    Entry,
    Manifest,
    OutputBusyError,
    SiteOutput,
    check_route,
    encode_json,
    write_file,
)

# What the site's documents hold: texts (any character, lone surrogates too), integers of
# any size, booleans, null, lists, and objects whose keys are texts or integers.
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(st.characters(codec=None)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4) | st.integers(-9, 9), inner, max_size=4)
    ),
    max_leaves=12,
)


def _outcome(encode: Callable[[object], bytes], document: object) -> bytes | type[Exception]:
    try:
        return encode(document)
    except Exception as error:
        return type(error)


@given(_JSON)
def test_json_is_written_as_the_standard_encoder_writes_it(document: object) -> None:
    def standard(value: object) -> bytes:
        return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    assert _outcome(encode_json, document) == _outcome(standard, document)


def stage(
    out: Path, files: dict[str, bytes]
) -> tuple[SiteOutput, Change, list[tuple[str, str]], list[str]]:
    """Write what a build of ``files`` would write, without committing it."""
    site = SiteOutput(out).__enter__()
    before = site.prepare()
    routes = list(files)
    keys = [hashlib.sha256(data).hexdigest() for data in files.values()]
    changed = site.changed()
    found, removed, _ = before.compare(routes, keys)
    positions = [-1 if at in changed else at for at in found]
    written = {}
    renames = []
    for route, key, at in zip(routes, keys, positions, strict=True):
        if at >= 0:
            continue
        done = write_file(site.target, route, files[route])
        status = done.status
        written[route] = Entry(key, status.st_size, status.st_mtime_ns)
        if done.temporary:
            renames.append((done.temporary, route))
    return site, Change(routes, keys, positions, written), renames, removed


def publish(out: Path, files: dict[str, bytes]) -> None:
    """Bring the site at ``out`` to exactly ``files`` the way a build does."""
    site, manifest, renames, removed = stage(out, files)
    site.commit(manifest, renames, removed)
    site.__exit__()


_ROUTE = st.text(st.sampled_from("ab./\\\0\n"), max_size=8)


def _outside_files(root: Path, out: Path) -> dict[str, bytes]:
    state = out.parent / f".{out.name}.badgepages"
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and out not in p.parents and state not in p.parents
    }


@given(st.lists(_ROUTE, min_size=1, max_size=4))
def test_a_build_removes_nothing_outside_the_site_whatever_its_manifest_names(
    routes: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        out = root / "deep" / "site"
        publish(out, {"index.html": b"v1"})
        for route in routes:  # a file where each route leads, if outside the site
            if "\0" not in route:
                path = Path(os.path.normpath(f"{out}/{route}"))
                if path.parent.is_dir() and not path.exists() and out not in path.parents:
                    path.write_bytes(b"not the site's")
        before = _outside_files(root, out)
        file = out.parent / f".{out.name}.badgepages" / "manifest"
        version, inode, generation, listed, keys, sizes, mtimes = marshal.loads(file.read_bytes())
        numbers = bytes(8 * len(routes))
        file.write_bytes(
            marshal.dumps(
                (version, inode, generation, [*listed, *routes], [*keys, *"k" * len(routes)],
                 sizes + numbers, mtimes + numbers)
            )
        )  # fmt: skip
        publish(out, {"index.html": b"v1"})  # what is not planned would be removed
        assert _outside_files(root, out) == before
        assert tree(out) == {"index.html": b"v1"}


_KEYS = st.sampled_from("12")
_SITES = st.lists(st.tuples(st.sampled_from("abcdefgh"), _KEYS), unique_by=lambda f: f[0])


@given(st.data())
def test_a_plan_is_compared_with_the_published_files_route_by_route(data: st.DataObject) -> None:
    published = data.draw(_SITES)
    # The next plan: mostly the same routes in the same order, some dropped, changed or new.
    planned = [(r, data.draw(_KEYS)) for r, _ in published if data.draw(st.booleans())]
    for route, key in data.draw(_SITES):
        if route not in dict(planned):
            planned.insert(data.draw(st.integers(0, len(planned))), (route, key))
    before = Manifest([r for r, _ in published], [k for _, k in published])
    positions, obsolete, superseded = before.compare(
        [r for r, _ in planned], [k for _, k in planned]
    )
    held = {route: (at, key) for at, (route, key) in enumerate(published)}
    assert positions == [
        held[route][0] if held.get(route, (0, None))[1] == key else -1 for route, key in planned
    ]
    assert obsolete == [route for route, _ in published if route not in dict(planned)]
    assert sorted(superseded) == sorted(
        key for route, key in published if dict(planned).get(route) != key
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("route", ["../x", "/etc/x", "", "a/../x", "a\\b", "a\0b"])
def test_refuses_routes_outside_the_site(route: str) -> None:
    with pytest.raises(ValueError, match="outside the site"):
        check_route(route)


def test_each_build_publishes_exactly_its_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    versions = [
        {"index.html": b"1", "a/b.json": b"b"},
        {"index.html": b"2", "c/d/e.txt": b"e"},
        {"index.html": b"2", "c/d/e.txt": b"e", "a/b.json": b"b again"},
        {"index.html": b"3"},
    ]
    for files in versions:
        publish(out, files)
        assert tree(out) == files
    # Only the site and the engine's hidden state folder sit beside each other.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.badgepages", "site"]
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]  # emptied folders go


def test_unchanged_files_are_never_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"keep.txt": b"same", "change.txt": b"v1"})
    kept = os.stat(out / "keep.txt")
    publish(out, {"keep.txt": b"same", "change.txt": b"v2"})
    assert os.stat(out / "keep.txt").st_ino == kept.st_ino
    assert os.stat(out / "keep.txt").st_mtime_ns == kept.st_mtime_ns
    assert (out / "change.txt").read_bytes() == b"v2"


def test_a_failed_build_leaves_the_published_site_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    site, *_ = stage(out, {"index.html": b"half", "new.txt": b"n"})
    site.discard()  # a producer failed: nothing is committed
    site.__exit__()
    assert tree(out) == {"index.html": b"v1"}
    publish(out, {"index.html": b"v2"})
    assert tree(out) == {"index.html": b"v2"}


def test_a_build_killed_before_its_commit_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1", "old.txt": b"o"})
    site, *_ = stage(out, {"index.html": b"v2"})
    site.__exit__()  # killed: the temporary files stay behind
    assert tree(out) == {"index.html": b"v1", "old.txt": b"o"}
    publish(out, {"index.html": b"v1", "old.txt": b"o"})
    assert tree(out) == {"index.html": b"v1", "old.txt": b"o"}
    assert not (tmp_path / ".site.badgepages" / "incoming").exists()


def test_a_build_killed_after_its_commit_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1", "old.txt": b"o"})
    site, manifest, renames, removed = stage(out, {"index.html": b"v2", "a/new.txt": b"n"})

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # after the journal was written, before the renames

    with monkeypatch.context() as patch:
        patch.setattr(SiteOutput, "_apply", killed)
        with pytest.raises(KeyboardInterrupt):
            site.commit(manifest, renames, removed)
    site.__exit__()
    assert tree(out) == {"index.html": b"v1", "old.txt": b"o"}
    with SiteOutput(out) as recovered:  # the next command finishes the build
        assert sorted(recovered.prepare().routes) == ["a/new.txt", "index.html"]
    assert tree(out) == {"index.html": b"v2", "a/new.txt": b"n"}


def test_a_file_edited_in_the_published_site_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    (out / "index.html").write_bytes(b"edited by hand")
    with SiteOutput(out) as site:
        manifest = site.prepare()
        assert site.changed() == {manifest.routes.index("index.html")}
    publish(out, {"index.html": b"v1"})
    assert tree(out) == {"index.html": b"v1"}


def test_a_folder_not_made_by_a_build_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "stray").mkdir(parents=True)
    (out / "stray" / "file.txt").write_bytes(b"not ours")
    publish(out, {"index.html": b"v1"})
    assert tree(out) == {"index.html": b"v1"}


def test_files_and_folders_are_world_readable_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        publish(tmp_path / "site", {"a/b/c.html": b"x"})
        publish(tmp_path / "site", {"a/b/c.html": b"x", "d/e.html": b"y"})
    finally:
        os.umask(previous)
    site = tmp_path / "site"
    for file in ("a/b/c.html", "d/e.html"):
        assert stat.S_IMODE(os.stat(site / file).st_mode) == 0o644
    for folder in ("a", "a/b", "d"):
        assert stat.S_IMODE(os.stat(site / folder).st_mode) == 0o755


def test_one_build_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with SiteOutput(out), pytest.raises(OutputBusyError, match="another build is writing"):
        SiteOutput(out).__enter__()


def test_an_interrupted_first_swap_is_finished_by_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    (out / "stray.txt").parent.mkdir(parents=True)
    (out / "stray.txt").write_bytes(b"not ours")
    site, manifest, renames, removed = stage(out, {"index.html": b"v1"})
    real_replace = os.replace

    def replace_once(source: object, target: object) -> None:
        if str(source).endswith("staging"):
            raise KeyboardInterrupt  # killed between the two renames: no site folder at all
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(output, "_exchange", lambda first, second: False)
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace_once)
        with pytest.raises(KeyboardInterrupt):
            site.commit(manifest, renames, removed)
    site.__exit__()
    assert not out.exists()
    with SiteOutput(out):
        pass
    assert tree(out) == {"index.html": b"v1"}


def test_leftovers_of_earlier_staging_folders_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / ".site.staging-abc123"
    (leftover / "awards").mkdir(parents=True)
    (tmp_path / ".site.old-xyz" / "site").mkdir(parents=True)
    publish(tmp_path / "site", {"index.html": b"x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.badgepages", "site"]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_files_edited_by_hand_are_found_on_any_number_of_cores(tmp_path: Path, jobs: int) -> None:
    out = tmp_path / "site"
    files = {f"f/{number}.txt": b"x" * number for number in range(20)}
    publish(out, files)
    (out / "f/3.txt").write_bytes(b"yyy")  # same size, new time
    (out / "f/17.txt").unlink()
    (out / "f/18.txt").write_bytes(b"z")
    with SiteOutput(out, jobs) as site:
        manifest = site.prepare()
        found = {manifest.routes[at] for at in site.changed()}
    assert found == {"f/3.txt", "f/17.txt", "f/18.txt"}


@pytest.mark.parametrize("outside", ["../victim.txt", "a/../../victim.txt", "", "/etc/x", "a\\b"])
def test_a_manifest_naming_a_file_outside_the_site_never_has_it_removed(
    tmp_path: Path, outside: str
) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not the site's")
    file = tmp_path / ".site.badgepages" / "manifest"
    version, inode, generation, routes, keys, sizes, mtimes = marshal.loads(file.read_bytes())
    routes, keys = [*routes, outside], [*keys, "k"]
    file.write_bytes(
        marshal.dumps((version, inode, generation, routes, keys, sizes * 2, mtimes * 2))
    )
    publish(out, {"index.html": b"v1"})  # what is not planned would be removed
    assert victim.read_bytes() == b"not the site's"
    assert tree(out) == {"index.html": b"v1"}


# -- the manifest's log: small changes to a large site --------------------------------------


@pytest.fixture
def logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Log every change, as builds do on a site of 10,000 routes and more."""
    monkeypatch.setattr(SiteOutput, "LOG_FROM", 0)


def published(out: Path) -> list[tuple[str, str]]:
    manifest = output.read_manifest(out)
    assert manifest is not None
    return list(zip(manifest.routes, manifest.keys, strict=True))


def planned(files: dict[str, bytes]) -> list[tuple[str, str]]:
    return [(route, hashlib.sha256(data).hexdigest()) for route, data in files.items()]


_VERSIONS = st.lists(
    st.dictionaries(
        st.sampled_from(["a", "b/c", "d", "e/f", "g", "h"]), st.sampled_from([b"1", b"2"])
    ),
    min_size=1,
    max_size=8,
)


@given(_VERSIONS, st.sampled_from([1, 3, 32]))
def test_logged_changes_publish_exactly_each_site(
    versions: list[dict[str, bytes]], most: int
) -> None:
    """Logged or written whole (every ``most`` changes), the manifest follows the site."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(SiteOutput, "LOG_FROM", 0)
        patch.setattr(SiteOutput, "LOG_CHANGES", most)
        out = Path(folder) / "site"
        for files in versions:
            publish(out, files)
            assert tree(out) == files
            assert published(out) == planned(files)


@pytest.mark.usefixtures("logging")
def test_a_change_is_logged_and_the_manifest_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"a": b"1", "b": b"1", "c": b"1"})
    manifest = (tmp_path / ".site.badgepages/manifest").read_bytes()
    publish(out, {"a": b"1", "n": b"new", "c": b"2"})
    assert (tmp_path / ".site.badgepages/manifest").read_bytes() == manifest
    assert (tmp_path / ".site.badgepages/manifest.log").stat().st_size > 0
    assert published(out) == planned({"a": b"1", "n": b"new", "c": b"2"})


@pytest.mark.usefixtures("logging")
@pytest.mark.parametrize("step", ["_apply", "_append", "after _append"])
def test_a_logged_build_killed_after_its_commit_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1", "old.txt": b"o"})
    new = {"index.html": b"v2", "a/new.txt": b"n"}
    site, change, renames, removed = stage(out, new)
    real_append = SiteOutput._append

    def killed(self: SiteOutput, *args: object) -> None:
        if step != "_apply":
            real_append(self, *args)  # type: ignore[arg-type]
        if step == "_append":  # killed half-way through the log's record
            log = tmp_path / ".site.badgepages/manifest.log"
            log.write_bytes(log.read_bytes()[:-3])
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(SiteOutput, step.split()[-1], killed)
        with pytest.raises(KeyboardInterrupt):
            site.commit(change, renames, removed)
    site.__exit__()
    with SiteOutput(out) as recovered:  # the next command finishes the build
        assert sorted(recovered.prepare().routes) == ["a/new.txt", "index.html"]
    assert tree(out) == new
    assert published(out) == planned(new)


@pytest.mark.usefixtures("logging")
def test_a_log_cut_short_without_its_journal_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"a": b"1", "b": b"1"})
    publish(out, {"a": b"2", "b": b"1"})
    log = tmp_path / ".site.badgepages/manifest.log"
    log.write_bytes(log.read_bytes()[:-3])
    assert output.read_manifest(out) is None  # the folder is written anew
    (out / "stray.txt").write_bytes(b"left by a change the log lost")
    publish(out, {"a": b"2", "b": b"1"})
    assert tree(out) == {"a": b"2", "b": b"1"}
