"""The built example site: identities, privacy, indexing, baking and QR codes, end to end."""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openbadges_bakery import unbake
from PIL import Image

from badgepages.render import load_strings
from tests.conftest import REPO, Project
from tests.site import EXAMPLE_EPOCH, BuiltSite, baked_download


def test_every_json_document_is_served_at_its_id(example_site: BuiltSite) -> None:
    # Theme assets (static/, e.g. the scripts' texts) are no documents.
    static = example_site.out / "static"
    documents = [p for p in example_site.files() if p.suffix == ".json" and static not in p.parents]
    assert documents
    for file in documents:
        document = json.loads(file.read_text(encoding="utf-8"))
        path = file.relative_to(example_site.out).as_posix()
        expected = (
            example_site.catalog.config.did if path == "did.json" else example_site.urls.url(path)
        )
        assert document["id"] == expected


def test_no_email_and_no_name_without_consent(example_site: BuiltSite) -> None:
    recipients = example_site.catalog.recipients
    assert any(r.public for r in recipients)
    assert any(not r.public for r in recipients)
    secrets = [r.email for r in recipients]
    for recipient in recipients:
        if not recipient.public:
            secrets += [recipient.name, recipient.slug]
            secrets += [part for part in recipient.name.split() if len(part) > 3]
    for file in example_site.files():
        data = file.read_bytes().lower()
        for secret in secrets:
            assert secret.lower().encode() not in data, f"{secret!r} leaks in {file}"


def test_pages_about_people_without_consent_are_not_indexed(example_site: BuiltSite) -> None:
    urls = example_site.urls
    sitemap = example_site.read(urls.sitemap)
    for award in example_site.catalog.awards:
        for language in example_site.catalog.config.languages:
            path = urls.award_page(award.id, language)
            page = example_site.read(path)
            noindex = '<meta name="robots" content="noindex">' in page
            assert noindex == (not award.recipient.public), path
            assert (urls.url(path) in sitemap) == award.recipient.public
    for recipient in example_site.catalog.recipients:
        page = example_site.out / urls.recipient_page(recipient.slug, "fr")
        assert page.exists() == recipient.public


def test_pages_link_their_translations(example_site: BuiltSite) -> None:
    urls = example_site.urls
    award = example_site.catalog.awards[0]
    page = example_site.read(urls.award_page(award.id, "en"))
    for language in ("fr", "en"):
        target = urls.url(urls.award_page(award.id, language))
        assert f'hreflang="{language}" href="{target}"' in page
    assert '<html lang="en"' in page


def test_pages_make_no_external_requests(example_site: BuiltSite) -> None:
    base_url = example_site.catalog.config.base_url
    loading = re.compile(r'<(?:script|img|link|source|iframe)\b[^>]*?(?:src|href)="([^"]+)"')
    for file in example_site.files():
        if file.suffix != ".html":
            continue
        for tag in loading.finditer(file.read_text(encoding="utf-8")):
            whole = tag.group(0)
            if "<link" in whole and not re.search(r'rel="(stylesheet|icon|preload)"', whole):
                continue  # canonical/alternate links are not requests
            target = tag.group(1)
            external = re.match(r"(https?:)?//", target) and not target.startswith(base_url)
            assert not external, f"{file}: {whole}"


def test_bakery_unbakes_every_badge_to_the_hosted_assertion(example_site: BuiltSite) -> None:
    urls = example_site.urls
    for award in example_site.catalog.awards:
        hosted = example_site.read(urls.assertion_json(award.id))
        assert unbake(io.BytesIO(baked_download(example_site, award, "ob2"))) == hosted
        if award.badge.image_kind == "svg":
            svg = baked_download(example_site, award, "ob2", "svg")
            assert unbake(io.BytesIO(svg)) == urls.url(urls.assertion_json(award.id))


def test_revoked_award_keeps_its_full_assertion(example_site: BuiltSite) -> None:
    revoked = [a for a in example_site.catalog.awards if a.revocation]
    assert revoked
    for award in revoked:
        assertion = json.loads(example_site.read(example_site.urls.assertion_json(award.id)))
        assert assertion["revoked"] is True
        assert assertion["revocationReason"] == award.revocation.reason  # type: ignore[union-attr]
        assert {"recipient", "badge", "verification", "issuedOn"} <= set(assertion)


