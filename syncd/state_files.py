"""The state folder and file as the system holds them: checked before use, moved aside on
request (``syncd state reset``), and their faults told in one line.

A state folder is syncd's own when it belongs to the user and no one else may write
in it. One that others may also read is made private (0700) only when it holds
nothing but syncd's files; a folder that is shared (mode 1777), another user's, or
holding other files that syncd would have to hide is refused, never chmodded.
A state file that SQLite cannot read, a folder in its place and a newer schema stop
syncd with one line naming the file and what to do.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path

from syncd.errors import SyncdError
from syncd.lock import LOCK_NAME

DB_NAME = "state.sqlite3"
RESET = "syncd state reset"
_SHOWN_FOREIGN = 3  # names a refusal shows of the files that are not syncd's


class StateError(SyncdError):
    """The state folder or file cannot be used; the message names it and what to do."""


def is_syncds(name: str) -> bool:
    """Whether a file name in the state folder is one syncd writes there: the database and
    its companions (-wal, -shm, copies before a migration or a reset), the lock, and the
    Google token files the example config keeps there (with their temporary twins)."""
    return (
        name in (DB_NAME, LOCK_NAME)
        or name.startswith((DB_NAME + ".", DB_NAME + "-"))
        or name.endswith(".token.json")
        or (name.startswith(".") and ".token.json." in name and name.endswith(".tmp"))
    )


def make_private(folder: Path) -> None:
    """Make ``folder`` and each missing folder above it 0700 (the XDG base directory
    rule; ``mkdir(parents=True)`` makes the ones above as the umask says: 0777 under
    umask 000). Raises OSError as ``mkdir`` does."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def prepare_state_dir(folder: Path) -> None:
    """Make ``folder`` (created 0700 if missing, as are missing folders above it) ready to
    hold the state, or refuse it.

    Raises StateError, one line naming the folder and what to do, when it is not a
    folder, cannot be made, belongs to another user, others may write in it, or others
    may read it and it holds files that are not syncd's. A folder of syncd's own that
    others may read is made 0700.
    """
    try:
        make_private(folder)
        info = folder.stat()
    except FileExistsError:
        raise StateError(
            f"{folder}: state_dir is a file, not a folder; set state_dir to a folder of"
            " syncd's own, or move the file away"
        ) from None
    except OSError as error:
        raise StateError(
            f"{folder}: cannot use it as state_dir ({_why(error)}); check that it is a folder"
            " you may write in, or set state_dir to another"
        ) from None
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISDIR(info.st_mode):
        raise StateError(f"{folder}: state_dir is not a folder; set state_dir to a folder")
    if info.st_uid != os.geteuid():
        raise StateError(
            f"{folder}: state_dir belongs to another user (uid {info.st_uid}); set state_dir"
            " to a folder of your own"
        )
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StateError(
            f"{folder}: state_dir is shared: others may write in it (mode {mode:04o}); set"
            " state_dir to a folder of syncd's own (the default is ~/.local/state/syncd)"
        )
    if not mode & 0o077:
        return
    try:
        foreign = sorted(name for name in os.listdir(folder) if not is_syncds(name))
    except OSError as error:
        raise StateError(f"{folder}: cannot list state_dir ({_why(error)})") from None
    if foreign:
        shown = ", ".join(foreign[:_SHOWN_FOREIGN]) + (
            ", ..." if len(foreign) > _SHOWN_FOREIGN else ""
        )
        raise StateError(
            f"{folder}: state_dir holds files that are not syncd's ({shown}) and others may"
            f" read it (mode {mode:04o}); syncd keeps its state private: set state_dir to a"
            " folder of its own, or make this one private yourself (chmod 700)"
        )
    os.chmod(folder, 0o700)


def open_database(path: Path) -> sqlite3.Connection:
    """The state database at ``path`` (created 0600 if missing), checked whole.

    Raises StateError when it cannot be opened or read: a folder in its place, a
    file SQLite does not take for a database, a damaged one.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    except IsADirectoryError:
        raise StateError(
            f"{path}: a folder stands where syncd's state file should be; run: {RESET}"
            " (it moves it aside)"
        ) from None
    except OSError as error:
        raise StateError(
            f"{path}: cannot open the state file ({_why(error)}); check that it and its"
            f" folder are yours and writable, or run: {RESET}"
        ) from None
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(problems[0] if problems else "no answer to a check")
    except sqlite3.DatabaseError as error:
        db.close()
        raise database_error(path, error) from None
    return db


def database_error(path: Path, error: sqlite3.Error) -> StateError:
    """The one line for an error SQLite raised on the state file."""
    why = " ".join(str(error).split())[:200] or type(error).__name__
    if isinstance(error, sqlite3.OperationalError) and "locked" in why:
        return StateError(f"{path}: the state file is busy ({why}); try again in a moment")
    if "disk is full" in why:  # SQLITE_FULL: nothing is wrong with the file itself
        return StateError(
            f"{path}: the disk holding the state file is full ({why}); free some space,"
            " then start syncd again: it goes on from its last commit"
        )
    if isinstance(error, sqlite3.OperationalError) and not _damage(why):
        return StateError(
            f"{path}: cannot use the state file ({why}); check that it and its folder are"
            f" yours and writable, or run: {RESET}"
        )
    return StateError(
        f"{path}: the state file is damaged ({why}); run: {RESET} (it moves the file aside;"
        " syncd then finds its follow-ups again by their markers)"
    )


def newer_schema(path: Path, version: object, known: int) -> StateError:
    return StateError(
        f"{path}: the state file was written by a newer syncd (schema {version!s:.20},"
        f" this one knows up to {known}); run that syncd, or run: {RESET} to start afresh"
    )


def reset(folder: Path, now: dt.datetime) -> list[Path]:
    """Move the state file (and its -wal and -shm) aside, to names stamped with ``now``;
    the files are made 0600. Returns where they went, the state file first; [] when
    there was none. Raises StateError when they cannot be moved."""
    path = folder / DB_NAME
    if not os.path.lexists(path):
        return []
    stamp = f"{now:%Y%m%dT%H%M%S}"
    aside = folder / f"{DB_NAME}.reset-{stamp}"
    number = 1
    while os.path.lexists(aside):
        number += 1
        aside = folder / f"{DB_NAME}.reset-{stamp}-{number}"
    moved = []
    try:
        for suffix in ("", "-wal", "-shm"):
            source, target = Path(f"{path}{suffix}"), Path(f"{aside}{suffix}")
            if os.path.lexists(source):
                os.rename(source, target)
                moved.append(target)
                if target.is_file() and not target.is_symlink():
                    os.chmod(target, 0o600)
    except OSError as error:
        raise StateError(f"{path}: cannot move it aside ({_why(error)})") from None
    return moved


def _damage(why: str) -> bool:
    return any(word in why for word in ("not a database", "malformed", "corrupt", "disk image"))


def _why(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()
