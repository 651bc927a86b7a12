"""Source edits as transactions: one lock per project, and a journal that makes them all or nothing.

Every command that changes sources (award, award --csv, revoke, unrevoke, erase, new-badge,
keygen) works out its new file texts in memory, stages them on an :class:`Edit`, then commits:

1. it holds the project's lock (``.badgepages/lock``) exclusively; readers (check, build)
   hold it shared, so a reader never sees half an edit and two edits never interleave;
2. the journal (every new text, and a digest of every file as it was) is written to a draft
   ``.badgepages/journal.<id>.tmp``; each new text goes to a temporary file beside its target
   (``.NAME.<id>.tmp``, ``<id>`` unique to the run); all of them are flushed to disk;
3. the draft is renamed to ``.badgepages/journal.json``: that rename is the commit point;
4. files to remove are removed, the temporary files renamed over their targets, the folders
   flushed, and the journal removed.

A run killed before step 3 changed nothing, and the next run removes what it staged (its
draft names the folders). Killed after it, the journal lets the next command, or ``check``,
finish the edit exactly as intended, file by file; a file changed by hand in between is
never overwritten, but reported. Disk errors before the commit point change nothing, so most
of them (a full disk, a name too long) leave no half-done edit at all. Files are flushed
together, once each, which keeps a 500-file import to about a second on an ordinary disk.
The lock is an OS file lock, released by the kernel when its holder dies: a killed run never
leaves the project locked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypedDict

from badgepages.diagnostics import Diagnostic, SourceLocation, shown_path

STATE_DIR = ".badgepages"
JOURNAL_FILE = f"{STATE_DIR}/journal.json"
LOCK_FILE = f"{STATE_DIR}/lock"
LOCK_WAIT = 30.0  # seconds a command waits for another one before it gives up
_POLL = 0.05
_FORMAT = 1
_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")
_JOURNAL_TEMPORARY = re.compile(r"^journal\.[0-9a-f]{16}\.tmp$")

Waiting = Callable[[], None]


class _Change(TypedDict):
    path: str  # relative to the project root, with '/'
    before: str | None  # SHA-256 of the file before the edit; None: it did not exist
    after: str | None  # its new text; None: the edit removes it


class _Journal(TypedDict):
    format: int
    command: str
    changes: list[_Change]


class TransactionError(Exception):
    """Raised when sources cannot be edited or read safely; says why and what to do."""

    def __init__(
        self, message: str, hint: str | None = None, diagnostics: tuple[Diagnostic, ...] = ()
    ) -> None:
        self.message = message
        self.hint = hint
        self.diagnostics = diagnostics
        super().__init__(f"{message} ({hint})" if hint else message)


@dataclass
class Edit:
    """File changes staged in memory, committed all or nothing by :meth:`commit`."""

    root: Path
    command: str
    recovered: tuple[str, ...] = ()  # what finishing an interrupted edit did, for the user
    _changes: dict[str, str | None] = field(default_factory=dict)
    _committed: bool = False

    def write(self, file: Path, text: str) -> None:
        """Stage the new text of a file (created if absent)."""
        self._changes[_relative(self.root, file)] = text

    def delete(self, file: Path) -> None:
        """Stage the removal of a file."""
        self._changes[_relative(self.root, file)] = None

    def commit(self) -> None:
        """Write every staged change: all of them, or (if killed before the commit point) none."""
        if self._committed:
            raise RuntimeError("an edit is committed once")
        self._committed = True
        changes: list[_Change] = []
        for path, after in sorted(self._changes.items()):
            before = _digest(self.root / path)
            if before != _after_digest(after):
                changes.append({"path": path, "before": before, "after": after})
        if not changes:
            return
        journal: _Journal = {"format": _FORMAT, "command": self.command, "changes": changes}
        identifier = _new_id()
        state = self.root / STATE_DIR
        draft = state / f"journal.{identifier}.tmp"
        staged: list[tuple[Path, Path]] = []
        try:
            # The journal goes first: if the run dies while staging, it names the folders
            # holding this run's temporary files, so the next run can remove them.
            _write_file(draft, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
            _flush(draft, state)
            staged = _stage(self.root, changes, identifier)
            os.replace(draft, self.root / JOURNAL_FILE)  # the commit point
        except OSError as error:
            for temporary in [draft, *(temporary for temporary, _ in staged)]:
                temporary.unlink(missing_ok=True)
            raise TransactionError(
                f"cannot write {_shown(self.root, error)}: {error.strerror}", "nothing was changed"
            ) from None
        _finish(self.root, changes, staged)


def _new_id() -> str:
    """Return a name part unique to one commit, so runs never share a temporary file."""
    return secrets.token_hex(8)


def _relative(root: Path, file: Path) -> str:
    relative = file.relative_to(root).as_posix()
    if not _inside(relative):
        raise ValueError(f"{file} is outside {root}")
    return relative


def _inside(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


def _after_digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(file: Path) -> str | None:
    """Return the SHA-256 of a file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


