"""One daemon per state dir: an exclusive flock on ``<state_dir>/syncd.lock`` holding our PID."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from syncd.errors import SyncdError

LOCK_NAME = "syncd.lock"


class AlreadyRunning(SyncdError):
    """Another syncd holds the state dir's lock."""


class InstanceLock:
    """The held lock; the kernel drops it when the process ends, however it ends."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd

    def release(self) -> None:
        """Clear our PID and drop the lock; idempotent."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the only descriptor releases the flock
        self._fd = -1


def acquire(state_dir: Path) -> InstanceLock:
    """Take the state dir's lock (folder 0700, file 0600) and write our PID into it.

    Raises AlreadyRunning, naming the lock file and the PID holding it, when
    another process holds it; SyncdError when the file cannot be opened.
    """
    path = state_dir / LOCK_NAME
    try:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Not O_TRUNC: the file holds the PID of whoever has the lock now.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise SyncdError(f"cannot open the lock file {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _read_pid(fd)
        os.close(fd)
        who = f"PID {holder}" if holder else "another process"
        raise AlreadyRunning(
            f"syncd is already running for this state dir: {path} is locked by {who}"
        ) from None
    os.fchmod(fd, 0o600)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return InstanceLock(path, fd)


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
    return ""
