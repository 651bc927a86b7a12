"""Incremental builds are exact: after any change, the site equals a clean build's, byte for byte.

A build reuses the previous site (its standby copy) and the cache wherever an artifact's
inputs did not change; these tests make each kind of change a school makes, rebuild, and
compare with a build from scratch of the same sources (no site, no cache). Also: the number
of workers never changes the output, and a damaged or foreign cache entry is never published.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import produce
from badgepages.cache import CACHE_DIR, ObjectStore
from badgepages.cli import main
from badgepages.keys import add_new_key
from badgepages.output import SiteOutput
from badgepages.pipeline import BuildOptions, build
from tests.site import EXAMPLE_DAY, EXAMPLE_EPOCH, copy_example


@dataclass
class Project:
    """A copy of the example, its signing secret, and builds of it."""

    root: Path
    secret: str
    day: date = EXAMPLE_DAY

    def build(self, out: Path, *, jobs: int = 2) -> None:
        options = BuildOptions(self.day, out_dir=out, signing_secret=self.secret, jobs=jobs)
        build(self.root, options)

    def clean_build(self, out: Path) -> dict[str, bytes]:
        """Build a copy of the sources alone: no previous site, no cache."""
        copy = out.parent / f"{out.name}-sources"
        shutil.copytree(self.root, copy, ignore=shutil.ignore_patterns(CACHE_DIR))
        Project(copy, self.secret, self.day).build(out)
        return files(out)

    def cli(self, *args: str) -> None:
        assert main(["-C", str(self.root), *args]) == 0

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text(encoding="utf-8")
        assert old in text, (path, old)
        file.write_text(text.replace(old, new, 1), encoding="utf-8")


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    root = copy_example(tmp_path / "project")
    secret, _ = add_new_key(root, EXAMPLE_DAY)
    return Project(root, secret)


def rotate_key(project: Project) -> None:
    project.secret, _ = add_new_key(project.root, EXAMPLE_DAY)


EXPIRES = date(2026, 12, 15)  # after the example's build day


def give_an_expiry(project: Project) -> None:
    """Make an award expire a little after the build day."""
    project.edit("recipients/hugo-moreau.yaml", "expires: 2025-06-30", f"expires: {EXPIRES}")


# Made before the first build, for changes that need something to change.
PREPARATIONS: dict[str, Callable[[Project], None]] = {
    "award unrevoked": lambda p: p.cli("revoke", "trgdqziogobjmiqkgmzc", "--reason", "Mistake"),
    "an award expires": give_an_expiry,
}


CHANGES: dict[str, Callable[[Project], None]] = {
    "nothing": lambda p: None,
    "award added": lambda p: p.cli(
        "award", "collectif-essca", "hugo-moreau", "--date", "2026-11-01"
    ),
    "award revoked": lambda p: p.cli("revoke", "trgdqziogobjmiqkgmzc", "--reason", "Mistake"),
    "award unrevoked": lambda p: p.cli("unrevoke", "trgdqziogobjmiqkgmzc"),
    "recipient erased": lambda p: p.cli("erase", "chloe-dubois"),
    "consent withdrawn": lambda p: p.edit(
        "recipients/hugo-moreau.yaml", "public: true", "public: false"
    ),
    "badge criteria edited": lambda p: p.edit(
        "badges/collectif-essca.yaml",
        "    Pour obtenir ce badge,",
        "    Désormais, pour obtenir ce badge,",
    ),
    "badge image edited": lambda p: p.edit(
        "badges/citadin-citoyen.svg", 'fill="#0b4f6c"', 'fill="#6c0b4f"'
    ),
    "theme string edited": lambda p: p.edit(
        "theme/strings.yaml", "Badge valide", "Badge authentique"
    ),
    "theme template edited": lambda p: p.edit(
        "theme/templates/base.html", "</footer>", "<p>Édition 2</p></footer>"
    ),
    "theme asset edited": lambda p: p.edit(
        "theme/static/style.css",
        "}",
        "}\n/* edited */",
    ),
    "key rotated": rotate_key,
    "a day later": lambda p: setattr(p, "day", p.day + timedelta(days=1)),
    "an award expires": lambda p: setattr(p, "day", EXPIRES),
    "base URL changed": lambda p: p.edit(
        "site_config.yaml", "https://essca.github.io/badges/", "https://badges.essca.example/"
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_incremental_build_equals_a_clean_build(
    project: Project, tmp_path: Path, change: str
) -> None:
    out = tmp_path / "site"
    if change in PREPARATIONS:
        PREPARATIONS[change](project)
    project.build(out)
    project.build(out)  # the standby copy now holds the previous site too
    before = files(out)
    CHANGES[change](project)
    project.build(out)
    after = files(out)
    assert after == project.clean_build(tmp_path / "clean")
    assert (after == before) == (change == "nothing")


def test_the_number_of_workers_does_not_change_the_site(project: Project, tmp_path: Path) -> None:
    project.build(tmp_path / "one", jobs=1)
    project.build(tmp_path / "four", jobs=4)
    assert files(tmp_path / "one") == files(tmp_path / "four")


@pytest.mark.parametrize("damage", ["corrupted", "truncated", "foreign", "missing"])
def test_a_damaged_cache_entry_is_produced_again_never_published(
    project: Project, tmp_path: Path, damage: str
) -> None:
    project.build(tmp_path / "first")
    expected = files(tmp_path / "first")
    store = ObjectStore(project.root)
    assert store.index
    packs = sorted(store.folder.glob("*.pack"))
    assert packs
    for pack in packs:
        data = pack.read_bytes()
        if damage == "corrupted":
            pack.write_bytes(bytes(byte ^ 0xFF for byte in data))
        elif damage == "truncated":
            pack.write_bytes(data[: len(data) // 2])
        elif damage == "foreign":
            # Another object's bytes where each entry points: the sizes fit, the content not.
            pack.write_bytes(data[len(data) // 3 :] + data[: len(data) // 3])
        else:
            pack.unlink()
    project.build(tmp_path / "second")  # a fresh output: everything would come from the cache
    assert files(tmp_path / "second") == expected


def _forbid(monkeypatch: pytest.MonkeyPatch, *producers: str) -> None:
    """Make these producers fail: what they would make must come from the cache."""

    def fail(*args: object) -> bytes:
        raise AssertionError("made again instead of taken from the cache")

    for producer in producers:
        monkeypatch.setitem(produce.PRODUCERS, producer, fail)


def test_a_fresh_output_takes_costly_files_from_the_cache_and_makes_cheap_ones(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.build(tmp_path / "first")
    _forbid(monkeypatch, "credential", "badge-page", "badge-card", "home-page", "status-list")
    options = BuildOptions(EXAMPLE_DAY, out_dir=tmp_path / "second", signing_secret=project.secret)
    report = build(project.root, options)
    assert files(tmp_path / "second") == files(tmp_path / "first")
    # Pages filled in from stencils and plain JSON are made again: cheaper than reading back.
    assert 0 < report.execution.produced < report.files
    assert report.execution.copied == report.files - report.execution.produced


def test_the_cache_keeps_award_pages_a_theme_renders_whole(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.edit("theme/templates/award.html", "{# badgepages: stencil #}\n", "")
    project.build(tmp_path / "first")
    _forbid(monkeypatch, "award-page")
    project.build(tmp_path / "second")
    assert files(tmp_path / "second") == files(tmp_path / "first")


def test_a_sitemap_in_parts_is_rebuilt_exactly(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(produce, "SITEMAP_LIMIT", 8)  # the example has about 20 pages to list
    out = tmp_path / "site"
    project.build(out)
    parts = sorted((out / "sitemaps").iterdir())
    assert len(parts) > 2
    index = (out / "sitemap.xml").read_text()
    assert index.count("<sitemap>") == len(parts)
    listed = [loc for part in parts for loc in re.findall(r"<loc>(.*?)</loc>", part.read_text())]
    assert len(listed) == len(set(listed)) > 8
    before = files(out / "sitemaps")
    CHANGES["award added"](project)
    project.build(out)
    assert files(out) == project.clean_build(tmp_path / "clean")
    after = files(out / "sitemaps")
    assert after.keys() == before.keys()
    # A part is chosen by the page's address, not its rank: only those listing the award's
    # two pages change.
    assert 0 < sum(after[part] != before[part] for part in after) <= 2


@given(st.sets(st.text("ab/", min_size=1, max_size=6), max_size=60), st.integers(1, 6))
def test_a_sitemap_in_parts_lists_every_page_once(routes: set[str], limit: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(produce, "SITEMAP_LIMIT", limit)
        ordered = sorted(routes)
        parts = produce.split_sitemap(ordered)
    if len(ordered) <= limit:
        assert parts == []
    else:
        assert sorted(route for part in parts for route in part) == ordered
        assert all(0 < len(part) <= limit and part == sorted(part) for part in parts)


def test_changes_logged_one_after_another_equal_a_clean_build(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large site logs small changes to its manifest: what the next builds rely on."""
    monkeypatch.setattr(SiteOutput, "LOG_FROM", 0)
    out = tmp_path / "site"
    project.build(out)
    for change in ["award added", "award revoked", "recipient erased", "badge image edited"]:
        CHANGES[change](project)
        project.build(out)
        assert (tmp_path / ".site.badgepages/manifest.log").exists()
    assert files(out) == project.clean_build(tmp_path / "clean")
    before = files(out)
    project.build(out)
    assert files(out) == before
