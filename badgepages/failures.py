"""What a failure nobody planned for tells the user: one line, where it came from, no secrets.

Expected problems are reported where they are found, as diagnostics. This module words the
rest: failures of the operating system (a full disk, a read-only folder, a missing file named
on the command line) and defects of badgepages itself (an "internal error"), and the exit
statuses the command line documents.
"""

from __future__ import annotations

import errno
import os
import platform
import traceback
from collections.abc import Iterable, Mapping
from enum import IntEnum
from importlib import metadata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REDACTED = "<redacted>"
# A path given on the command line that is not a file: a usage error.
_NOT_A_FILE = {
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of it is not a folder",
    errno.EISDIR: "a folder, not a file",
}


class ExitStatus(IntEnum):
    """The exit statuses of every command (README: "Exit statuses")."""

    OK = 0
    PROBLEMS = 1  # problems found, not valid, or the command could not do its work
    USAGE = 2  # the command line itself is wrong
    INTERNAL_ERROR = 70  # EX_SOFTWARE (sysexits.h): a defect of badgepages
    INTERRUPTED = 130  # 128 + SIGINT, as shells report an interrupted command


def describe_os_error(
    error: OSError,
    *,
    builds_site: bool,
    named_paths: Mapping[Path, str],
    output: Path | None,
) -> tuple[str, ExitStatus]:
    """Return one line saying what the operating system refused, and the exit status.

    ``named_paths`` maps each path given on the command line to its option; ``output`` is the
    folder being written when the error does not name its file (a write on an open file).
    """
    path = _shown(error.filename) if error.filename is not None else None
    written = path or (_shown(output) if output is not None else "the output folder")
    again = "build again; the previous site is unchanged" if builds_site else "run it again"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        full = "no space left on device" if error.errno == errno.ENOSPC else "disk quota exceeded"
        return f"error: {full} while writing {written}: free space and {again}", ExitStatus.PROBLEMS
    if error.errno == errno.EROFS:
        fix = "choose another folder with --out" if builds_site else "make it writable"
        return f"error: read-only file system: cannot write {written}: {fix}", ExitStatus.PROBLEMS
    if error.errno in (errno.EACCES, errno.EPERM):
        target = path or "a file"
        return (
            f"error: permission denied: {target}: check who owns it and its permissions",
            ExitStatus.PROBLEMS,
        )
    option = _named_by(error.filename, named_paths)
    what = _NOT_A_FILE.get(error.errno or 0)
    if path and option and what:
        return f"error: {path}: {what} (given with {option})", ExitStatus.USAGE
    reason = error.strerror or type(error).__name__
    return (f"error: {path}: {reason}" if path else f"error: {reason}"), ExitStatus.PROBLEMS


def _named_by(filename: object, named_paths: Mapping[Path, str]) -> str | None:
    if not isinstance(filename, str | bytes | os.PathLike):
        return None
    given = Path(os.fsdecode(filename)).absolute()
    return next((o for p, o in named_paths.items() if p.absolute() == given), None)


def describe_internal_error(error: BaseException) -> str:
    """Return the internal-error report: where in the code it failed and how to report it.

    It names the exception's type and the line of badgepages that raised it, never the
    exception's message, which may hold data from the sources or the environment.
    """
    where, function = _origin(error)
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ != "builtins":
        name = f"{kind.__module__}.{name}"
    return (
        f"{where}: internal error: {name} in {function} "
        "(a defect of badgepages, not of your files)\n"
        "Please report it to the maintainers of badgepages with the command you ran, "
        f"badgepages {_version()}, Python {platform.python_version()} on {platform.system()}, "
        "and the traceback that the same command prints with --debug "
        "(badgepages --debug COMMAND …). Remove names and email addresses first; "
        "the signing key is never needed."
    )


def _origin(error: BaseException) -> tuple[str, str]:
    """Return `badgepages/module.py:line` and the function of the innermost frame of ours."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE_DIR)]
    if not ours:
        return "badgepages", "an unknown place"
    frame = ours[-1]
    shown = Path(frame.filename).resolve().relative_to(PACKAGE_DIR.parent).as_posix()
    return f"{shown}:{frame.lineno}", frame.name


def _version() -> str:
    try:
        return metadata.version("badgepages")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def format_traceback(error: BaseException) -> str:
    """Return the full traceback, for --debug."""
    return "".join(traceback.format_exception(error)).rstrip("\n")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return the text with every secret replaced by a placeholder."""
    for secret in sorted({s.strip() for s in secrets if s.strip()}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _shown(name: object) -> str:
    """Return a file name fit for one line: control and invisible characters escaped."""
    text = os.fsdecode(name) if isinstance(name, str | bytes | os.PathLike) else str(name)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
