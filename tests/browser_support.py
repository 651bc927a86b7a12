"""Helpers for the browser tests: a local server for a built site, Debian's chromium driven
by Playwright for Python, request recording, axe-core, and transferred-weight accounting.

No browser is ever downloaded: Playwright's wheel brings its driver, and the browser is the
system's chromium (``apt-get install chromium``). Missing tools fail the tests, never skip.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.site import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Route

CHROMIUM = Path(os.environ.get("BADGEPAGES_CHROMIUM", "/usr/bin/chromium"))
# Offline and quiet: no sandbox (containers, root), no GPU, no QUIC, no phoning home.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = REPO / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
# What GitHub Pages compresses; images are sent as they are.
TEXT_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")
# A strict policy: no inline script or style, nothing from elsewhere. A violation is a
# console error, which the tests refuse.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def browser_problem() -> str | None:
    """Return what to install when Playwright or chromium is missing, else None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "Playwright for Python is missing: `.venv/bin/pip install playwright` "
            "(never run `playwright install`: the tests use Debian's chromium)"
        )
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing: `make browser-deps` (apt-get install -y chromium)"
    return None


def require_browser() -> None:
    """Fail (never skip) with what to install when Playwright or chromium is missing."""
    problem = browser_problem()
    if problem:
        pytest.fail(problem)


def require_axe() -> Path:
    """Return axe-core's script; fail when tests/node is not installed."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `cd tests/node && npm ci` (make test does it)")
    return AXE


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site like GitHub Pages: 404.html for missing paths, plus a strict CSP."""

    csp: str | None = CSP

    def end_headers(self) -> None:
        if self.csp:
            self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(directory: Path, public_base: str, *, policy: bool = True) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (random port); yield its root URL.

    ``policy``: send the strict Content-Security-Policy; without it the site is served as
    GitHub Pages serves it, with no policy to stop what a published file would do.
    """
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(public_base))
    # The 404 page links to the public address (it is served at any depth); the tests
    # answer that address from the folder too, so the policy must allow it.
    csp = CSP.replace("'self'", f"'self' {origin}") if policy else None
    handler_class = type("Handler", (_SiteHandler,), {"csp": csp})
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Visit:
    """A page and what it did: requests, console errors, uncaught exceptions."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    responses: list[tuple[str, str, bytes]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def settle(self) -> None:
        """Wait until the page has loaded and, on an award page, the live check is done."""
        self.page.wait_for_load_state("load")
        if self.page.locator("[data-live-check]").count():
            wait_for_verdict(self.page)

    def assert_clean(self, *, allow_public: bool = False) -> None:
        """No request left the site's origin; no console error; no uncaught exception."""
        assert not self.foreign, f"requests left the site's origin: {self.foreign}"
        if not allow_public:
            assert not self.public, (
                f"requests to the public address, not this origin: {self.public}"
            )
        # A request the test blocked on purpose is logged as a failed load: that one is fine.
        errors = [e for e in self.errors if not any(e.endswith(f"@ {u}") for u in self.blocked)]
        assert not errors, f"console errors: {errors}"


