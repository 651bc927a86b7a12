"""`check` tells how big the site will be, and warns before it outgrows its host."""

from __future__ import annotations

from datetime import date

import pytest

from badgepages import hosts
from badgepages.catalog import load_catalog
from badgepages.pipeline import BuildOptions, plan_of
from tests.conftest import CONFIG, Project

BUILD_DAY = date(2025, 12, 4)


def site_footprint(project: Project) -> hosts.Footprint:
    catalog = load_catalog(project.root, BUILD_DAY)
    plan = plan_of(catalog, BuildOptions(build_date=BUILD_DAY))
    return hosts.planned_footprint(plan, catalog.config.output_dir)


def test_a_built_site_is_measured_file_by_file(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run(capsys, "build")[0] == 0
    files = [file for file in (project.root / "_site").rglob("*") if file.is_file()]
    site = site_footprint(project)
    assert (site.files, site.bytes) == (len(files), sum(file.stat().st_size for file in files))
    largest = max(files, key=lambda file: file.stat().st_size)
    assert site.largest == (
        largest.relative_to(project.root / "_site").as_posix(),
        largest.stat().st_size,
    )


def test_new_awards_are_estimated_from_the_built_ones(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert project.run(capsys, "build")[0] == 0
    before = site_footprint(project)
    recipient = (project.root / "recipients/alice-martin.yaml").read_text(encoding="utf-8")
    project.write(
        "recipients/bob.yaml",
        recipient.replace("Alice Martin", "Bob")
        .replace("alice@", "bob@")
        .replace("a" * 20, "b" * 20),
    )
    after = site_footprint(project)
    assert after.files > before.files
    # Bob's pages and credentials are as large as Alice's, give or take his name.
    grown = after.bytes - before.bytes
    alice = sum(
        file.stat().st_size
        for file in (project.root / "_site").rglob("*")
        if file.is_file() and ("a" * 20 in str(file) or "alice-martin" in str(file))
    )
    assert 0.8 * alice < grown < 1.5 * alice + 20_000


@pytest.mark.parametrize(
    ("host", "site", "line"),
    [
        (
            "github-pages",
            hosts.Footprint(180_000, 810_000_000, ("index.html", 9_000)),
            "site_config.yaml:1:7: warning: the site's size (810 MB) is near what GitHub Pages "
            "serves (1,000 MB) (publish to object storage instead: set host: s3 and see "
            "docs/adopt.md, 'Beyond GitHub Pages')",
        ),
        (
            "github-pages",
            hosts.Footprint(240_000, 1_200_000_000, ("index.html", 9_000)),
            "site_config.yaml:1:7: the site's size (1,200 MB) is over what GitHub Pages "
            "serves (1,000 MB) (publish to object storage instead: set host: s3 and see "
            "docs/adopt.md, 'Beyond GitHub Pages')",
        ),
        (
            "cloudflare-pages",
            hosts.Footprint(21_000, 90_000_000, ("index.html", 9_000)),
            "site_config.yaml:1:7: the site's number of files (21,000 files) is over what "
            "Cloudflare Pages serves (20,000 files) (publish to object storage instead: set "
            "host: s3 and see docs/adopt.md, 'Beyond GitHub Pages')",
        ),
        (
            "cloudflare-pages",
            hosts.Footprint(200, 90_000_000, ("badges/civic/card.png", 30_000_000)),
            "site_config.yaml:1:7: the site's largest file (30 MB) is over what "
            "Cloudflare Pages serves (26 MB) (make badges/civic/card.png smaller)",
        ),
    ],
)
def test_check_warns_near_a_host_limit_and_fails_past_it(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    site: hosts.Footprint,
    line: str,
) -> None:
    project.write("site_config.yaml", f"host: {host}\n" + CONFIG)
    monkeypatch.setattr(hosts, "planned_footprint", lambda plan, out_dir: site)
    status, output = project.run(capsys, "check")
    assert output.splitlines()[0] == line
    assert status == (0 if ": warning:" in line else 1)


def test_object_storage_has_no_limit(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("site_config.yaml", "host: s3\n" + CONFIG)
    site = hosts.Footprint(5_000_000, 90_000_000_000, ("index.html", 9_000))
    monkeypatch.setattr(hosts, "planned_footprint", lambda plan, out_dir: site)
    status, output = project.run(capsys, "check")
    assert (status, output) == (
        0,
        "1 badge, 1 recipient, 1 award (a site of 5,000,000 files, 90,000 MB): no problems found\n",
    )


def test_an_unknown_host_is_named_with_the_known_ones(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("site_config.yaml", "host: netlify\n" + CONFIG)
    status, output = project.run(capsys, "check")
    assert status == 1
    assert output.splitlines()[0].startswith("site_config.yaml:1:7: ")
    assert "'github-pages', 'cloudflare-pages' or 's3'" in output
