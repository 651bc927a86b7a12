"""Shared fixtures: tiny projects written into a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from badgepages.cli import main
from tests.browser_support import CHROMIUM, LAUNCH_ARGS, require_browser
from tests.site import REPO, BuiltSite, build_example

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# No test fails on wall-clock time: hypothesis's per-example deadline is off everywhere
# (a loaded CI machine is slow, not wrong).
settings.register_profile("badgepages", deadline=None)
settings.load_profile("badgepages")

BUILD_EPOCH = "1764806400"  # 2025-12-04, a fixed build day for reproducible tests

BADGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<circle cx="32" cy="32" r="30" fill="#0b4f6c"/></svg>\n'
)
CONFIG = f"""\
issuer:
  name: Test School
  url: https://school.example.org/
  email: badges@example.org
base_url: https://example.github.io/badges/
languages: [fr, en]
theme: {REPO / "theme"}
"""
BADGE = """\
name: {fr: Civique, en: Civic}
description: Engagement civique.
criteria: Avoir participé à un projet.
image: civic.svg
"""
RECIPIENT = """\
name: Alice Martin
email: alice@example.org
public: true
awards:
  - id: aaaaaaaaaaaaaaaaaaaa
    badge: civic
    issued_on: 2025-01-15
"""


@dataclass
class Project:
    """A throw-away badgepages project."""

    root: Path

    def write(self, path: str, text: str) -> Path:
        """Write a file (dedented) under the project root."""
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text), encoding="utf-8")
        return file

    def run(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
        """Run the command line in the project; return the exit status and the output."""
        status = main(["-C", str(self.root), *args])
        captured = capsys.readouterr()
        return status, captured.out + captured.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Return a valid project with one badge and one recipient."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = Project(tmp_path / "project")
    result.write("site_config.yaml", CONFIG)
    result.write("badges/civic.yaml", BADGE)
    result.write("badges/civic.svg", BADGE_SVG)
    result.write("recipients/alice-martin.yaml", RECIPIENT)
    return result


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--update-golden`` to regenerate golden output trees."""
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One chromium for the whole session (Debian's, driven by Playwright)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """Return the repository's example site, built once per session."""
    return build_example(tmp_path_factory.mktemp("example"))


OB2_PYTHON = REPO / ".venv-ob2" / "bin" / "python"
OB2_HARNESS = REPO / "tests" / "ob2validator" / "validate_site.py"


@pytest.fixture(scope="session")
def ob2_python() -> Path:
    """Return the OB 2.0 validator venv's interpreter; fail (never skip) when it is missing."""
    if not OB2_PYTHON.exists():
        pytest.fail(
            f"{OB2_PYTHON} is missing: run `make test` (or tests/ob2validator/install.sh .venv-ob2)"
        )
    return OB2_PYTHON
