"""The site in a real browser (Debian's chromium, driven by Playwright for Python).

Award pages check the signed credential live (signature, revocation, dates) and never show
a false green; the email check and the verify-a-badge page work; no request leaves the
site's origin; axe-core finds no violation on any page type in either language; phones get
no horizontal scrolling and see the verdict without scrolling; the certificate prints on one
A4 page. Screenshots land in test-artifacts/ (``BADGEPAGES_UPDATE_SCREENSHOTS=1`` also
refreshes the README's in docs/screenshots/).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import resvg_py
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openbadges_bakery import unbake
from PIL import Image

from badgepages import baking
from badgepages.catalog import Award, load_catalog
from badgepages.keys import SECRET_VARIABLE, add_new_key
from badgepages.render import load_strings
from badgepages.signing import load_signing_key, sign_credential
from badgepages.verify import verify_document
from tests.browser_support import (
    ARTIFACTS,
    Browsing,
    Visit,
    axe_violations,
    checks,
    serve,
    start_axe,
    transferred,
    wait_for_verdict,
)
from tests.conftest import OB2_HARNESS
from tests.site import (
    EXAMPLE_DAY,
    EXAMPLE_EPOCH,
    REPO,
    SOURCES,
    BuiltSite,
    baked_download,
    copy_example,
)
from tests.test_conformance_ob3 import node_verify
from tests.test_serve import fetch, free_port, wait_for
from tests.test_verify import forge

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)  # the example's build day, at noon
LATER = datetime(2027, 6, 1, 12, tzinfo=UTC)
EXPIRES_AFTER_BUILD = "2027-01-01T00:00:00Z"
WEIGHT_LIMIT = 150_000  # bytes transferred before any user action, images included
SCREENSHOTS = REPO / "docs" / "screenshots"
ALL_CHECKS = {"issuer", "signature", "revocation", "validity dates"}
SOURCES_WITHOUT_KEYS = tuple(name for name in SOURCES if name != "keys.yaml")


# -- fixtures ------------------------------------------------------------------------------


@dataclass
class Served:
    """A built site served on 127.0.0.1."""

    root: str
    folder: Path
    site: BuiltSite

    @property
    def public_base(self) -> str:
        return self.site.catalog.config.base_url

    def award(self, status: str, *, public: bool | None = None) -> Award:
        """Return an award of the example in a build-day status (named or not)."""
        return next(
            a
            for a in self.site.catalog.awards
            if a.status(EXAMPLE_DAY) == status
            and not a.erased
            and (public is None or a.recipient.public == public)
        )

    def path(self, output_path: str) -> str:
        """Return an output path as a URL path relative to the root (folders for pages)."""
        return output_path.removesuffix("index.html")


@pytest.fixture(scope="session")
def served(example_site: BuiltSite) -> Iterator[Served]:
    """The signed example site, served on a random port."""
    with serve(example_site.out, example_site.catalog.config.base_url) as root:
        yield Served(root, example_site.out, example_site)


@dataclass
class Altered(Served):
    """A copy of the example site with one tampered credential and one expiring later."""

    tampered: Award
    expiring: Award
    files: Path


@pytest.fixture(scope="session")
def altered(example_site: BuiltSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Altered]:
    """Copy the example site; change one credential (no re-signing) and re-sign another
    with an end date after the build day; bake tampered images for the verify page."""
    work = tmp_path_factory.mktemp("altered")
    folder = work / "site"
    shutil.copytree(example_site.out, folder)
    probe = Served("", folder, example_site)
    valid = [a for a in example_site.catalog.awards if a.status(EXAMPLE_DAY) == "valid"]
    tampered, expiring = valid[-1], next(a for a in valid if not a.recipient.public)
    urls = example_site.urls

    file = folder / urls.credential_json(tampered.id)
    credential = json.loads(file.read_text(encoding="utf-8"))
    credential["credentialSubject"]["narrative"] = "Forty hours more than really given."
    file.write_text(json.dumps(credential, indent=2), encoding="utf-8")

    file = folder / urls.credential_json(expiring.id)
    credential = json.loads(file.read_text(encoding="utf-8"))
    proof = credential.pop("proof")[0]
    credential["validUntil"] = EXPIRES_AFTER_BUILD
    key = load_signing_key(proof["verificationMethod"], example_site.secret)
    file.write_text(json.dumps(sign_credential(credential, key, proof["created"])), "utf-8")

    files = work / "files"
    files.mkdir()
    bake_tampered(example_site, probe.award("valid", public=True), files)
    with serve(folder, example_site.catalog.config.base_url) as root:
        yield Altered(root, folder, example_site, tampered, expiring, files)


def bake_tampered(site: BuiltSite, award: Award, files: Path) -> None:
    """Write altered baked images and JSON files for the verify page."""
    urls = site.urls
    for standard in ("ob2", "ob3"):
        for kind in ("png", "svg"):
            baked = baked_download(site, award, standard, kind)
            (files / f"{standard}.{kind}").write_bytes(baked)
    revoked = next(a for a in site.catalog.awards if a.revocation and not a.erased)
    (files / "revoked-ob3.png").write_bytes(baked_download(site, revoked, "ob3"))
    png = baked_download(site, award, "ob3")
    credential = json.loads(baking.unbake_png(png, baking.OB3_KEYWORD) or "")
    credential["name"] = "Prix Nobel"
    text = json.dumps(credential)
    (files / "tampered-credential.png").write_bytes(baking.bake_png(png, baking.OB3_KEYWORD, text))
    png = baked_download(site, award, "ob2")
    assertion = json.loads(baking.unbake_png(png, baking.OB2_KEYWORD) or "")
    assertion["issuedOn"] = "2019-01-01T00:00:00Z"
    text = json.dumps(assertion)
    (files / "tampered-assertion.png").write_bytes(baking.bake_png(png, baking.OB2_KEYWORD, text))
    # The same credential as another issuer would publish it: never fetched, only pointed
    # to general verifiers.
    foreign = json.loads(json.dumps(credential).replace("essca.github.io", "badges.example.edu"))
    (files / "other-issuer.json").write_text(json.dumps(foreign), encoding="utf-8")
    (files / "not-a-badge.txt").write_text("hello", encoding="utf-8")
    # A context the verifier does not bundle: refused, never fetched.
    credential = json.loads((site.out / urls.credential_json(award.id)).read_text("utf-8"))
    credential["@context"].append("https://badges.example.edu/context.json")
    (files / "unknown-context.json").write_text(json.dumps(credential), encoding="utf-8")


@pytest.fixture
def browsing(browser: Browser, served: Served) -> Iterator[Browsing]:
    """A fresh browser context on the example site, at noon on its build day."""
    context = Browsing(browser, served.root, served.folder, served.public_base, now=NOW)
    yield context
    context.close()


# -- award pages: live checks --------------------------------------------------------------

TITLES = {
    ("valid", "fr"): "Badge valide",
    ("valid", "en"): "Valid badge",
    ("revoked", "fr"): "Badge révoqué",
    ("revoked", "en"): "Revoked badge",
    ("expired", "fr"): "Badge expiré",
    ("expired", "en"): "Expired badge",
    ("invalid", "en"): "Badge not verified",
    ("unverified", "en"): "Badge not verified",
    ("unverified", "fr"): "Badge non vérifié",
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("status", ["valid", "revoked", "expired"])
def test_award_page_checks_the_credential_live(
    browsing: Browsing, served: Served, status: str, language: str
) -> None:
    award = served.award(status)
    visit = browsing.open(served.path(served.site.urls.award_page(award.id, language)))
    page = visit.page
    assert page.get_attribute("[data-live-check]", "data-verdict") == status
    assert page.inner_text(".status__title") == TITLES[status, language]
    assert page.title().startswith(TITLES[status, language] + " · ")
    lines = checks(page)
    assert set(lines) == ALL_CHECKS
    failing = {"valid": set(), "revoked": {"revocation"}, "expired": {"validity dates"}}[status]
    assert {name for name, (outcome, _) in lines.items() if outcome != "passed"} == failing
    assert all(lines[name][0] == "failed" for name in failing)
    checked = {"fr": "Vérifié dans votre navigateur", "en": "Checked in your browser"}[language]
    assert checked in page.inner_text(".status__date")
    visit.assert_clean()


def test_award_that_expired_after_the_build_shows_expired(
    browser: Browser, altered: Altered
) -> None:
    path = altered.path(altered.site.urls.award_page(altered.expiring.id, "en"))
    # Built as valid (the page's HTML says so); the browser knows better later on.
    assert 'class="status status--valid"' in (altered.folder / path / "index.html").read_text()
    for now, verdict in ((NOW, "valid"), (LATER, "expired")):
        browsing = Browsing(browser, altered.root, altered.folder, altered.public_base, now=now)
        visit = browsing.open(path)
        assert wait_for_verdict(visit.page) == verdict, now
        if verdict == "expired":
            assert visit.page.inner_text(".status__title") == "Expired badge"
            assert checks(visit.page)["validity dates"][0] == "failed"
            assert "1 January 2027" in visit.page.inner_text(".status__detail")
        visit.assert_clean()
        browsing.close()


def test_tampered_credential_shows_the_signature_failure(
    browser: Browser, altered: Altered
) -> None:
    browsing = Browsing(browser, altered.root, altered.folder, altered.public_base, now=NOW)
    visit = browsing.open(altered.path(altered.site.urls.award_page(altered.tampered.id, "en")))
    page = visit.page
    assert wait_for_verdict(page) == "invalid"
    assert page.inner_text(".status__title") == "Badge not verified"
    assert "do not rely on this badge" in page.inner_text(".status__detail")
    outcome, line = checks(page)["signature"]
    assert outcome == "failed"
    assert "Signature: failed — the signature does not match" in line
    assert "Valid badge" not in page.inner_text(".status")
    # The email check refuses to vouch for anyone on an altered credential.
    page.fill("#candidate-email", altered.tampered.recipient.email)
    page.click("[data-email-check] button")
    page.locator(".candidate__result", has_text="failed the checks").wait_for()
    visit.assert_clean()
    browsing.close()


def test_blocked_status_list_says_could_not_check(browsing: Browsing, served: Served) -> None:
    award = served.award("valid", public=True)
    status_list = served.site.urls.status_list(1)
    visit = browsing.open(
        served.path(served.site.urls.award_page(award.id, "en")), block=[f"**/{status_list}"]
    )
    page = visit.page
    assert any(url.endswith(status_list) for url in visit.requests)
    assert wait_for_verdict(page) == "unverified"
    box = page.inner_text(".status")
    assert page.inner_text(".status__title") == "Badge not verified"
    assert "Valid badge" not in box
    outcome, line = checks(page)["revocation"]
    assert outcome == "could not check"
    assert line.startswith("Revocation: could not check — the issuer")
    assert "status list could not be read" in line
    assert checks(page)["signature"][0] == "passed"
    assert "According to this page, as the issuer published it, this badge is: valid" in box
    visit.assert_clean()


def test_browser_without_ed25519_says_could_not_check(browsing: Browsing, served: Served) -> None:
    browsing.context.add_init_script(
        """(() => {
          const importKey = crypto.subtle.importKey.bind(crypto.subtle);
          crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
            (algorithm && (algorithm.name || algorithm) === 'Ed25519') ?
              Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError')) :
              importKey(format, key, algorithm, ...rest);
        })();"""
    )
    award = served.award("valid", public=True)
    visit = browsing.open(served.path(served.site.urls.award_page(award.id, "fr")))
    assert wait_for_verdict(visit.page) == "unverified"
    outcome, line = checks(visit.page)["signature"]
    assert outcome == "could not check"
    assert "Ed25519" in line
    assert visit.page.inner_text(".status__title") == "Badge non vérifié"
    visit.assert_clean()


def test_email_check_matches_the_holder_only(browsing: Browsing, served: Served) -> None:
    # Typed with capitals and spaces around: the check normalises as the build did.
    award = served.award("valid", public=True)
    visit = browsing.open(served.path(served.site.urls.award_page(award.id, "en")))
    page = visit.page
    form = page.locator("[data-email-check]")
    assert form.is_visible()
    page.fill("#candidate-email", f"  {award.recipient.email.upper()} ")
    page.press("#candidate-email", "Enter")
    result = page.locator(".candidate__result")
    result.filter(has_text="Match").wait_for()
    assert (
        result.inner_text() == f"Match: this badge was awarded to {award.recipient.email.lower()}."
    )
    page.fill("#candidate-email", "someone.else@example.org")
    page.click("[data-email-check] button")
    result.filter(has_text="No match").wait_for()
    assert "this badge was not awarded to someone.else@example.org" in result.inner_text()
    # Nothing was sent: every request is one the page made before the form was used.
    assert not [url for url in visit.requests if "example.org" in url or "?" in url]
    visit.assert_clean()


def test_email_check_in_french(browsing: Browsing, served: Served) -> None:
    award = served.award("valid", public=False)
    visit = browsing.open(served.path(served.site.urls.award_page(award.id, "fr")))
    visit.page.fill("#candidate-email", award.recipient.email)
    visit.page.click("[data-email-check] button")
    visit.page.locator(".candidate__result--match").wait_for()
    assert "Correspondance" in visit.page.inner_text(".candidate__result")
    visit.assert_clean()


# -- the verify-a-badge page ---------------------------------------------------------------


def drop_file(page: Page, file: Path) -> str:
    """Give the page a file through its picker; return the verdict shown."""
    page.set_input_files("#badge-file", str(file))
    page.wait_for_selector("[data-verify-status][data-verdict]:not([hidden])", timeout=15_000)
    verdict = str(page.get_attribute("[data-verify-status]", "data-verdict"))
    page.evaluate("document.querySelector('[data-verify-status]').removeAttribute('data-verdict')")
    return verdict


def test_verify_page_checks_baked_badges(
    browsing: Browsing, served: Served, altered: Altered
) -> None:
    urls = served.site.urls
    valid = served.award("valid", public=True)
    visit = browsing.open(served.path(urls.verify_page("en")))
    page = visit.page
    cases = [
        (altered.files / "ob3.png", "valid", "Open Badges 3.0"),
        (altered.files / "ob3.svg", "valid", "Open Badges 3.0"),
        (altered.files / "ob2.png", "valid", "Open Badges 2.0"),
        (altered.files / "ob2.svg", "valid", "Open Badges 2.0"),
        (served.folder / urls.credential_json(valid.id), "valid", "Open Badges 3.0"),
        (altered.files / "revoked-ob3.png", "revoked", "Open Badges 3.0"),
        (altered.files / "tampered-credential.png", "invalid", "Open Badges 3.0"),
        (altered.files / "tampered-assertion.png", "invalid", "Open Badges 2.0"),
    ]
    for file, verdict, kind in cases:
        assert drop_file(page, file) == verdict, file.name
        assert kind in page.inner_text("[data-verify-file]"), file.name
        lines = checks(page, "[data-verify-status]")
        if verdict == "valid":
            assert all(outcome == "passed" for outcome, _ in lines.values()), lines
            link = page.locator("[data-verify-award] a")
            assert link.is_visible()
            assert link.get_attribute("href") == served.root + served.path(
                urls.award_page(valid.id, "en")
            )
    assert drop_file(page, altered.files / "tampered-credential.png") == "invalid"
    assert checks(page, "[data-verify-status]")["signature"][0] == "failed"
    assert drop_file(page, altered.files / "tampered-assertion.png") == "invalid"
    assert checks(page, "[data-verify-status]")["hosted assertion"][0] == "failed"
    assert drop_file(page, altered.files / "unknown-context.json") == "invalid"
    outcome, line = checks(page, "[data-verify-status]")["signature"]
    assert outcome == "failed"
    assert "cannot read (JSON-LD)" in line
    visit.assert_clean()  # and so the unknown context was not requested


def test_verify_page_points_other_issuers_to_general_verifiers(
    browsing: Browsing, served: Served, altered: Altered
) -> None:
    visit = browsing.open(served.path(served.site.urls.verify_page("fr")))
    page = visit.page
    assert drop_file(page, altered.files / "other-issuer.json") == "unverified"
    assert page.locator("[data-verify-other]").is_visible()
    assert "autre émetteur" in page.inner_text("[data-verify-detail]")
    assert page.locator("[data-verify-other] a[href='https://verifierplus.org/']").count() == 1
    assert not page.locator("[data-verify-award]").is_visible()
    # Not a badge at all: said so, nothing else shown.
    page.set_input_files("#badge-file", str(altered.files / "not-a-badge.txt"))
    page.locator("[data-verify-file]", has_text="ni une image de badge").wait_for()
    assert not page.locator("[data-verify-status]").is_visible()
    visit.assert_clean()  # the other issuer's addresses were never requested


def test_verify_page_accepts_a_dropped_file(browsing: Browsing, served: Served) -> None:
    award = served.award("expired")
    text = (served.folder / served.site.urls.credential_json(award.id)).read_text("utf-8")
    visit = browsing.open(served.path(served.site.urls.verify_page("en")))
    page = visit.page
    transfer = page.evaluate_handle(
        """text => { const data = new DataTransfer();
          data.items.add(new File([text], 'credential.json', {type: 'application/json'}));
          return data; }""",
        text,
    )
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("[data-verify-status][data-verdict]", timeout=15_000)
    assert page.get_attribute("[data-verify-status]", "data-verdict") == "expired"
    assert page.inner_text("[data-verify-title]") == "Expired badge"
    visit.assert_clean()


def test_browser_verdicts_equal_python_verdicts(
    browsing: Browsing, served: Served, altered: Altered
) -> None:
    """The JavaScript verifier reaches verify.py's verdict on every document of the site."""
    site = served.site
    documents: dict[str, Any] = {}
    for award in site.catalog.awards:
        for path in (site.urls.credential_json(award.id), site.urls.assertion_json(award.id)):
            documents[path] = json.loads((served.folder / path).read_text("utf-8"))
    for award in (altered.tampered, altered.expiring):
        path = "altered/" + site.urls.credential_json(award.id)
        documents[path] = json.loads((altered.folder / path[8:]).read_text("utf-8"))
    for file in ("unknown-context.json", "other-issuer.json"):
        documents[file] = json.loads((altered.files / file).read_text("utf-8"))

    def fetch(url: str) -> bytes:
        base = site.catalog.config.base_url
        if not url.startswith(base):
            raise LookupError(url)
        try:
            return (served.folder / url[len(base) :]).read_bytes()
        except OSError:
            raise LookupError(url) from None

    python = {path: verify_document(doc, fetch, NOW).verdict for path, doc in documents.items()}
    visit = browsing.open(served.path(site.urls.verify_page("en")))
    javascript = visit.page.evaluate(
        """async ({documents, now}) => {
          const {Site, Verifier} = await import(new URL('../../static/verifier.js', location.href));
          const zone = document.querySelector('[data-verify]');
          const site = new Site({root: zone.dataset.siteRoot, bases: [zone.dataset.baseUrl]});
          const verifier = new Verifier({site, now: new Date(now)});
          const verdicts = {};
          for (const [path, document] of Object.entries(documents)) {
            verdicts[path] = (await verifier.verify(document)).verdict;
          }
          return verdicts;
        }""",
        {"documents": documents, "now": NOW.isoformat()},
    )
    assert javascript == python
    assert set(python.values()) >= {"valid", "revoked", "expired", "invalid"}
    visit.assert_clean()


