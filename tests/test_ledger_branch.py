""".github/ledger.sh: the record of what is published, kept on its own branch by the deploy.

Each test drives the script as the workflows do (fetch before check and build; reserve before
deploying; record after), against a bare repository standing in for GitHub.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.site import REPO

SCRIPT = REPO / ".github" / "ledger.sh"
BRANCH = "badgepages-ledger"


@dataclass
class Checkout:
    """A clone of a bare ``origin``, as actions/checkout leaves one."""

    root: Path
    origin: Path
    environment: dict[str, str]

    def ledger(self, action: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ledger.sh in the checkout."""
        return subprocess.run(
            ["bash", str(SCRIPT), action, *args],
            cwd=self.root,
            env=self.environment,
            capture_output=True,
            text=True,
            check=False,
        )

    def git(self, *args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd or self.root,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def branch_files(self) -> dict[str, str]:
        """Return the files of the ledger branch on origin, by name."""
        names = self.git("ls-tree", "--name-only", BRANCH, cwd=self.origin).split()
        return {name: self.git("show", f"{BRANCH}:{name}", cwd=self.origin) for name in names}

    def branch_commits(self) -> int:
        return int(self.git("rev-list", "--count", BRANCH, cwd=self.origin))

    def file(self, name: str, text: str) -> str:
        """Write a ledger file beside the checkout (as a downloaded artifact); return its path."""
        path = self.root.parent / name
        path.write_text(text, encoding="utf-8")
        return str(path)


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "BADGEPAGES_LEDGER_PUSH_TRIES": "1",
    }
    origin, root = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], env=environment, check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(root)], env=environment, check=True)
    result = Checkout(root, origin, environment)
    (root / "published.lock").write_text("from main\n", encoding="utf-8")
    result.git("add", "published.lock")
    result.git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "main")
    result.git("push", "-q", "origin", "HEAD:refs/heads/main")
    return result


def published_lock(checkout: Checkout) -> str:
    return (checkout.root / "published.lock").read_text(encoding="utf-8")


def test_first_deploy_starts_from_the_checkout_and_records_what_went_live(
    checkout: Checkout,
) -> None:
    fetched = checkout.ledger("fetch")
    assert fetched.returncode == 0
    assert fetched.stdout == (
        f"published.lock: no record on {BRANCH} yet; the first deploy starts from this "
        "checkout's published.lock\n"
    )
    assert published_lock(checkout) == "from main\n"
    ledger = checkout.file("built.lock", "first deploy\n")
    assert checkout.ledger("reserve", ledger).returncode == 0
    assert checkout.branch_files() == {"deploying.lock": "first deploy\n"}
    assert checkout.ledger("record", ledger, "success").returncode == 0
    assert checkout.branch_files() == {"published.lock": "first deploy\n"}
    assert checkout.branch_commits() == 2
    fetched = checkout.ledger("fetch")
    assert fetched.stdout.startswith(f"published.lock: published.lock of {BRANCH} (commit ")
    assert (fetched.stderr, published_lock(checkout)) == ("", "first deploy\n")


def recorded(checkout: Checkout, text: str) -> None:
    ledger = checkout.file("recorded.lock", text)
    assert checkout.ledger("reserve", ledger).returncode == 0
    assert checkout.ledger("record", ledger, "success").returncode == 0


def test_a_failed_deploy_leaves_the_record_as_it_was(checkout: Checkout) -> None:
    recorded(checkout, "v1\n")
    ledger = checkout.file("built.lock", "v2\n")
    checkout.ledger("reserve", ledger)
    assert checkout.branch_files() == {"published.lock": "v1\n", "deploying.lock": "v2\n"}
    assert checkout.ledger("record", ledger, "failure").returncode == 0
    assert checkout.branch_files() == {"published.lock": "v1\n"}
    checkout.ledger("fetch")
    assert published_lock(checkout) == "v1\n"


def test_a_deploy_of_unknown_outcome_counts_as_published(checkout: Checkout) -> None:
    """A failed push after a deploy, or a cancelled run: the next deploy keeps its awards."""
    recorded(checkout, "v1\n")
    ledger = checkout.file("built.lock", "v2\n")
    checkout.ledger("reserve", ledger)
    ended = checkout.ledger("record", ledger, "cancelled")
    assert ended.returncode == 0
    assert ended.stderr == (
        "warning: the deploy ended as 'cancelled': what it published is unknown, so "
        f"deploying.lock stays on {BRANCH} and its awards count as published\n"
    )
    assert checkout.branch_files() == {"published.lock": "v1\n", "deploying.lock": "v2\n"}
    fetched = checkout.ledger("fetch")
    assert fetched.stderr == (
        "warning: a deploy is running or did not finish: its awards count as published "
        f"({BRANCH} has deploying.lock)\n"
    )
    assert published_lock(checkout) == "v2\n"
    checkout.environment["GITHUB_ACTIONS"] = "true"
    assert checkout.ledger("fetch").stdout.startswith(
        "::warning::a deploy is running or did not finish"
    )


def test_a_failed_first_deploy_keeps_the_checkout_as_the_start(checkout: Checkout) -> None:
    ledger = checkout.file("built.lock", "first deploy\n")
    checkout.ledger("reserve", ledger)
    checkout.ledger("record", ledger, "failure")
    assert checkout.branch_files() == {}
    checkout.ledger("fetch")
    assert published_lock(checkout) == "from main\n"


def test_a_deploy_that_publishes_nothing_new_writes_nothing(checkout: Checkout) -> None:
    recorded(checkout, "v1\n")
    ledger = checkout.file("same.lock", "v1\n")
    reserved = checkout.ledger("reserve", ledger)
    assert reserved.stdout == f"{BRANCH} unchanged: Deploying: what this deploy may publish\n"
    ended = checkout.ledger("record", ledger, "success")
    assert ended.stdout == f"{BRANCH}: nothing to record (no reservation of this deploy's record)\n"
    assert checkout.branch_commits() == 2


def test_an_old_record_job_run_again_takes_nothing_back(checkout: Checkout) -> None:
    """Re-running the record of a deploy whose outcome was unknown, after later deploys."""
    recorded(checkout, "v1\n")
    stalled = checkout.file("stalled.lock", "v2\n")
    checkout.ledger("reserve", stalled)
    checkout.ledger("record", stalled, "cancelled")
    recorded(checkout, "v3\n")
    for result in ("success", "failure"):
        assert checkout.ledger("record", stalled, result).returncode == 0
        assert checkout.branch_files() == {"published.lock": "v3\n"}


def test_nothing_is_deployed_when_the_reservation_cannot_be_pushed(checkout: Checkout) -> None:
    hook = checkout.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    reserved = checkout.ledger("reserve", checkout.file("built.lock", "v1\n"))
    assert reserved.returncode == 1
    assert reserved.stderr.endswith(f"error: could not push {BRANCH} to origin\n")


def test_usage(checkout: Checkout) -> None:
    result = checkout.ledger("record", "only-one-argument")
    assert result.returncode == 2
    assert result.stderr.endswith("fetch | reserve LEDGER | record LEDGER RESULT\n")
