"""GitHub files: workflows pass actionlint and call real commands; issue forms are well formed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from badgepages.cli import make_parser
from tests.site import REPO

GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
FORMS = sorted((GITHUB / "ISSUE_TEMPLATE").glob("request-*.yml"))
FORM_TYPES = {"markdown", "textarea", "input", "dropdown", "checkboxes"}
FORM_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def actionlint() -> str:
    """Return the actionlint executable installed beside this Python; fail when missing."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is missing: pip install the test extras (make test)")
    return found


def test_there_are_workflows_and_forms() -> None:
    assert [w.name for w in WORKFLOWS] == ["check.yml", "deploy-s3.yml", "deploy.yml"]
    assert [f.name for f in FORMS] == ["request-award.yml", "request-revocation.yml"]


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(
        [actionlint(), "-no-color", *(str(w.relative_to(REPO)) for w in WORKFLOWS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_find_problems(tmp_path: Path) -> None:
    """The linter is really at work: a broken workflow is refused."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: echo ${{ github.evnt.number }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [actionlint(), "-no-color", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert 'property "evnt" is not defined' in result.stdout


def _badgepages_calls(workflow: Path) -> list[list[str]]:
    calls = []
    for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
        for step in job.get("steps", []):
            for line in str(step.get("run", "")).splitlines():
                if line.lstrip().startswith("#"):
                    continue  # a shell comment
                for command in re.split(r"&&|\|\||;", line):
                    words = shlex.split(command)
                    names = [i for i, w in enumerate(words) if w.endswith("badgepages")]
                    if names:
                        calls.append(words[names[0] + 1 :])
    return calls


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_workflows_run_commands_that_exist(workflow: Path) -> None:
    """Every `badgepages …` a workflow runs is a command and options the CLI accepts."""
    calls = _badgepages_calls(workflow)
    assert calls, f"{workflow.name} runs no badgepages command"
    for words in calls:
        concrete = [w for w in words if "${{" not in w]
        make_parser().parse_args(concrete)


def _jobs(name: str) -> dict[str, Any]:
    jobs = yaml.safe_load((GITHUB / "workflows" / name).read_text(encoding="utf-8"))["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in job["steps"] if "run" in step]


def test_deploy_writes_only_the_ledger_branch_and_only_around_the_deployment() -> None:
    """main can be protected: the record goes to its own branch, before and after deploying."""
    jobs = _jobs("deploy.yml")
    writers = sorted(n for n, j in jobs.items() if j.get("permissions", {}).get("contents"))
    assert writers == ["record", "reserve"]
    assert all(jobs[n]["permissions"] == {"contents": "write"} for n in writers)
    assert "secrets." not in yaml.safe_dump(jobs["reserve"]) + yaml.safe_dump(jobs["record"])
    assert not any("git push" in run for job in jobs.values() for run in _runs(job))
    assert (jobs["reserve"]["needs"], jobs["deploy"]["needs"]) == ("build", "reserve")
    assert jobs["record"]["needs"] == ["reserve", "deploy"]
    assert jobs["record"]["if"] == "always() && needs.reserve.result == 'success'"
    assert _runs(jobs["reserve"]) == [
        '.github/ledger.sh reserve "$RUNNER_TEMP/ledger/published.lock"'
    ]
    assert _runs(jobs["record"]) == [
        '.github/ledger.sh record "$RUNNER_TEMP/ledger/published.lock" "$DEPLOY_RESULT"'
    ]
    assert jobs["record"]["steps"][-1]["env"] == {"DEPLOY_RESULT": "${{ needs.deploy.result }}"}


@pytest.mark.parametrize(("workflow", "job"), [("deploy.yml", "build"), ("check.yml", "check")])
def test_sources_are_checked_against_the_ledger_branch(workflow: str, job: str) -> None:
    runs = _runs(_jobs(workflow)[job])
    fetch = runs.index(".github/ledger.sh fetch")
    first_use = min(i for i, run in enumerate(runs) if ".venv/bin/badgepages" in run)
    assert fetch < first_use


def test_deploy_verifies_on_the_live_site_the_award_the_build_names() -> None:
    jobs = _jobs("deploy.yml")
    build = next(s for s in jobs["build"]["steps"] if s.get("id") == "build")
    assert '--outputs "$GITHUB_OUTPUT"' in build["run"]
    assert jobs["build"]["outputs"] == {"award-url": "${{ steps.build.outputs.award-url }}"}
    assert jobs["verify"]["needs"] == ["build", "deploy"]
    (step,) = [s for s in jobs["verify"]["steps"] if "verify" in str(s.get("run", ""))]
    assert step["env"] == {"AWARD_URL": "${{ needs.build.outputs.award-url }}"}
    calls = _badgepages_calls(GITHUB / "workflows" / "deploy.yml")
    assert ["verify", "$AWARD_URL"] in calls


def _form(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_issue_forms_are_well_formed(form: Path) -> None:
    data = _form(form)
    assert set(data) >= {"name", "description", "body"}
    assert set(data) <= {"name", "description", "body", "title", "labels", "assignees"}
    ids = [item["id"] for item in data["body"] if "id" in item]
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert all(FORM_ID.match(i) for i in ids)
    for item in data["body"]:
        assert item["type"] in FORM_TYPES
        attributes = item["attributes"]
        if item["type"] == "markdown":
            assert attributes["value"].strip()
            continue
        assert "id" in item, item
        assert attributes["label"].strip()
        if item["type"] == "dropdown":
            options = attributes["options"]
            assert options
            assert len(options) == len(set(options))
        if item["type"] == "checkboxes":
            assert all(option["label"].strip() for option in attributes["options"])


def test_award_form_lists_the_badges_of_this_repository() -> None:
    """When a school replaces the badges, this reminds it to update the request form."""
    data = _form(GITHUB / "ISSUE_TEMPLATE" / "request-award.yml")
    dropdown = next(item for item in data["body"] if item.get("id") == "badge")
    slugs = sorted(p.stem for p in (REPO / "badges").glob("*.yaml"))
    assert dropdown["attributes"]["options"] == slugs


def test_issue_chooser_and_pull_request_template() -> None:
    config = _form(GITHUB / "ISSUE_TEMPLATE" / "config.yml")
    assert config["blank_issues_enabled"] is False
    for link in config["contact_links"]:
        assert set(link) == {"name", "url", "about"}
        assert link["url"].startswith("https://")
    template = (GITHUB / "pull_request_template.md").read_text(encoding="utf-8")
    checklist = re.findall(r"^- \[ \] \*\*(.+?)\*\*", template, re.M)
    assert "Consent recorded" in checklist
    assert "The check passes" in checklist
