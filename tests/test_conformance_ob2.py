"""The 1EdTech Open Badges 2.0 validator judges every assertion and baked image of the example."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import OB2_HARNESS
from tests.site import EXAMPLE_DAY, BuiltSite, baked_download


def test_validator_accepts_every_assertion_and_baked_badge(
    example_site: BuiltSite, ob2_python: Path, tmp_path: Path
) -> None:
    urls = example_site.urls
    awards = example_site.catalog.awards
    # The site as a visitor has it once every award's baked PNG and SVG has been downloaded.
    site = tmp_path / "site"
    shutil.copytree(example_site.out, site)
    for award in awards:
        (site / "awards" / award.id / "badge.png").write_bytes(
            baked_download(example_site, award, "ob2")
        )
        if award.badge.image_kind == "svg":
            (site / "awards" / award.id / "badge.svg").write_bytes(
                baked_download(example_site, award, "ob2", "svg")
            )
    profiles = {urls.url(urls.assertion_json(a.id)): a.recipient.email for a in awards}
    (tmp_path / "profiles.json").write_text(json.dumps(profiles), encoding="utf-8")
    # The validator compares with the real clock: the example's expired award is reported
    # expired, which is the truth; that single error is tolerated for it alone.
    expired = [a for a in awards if a.status(EXAMPLE_DAY) == "expired"]
    assert expired
    allow = [
        arg for a in expired for arg in ("--allow-expired", urls.url(urls.assertion_json(a.id)))
    ]
    command = [
        str(ob2_python), str(OB2_HARNESS), "--site", str(site),
        "--base-url", example_site.catalog.config.base_url, "--json",
        "--profiles", str(tmp_path / "profiles.json"), *allow,
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    results = json.loads(run.stdout)
    failing = [r for r in results if not r["ok"]]
    assert run.returncode == 0, json.dumps(failing, indent=2)[:4000]
    # Each hosted assertion, each baked PNG and each baked SVG.
    baked_svgs = sum(1 for a in awards if a.badge.image_kind == "svg")
    assert len(results) == 2 * len(awards) + baked_svgs
    tolerated = [r for r in results if r.get("tolerated")]
    assert {r["assertion"] for r in tolerated} == {
        urls.url(urls.assertion_json(a.id)) for a in expired
    }
