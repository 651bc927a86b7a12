"""Unforeseen failures: one line each, an internal-error report without secrets, exit statuses."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from badgepages import execute, failures, keys, output, plan, produce
from badgepages.cli import main
from tests.conftest import BUILD_EPOCH, Project
from tests.site import EXAMPLE_EPOCH, REPO, copy_example

SECRET = "z3u2MdFkjV7Qx1HbYvPw9sLmN4rT8eKaGc5DfJhUo6iZyXnB"
FULL_DISK = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# Where the defect surfaces: the innermost badgepages line of the failure, whatever its number.
INTERNAL_ERROR = re.compile(
    r"badgepages/plan\.py:\d+: internal error: RuntimeError in _fingerprints "
    r"\(a defect of badgepages, not of your files\)"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def broken_fingerprint(*args: object, **kwargs: object) -> None:
    raise RuntimeError("cannot hash https://example.github.io/badges/ for alice@example.org")


# ---- through badgepages.cli.main ----------------------------------------------------------


def test_a_defect_deep_in_the_build_is_an_internal_error(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "code_version", broken_fingerprint)
    status, _, err = run(capsys, "-C", str(project.root), "build")
    lines = err.splitlines()
    assert status == failures.ExitStatus.INTERNAL_ERROR == 70
    assert INTERNAL_ERROR.fullmatch(lines[0])
    assert len(lines) == 2
    assert lines[1].startswith("Please report it to the maintainers of badgepages with ")
    assert "(badgepages --debug COMMAND …)" in lines[1]
    assert "Traceback" not in err
    assert "alice@example.org" not in err


def test_debug_shows_the_traceback(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "code_version", broken_fingerprint)
    status, _, err = run(capsys, "--debug", "-C", str(project.root), "build")
    assert status == 70
    assert err.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: cannot hash https://example.github.io/badges/ for alice" in err
    assert INTERNAL_ERROR.fullmatch(err.splitlines()[-2])


def test_debug_changes_nothing_when_all_is_well(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--debug", "-C", str(project.root), "check")
    assert (status, out, err) == (
        0,
        "1 badge, 1 recipient, 1 award (a site of 39 files, 0.9 MB): no problems found\n",
        "",
    )


@pytest.mark.parametrize("debug", [[], ["--debug"]])
@pytest.mark.parametrize("source", ["environment", "key file"])
def test_the_signing_key_never_appears_in_a_failure_report(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    debug: list[str],
    source: str,
) -> None:
    def leaky(secret: str) -> None:
        raise RuntimeError(f"cannot read the key {secret!r} ({secret.encode()!r})")

    monkeypatch.setattr(keys, "parse_secret_key", leaky)
    options: list[str] = []
    if source == "environment":
        monkeypatch.setenv(keys.SECRET_VARIABLE, SECRET + "\n")
    else:
        (tmp_path / "signing.key").write_text(SECRET + "\n", encoding="utf-8")
        options = ["--signing-key-file", str(tmp_path / "signing.key")]
    status, out, err = run(capsys, *debug, "-C", str(project.root), "build", *options)
    assert status == 70
    assert SECRET not in out + err
    assert ("cannot read the key '<redacted>' (b'<redacted>')" in err) == bool(debug)


def test_a_full_disk_is_one_line_and_keeps_the_previous_site(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    out = tmp_path / "output" / "site"
    assert run(capsys, "-C", str(project.root), "build", "--out", str(out))[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (project.root / "badges" / "civic.yaml").write_text(
        (project.root / "badges" / "civic.yaml").read_text().replace("Civique", "Civisme")
    )

    def full(path: str, data: bytes) -> None:
        raise FULL_DISK

    monkeypatch.setattr(output, "_write_new", full)
    status, _, err = run(capsys, "-C", str(project.root), "build", "--out", str(out))
    assert (status, err) == (
        1,
        f"error: no space left on device while writing {out}: free space and build again; "
        "the previous site is unchanged\n",
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_read_only_output_folder_is_one_line(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    def read_only(path: str, data: bytes) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(output, "_write_new", read_only)
    status, _, err = run(capsys, "-C", str(project.root), "build", "--out", str(tmp_path / "s"))
    assert (status, err) == (
        1,
        f"error: read-only file system: cannot write {tmp_path / 's'}: "
        "choose another folder with --out\n",
    )


@pytest.mark.parametrize(
    ("summary", "problem"),
    [
        ("missing/summary.md", "no such file or folder"),
        (".", "a folder, not a file"),
        ("site_config.yaml/summary.md", "a part of it is not a folder"),
    ],
)
def test_a_path_named_on_the_command_line_that_is_not_a_file_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str], summary: str, problem: str
) -> None:
    path = project.root / summary
    status, _, err = run(capsys, "-C", str(project.root), "check", "--summary", str(path))
    assert (status, err) == (2, f"error: {path}: {problem} (given with --summary)\n")


def test_an_interrupt_exits_quietly_with_130(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(plan, "code_version", interrupted)
    assert run(capsys, "-C", str(project.root), "build") == (130, "", "")


# ---- through a new process ----------------------------------------------------------------

INJECT = """\
import errno, os, sys
import badgepages.keys, badgepages.output, badgepages.plan
from badgepages.cli import main

