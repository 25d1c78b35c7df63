"""The systemd notify protocol (sd_notify(3)): datagrams to the socket in $NOTIFY_SOCKET.

Outside systemd (no $NOTIFY_SOCKET) every message is a no-op; a missing or
refusing socket is logged once at debug level and never fails the daemon.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping

from syncd.errors import one_line  # a notify field ends at a newline

log = logging.getLogger(__name__)

# Variables systemd hands to a Type=notify service; read once, then removed so
# that children (a password_command) do not talk to systemd in our name.
NOTIFY_VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


def socket_address(value: str) -> str | None:
    """The AF_UNIX address for a $NOTIFY_SOCKET value; None when unset or unsupported.

    A leading "@" names the abstract namespace (a leading NUL byte); an absolute
    path is a socket file. Other forms (vsock:...) are not supported.
    """
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None


def watchdog_period(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds between two WATCHDOG=1 pings (half of $WATCHDOG_USEC); None when not asked.

    $WATCHDOG_PID, when set, must be ``pid``: the watchdog is meant for that process.
    """
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    owner = environ.get("WATCHDOG_PID", "")
    if usec <= 0 or (owner and owner != str(pid)):
        return None
    return usec / 2 / 1_000_000


class Notifier:
    """Sends state changes to systemd; every method is a no-op without $NOTIFY_SOCKET."""

    def __init__(self, environ: Mapping[str, str], pid: int) -> None:
        raw = environ.get("NOTIFY_SOCKET", "")
        self.address = socket_address(raw)
        if raw and self.address is None:
            log.debug("NOTIFY_SOCKET=%r is not supported; systemd will not hear from syncd", raw)
        self.watchdog_period = watchdog_period(environ, pid) if self.address else None
        self._socket: socket.socket | None = None
        self._failed = False

    @classmethod
    def from_environment(cls) -> Notifier:
        """The notifier systemd asked for; the notify variables are removed from os.environ."""
        notifier = cls(dict(os.environ), os.getpid())
        for name in NOTIFY_VARIABLES:
            os.environ.pop(name, None)
        return notifier

    def send(self, message: str) -> bool:
        """Send one datagram (``KEY=value`` lines); False when it could not be sent."""
        if self.address is None:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
            self._socket.sendto(message.encode(), self.address)
        except OSError as exc:
            if not self._failed:  # once: a socket gone for good would flood the log
                log.debug("cannot notify systemd at %r: %s", self.address, exc)
                self._failed = True
            return False
        return True

    def ready(self, status: str) -> None:
        self.send(f"READY=1\nSTATUS={one_line(status)}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={one_line(status)}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class WatchdogThread(threading.Thread):
    """Sends WATCHDOG=1 every ``period`` s while ``alive()`` says the daemon's loop is well.

    A thread, so that a long pass (a slow first read, a server at the edge of
    its timeouts) does not get syncd killed, while a loop stuck for good still
    does: ``alive`` turns False and systemd restarts the service.
    """

    def __init__(
        self,
        notifier: Notifier,
        period: float,
        alive: Callable[[], bool],
        blocked: Collection[signal.Signals] = (),
    ) -> None:
        super().__init__(name="syncd-watchdog", daemon=True)
        self._notifier, self._period, self._alive = notifier, period, alive
        self._blocked, self._done = set(blocked), threading.Event()

    def run(self) -> None:
        # The process's signals must reach the main thread, where they end a wait at once.
        signal.pthread_sigmask(signal.SIG_BLOCK, self._blocked)
        next_ping = time.monotonic()
        while not self._done.wait(max(next_ping - time.monotonic(), 0.0)):
            next_ping += self._period
            if self._alive():
                self._notifier.watchdog()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=2)
