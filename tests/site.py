"""The example site, signed with a throw-away key and built once per test session."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from badgepages import baking
from badgepages.catalog import Award, Catalog, load_catalog
from badgepages.keys import add_new_key
from badgepages.pipeline import BuildOptions, build, site_urls
from badgepages.urls import SiteUrls

REPO = Path(__file__).resolve().parents[1]
# Copies of the standards documents the tests check against (origins in its README.md).
STANDARDS = REPO / "tests" / "standards"
EXAMPLE_EPOCH = "1795824000"  # 2026-11-28: the example content's build day
EXAMPLE_DAY = date(2026, 11, 28)
SOURCES = ("site_config.yaml", "badges", "recipients", "theme", "published.lock", "keys.yaml")


@dataclass
class BuiltSite:
    """A built site, the project it was built from, and its signing secret."""

    root: Path
    out: Path
    secret: str

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.root, EXAMPLE_DAY)

    @cached_property
    def urls(self) -> SiteUrls:
        return site_urls(self.catalog)

    def files(self) -> list[Path]:
        return sorted(p for p in self.out.rglob("*") if p.is_file())

    def read(self, path: str) -> str:
        return (self.out / path).read_text(encoding="utf-8")


def copy_example(target: Path, names: tuple[str, ...] = SOURCES) -> Path:
    """Copy the repository's example project (its sources, or some of them) to ``target``."""
    target.mkdir(parents=True)
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target


def build_example(workdir: Path) -> BuiltSite:
    """Build a signed copy of the example project on its fixed build day."""
    root = copy_example(workdir / "project")
    secret, _ = add_new_key(root, EXAMPLE_DAY)
    out = workdir / "site"
    build(root, BuildOptions(EXAMPLE_DAY, out_dir=out, signing_secret=secret))
    return BuiltSite(root, out, secret)


Standard = Literal["ob2", "ob3"]


def baked_download(site: BuiltSite, award: Award, standard: Standard, kind: str = "png") -> bytes:
    """Return the baked image the award page's download button makes.

    The page bakes the badge's shared image with the hosted JSON in the browser; it is
    checked byte for byte against ``badgepages.baking``, the reference used here.
    """
    urls = site.urls
    image = site.out / urls.badge_image(award.badge.slug, "svg" if kind == "svg" else "png")
    hosted = urls.assertion_json(award.id) if standard == "ob2" else urls.credential_json(award.id)
    text = site.read(hosted)
    if kind == "png":
        keyword = baking.OB2_KEYWORD if standard == "ob2" else baking.OB3_KEYWORD
        return baking.bake_png(image.read_bytes(), keyword, text)
    if standard == "ob2":
        verify = urls.url(hosted)
        return baking.bake_svg(
            image.read_bytes(), "assertion", baking.OB2_SVG_NAMESPACE, text, verify
        )
    return baking.bake_svg(image.read_bytes(), "credential", baking.OB3_SVG_NAMESPACE, text, None)