# -- every page type: accessibility, phones, keyboard, print -------------------------------


def page_types(served: Served) -> list[tuple[str, str]]:
    """Return (name, path) of one page of every type, in both languages, and the 404."""
    urls = served.site.urls
    pages: list[tuple[str, str]] = []
    recipient = next(r for r in served.site.catalog.recipients if r.public)
    for language in served.site.catalog.config.languages:
        awards = {
            "valid": served.award("valid", public=True),
            "revoked": served.award("revoked"),
            "expired": served.award("expired"),
            "anonymous": served.award("valid", public=False),
        }
        pages += [
            (f"home-{language}", urls.home_page(language)),
            (f"badge-{language}", urls.badge_page(served.site.catalog.badges[0].slug, language)),
            *(
                (f"award-{k}-{language}", urls.award_page(a.id, language))
                for k, a in awards.items()
            ),
            (f"recipient-{language}", urls.recipient_page(recipient.slug, language)),
            (f"verify-{language}", urls.verify_page(language)),
        ]
    # GitHub Pages answers any missing address with the root 404.html, at any depth.
    pages.append(("404", "awards/no-such-award/"))
    return [(name, served.path(path)) for name, path in pages]


def open_all(
    browsing: Browsing, served: Served, *, close: bool = True, **options: Any
) -> Iterator[tuple[str, Visit]]:
    """Open one page of every type at once (they load in parallel); yield each settled.

    The 404 page's own 404 status is no error.
    """
    opened = [
        (name, browsing.open(path, wait=False, **options)) for name, path in page_types(served)
    ]
    for name, visit in opened:
        visit.settle()
        if name == "404":
            visit.errors = [e for e in visit.errors if "status of 404" not in e]
        yield name, visit
        if close:
            visit.page.close()


