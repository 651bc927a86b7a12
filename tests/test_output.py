"""Writing the site: a standby copy changed by difference, swapped in whole, never half a site."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from badgepages.output import (
    Entry,
    Manifest,
    OutputBusyError,
    SiteOutput,
    check_route,
    write_file,
)


def publish(out: Path, files: dict[str, bytes]) -> None:
    """Bring the site at ``out`` to exactly ``files`` the way a build does."""
    with SiteOutput(out) as output:
        before = output.prepare()
        output.remove(route for route in before if route not in files)
        manifest: Manifest = {}
        for route, data in files.items():
            key = hashlib.sha256(data).hexdigest()
            if route in before and before[route].key == key:
                manifest[route] = before[route]
                continue
            status = write_file(output.standby, route, data)
            manifest[route] = Entry(key, key, status.st_size, status.st_mtime_ns)
        output.commit(manifest)


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


def test_unchanged_files_are_shared_never_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"keep.txt": b"same", "change.txt": b"v1"})
    publish(out, {"keep.txt": b"same", "change.txt": b"v2"})
    kept = os.stat(out / "keep.txt")
    publish(out, {"keep.txt": b"same", "change.txt": b"v3"})
    # The published copy's file was neither rewritten nor replaced by the third build.
    assert os.stat(out / "keep.txt").st_ino == kept.st_ino
    assert (out / "change.txt").read_bytes() == b"v3"


def test_a_failed_build_leaves_the_published_site_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    with SiteOutput(out) as output:
        output.prepare()
        write_file(output.standby, "index.html", b"half")
        output.discard()  # a producer failed: nothing is committed
    assert tree(out) == {"index.html": b"v1"}
    publish(out, {"index.html": b"v2", "new.txt": b"n"})
    assert tree(out) == {"index.html": b"v2", "new.txt": b"n"}


def test_an_interrupted_build_leaves_no_trusted_standby(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    publish(out, {"index.html": b"v2"})
    with SiteOutput(out) as output:
        output.prepare()
        # Killed here: the standby copy is half changed and has no manifest any more.
        write_file(output.standby, "index.html", b"garbage")
    publish(out, {"index.html": b"v1"})  # the key of v1 matches what the standby once held
    assert tree(out) == {"index.html": b"v1"}


def test_a_file_edited_in_the_published_copy_is_not_trusted(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    publish(out, {"index.html": b"v1"})
    (out / "index.html").write_bytes(b"edited by hand")  # in place, shared inode
    with SiteOutput(out) as output:
        manifest = output.prepare()
        assert "index.html" not in output.verified(manifest, ["index.html"])


def test_files_and_folders_are_world_readable_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        publish(tmp_path / "site", {"a/b/c.html": b"x"})
    finally:
        os.umask(previous)
    site = tmp_path / "site"
    assert stat.S_IMODE(os.stat(site / "a/b/c.html").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(site / "a/b").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(site / "a").st_mode) == 0o755


def test_one_build_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with SiteOutput(out), pytest.raises(OutputBusyError, match="another build is writing"):
        SiteOutput(out).__enter__()


def test_an_interrupted_swap_is_finished_by_the_next_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(out, {"index.html": b"v1"})
    publish(out, {"index.html": b"v2"})
    state = tmp_path / ".site.badgepages"
    # A swap without RENAME_EXCHANGE publishes the standby copy (here v1) in three renames;
    # killed after the first, there is no published folder at all.
    (state / "swap-in-progress").write_bytes(b"")
    os.replace(out, state / "retired")
    with SiteOutput(out):
        pass
    assert tree(out) == {"index.html": b"v1"}
    assert tree(state / "standby") == {"index.html": b"v2"}
    assert not (state / "retired").exists()


def test_leftovers_of_earlier_staging_folders_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / ".site.staging-abc123"
    (leftover / "awards").mkdir(parents=True)
    (tmp_path / ".site.old-xyz" / "site").mkdir(parents=True)
    publish(tmp_path / "site", {"index.html": b"x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.badgepages", "site"]