def fail(*args, **kwargs):
    raise {failure}

{target} = fail
raise SystemExit(main(sys.argv[1:]))
"""


def run_injected(
    project: Project,
    target: str,
    failure: str,
    *args: str,
    env: dict[str, str] | None = None,
    debug: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the command line in a new process with one function replaced by a failure."""
    code = INJECT.format(target=target, failure=failure)
    options = ["--debug"] if debug else []
    return subprocess.run(
        [sys.executable, "-c", code, *options, "-C", str(project.root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH, **(env or {})},
        check=False,
    )


def test_process_internal_error(project: Project) -> None:
    failure = "RuntimeError('alice')"
    result = run_injected(project, "badgepages.plan.code_version", failure, "build")
    assert result.returncode == 70
    assert INTERNAL_ERROR.fullmatch(result.stderr.splitlines()[0])
    assert "Traceback" not in result.stderr
    assert "alice" not in result.stderr


def test_process_debug_report_hides_the_signing_key(project: Project) -> None:
    failure = "RuntimeError(os.environ['BADGEPAGES_SIGNING_KEY'])"
    result = run_injected(
        project, "badgepages.keys.parse_secret_key", failure, "build",
        env={keys.SECRET_VARIABLE: SECRET}, debug=True,
    )  # fmt: skip
    assert result.returncode == 70
    assert "RuntimeError: <redacted>\n" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_process_full_disk(project: Project, tmp_path: Path) -> None:
    failure = "OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))"
    out = tmp_path / "site"
    result = run_injected(
        project, "badgepages.output._write_new", failure, "build", "--out", str(out)
    )
    assert (result.returncode, result.stderr) == (
        1,
        f"error: no space left on device while writing {out}: free space and build again; "
        "the previous site is unchanged\n",
    )
    assert not out.exists()


@pytest.mark.parametrize("command", ["build", "check"])
def test_the_command_says_everything_before_it_exits(project: Project, command: str) -> None:
    """A build or check exits without freeing its catalog: its output reaches a pipe whole."""
    line = [sys.executable, "-m", "badgepages", "-C", str(project.root), command]
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    env.pop("PYTHONUNBUFFERED", None)  # what reaches the pipe is what the command flushed
    done = subprocess.run(line, capture_output=True, text=True, cwd=REPO, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.match(r"built \d+ files|\d+ badges?, ", done.stdout.splitlines()[-1])
    project.write("recipients/bob.yaml", "name: Bob\nemail: nope\n")
    done = subprocess.run(line, capture_output=True, text=True, cwd=REPO, env=env, check=False)
    assert done.returncode == 1
    assert "recipients/bob.yaml:2:" in done.stdout


def test_process_interrupt(project: Project) -> None:
    result = run_injected(project, "badgepages.plan.code_version", "KeyboardInterrupt", "build")
    assert (result.returncode, result.stderr) == (130, "")


# ---- the wording of operating-system failures ---------------------------------------------


@pytest.mark.parametrize(
    ("error", "builds_site", "line", "status"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "_site/awards/a/badge.png"),
            True,
            "error: no space left on device while writing _site/awards/a/badge.png: "
            "free space and build again; the previous site is unchanged",
            1,
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            False,
            "error: no space left on device while writing out: free space and run it again",
            1,
        ),
        (
            OSError(errno.EDQUOT, "Disk quota exceeded"),
            True,
            "error: disk quota exceeded while writing out: free space and build again; "
            "the previous site is unchanged",
            1,
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "recipients/alice.yaml"),
            False,
            "error: permission denied: recipients/alice.yaml: check who owns it and its "
            "permissions",
            1,
        ),
        (
            PermissionError(errno.EPERM, "Operation not permitted"),
            True,
            "error: permission denied: a file: check who owns it and its permissions",
            1,
        ),
        (
            OSError(errno.EROFS, "Read-only file system", "recipients/alice.yaml"),
            False,
            "error: read-only file system: cannot write recipients/alice.yaml: make it writable",
            1,
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "key.txt"),
            True,
            "error: key.txt: no such file or folder (given with --signing-key-file)",
            2,
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "theme/base.html"),
            True,
            "error: theme/base.html: No such file or directory",
            1,
        ),
        (
            OSError(errno.EIO, "Input/output error", "alice\nmartin\x1b[2J.yaml"),
            False,
            "error: alice\\nmartin\\x1b[2J.yaml: Input/output error",
            1,
        ),
        (OSError("no errno, with data: alice@example.org"), False, "error: OSError", 1),
    ],
)
def test_os_failures_are_worded_in_one_line(
    error: OSError, builds_site: bool, line: str, status: int
) -> None:
    named = {Path("key.txt"): "--signing-key-file"}
    assert failures.describe_os_error(
        error, builds_site=builds_site, named_paths=named, output=Path("out")
    ) == (line, status)