@pytest.fixture
def axe_browsing(browser: Browser, served: Served) -> Iterator[Browsing]:
    """A context where axe-core may run: axe sets inline styles, which the strict CSP of the
    test server refuses (every other test keeps the CSP)."""
    context = Browsing(
        browser, served.root, served.folder, served.public_base, now=NOW, bypass_csp=True
    )
    yield context
    context.close()


def test_axe_finds_no_violation_on_any_page_type(axe_browsing: Browsing, served: Served) -> None:
    problems: dict[str, list[str]] = {}
    visits = list(open_all(axe_browsing, served, close=False))
    for _, visit in visits:
        start_axe(visit.page)  # the audits run in parallel
    for name, visit in visits:
        found = axe_violations(visit.page)
        if found:
            problems[name] = found
        visit.assert_clean(allow_public=name == "404")
    assert not problems, json.dumps(problems, indent=2, ensure_ascii=False)


def test_verify_page_result_is_accessible(
    axe_browsing: Browsing, served: Served, altered: Altered
) -> None:
    visit = axe_browsing.open(served.path(served.site.urls.verify_page("fr")))
    for file in ("tampered-credential.png", "other-issuer.json"):
        drop_file(visit.page, altered.files / file)
        assert axe_violations(visit.page) == [], file
    visit.assert_clean()


