"""What badgepages publish uploads, with which headers, and what it may delete (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgepages import publish
from badgepages.ledger import Ledger, LedgerEntry

HTML, JSON, SHORT = "text/html; charset=utf-8", "application/json", "public, max-age=300"
LEDGER = Ledger(
    {"m6bueffbrqutcnotnw6n": LedgerEntry("citadin-citoyen", 7)}, {"citadin-citoyen": "d"}
)


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        ("awards/m6bueffbrqutcnotnw6n/index.html", True),
        ("en/awards/m6bueffbrqutcnotnw6n/index.html", True),
        ("awards/m6bueffbrqutcnotnw6n/credential.json", True),
        ("de/awards/m6bueffbrqutcnotnw6n/index.html", True),  # a language since dropped
        ("badges/citadin-citoyen/image.png", True),
        ("en/badges/citadin-citoyen/index.html", True),
        ("en/recipients/camille-durand/index.html", False),  # names a person
        ("recipients/camille-durand/index.html", False),
        ("awards/bpraoz4rrzsnnqadotfg/index.html", False),  # not in the ledger
        ("badges/collectif-essca/index.html", False),
        ("static/award.js", False),
        ("index.html", False),
    ],
)
def test_what_the_ledger_protects(path: str, protected: bool) -> None:
    assert publish.protected_by_ledger(path, LEDGER) is protected


@pytest.mark.parametrize(
    ("path", "stage"),
    [
        ("static/verifier.js", 0),
        ("awards/m6bueffbrqutcnotnw6n/credential.json", 0),
        ("status/revocation-1.json", 0),
        (".well-known/did.json", 0),
        ("awards/m6bueffbrqutcnotnw6n/index.html", 1),
        ("en/awards/m6bueffbrqutcnotnw6n/index.html", 1),
        ("badges/citadin-citoyen/index.html", 2),
        ("en/recipients/camille-durand/index.html", 2),
        ("index.html", 3),
        ("en/index.html", 3),
        ("404.html", 3),
        ("sitemap.xml", 3),
        ("sitemaps/2.xml", 3),
        ("robots.txt", 3),
    ],
)
def test_upload_stages(path: str, stage: int) -> None:
    assert publish.upload_stage(path) == stage


def test_unknown_kinds_of_file_are_reported(tmp_path: Path) -> None:
    (tmp_path / "issuer.json").write_text("{}", encoding="utf-8")
    (tmp_path / "data.bin").write_bytes(b"\0")
    files = publish.read_site(tmp_path)
    assert [(f.path, f.headers.content_type) for f in files] == [
        ("data.bin", "application/octet-stream"),
        ("issuer.json", JSON),
    ]


SEGMENTS = st.sampled_from(["awards", "badges", "recipients", "en", "static", "a1", "b2", "x"])
NAMES = st.sampled_from(["index.html", "image.png", "credential.json", "style.css", "qr.svg"])
PATHS = st.builds(
    lambda parts, name: "/".join([*parts, name]), st.lists(SEGMENTS, max_size=3), NAMES
)


@given(
    site_paths=st.sets(PATHS, max_size=12),
    stored_paths=st.sets(PATHS, max_size=12),
    recorded=st.sets(PATHS, max_size=12),
    awards=st.sets(st.sampled_from(["a1", "b2", "x"])),
    keep_stale=st.booleans(),
)
def test_plans_never_lose_what_was_published_or_touch_what_is_not_ours(
    site_paths: set[str], stored_paths: set[str], recorded: set[str], awards: set[str],
    keep_stale: bool,
) -> None:  # fmt: skip
    headers = publish.Headers(HTML, SHORT)
    files = [publish.SiteFile(p, Path(p), "0" * 64, 1, headers) for p in sorted(site_paths)]
    stored = {p: publish.StoredObject(1, '"e"') for p in stored_paths}
    manifest = {
        publish.path_key(p): publish.ManifestEntry("0" * 64, 1, headers, '"e"') for p in recorded
    }
    ledger = Ledger({a: LedgerEntry("b2", 0) for a in awards}, {"b2": "d"})

    plan = publish.plan_publish(files, stored, manifest, ledger, keep_stale)

    uploads = {f.path for f in plan.uploads}
    assert uploads | {f.path for f in plan.unchanged} == site_paths
    assert not uploads & {f.path for f in plan.unchanged}
    assert site_paths - stored_paths <= uploads  # a missing object is always uploaded
    assert uploads == site_paths - (stored_paths & recorded)
    stale = stored_paths - site_paths
    assert set(plan.delete) | set(plan.protected) | set(plan.kept) | set(plan.foreign) == stale
    assert set(plan.foreign) == stale - recorded
    for path in plan.delete:
        assert path in recorded
        assert not publish.protected_by_ledger(path, ledger)
        assert not keep_stale or publish.PERSONAL.match(path)
    for path in plan.protected:
        assert publish.protected_by_ledger(path, ledger)
