"""A badge's holders, page by page: every consenting holder listed once, oldest first.

A badge earned by thousands would otherwise list them all on one page of megabytes, and
every new award would rebuild it. The example has three named holders per badge; these
tests list two per page.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from badgepages import render
from badgepages.cache import CACHE_DIR
from badgepages.cli import main
from badgepages.pipeline import BuildOptions, build
from tests.browser_support import Browsing, axe_violations, serve, start_axe
from tests.site import EXAMPLE_DAY, EXAMPLE_EPOCH, copy_example
from tests.test_browser import NOW

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PAGES = {
    "collectif-essca": ("badges/collectif-essca/", "badges/collectif-essca/holders/2/"),
    "citadin-citoyen": ("badges/citadin-citoyen/", "badges/citadin-citoyen/holders/2/"),
}
HOLDERS = {  # oldest first, as the example's sources date them
    "collectif-essca": (
        "recipients/hugo-moreau/",
        "recipients/maximilien-alexandre-de-la-tour-d-auvergne-lauraguais/",
        "recipients/zoe-lefevre-angstrom/",
    ),
    "citadin-citoyen": (
        "recipients/zoe-lefevre-angstrom/",
        "recipients/camille-durand/",
        "recipients/chloe-dubois/",
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    monkeypatch.setattr(render, "EARNERS_PER_PAGE", 2)
    return copy_example(tmp_path / "project")


def build_site(root: Path, out: Path) -> None:
    build(root, BuildOptions(EXAMPLE_DAY, out_dir=out, jobs=2))


def holders(page: str) -> list[str]:
    """Return the recipient pages a page lists as holders, in order."""
    listed = page.split('class="earners"', 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'href="([^"]*recipients/[^"]*)"', listed)
    return [re.sub(r"^(\.\./)+(en/)?", "", link) for link in links]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_named_holder_is_listed_once_oldest_first_across_pages(
    project: Path, tmp_path: Path, language: str
) -> None:
    out = tmp_path / "site"
    build_site(project, out)
    prefix = "" if language == "fr" else "en/"
    sitemap = "".join(file.read_text() for file in out.rglob("sitemap*.xml"))
    for slug, routes in PAGES.items():
        pages = [(out / prefix / route / "index.html").read_text() for route in routes]
        assert [h for page in pages for h in holders(page)] == list(HOLDERS[slug])
        assert not (out / prefix / f"badges/{slug}/holders/3").exists()
        first, second = pages
        # Each page links to the other, says which one it is, and has a title of its own.
        assert ('rel="prev"' in first, 'rel="next"' in first) == (False, True)
        assert ('rel="prev"' in second, 'rel="next"' in second) == (True, False)
        assert 'href="./" aria-current="page">2<' in second
        titles = [re.findall(r"<title>(.*?)</title>", page) for page in pages]
        assert titles[0] != titles[1]
        assert {"page 2 sur 2", "page 2 of 2"} & set(titles[1][0].split(" · "))
        for route in routes:
            assert f"{prefix}{route}</loc>" in sitemap


def test_a_new_award_changes_only_the_last_page_of_holders(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(project, out)
    first = out / PAGES["collectif-essca"][0] / "index.html"
    before = first.stat().st_mtime_ns, first.read_bytes()
    last = (out / PAGES["collectif-essca"][1] / "index.html").read_bytes()
    award = ["award", "collectif-essca", "camille-durand", "--date", "2026-11-01"]
    assert main(["-C", str(project), *award]) == 0
    build_site(project, out)
    assert (first.stat().st_mtime_ns, first.read_bytes()) == before  # not even rewritten
    changed = (out / PAGES["collectif-essca"][1] / "index.html").read_text()
    assert changed.encode() != last
    assert holders(changed) == ["recipients/zoe-lefevre-angstrom/", "recipients/camille-durand/"]
    assert_built_as_from_scratch(project, out, tmp_path)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_revoked_award_leaves_its_page_a_name_short_and_the_others_as_they_were(
    project: Path, tmp_path: Path, language: str
) -> None:
    out = tmp_path / "site"
    build_site(project, out)
    prefix = "" if language == "fr" else "en/"
    first, second = (out / prefix / route / "index.html" for route in PAGES["collectif-essca"])
    before = second.stat().st_mtime_ns, second.read_bytes()
    assert main(["-C", str(project), "revoke", "trgdqziogobjmiqkgmzc", "--reason", "Mistake"]) == 0
    build_site(project, out)
    assert (second.stat().st_mtime_ns, second.read_bytes()) == before  # not even rewritten
    page = first.read_text()
    assert holders(page) == ["recipients/maximilien-alexandre-de-la-tour-d-auvergne-lauraguais/"]
    assert {"Titulaires 1 à 2", "Holders 1 to 2"} & set(re.findall(r"<p>([^<]*)</p>", page))
    assert_built_as_from_scratch(project, out, tmp_path)


def test_a_page_whose_holders_were_all_revoked_still_leads_to_the_others(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert main(["-C", str(project), "revoke", "ampvu7n552mn5nlwqs6l", "--reason", "Mistake"]) == 0
    build_site(project, out)
    page = (out / PAGES["collectif-essca"][1] / "index.html").read_text()
    assert 'class="earners"' not in page
    assert "Aucun titulaire" in page
    assert 'rel="prev"' in page
    assert 'href="./" aria-current="page">2<' in page


def assert_built_as_from_scratch(project: Path, out: Path, tmp_path: Path) -> None:
    """Check that a site built over an earlier one is what a build from scratch makes."""
    clean = tmp_path / "clean-sources"
    shutil.copytree(project, clean, ignore=shutil.ignore_patterns(CACHE_DIR))
    build_site(clean, tmp_path / "clean")
    assert tree(out) == tree(tmp_path / "clean")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_pages_of_holders_are_accessible(project: Path, tmp_path: Path, browser: Browser) -> None:
    out = tmp_path / "site"
    build_site(project, out)
    base = "https://essca.github.io/badges/"
    with serve(out, base) as root:
        browsing = Browsing(browser, root, out, base, now=NOW, bypass_csp=True)
        try:
            visits = [
                (route, browsing.open(prefix + route))
                for prefix in ("", "en/")
                for route in PAGES["collectif-essca"]
            ]
            problems = {}
            for route, visit in visits:
                start_axe(visit.page)
                found = axe_violations(visit.page)
                if found:
                    problems[route] = found
                visit.assert_clean()
        finally:
            browsing.close()
    assert not problems, problems
