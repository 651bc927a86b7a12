"""What each host accepts, and how close the planned site comes to it.

A school's archive grows every year and never shrinks: ``check`` tells, before a deploy
fails, that the site nears what its host serves. Sizes come from the last build where the
output folder has them, and from typical sizes of each kind of file otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from badgepages.config import SiteConfig
from badgepages.diagnostics import Diagnostic, Severity
from badgepages.output import Manifest, read_manifest
from badgepages.plan import Plan

WARN_AT = 0.8  # share of a limit from which check warns


@dataclass(frozen=True)
class Limits:
    """What a host serves at most (None: no limit)."""

    name: str
    bytes: int | None
    files: int | None
    file_bytes: int | None


HOSTS = {
    # docs.github.com, "GitHub Pages limits": published sites may be no larger than 1 GB.
    "github-pages": Limits("GitHub Pages", 1_000_000_000, None, 100_000_000),
    # developers.cloudflare.com, Pages "Limits": 20,000 files, each at most 25 MiB.
    "cloudflare-pages": Limits("Cloudflare Pages", None, 20_000, 25 * 1024 * 1024),
    "s3": Limits("S3-compatible storage", None, None, None),
}

# Typical sizes of what a producer makes, for files the output folder does not have yet.
_TYPICAL_BYTES = {
    "award-page": 10_000,
    "credential": 5_000,
    "assertion": 700,
    "badge-page": 30_000,
    "recipient-page": 8_000,
    "badge-png": 60_000,
    "badge-card": 120_000,
}
_OTHER_BYTES = 20_000


@dataclass(frozen=True)
class Footprint:
    """How many files the site has and how many bytes, once built."""

    files: int
    bytes: int
    largest: tuple[str, int]  # the largest file known, and its size


def footprint(plan: Plan, manifest: Manifest | None) -> Footprint:
    """Return the planned site's size: measured where built before, else estimated."""
    known = dict(zip(manifest.routes, manifest.sizes, strict=True)) if manifest else {}
    planned = list(zip(plan.routes, plan.producers(), strict=True))
    measured: dict[str, list[int]] = defaultdict(list)
    for route, producer in planned:
        if route in known:
            measured[producer].append(known[route])
    typical = {producer: sum(sizes) // len(sizes) for producer, sizes in measured.items()}
    total = 0
    largest = ("", 0)
    for route, producer in planned:
        size = known.get(route)
        if size is None:
            size = typical.get(producer, _TYPICAL_BYTES.get(producer, _OTHER_BYTES))
        total += size
        if size > largest[1]:
            largest = (route, size)
    return Footprint(len(plan), total, largest)


def check_host(config: SiteConfig, site: Footprint) -> list[Diagnostic]:
    """Warn when the site nears a limit of its host; refuse it past one."""
    limits = HOSTS[config.host]
    problems = []
    for what, used, limit, unit in (
        ("size", site.bytes, limits.bytes, megabytes),
        ("number of files", site.files, limits.files, _count),
        ("largest file", site.largest[1], limits.file_bytes, megabytes),
    ):
        if limit is None or used < WARN_AT * limit:
            continue
        over = used > limit
        message = (
            f"the site's {what} ({unit(used)}) is {'over' if over else 'near'} what "
            f"{limits.name} serves ({unit(limit)})"
        )
        hint = (
            "publish to object storage instead: set host: s3 and see docs/adopt.md, "
            "'Beyond GitHub Pages'"
        )
        if what == "largest file":
            hint = f"make {site.largest[0]} smaller"
        severity: Severity = "error" if over else "warning"
        problems.append(Diagnostic(config.host_origin, message, hint, severity))
    return problems


def megabytes(value: int) -> str:
    """Return a size as people read it: '3.2 MB', '870 MB'."""
    return f"{value / 1_000_000:,.0f} MB" if value >= 10_000_000 else f"{value / 1_000_000:,.1f} MB"


def _count(value: int) -> str:
    return f"{value:,} files"


def planned_footprint(plan: Plan, out_dir: Path) -> Footprint:
    """Return the planned site's footprint, measured against its last build in ``out_dir``."""
    return footprint(plan, read_manifest(out_dir))