def test_phones_scroll_vertically_only_and_see_the_verdict_at_once(
    browsing: Browsing, served: Served
) -> None:
    for name, visit in open_all(browsing, served, width=360, height=640):
        page = visit.page
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{name}: {width} px wide at 360 px"
        if name.startswith("award-"):
            box = page.locator(".status__title").bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= 640, f"{name}: verdict below the fold {box}"
            detail = page.locator(".status__detail").bounding_box()
            assert detail is not None
            assert detail["y"] < 640, f"{name}: verdict detail below the fold {detail}"
        visit.assert_clean(allow_public=name == "404")


FOCUS_VISIBLE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const label = element.labels && element.labels[0];
  const labelled = label && getComputedStyle(label).outlineStyle !== 'none';
  return {tag: element.tagName, text: (element.textContent || element.id).trim().slice(0, 40),
          visible: outlined || Boolean(labelled)};
}"""


def test_keyboard_reaches_everything_with_a_visible_focus(
    browsing: Browsing, served: Served
) -> None:
    award = served.award("valid", public=True)
    visit = browsing.open(served.path(served.site.urls.award_page(award.id, "en")))
    page = visit.page
    seen: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_VISIBLE)
        if focus["tag"] == "BODY":
            break  # past the last control
        assert focus["visible"], f"no visible focus on {focus}"
        seen.append(f"{focus['tag']}:{focus['text']}")
        if focus["text"] == "candidate-email":
            page.keyboard.type(award.recipient.email)
            page.keyboard.press("Enter")
            page.locator(".candidate__result--match").wait_for()
    assert seen[0].startswith("A:Skip to content"), seen
    assert "INPUT:candidate-email" in seen, seen
    assert any(item.startswith("BUTTON:Copy link") for item in seen), seen
    visit.assert_clean()
    visit = browsing.open(served.path(served.site.urls.verify_page("en")))
    for _ in range(10):
        visit.page.keyboard.press("Tab")
        focus = visit.page.evaluate(FOCUS_VISIBLE)
        assert focus["visible"], f"no visible focus on {focus}"
        if focus["text"] == "badge-file":
            break
    else:
        pytest.fail("the file picker cannot be reached with the keyboard")
    visit.assert_clean()


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def test_certificate_prints_on_one_a4_page_with_its_qr_code(
    browsing: Browsing, served: Served
) -> None:
    urls = served.site.urls
    longest = max(
        served.site.catalog.awards, key=lambda a: len(a.recipient.name) * a.recipient.public
    )
    for award in (served.award("valid", public=True), served.award("revoked"), longest):
        for language in ("fr", "en"):
            visit = browsing.open(served.path(urls.award_page(award.id, language)))
            page = visit.page
            page.emulate_media(media="print")
            qr = page.locator(".qr .qr__code")
            assert qr.is_visible()
            assert page.locator(".print-url").is_visible()
            assert not page.locator(".candidate").is_visible()
            pdf = page.pdf(format="A4", print_background=True)
            assert pdf_pages(pdf) == 1, f"{award.id} {language}: {pdf_pages(pdf)} pages"
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"certificate-{award.id}-{language}.pdf").write_bytes(pdf)
            visit.assert_clean()
            page.close()


# -- files made in the browser: baked badges and QR codes ----------------------------------


def download(page: Page, kind: str, folder: Path) -> Path:
    """Click the button that makes a file; return the file the browser downloaded."""
    with page.expect_download() as info:
        page.click(f"[data-make='{kind}']")
    file = folder / info.value.suggested_filename
    info.value.save_as(file)
    return file


def test_award_page_bakes_badges_that_every_verifier_accepts(
    browsing: Browsing, served: Served, ob2_python: Path, tmp_path: Path
) -> None:
    """Baked in the browser from the badge's image and the hosted JSON, byte for byte as
    baking.py bakes them; the official bakery, the 1EdTech validator and the Digital Bazaar
    verifier accept what they unbake."""
    urls, base_url = served.site.urls, served.public_base
    award = served.award("valid", public=True)
    assert award.badge.image_kind == "svg"
    stem = f"{award.badge.slug}-{award.id}"
    assertion = (served.folder / urls.assertion_json(award.id)).read_bytes()
    credential = (served.folder / urls.credential_json(award.id)).read_bytes()
    png = (served.folder / urls.badge_image(award.badge.slug, "png")).read_bytes()
    svg = (served.folder / urls.badge_image(award.badge.slug, "svg")).read_bytes()
    visit = browsing.open(served.path(urls.award_page(award.id, "fr")))
    ob2, ob3 = tmp_path / "ob2", tmp_path / "ob3"
    ob2.mkdir()
    ob3.mkdir()
    files = {
        "ob2-png": download(visit.page, "ob2-png", ob2),
        "ob2-svg": download(visit.page, "ob2-svg", ob2),
        "ob3-png": download(visit.page, "ob3-png", ob3),
        "ob3-svg": download(visit.page, "ob3-svg", ob3),
    }
    visit.assert_clean()
    assert {kind: file.name for kind, file in files.items()} == {
        "ob2-png": f"{stem}-openbadge-v2.png",
        "ob2-svg": f"{stem}-openbadge-v2.svg",
        "ob3-png": f"{stem}-openbadge-v3.png",
        "ob3-svg": f"{stem}-openbadge-v3.svg",
    }
    baked = {kind: file.read_bytes() for kind, file in files.items()}
    assertion_url = urls.url(urls.assertion_json(award.id))
    assert baked == {
        "ob2-png": baking.bake_png(png, baking.OB2_KEYWORD, assertion.decode()),
        "ob2-svg": baking.bake_svg(
            svg, "assertion", baking.OB2_SVG_NAMESPACE, assertion.decode(), assertion_url
        ),
        "ob3-png": baking.bake_png(png, baking.OB3_KEYWORD, credential.decode()),
        "ob3-svg": baking.bake_svg(
            svg, "credential", baking.OB3_SVG_NAMESPACE, credential.decode(), None
        ),
    }
    # The official bakery: the hosted assertion byte for byte, and the hosted URL of the SVG
    # (Baking 1.0 §SVG: its verify attribute), whose CDATA holds the assertion byte for byte.
    with files["ob2-png"].open("rb") as image:
        assert unbake(image).encode() == assertion
    with files["ob2-svg"].open("rb") as image:
        assert unbake(image) == assertion_url
    assert (baking.unbake_svg(baked["ob2-svg"]) or "").encode() == assertion
    unbaked = {
        "from-png": baking.unbake_png(baked["ob3-png"], baking.OB3_KEYWORD) or "",
        "from-svg": baking.unbake_svg(baked["ob3-svg"]) or "",
    }
    credentials = tmp_path / "credentials"
    for name, text in unbaked.items():
        assert text.encode() == credential, name
        (credentials / name).mkdir(parents=True)
        (credentials / name / "credential.json").write_bytes(text.encode())
    files_to_verify = [credentials / name / "credential.json" for name in unbaked]
    results = node_verify(served.folder, base_url, files_to_verify, NOW.isoformat())
    assert {name: result["verified"] for name, result in results.items()} == {
        "from-png": True,
        "from-svg": True,
    }, results
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps({assertion_url: award.recipient.email}), encoding="utf-8")
    command = [
        str(ob2_python), str(OB2_HARNESS), "--site", str(served.folder), "--base-url", base_url,
        "--images", str(ob2), "--profiles", str(profiles), "--json",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[:4000] + run.stderr
    checked = json.loads(run.stdout)
    assert [(r["file"], r["assertion"], r["ok"]) for r in checked] == [
        (files["ob2-png"].name, assertion_url, True),
        (files["ob2-svg"].name, assertion_url, True),
    ]


def decode_qr(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def decode_svg_qr(svg: str) -> list[str]:
    return decode_qr(bytes(resvg_py.svg_to_bytes(svg_string=svg, width=500, height=500)))


def test_award_page_draws_its_qr_code_and_offers_it_for_print(
    browsing: Browsing, served: Served, tmp_path: Path
) -> None:
    """Every language's page shows, and gives as SVG and print-quality PNG, the QR code of
    the page's permanent address in the default language."""
    urls = served.site.urls
    award = served.award("revoked")
    permanent = urls.url(urls.award_page(award.id, "fr"))
    strings = load_strings(REPO / "theme" / "strings.yaml", REPO)
    for language in ("fr", "en"):
        visit = browsing.open(served.path(urls.award_page(award.id, language)))
        page = visit.page
        shown = page.locator(".qr .qr__code")
        assert shown.get_attribute("aria-label") == strings["qr_alt"][language]
        # The buttons say what they make, in the page's language, from the shared texts.
        buttons = page.locator("[data-offers='qr-png qr-svg'] button")
        assert buttons.all_inner_texts() == [
            strings["download_qr_png"][language],
            strings["download_qr_svg"][language],
        ]
        assert decode_svg_qr(shown.evaluate("svg => svg.outerHTML")) == [permanent]
        folder = tmp_path / language
        folder.mkdir()
        svg = download(page, "qr-svg", folder)
        png = download(page, "qr-png", folder)
        stem = f"{award.badge.slug}-{award.id}"
        assert (svg.name, png.name) == (f"{stem}-qr-code.svg", f"{stem}-qr-code.png")
        assert decode_svg_qr(svg.read_text(encoding="utf-8")) == [permanent]
        assert decode_qr(png.read_bytes()) == [permanent]
        modules = int(re.findall(r'viewBox="0 0 (\d+) ', svg.read_text(encoding="utf-8"))[0])
        with Image.open(png) as image:
            # 20 px per module, quiet zone included: about 5 cm at 300 dpi.
            assert image.size == (20 * modules, 20 * modules)
            assert image.width >= 600
        visit.assert_clean()
        page.close()