# -- applying and recovering ---------------------------------------------------------------


def _stage(root: Path, changes: list[_Change], identifier: str) -> list[tuple[Path, Path]]:
    """Write each new text to a temporary file beside its target and flush them all.

    Flushed only once all are written, the disk takes them in one go; a renamed file then
    always holds its whole new text, whatever happens to the machine.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for change in changes:
            if change["after"] is not None:
                staged.append(_stage_file(root / change["path"], change["after"], identifier))
        for temporary, target in staged:
            _flush(temporary, target)
    except OSError:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    return staged


def _stage_file(target: Path, text: str, identifier: str) -> tuple[Path, Path]:
    temporary = target.with_name(f".{target.name}.{identifier}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_file(temporary, text.encode("utf-8"), _mode(target))
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(target)) from None
    return temporary, target


def _finish(root: Path, changes: list[_Change], staged: list[tuple[Path, Path]]) -> None:
    """Make the changes of a committed journal (files staged already), then remove it."""
    folders = {root / STATE_DIR} | {(root / change["path"]).parent for change in changes}
    try:
        _flush_folder(root / STATE_DIR)  # the commit itself survives a power cut
        for change in changes:
            if change["after"] is None:
                (root / change["path"]).unlink(missing_ok=True)
        for temporary, target in staged:
            os.replace(temporary, target)
        for folder in sorted(folders):
            _flush_folder(folder)
        (root / JOURNAL_FILE).unlink()
        _flush_folder(root / STATE_DIR)
    except OSError as error:
        raise TransactionError(
            f"the edit stopped half-way: {_shown(root, error)}: {error.strerror}",
            "fix the cause (free disk space, permissions), then run 'badgepages check': it "
            "finishes the edit",
        ) from None


def _shown(root: Path, error: OSError) -> str:
    """Return the file an error is about, relative to the project when inside it."""
    name = error.filename2 or error.filename  # a rename's target, or the file
    if not name:
        return str(root)
    return shown_path(Path(name), root)


def _write_file(file: Path, data: bytes, mode: int | None = None) -> None:
    # O_EXCL: the name is this run's own; never write through a file someone else made.
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        if hasattr(os, "posix_fadvise"):
            # Start writing the file to disk now (Linux): the flush that follows, often
            # after many more files were written, then mostly waits for work under way.
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)
    if mode is not None:
        os.chmod(file, mode)  # keep an existing file's permissions, whatever the umask


def _mode(target: Path) -> int | None:
    """Return a file's permissions; None for a new file (made as the umask says)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return None


_BINARY: int = getattr(os, "O_BINARY", 0)


def _flush(file: Path, shown: Path | None = None) -> None:
    """Flush a file to disk; an error names ``shown`` (the file it stands for) or the file."""
    try:
        descriptor = os.open(file, os.O_RDWR | _BINARY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(shown or file)) from None


