"""Golden output tree of a tiny site: every byte the build writes is reviewed in the diff.

Regenerate with ``make golden`` (``pytest tests/test_golden.py --update-golden``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from badgepages.cli import main
from tests.conftest import BUILD_EPOCH, REPO

FIXTURE = REPO / "tests" / "fixtures" / "mini"
# A key for this fixture only, committed so that the golden tree pins signed output too.
TEST_KEY = REPO / "tests" / "fixtures" / "mini-test-signing-key.txt"
GOLDEN = REPO / "tests" / "golden" / "mini"
BINARY_MANIFEST = "BINARY-FILES.txt"
TEXT_SUFFIXES = {".html", ".json", ".svg", ".xml", ".txt", ".css", ".js", ""}


def snapshot(site: Path) -> dict[str, bytes]:
    """Return generated text files as they are, other files as one manifest of hashes."""
    files: dict[str, bytes] = {}
    manifest = []
    for file in sorted(p for p in site.rglob("*") if p.is_file()):
        path = file.relative_to(site).as_posix()
        data = file.read_bytes()
        # Theme assets are copied verbatim: a hash pins them without a second copy.
        if file.suffix in TEXT_SUFFIXES and not path.startswith("static/"):
            files[path] = data
        else:
            manifest.append(f"{hashlib.sha256(data).hexdigest()}  {len(data):>8}  {path}\n")
    files[BINARY_MANIFEST] = "".join(manifest).encode()
    return files


def build_fixture(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build a copy of the fixture (a build writes its cache beside the sources)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    project = out.parent / "project"
    shutil.copytree(FIXTURE, project)
    config = project / "site_config.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "theme: ../../../theme", f"theme: {REPO / 'theme'}"
    )
    config.write_text(text, encoding="utf-8")
    command = ["-C", str(project), "build", "--out", str(out), "--signing-key-file", str(TEST_KEY)]
    assert main(command) == 0


def test_output_matches_golden_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    build_fixture(tmp_path / "site", monkeypatch)
    actual = snapshot(tmp_path / "site")
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, data in actual.items():
            (GOLDEN / path).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / path).write_bytes(data)
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes() for p in GOLDEN.rglob("*") if p.is_file()
    }
    assert sorted(actual) == sorted(expected), "files differ: run `make golden` and review"
    for path, data in actual.items():
        assert data == expected[path], f"{path} differs: run `make golden` and review the diff"
