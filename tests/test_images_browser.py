"""Every SVG the site publishes, opened at its own URL in chromium, runs no script and makes
no request: built from a project whose badge SVG, issuer logo and theme SVG carry payloads.

The site is served without a Content-Security-Policy, as GitHub Pages serves it, so nothing
but the sanitiser stands between a payload and the issuer's origin. The same payload, served
as it was written, does run and does make requests: the check below can fail.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from badgepages import baking
from badgepages.pipeline import BuildOptions, build
from tests.browser_support import Browsing, Visit, serve
from tests.conftest import BADGE, CONFIG, RECIPIENT
from tests.site import EXAMPLE_DAY, REPO

if TYPE_CHECKING:
    from playwright.sync_api import Browser

XHTML = "http://www.w3.org/1999/xhtml"
# Each line, left in, would run on load or make a request by itself, with no user action.
HOSTILE = f"""\
<?xml-stylesheet href="https://evil.example/sheet.css" type="text/css"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0 0 64 64" onload="window.pwned = 'onload'">
<script>window.pwned = 'script'; document.title = 'pwned';</script>
<h:script xmlns:h="{XHTML}">window.pwnedXhtml = true;</h:script>
<style>@import url(https://evil.example/import.css);
circle {{ stroke: url(https://evil.example/paint.svg#p) }}</style>
<image href="https://evil.example/image.png" width="8" height="8"/>
<image xlink:href="https://evil.example/xlink.png" width="8" height="8"/>
<use href="https://evil.example/use.svg#x"/>
<filter id="f"><feImage href="https://evil.example/feimage.png"/></filter>
<rect width="9" height="9" filter="url(#f)" fill="url(https://evil.example/fill.svg#p)"/>
<foreignObject width="9" height="9"><iframe xmlns="{XHTML}" src="https://evil.example/frame">
</iframe></foreignObject>
<circle cx="32" cy="32" r="30" fill="#0b4f6c" style="fill: url(https://evil.example/s.svg#p)"/>
</svg>
"""
STATE = (
    "() => ({pwned: window.pwned ?? null, xhtml: window.pwnedXhtml ?? null, title: document.title})"
)


@dataclass(frozen=True)
class HostileSite:
    """A site built from hostile SVGs, served without a policy, and the raw payload beside it."""

    root: str
    folder: Path
    public_base: str


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSite]:
    work = tmp_path_factory.mktemp("hostile")
    project = work / "project"
    shutil.copytree(REPO / "theme", project / "theme")
    (project / "theme" / "static" / "icons").mkdir()
    (project / "theme" / "static" / "icons" / "hostile.svg").write_text(HOSTILE, "utf-8")
    (project / "badges").mkdir()
    (project / "recipients").mkdir()
    (project / "badges" / "civic.svg").write_text(HOSTILE, "utf-8")
    (project / "badges" / "civic.yaml").write_text(BADGE, "utf-8")
    (project / "recipients" / "alice-martin.yaml").write_text(RECIPIENT, "utf-8")
    (project / "logo.svg").write_text(HOSTILE, "utf-8")
    config = CONFIG.replace(f"theme: {REPO / 'theme'}", "theme: theme")
    config = config.replace(
        "  email: badges@example.org\n", "  email: badges@example.org\n  logo: logo.svg\n"
    )
    (project / "site_config.yaml").write_text(config, "utf-8")
    folder = work / "site"
    build(project, BuildOptions(EXAMPLE_DAY, out_dir=folder))
    # A badge baked from the published image, as a download would hold it.
    image = (folder / "badges" / "civic" / "image.svg").read_bytes()
    baked = baking.bake_svg(image, "credential", baking.OB3_SVG_NAMESPACE, '{"id": "x"}', None)
    (folder / "baked.svg").write_bytes(baked)
    # The control: the payload as written, beside the site (never part of it).
    (folder / "raw.svg").write_text(HOSTILE, "utf-8")
    public_base = "https://example.github.io/badges/"
    with serve(folder, public_base, policy=False) as root:
        yield HostileSite(root, folder, public_base)


def open_svg(browser: Browser, site: HostileSite, path: str) -> tuple[Visit, dict[str, object]]:
    """Open one SVG at its URL; return the visit and what its scripts could have changed."""
    browsing = Browsing(browser, site.root, site.folder, site.public_base)
    try:
        visit = browsing.open(path)
        return visit, dict(visit.page.evaluate(STATE))
    finally:
        browsing.close()


def test_the_raw_payload_runs_and_makes_requests(
    browser: Browser, hostile_site: HostileSite
) -> None:
    visit, state = open_svg(browser, hostile_site, "raw.svg")
    assert state == {"pwned": "onload", "xhtml": True, "title": "pwned"}
    assert "https://evil.example/image.png" in visit.foreign


def test_every_published_svg_runs_no_script_and_makes_no_request(
    browser: Browser, hostile_site: HostileSite
) -> None:
    published = sorted(
        p.relative_to(hostile_site.folder).as_posix()
        for p in hostile_site.folder.rglob("*.svg")
        if p.name != "raw.svg"
    )
    assert {
        "issuer-logo.svg",
        "static/icons/hostile.svg",
        "badges/civic/image.svg",
        "baked.svg",
    } <= set(published)
    for path in published:
        visit, state = open_svg(browser, hostile_site, path)
        assert (state["pwned"], state["xhtml"]) == (None, None), path
        assert state["title"] != "pwned", path
        assert visit.requests == [hostile_site.root + path], path
        assert (visit.foreign, visit.errors) == ([], []), path