def _flush_folder(folder: Path) -> None:
    """Make renames and removals in a folder durable (POSIX; Windows has no folder handles)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(file: Path, data: bytes) -> None:
    """Replace one file so that readers and crashes see the old or the new bytes, never a mix.

    The bytes go to a temporary file beside it (unique to this run), flushed to disk, renamed
    over the file; then the folder is flushed so the rename itself survives a power cut.
    """
    temporary = file.with_name(f".{file.name}.{_new_id()}.tmp")
    try:
        _write_file(temporary, data, _mode(file))
        _flush(temporary)
        os.replace(temporary, file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _flush_folder(file.parent)


def _leftovers(root: Path) -> bool:
    """Tell whether a killed run left a journal or temporary files to deal with.

    A journal not yet committed names any temporary file its run staged; a temporary file
    in the project's folder may also be a ledger a killed build was writing.
    """
    return (
        (root / JOURNAL_FILE).exists()
        or any(_JOURNAL_TEMPORARY.match(p.name) for p in _listing(root / STATE_DIR))
        or any(_TEMPORARY.match(p.name) for p in _listing(root))
    )


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _recover(root: Path) -> tuple[str, ...]:
    """Finish an interrupted edit, or remove what one left that changed nothing (lock held)."""
    journal = _read_journal(root) if (root / JOURNAL_FILE).exists() else None
    drafts = [p for p in _listing(root / STATE_DIR) if _JOURNAL_TEMPORARY.match(p.name)]
    changes = [change for file in drafts for change in _draft_changes(file)]
    changes += journal["changes"] if journal else []
    folders = {root} | {(root / change["path"]).parent for change in changes}
    stale = drafts + [p for f in folders for p in _listing(f) if _TEMPORARY.match(p.name)]
    for file in stale:
        try:
            file.unlink(missing_ok=True)
        except OSError as error:
            raise TransactionError(
                f"cannot remove {_shown(root, error)}, left by an interrupted edit: "
                f"{error.strerror}",
                "remove it by hand, then run 'badgepages check' again",
            ) from None
    if journal is None:
        note = "removed the temporary files of an interrupted edit (it had changed nothing)"
        return (note,) if stale else ()
    pending, conflicts = _sort_changes(root, journal)
    if conflicts:
        raise _conflict(journal, conflicts)
    try:
        staged = _stage(root, pending, _new_id())
    except OSError as error:
        raise TransactionError(
            f"cannot finish an interrupted '{journal['command']}': {_shown(root, error)}: "
            f"{error.strerror}",
            "fix the cause (free disk space, permissions), then run 'badgepages check' again",
        ) from None
    _finish(root, pending, staged)
    return (_describe(journal),)


def _draft_changes(draft: Path) -> list[_Change]:
    """Return the changes a journal not yet committed lists (none if it was cut short)."""
    try:
        journal = json.loads(draft.read_text(encoding="utf-8"))
        return [change for change in journal["changes"] if _inside(change["path"])]
    except (OSError, ValueError, KeyError, TypeError):
        return []  # cut short while being written: no temporary file was made yet


def _read_journal(root: Path) -> _Journal:
    try:
        journal = json.loads((root / JOURNAL_FILE).read_text(encoding="utf-8"))
        valid = (
            journal["format"] == _FORMAT
            and isinstance(journal["command"], str)
            and all(
                _inside(change["path"])
                and isinstance(change["before"], str | None)
                and isinstance(change["after"], str | None)
                for change in journal["changes"]
            )
        )
    except (OSError, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        diagnostic = Diagnostic(
            SourceLocation(JOURNAL_FILE),
            "this is not a journal badgepages can finish",
            "an interrupted edit may have changed some files: review them with 'git status', "
            "then delete this file",
        )
        raise TransactionError(diagnostic.text, diagnostics=(diagnostic,))
    return journal  # type: ignore[no-any-return]


def _sort_changes(root: Path, journal: _Journal) -> tuple[list[_Change], list[_Change]]:
    """Split a journal's changes into those still to make and those someone else made since."""
    pending: list[_Change] = []
    conflicts: list[_Change] = []
    for change in journal["changes"]:
        current = _digest(root / change["path"])
        if current == _after_digest(change["after"]):
            continue  # already made before the run was stopped
        (pending if current == change["before"] else conflicts).append(change)
    return pending, conflicts