class Browsing:
    """One browser context per test: every request is recorded and none leaves the machine.

    Requests to the served origin pass; requests to the site's public address (only the 404
    page makes them, as on GitHub Pages) are answered from the built folder; anything else is
    aborted and recorded as a failure.
    """

    def __init__(
        self,
        browser: Browser,
        root: str,
        site: Path,
        public_base: str,
        *,
        now: datetime | None = None,
        **options: Any,
    ):
        self.now = now
        self.root = root
        self.site = site
        self.public_base = public_base
        self.origin = root.rstrip("/")
        self.context: BrowserContext = browser.new_context(**options)
        self.visits: list[Visit] = []
        self.context.route("**/*", self._route)

    def _route(self, route: Route, request: Request) -> None:
        url = request.url
        visit = self.visits[-1] if self.visits else None
        if url.startswith(self.root) or url.startswith("data:"):
            route.continue_()
            return
        if url.startswith(self.public_base):
            if visit:
                visit.public.append(url)
            path = unquote(urlsplit(url).path[len(urlsplit(self.public_base).path) :])
            file = self.site / (path + "index.html" if path.endswith("/") or not path else path)
            if file.is_file():
                route.fulfill(path=str(file))
            else:
                route.fulfill(status=404, body="")
            return
        if visit:
            visit.foreign.append(url)
        route.abort()

    def open(
        self,
        path: str,
        *,
        width: int = 1280,
        height: int = 900,
        wait: bool = True,
        block: tuple[str, ...] | list[str] = (),
    ) -> Visit:
        """Open a page of the site (``path`` relative to its root) and record what it does.

        ``wait``: return once the page is settled (see Visit.settle); otherwise at once.
        ``block``: URL globs whose requests fail, as when offline or refused.
        """
        page = self.context.new_page()
        visit = Visit(page, self.origin)
        self.visits.append(visit)
        page.set_viewport_size({"width": width, "height": height})
        if self.now is not None:
            page.clock.set_fixed_time(self.now)

        def refuse(route: Route) -> None:
            visit.blocked.append(route.request.url)
            route.abort()

        for pattern in block:
            page.route(pattern, refuse)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                visit.errors.append(f"{message.text} @ {message.location.get('url', '')}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: visit.errors.append(f"uncaught: {error}"))
        page.on("request", lambda request: visit.requests.append(request.url))
        page.on("response", lambda response: _keep_body(visit, response))
        if wait:
            page.goto(self.root + path)
            visit.settle()
        else:
            # Several pages can load at once: open them all, then settle each.
            page.goto(self.root + path, wait_until="commit")
        return visit

    def close(self) -> None:
        """Close the context and its pages."""
        self.context.close()


def _keep_body(visit: Visit, response: Any) -> None:
    try:
        body = response.body()
    except Exception:
        return
    visit.responses.append((response.url, response.headers.get("content-type", ""), body))


def wait_for_verdict(page: Page, selector: str = "[data-live-check][data-verdict]") -> str:
    """Wait for the live check to finish; return its verdict."""
    page.wait_for_selector(selector, timeout=15_000)
    return str(page.get_attribute(selector, "data-verdict"))


def checks(page: Page, scope: str = "[data-live-check]") -> dict[str, tuple[str, str]]:
    """Return the check lines shown: name -> (outcome, text)."""
    items = page.locator(f"{scope} .checks li")
    return {
        str(items.nth(i).get_attribute("data-check")): (
            str(items.nth(i).get_attribute("data-outcome")),
            items.nth(i).inner_text(),
        )
        for i in range(items.count())
    }


def start_axe(page: Page) -> None:
    """Start axe-core (WCAG 2.x A/AA and best practices) on the page, without waiting, so
    that several pages can be audited at once; axe_violations() collects the result."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the page's CSP does not apply to it.
        page.evaluate(require_axe().read_text(encoding="utf-8"))
    page.evaluate(
        """() => { window.__axeResult = axe.run(document, {resultTypes: ['violations']}); }"""
    )


def axe_violations(page: Page) -> list[str]:
    """Return the violations axe-core finds on the page (started by start_axe, or now)."""
    if not page.evaluate("() => Boolean(window.__axeResult)"):
        start_axe(page)
    results = page.evaluate(
        """async () => {
          const violations = (await window.__axeResult).violations;
          window.__axeResult = null;
          return violations.map(v => `${v.id} (${v.impact}): ${v.help} -> ` +
            v.nodes.map(n => n.target.join(' ')).join(', '));
        }"""
    )
    return [str(line) for line in results]


def transferred(visit: Visit) -> tuple[int, int, dict[str, int]]:
    """Return (bytes as sent by a host that gzips text, raw bytes, per URL) of a visit."""
    compressed = raw = 0
    per_url: dict[str, int] = {}
    for url, content_type, body in visit.responses:
        size = len(body)
        if content_type.startswith(TEXT_TYPES) or re.search(r"\.(m?js|json|svg|css|html)$", url):
            size = len(gzip.compress(body, compresslevel=6, mtime=0))
        per_url[url] = size
        compressed += size
        raw += len(body)
    return compressed, raw, per_url


def measure_page_weight(
    folder: Path, public_base: str, path: str
) -> tuple[int, int, dict[str, int]]:
    """Serve a built site, open one page in chromium and let it do everything it does by
    itself (the award page's live check included); return ``transferred()`` of that visit.

    For the benchmark (bench/bench_build.py); raises RuntimeError without a browser.
    """
    problem = browser_problem()
    if problem:
        raise RuntimeError(problem)
    from playwright.sync_api import sync_playwright

    with serve(folder, public_base) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            browsing = Browsing(browser, root, folder, public_base)
            visit = browsing.open(path)
            visit.page.wait_for_load_state("networkidle")
            return transferred(visit)
        finally:
            browser.close()