def snapshot(folder: Path) -> dict[str, bytes]:
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"site{seed}"
        env = {**os.environ, "SOURCE_DATE_EPOCH": EXAMPLE_EPOCH, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "build.py", "build", "--out", str(out)],
            cwd=REPO, env=env, check=True, capture_output=True,
        )  # fmt: skip
        outputs.append(snapshot(out))
    assert outputs[0] == outputs[1]


def test_failed_build_writes_nothing(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    out = project.root / "out"
    assert project.run(capsys, "build", "--out", str(out))[0] == 0
    before = snapshot(out)
    project.write("recipients/bob.yaml", "name: Bob\nemail: nope\n")
    status, output = project.run(capsys, "build", "--out", str(out))
    assert status == 1
    assert output.splitlines()[-1] == "nothing was built: fix the problems above"
    assert snapshot(out) == before


def test_markdown_from_sources_is_sanitised(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "badges/civic.yaml",
        "name: Civic\ndescription: '<script>alert(1)</script> <img src=x onerror=alert(2)>'\n"
        "criteria: '[click](javascript:alert(3)) <iframe src=\"https://evil.example\"></iframe>'\n"
        "image: civic.svg\n",
    )
    out = project.root / "out"
    assert project.run(capsys, "build", "--out", str(out))[0] == 0
    page = (out / "badges" / "civic" / "index.html").read_text(encoding="utf-8").lower()
    for forbidden in ("<script>alert", "onerror", "javascript:", "<iframe"):
        assert forbidden not in page


def test_link_previews_show_the_badge_never_the_holder(example_site: BuiltSite) -> None:
    urls = example_site.urls
    for award in example_site.catalog.awards:
        page = example_site.read(urls.award_page(award.id, "fr"))
        image = re.search(r'<meta property="og:image" content="([^"]+)"', page)
        assert image is not None
        card = urls.badge_card(award.badge.slug)
        assert image.group(1) == urls.url(card)
        with Image.open(example_site.out / card) as picture:
            assert picture.size == (1200, 627)
        assert '<meta name="twitter:card" content="summary_large_image">' in page


def test_scripts_read_the_texts_from_one_shared_file_per_language(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pages name the file (no texts inlined); it holds every text, with the default
    language's where a translation is missing, placeholders left for the scripts."""
    theme = project.root / "theme"
    shutil.copytree(REPO / "theme", theme)
    source = (theme / "strings.yaml").read_text(encoding="utf-8")
    english_removed = "live_checking: {fr: Vérification…}\n"
    source = re.sub(r"(?m)^live_checking:\n(  .*\n)+", english_removed, source)
    (theme / "strings.yaml").write_text(source, encoding="utf-8")
    strings = load_strings(theme / "strings.yaml", project.root)
    assert strings["live_checking"] == {"fr": "Vérification…"}
    config = (project.root / "site_config.yaml").read_text(encoding="utf-8")
    project.write("site_config.yaml", re.sub(r"(?m)^theme: .*$", "theme: theme", config))
    out = project.root / "out"
    assert project.run(capsys, "build", "--out", str(out))[0] == 0
    for language in ("fr", "en"):
        texts = json.loads((out / "static" / f"strings.{language}.json").read_text("utf-8"))
        assert texts == {key: str(text.get(language, text["fr"])) for key, text in strings.items()}
    english = json.loads((out / "static" / "strings.en.json").read_text("utf-8"))
    assert english["live_checking"] == "Vérification…"
    assert english["live_checked"] == "Checked in your browser on {when}."
    award = (out / "en" / "awards" / "aaaaaaaaaaaaaaaaaaaa" / "index.html").read_text("utf-8")
    strings_file = posixpath.relpath("static/strings.en.json", "en/awards/aaaaaaaaaaaaaaaaaaaa")
    assert f'<html lang="en" data-strings="{strings_file}">' in award
    assert "live_checked" not in award