def test_page_without_javascript_shows_the_address_and_the_shared_files(
    browser: Browser, served: Served
) -> None:
    urls = served.site.urls
    award = served.award("valid", public=True)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(served.root + served.path(urls.award_page(award.id, "en")))
        assert page.locator(".qr .print-url").is_visible()
        assert urls.url(urls.award_page(award.id, "en")) in page.inner_text(".qr")
        # Only a script can make files: their buttons are not in the page.
        assert page.locator("[data-make]").count() == 0
        offers = page.locator("[data-offers]")
        assert [offers.nth(i).get_attribute("data-offers") for i in range(offers.count())] == [
            "ob3-png ob3-svg",
            "ob2-png ob2-svg",
            "qr-png qr-svg",
        ]
        links = page.locator(".downloads a")
        hrefs = {links.nth(i).evaluate("a => a.href") for i in range(links.count())}
        assert hrefs == {
            served.root + urls.badge_image(award.badge.slug, "png"),
            served.root + urls.assertion_json(award.id),
            served.root + urls.credential_json(award.id),
        }
    finally:
        context.close()


BAKING_IN_JS = """async ({root, cases}) => {
  const baking = await import(`${root}static/baking.js`);
  const bytes = text => Uint8Array.from(atob(text), c => c.charCodeAt(0));
  const base64 = data => btoa(Array.from(data, b => String.fromCharCode(b)).join(''));
  const encoder = new TextEncoder();
  return cases.map(([kind, image, name, text, verify]) => {
    try {
      return base64(kind === 'png' ?
        baking.bakePng(bytes(image), name, encoder.encode(text)) :
        baking.bakeSvg(bytes(image), name[0], name[1], encoder.encode(text), verify));
    } catch(error) {
      return `${error.name}: ${error.message}`;
    }
  });
}"""


