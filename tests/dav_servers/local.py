"""What the packaged servers need of this machine: their programs, a user to run as,
a data folder that user may enter, and a wait that polls instead of sleeping.

As root, Cyrus and PostgreSQL run as their packages' own users (``cyrus``,
``postgres``: PostgreSQL refuses root, Cyrus drops to its user itself); their
data then lives in a folder of its own under the system's temp folder, owned by
that user, because pytest's temp folders are closed to other users. Logs stay
in the test's folder, written through descriptors this process opened. As
another user, everything runs as that user, in the test's folder.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from servers import START_TIMEOUT, ServerError, log_tail


def as_root() -> bool:
    return os.geteuid() == 0


def run_as(service_user: str) -> str:
    """The user a server runs as: its package's user when we are root, else ourselves."""
    return service_user if as_root() else getpass.getuser()


def data_folder(folder: Path, name: str, owner: str) -> Path:
    """A new folder for a server's data that ``owner`` may enter; removed by ``remove``."""
    if not as_root():
        data = folder / "data"
        data.mkdir()
        return data
    data = Path(tempfile.mkdtemp(prefix=f"syncd-test-{name}-"))
    data.chmod(0o711)
    shutil.chown(data, owner)
    return data


def give(path: Path, owner: str, group: str | None = None) -> None:
    """Hand ``path`` and all below it to ``owner`` (as root; otherwise they are ours already)."""
    if not as_root():
        return
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            shutil.chown(Path(root) / name, owner, group)
    shutil.chown(path, owner, group)


def remove(data: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(data)


def run(
    argv: list[str],
    log: Path,
    what: str,
    *,
    user: str | None = None,
    env: dict[str, str] | None = None,
    text: str = "",
) -> None:
    """Run ``argv`` to its end (as ``user``, with ``text`` on its stdin), its output appended
    to ``log``; ServerError with the log's tail when it fails."""
    user = None if user == getpass.getuser() else user
    with log.open("ab") as out:
        done = subprocess.run(
            argv, input=text.encode(), stdout=out, stderr=subprocess.STDOUT, user=user, env=env,
            check=False, timeout=START_TIMEOUT,
        )  # fmt: skip
    if done.returncode != 0:
        raise ServerError(f"{what} failed (status {done.returncode}):\n{log_tail(log)}")


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    """Poll ``ready`` until it holds; ServerError when ``process`` ends or time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{what} exited with status {process.returncode}:\n{log_tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise ServerError(f"{what} not ready within {START_TIMEOUT:.0f} s:\n{log_tail(log)}")


def first_program(*candidates: str) -> str:
    """The first of ``candidates`` (names on PATH or absolute paths) that exists; else ""."""
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return ""