def test_internal_error_outside_our_code_names_no_line() -> None:
    text = failures.describe_internal_error(ValueError("x"))
    assert text.splitlines()[0] == (
        "badgepages: internal error: ValueError in an unknown place "
        "(a defect of badgepages, not of your files)"
    )


def test_redact_replaces_every_secret_and_ignores_empty_ones() -> None:
    text = f"key={SECRET} again {SECRET[:10]} short"
    assert failures.redact(text, ["", "  ", f" {SECRET}\n", "short"]) == (
        f"key=<redacted> again {SECRET[:10]} <redacted>"
    )


def test_every_exit_status_is_documented() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit statuses", 1)[1].split("\n#", 1)[0]
    documented = [int(n) for n in re.findall(r"^\| `(\d+)` \|", section, re.MULTILINE)]
    assert documented == [int(status) for status in failures.ExitStatus]


# ---- a broken theme -----------------------------------------------------------------------


def broken_theme(tmp_path: Path, template: str, old: str, new: str) -> Path:
    root = copy_example(tmp_path / "project")
    file = root / "theme" / "templates" / template
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def line_of(root: Path, template: str, text: str) -> int:
    lines = (root / "theme" / "templates" / template).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{{ page.title }}",
            "{{ page.title.no_such_thing.here }}",
            "template error: UndefinedError",
        ),
        (
            "{{ page.title }}",
            "{{ t('no_such_string') }}",
            "template error: MissingTextError: string 'no_such_string' is missing",
        ),
    ],
)
def test_a_template_failing_on_every_award_is_reported_once_at_its_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    old: str,
    new: str,
    message: str,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    root = broken_theme(tmp_path, "award.html", old, new)
    status, out, err = run(capsys, "-C", str(root), "build", "--jobs", "2")
    lines = (out + err).splitlines()
    line = line_of(root, "award.html", new)
    assert status == 1
    assert lines[0].startswith(f"theme/templates/award.html:{line}:1: {message}")
    assert re.search(r"and \d+ other files\)$", lines[0])
    assert lines[1:] == ["1 error in 1 file", "nothing was built: fix the problems above"]
    assert not (root / "_site").exists()


def test_a_template_syntax_error_is_reported_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    root = broken_theme(tmp_path, "badge.html", "{% if earners %}", "{% if earners %}{% if %}")
    status, out, err = run(capsys, "-C", str(root), "build")
    line = line_of(root, "badge.html", "{% if %}")
    assert status == 1
    assert (out + err).startswith(f"theme/templates/badge.html:{line}:1: template error: ")
    assert "Traceback" not in out + err


def test_a_build_stops_at_the_first_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    monkeypatch.setattr(execute, "FAILURES_BEFORE_STOPPING", 3)
    root = broken_theme(tmp_path, "award.html", "{{ page.title }}", "{{ page.title.x.y }}")
    produced: list[str] = []
    real = produce.PRODUCERS["award-page"]

    def counted(ctx: produce.BuildContext, *args: str) -> bytes:
        produced.append(args[0])
        return real(ctx, *args)

    monkeypatch.setitem(produce.PRODUCERS, "award-page", counted)
    status, out, err = run(capsys, "-C", str(root), "build", "--jobs", "1")
    assert status == 1
    assert "and 2 other files; the build stopped at 3 failures)" in out + err
    assert len(produced) == 3


def test_check_reports_a_template_that_does_not_compile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    root = broken_theme(
        tmp_path, "home.html", "{% block content %}", "{% block content %}{% for %}"
    )
    status, out, _ = run(capsys, "-C", str(root), "check")
    line = line_of(root, "home.html", "{% for %}")
    assert status == 1
    assert out.startswith(f"theme/templates/home.html:{line}:1: template error: ")