def _conflict(journal: _Journal, conflicts: list[_Change]) -> TransactionError:
    command = journal["command"]
    diagnostics = tuple(
        Diagnostic(
            SourceLocation(change["path"]),
            f"changed since an interrupted '{command}' began rewriting it, so that edit "
            "was not finished",
            f"put the file back as it was and the next command finishes the edit, or delete "
            f"{JOURNAL_FILE} to give the edit up and review 'git status'",
        )
        for change in conflicts
    )
    return TransactionError(
        f"an interrupted '{command}' cannot be finished", diagnostics=diagnostics
    )


def _describe(journal: _Journal) -> str:
    changes = journal["changes"]
    return (
        f"finished an interrupted '{journal['command']}' (it was stopped half-way): "
        f"{_count(len(changes), 'file change')} now made as it intended (see 'git status')"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# -- the lock ------------------------------------------------------------------------------


def _open_lock(root: Path) -> int:
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.is_file():
        # The folder ignores itself, whatever the repository's own .gitignore says.
        ignore.write_text("*\n", encoding="utf-8")
    return os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | _BINARY, 0o644)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(descriptor: int, exclusive: bool) -> bool:
        # Windows byte-range locks have no shared mode: readers take it exclusively too.
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(descriptor: int, exclusive: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


@contextmanager
def _locked(descriptor: int, exclusive: bool, waiting: Waiting | None) -> Iterator[None]:
    deadline = time.monotonic() + LOCK_WAIT
    told = False
    while not _try_lock(descriptor, exclusive):
        if time.monotonic() >= deadline:
            raise TransactionError(
                f"another badgepages command is still using this project after {LOCK_WAIT:g} s",
                "try again once it has finished",
            )
        if waiting is not None and not told:
            waiting()
            told = True
        time.sleep(_POLL)
    try:
        yield
    finally:
        _unlock(descriptor)


@contextmanager
def source_edit(root: Path, command: str, waiting: Waiting | None = None) -> Iterator[Edit]:
    """Hold the project's lock for an edit, after finishing any edit a killed run left.

    Read the files to change inside this block, stage their new texts on the edit, then call
    :meth:`Edit.commit`; leaving the block without committing changes nothing.
    """
    try:
        descriptor = _open_lock(root)
    except OSError as error:
        raise TransactionError(f"cannot lock {root}: {error.strerror}") from None
    try:
        with _locked(descriptor, True, waiting):
            yield Edit(root, command, _recover(root))
    finally:
        os.close(descriptor)


@contextmanager
def reading(root: Path, waiting: Waiting | None = None) -> Iterator[tuple[str, ...]]:
    """Hold the project's lock shared while sources are read; yield what recovery did.

    An edit a killed run left is finished first (with the lock held exclusively), so that a
    check or a build never reads half of it.
    """
    try:
        descriptor: int | None = _open_lock(root)
    except OSError:
        descriptor = None
    if descriptor is None:
        # Nobody can edit a project we cannot write to; only a leftover journal matters.
        if (root / JOURNAL_FILE).exists():
            raise TransactionError(
                f"an interrupted edit left {JOURNAL_FILE}",
                "run 'badgepages check' where the project can be written to finish it",
            )
        yield ()
        return
    notes: tuple[str, ...] = ()
    try:
        while True:
            with _locked(descriptor, False, waiting):
                if not _leftovers(root):
                    yield notes
                    return
            with _locked(descriptor, True, waiting):
                notes += _recover(root)
    finally:
        os.close(descriptor)
