"""Writing the site: one file per path, and an atomic swap that never leaves half a site."""

from __future__ import annotations

from pathlib import Path

import pytest

from badgepages.output import OutputCollisionError, SiteTree, write_site


def test_refuses_two_files_at_one_path() -> None:
    tree = SiteTree()
    tree.add("a/index.html", b"1")
    with pytest.raises(OutputCollisionError):
        tree.add("a/index.html", b"2")


@pytest.mark.parametrize("path", ["../x", "/etc/x", ""])
def test_refuses_paths_outside_the_site(path: str) -> None:
    with pytest.raises(ValueError, match="outside the site"):
        SiteTree().add(path, b"x")


def test_replaces_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = SiteTree()
    first.add("old.html", b"old")
    write_site(first, out)
    second = SiteTree()
    second.add("new/index.html", b"new")
    write_site(second, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "new/index.html"
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_failed_write_keeps_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = SiteTree()
    first.add("index.html", b"v1")
    write_site(first, out)
    broken = SiteTree()
    broken.add("index.html", b"v2")
    broken.add("index.html/child", b"cannot be both a file and a folder")
    with pytest.raises(OSError, match=r"index\.html"):
        write_site(broken, out)
    assert (out / "index.html").read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
