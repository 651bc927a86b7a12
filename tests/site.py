"""The example site, built once per test session, for tests that inspect the output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from badgepages.catalog import Catalog, load_catalog
from badgepages.pipeline import build, site_urls
from badgepages.urls import SiteUrls

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_EPOCH = "1795824000"  # 2026-11-28: the example content's build day
EXAMPLE_DAY = date(2026, 11, 28)


@dataclass
class BuiltSite:
    """A built site and the catalog it was built from."""

    root: Path
    out: Path

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


def build_example(out: Path) -> BuiltSite:
    """Build the repository's example site into ``out`` on its fixed build day."""
    build(REPO, EXAMPLE_DAY, out)
    return BuiltSite(REPO, out)