def bake_in_python(kind: str, image: bytes, name: Any, text: str, verify: str | None) -> str:
    try:
        if kind == "png":
            return base64.b64encode(baking.bake_png(image, name, text)).decode()
        return base64.b64encode(baking.bake_svg(image, *name, text, verify)).decode()
    except baking.BakingError as error:
        return f"BakingError: {error}"


def png_with_chunks(*chunks: tuple[bytes, bytes]) -> bytes:
    """Return a small PNG with extra chunks after IHDR (one of them with a wrong CRC)."""
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (11, 79, 108)).save(buffer, format="PNG")
    png = buffer.getvalue()
    wrong_crc = struct.pack(">I", 1234)
    extra = b"".join(struct.pack(">I", len(d)) + kind + d + wrong_crc for kind, d in chunks)
    return png[:33] + extra + png[33:]


ODD_CHUNK_TYPE = b"\x00a'\\"
PNGS = [
    png_with_chunks(),
    png_with_chunks(
        (b"iTXt", b"openbadges\x00\x00\x00\x00\x00old"),
        (b"tEXt", b"openbadges\x00older"),
        (b"tEXt", b"Comment\x00kept"),
        (b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00kept"),
    ),
    b"GIF89a not a PNG",
    png_with_chunks()[:-20],  # cut inside IDAT (IEND is the last 12 bytes)
    png_with_chunks()[:40],  # cut inside the header of the chunk after IHDR
    png_with_chunks((ODD_CHUNK_TYPE, b"odd type"))[:50],
]
SVGS = [
    b'<?xml version="1.0"?>\n<!-- Zo\xc3\xa9 --><svg xmlns="http://www.w3.org/2000/svg"\n'
    b' aria-label="\xc3\xa9t\xc3\xa9" viewBox="0 0 8 8"><g/></svg>',
    b'<svgz/><svg xmlns="http://www.w3.org/2000/svg"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"></svg>',
    b"<html>no image</html>",
]
NAMES = {
    "png": [baking.OB2_KEYWORD, baking.OB3_KEYWORD],
    "svg": [
        ("assertion", baking.OB2_SVG_NAMESPACE),
        ("credential", baking.OB3_SVG_NAMESPACE),
    ],
}
TEXTS = ["", '{"name": "Zoé ✓ 😀"}', "a]]>b]]]>c]]", "]]>"]
VERIFY = [None, 'https://example.org/a?b=1&c="2"<3']


Case = tuple[str, bytes, Any, str, str | None]  # kind, image, keyword or element, text, verify


def compare_baking(page: Page, root: str, cases: list[Case]) -> list[str]:
    """Bake every case in the browser and in Python; return the results, which must agree."""
    sent = [(k, base64.b64encode(i).decode(), n, t, v) for k, i, n, t, v in cases]
    javascript = page.evaluate(BAKING_IN_JS, {"root": root, "cases": sent})
    python = [bake_in_python(*case) for case in cases]
    for case, js, py in zip(cases, javascript, python, strict=True):
        assert js == py, case
    return python


def test_browser_bakes_byte_for_byte_as_python(browsing: Browsing, served: Served) -> None:
    """baking.js and baking.py give the same bytes, or both refuse, on awkward inputs: chunks
    to replace or keep, wrong CRCs, CDATA terminators, non-ASCII bytes, self-closing tags."""
    visit = browsing.open(served.path(served.site.urls.verify_page("en")))
    cases: list[Case] = [
        ("png", png, name, text, None) for png in PNGS for name in NAMES["png"] for text in TEXTS
    ]
    cases += [
        ("svg", svg, name, text, verify)
        for svg in SVGS
        for name in NAMES["svg"]
        for text in TEXTS
        for verify in VERIFY
    ]
    results = compare_baking(visit.page, served.root, cases)
    refused = [r for r in results if r.startswith("BakingError")]
    assert sorted(set(refused)) == [
        "BakingError: no <svg> element",
        "BakingError: not a PNG file",
        "BakingError: the PNG is cut short inside a chunk header (byte 33)",
        "BakingError: the PNG is cut short inside its IDAT chunk",
        f"BakingError: the PNG is cut short inside its {ODD_CHUNK_TYPE!r} chunk",
    ]
    # Four PNGs refused with each keyword and text, one SVG with each element, text, verify.
    assert len(refused) == 4 * 2 * len(TEXTS) + 2 * len(TEXTS) * len(VERIFY)
    visit.assert_clean()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",))), max_size=8))
def test_browser_and_python_bake_any_text_alike(
    browsing: Browsing, served: Served, texts: list[str]
) -> None:
    # One page for every example: baking keeps no state.
    visit = browsing.visits[0] if browsing.visits else browsing.open("")
    cases: list[Case] = []
    for text in texts:
        cases += [("png", PNGS[1], baking.OB2_KEYWORD, text, None)]
        cases += [("svg", SVGS[0], NAMES["svg"][0], text, VERIFY[1])]
    compare_baking(visit.page, served.root, cases)
    visit.assert_clean()


# -- weight, screenshots, reproducible bundle ----------------------------------------------


def test_award_page_weight_before_any_user_action(browsing: Browsing, served: Served) -> None:
    """Everything the page loads by itself, the live check included, gzipped as Pages does."""
    heaviest = []
    for award in (served.award("valid", public=True), served.award("expired")):
        visit = browsing.open(served.path(served.site.urls.award_page(award.id, "fr")))
        visit.page.wait_for_load_state("networkidle")
        compressed, raw, per_url = transferred(visit)
        heaviest.append((compressed, raw, per_url, award.id))
        visit.assert_clean()
    compressed, raw, per_url, award_id = max(heaviest)
    lines = [f"{size:>8}  {url.removeprefix(served.root)}" for url, size in sorted(per_url.items())]
    report = (
        f"award page {award_id}: {compressed} bytes transferred (gzip for text), {raw} raw, "
        f"{len(per_url)} files\n" + "\n".join(lines) + "\n"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "award-page-weight.txt").write_text(report, encoding="utf-8")
    assert any(url.endswith("jsonld-canonize.mjs") for url in per_url), "the check did not run"
    assert compressed <= WEIGHT_LIMIT, report


def test_screenshots_at_360_and_1280_px(browsing: Browsing, served: Served) -> None:
    update = os.environ.get("BADGEPAGES_UPDATE_SCREENSHOTS") == "1"
    ARTIFACTS.mkdir(exist_ok=True)
    urls = served.site.urls
    shots = {
        "award-valid": served.award("valid", public=True),
        "award-revoked": served.award("revoked"),
    }
    for name, award in shots.items():
        for language in ("fr", "en"):
            for width, height in ((360, 640), (1280, 800)):
                visit = browsing.open(
                    served.path(urls.award_page(award.id, language)), width=width, height=height
                )
                file = ARTIFACTS / f"{name}-{language}-{width}.png"
                visit.page.screenshot(path=str(file), full_page=True)
                if update and name == "award-valid" and language == "en":
                    small = ARTIFACTS / f"readme-{width}.png"
                    visit.page.screenshot(path=str(small))
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    with Image.open(small) as image:
                        reduced = image.convert("RGB").quantize(colors=64)
                    reduced.save(SCREENSHOTS / f"award-page-{width}px.png", optimize=True)
                visit.assert_clean()
                visit.page.close()
    for width in (360, 1280):
        readme = SCREENSHOTS / f"award-page-{width}px.png"
        assert readme.is_file(), (
            f"{readme} is missing: BADGEPAGES_UPDATE_SCREENSHOTS=1 pytest tests/test_browser.py"
        )
        with Image.open(readme) as image:
            assert image.width == width


def test_committed_bundle_equals_a_rebuild(tmp_path: Path) -> None:
    if not (REPO / "js" / "node_modules" / "esbuild").is_dir():
        pytest.fail("js/node_modules is missing: `make js` (npm ci in js/) before the tests")
    subprocess.run(
        ["node", str(REPO / "js" / "build.mjs"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    bundles = ("jsonld-canonize", "qr-encode")
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(f"{b}.{suffix}" for b in bundles for suffix in ("mjs", "LICENSES.txt"))
    for name in built:
        committed = (REPO / "theme" / "static" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, (
            f"{name} differs from a rebuild: run `make js`"
        )


# -- texts ---------------------------------------------------------------------------------

STATIC = REPO / "theme" / "static"


def test_every_reason_the_scripts_give_has_a_text_in_both_languages() -> None:
    """A reason code without a text would show its key to a recruiter."""
    verifier = (STATIC / "verifier.js").read_text(encoding="utf-8")
    calls = re.findall(r"report\.add\((.*?)\);", verifier, re.DOTALL)
    codes = {code for call in calls for code in re.findall(r"'([a-z][a-z0-9-]*)'", call)}
    codes |= set(re.findall(r"(?:Unchecked\(|reason: )'([a-z][a-z0-9-]*)'", verifier))
    codes |= set(re.findall(r"\? '([a-z-]+)' : error\.reason", verifier))
    award = (STATIC / "award.js").read_text(encoding="utf-8")
    codes |= set(re.findall(r"'([a-z][a-z0-9-]*)' : error\.reason", award))
    names = {"format", "issuer", "signature", "revocation", "validity dates", "hosted assertion"}
    keys = {f"live_reason_{code.replace('-', '_')}" for code in codes - names}
    keys |= {f"live_check_{name.replace(' ', '_')}" for name in names}
    unbake = (STATIC / "unbake.js").read_text(encoding="utf-8")
    errors = set(re.findall(r"NotABadgeError\('([a-z-]+)'\)", unbake)) | {"read"}
    verify_keys = {f"verify_error_{code.replace('-', '_')}" for code in errors}
    scripts = "".join(p.read_text(encoding="utf-8") for p in STATIC.glob("*.js"))
    named = set(
        re.findall(
            r"'((?:live|status|email_check|verify|download)_[a-z]+(?:_[a-z0-9]+)*)'", scripts
        )
    )
    strings = load_strings(REPO / "theme" / "strings.yaml", REPO)
    assert len(keys) > 30
    # The scripts read every text (static/strings.<lang>.json, tests/test_site.py).
    for key in sorted(keys | verify_keys | (named - {"status_", "live_check_", "live_reason_"})):
        if key.endswith("_"):
            continue
        assert set(strings.get(key, {})) >= {"fr", "en"}, f"{key} missing from strings.yaml"


# -- the local preview (make site) in every state of a project's keys ------------------------


@pytest.mark.parametrize("keys", ["none", "public key only", "public key and secret"])
def test_local_preview_checks_honestly_in_every_key_state(
    browser: Browser, tmp_path: Path, keys: str
) -> None:
    """`serve` works before and after `keygen`; only a signed preview can read Valid."""
    root = copy_example(tmp_path / "project", SOURCES_WITHOUT_KEYS)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EXAMPLE_EPOCH}
    env.pop(SECRET_VARIABLE, None)
    if keys != "none":
        secret, _ = add_new_key(root, EXAMPLE_DAY)
        if keys == "public key and secret":
            env[SECRET_VARIABLE] = secret
    port = free_port()
    command = [sys.executable, "-m", "badgepages", "-C", str(root), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        origin = f"http://127.0.0.1:{port}/"
        site = load_catalog(root, EXAMPLE_DAY)
        award = next(a for a in site.awards if a.status(EXAMPLE_DAY) == "valid")
        page = f"awards/{award.id}/"
        wait_for(lambda: award.id in fetch(origin + page))
        browsing = Browsing(browser, origin, root / "_site", site.config.base_url, now=NOW)
        visit = browsing.open(page)
        verdict = visit.page.get_attribute("[data-live-check]", "data-verdict")
        signed = keys == "public key and secret"
        assert (verdict == "valid") == signed, verdict
        assert ("Aperçu non signé." in visit.page.inner_text("body")) != signed
        browsing.close()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert "Traceback" not in output, output


# -- a did:web that leaves its path ---------------------------------------------------------


@pytest.mark.parametrize("dots", ["..", "%2e%2E"])
def test_verify_page_never_reads_a_did_document_outside_the_site_path(
    browser: Browser, example_site: BuiltSite, tmp_path: Path, dots: str
) -> None:
    """Another folder of the same origin (another project, another user) holds a foreign key's
    DID document and status list; a credential whose did:web climbs there with '..' is never
    checked against them."""
    folder = tmp_path / "origin"
    site = folder / "badges"
    shutil.copytree(example_site.out, site)
    forged = forge(example_site, site, [dots, "attacker"])
    # The site sits at /badges/ of its origin, as on GitHub Pages; /attacker/ holds the files.
    assert (folder / "attacker" / "did.json").is_file()
    base = example_site.catalog.config.base_url
    with serve(folder, base) as origin:
        browsing = Browsing(browser, origin, site, base, now=NOW)
        visit = browsing.open("badges/" + example_site.urls.verify_page("en"))
        assert drop_file(visit.page, forged) == "unverified"
        assert not [url for url in visit.requests if "/attacker/" in url]
        browsing.close()
