"""The real ``syncd run`` as a subprocess, a systemd notify socket it reports to, and calendars.

Each daemon is started from this interpreter's console script with its stderr in
a file, and stopped by its own PID (terminate, then kill). The notify socket
lives in the abstract namespace ("@name" in $NOTIFY_SOCKET), as systemd's may.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import icalendar
from servers import CalendarHandle, stop_process

SYNCD = Path(sys.executable).with_name("syncd")
LONDON = ZoneInfo("Europe/London")
# What systemd or a login shell may have set, which must not leak into the daemon under test.
_SCRUBBED = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "SYNCD_CONFIG")

T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something true; its value. Fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd; records every message it gets."""

    def __init__(self) -> None:
        self.name = f"syncd-test-{uuid.uuid4().hex[:12]}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + self.name)
        self._sock.settimeout(0.1)
        self._messages: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._closed = False
        self._thread.start()

    @property
    def address(self) -> str:
        """The value for $NOTIFY_SOCKET."""
        return "@" + self.name

    def _receive(self) -> None:
        while not self._closed:
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._messages.append(data.decode())

    def fields(self, key: str) -> list[str]:
        """The values of ``KEY=`` lines received so far, in order (a datagram holds several)."""
        with self._lock:
            lines = [line for message in self._messages for line in message.split("\n")]
        return [line.split("=", 1)[1] for line in lines if line.startswith(key + "=")]

    def wait_for(self, key: str, count: int = 1, timeout: float = 15) -> list[str]:
        """Wait until ``count`` ``KEY=`` lines have arrived; all of them."""

        def arrived() -> list[str] | None:
            found = self.fields(key)
            return found if len(found) >= count else None

        return wait_until(arrived, timeout, f"{count} {key}= notification(s)")

    def close(self) -> None:
        self._closed = True
        self._thread.join(timeout=1)
        self._sock.close()


class Syncd:
    """One ``syncd --config CFG run`` subprocess."""

    def __init__(
        self,
        config: Path,
        log: Path,
        env: dict[str, str],
        *,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        """``preexec``: run in the child before syncd starts (a resource limit, say)."""
        self.config, self.log_file = config, log
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                [str(SYNCD), "--config", str(config), "run"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                preexec_fn=preexec,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def lines(self, *words: str) -> list[str]:
        """The log lines that hold every one of ``words``."""
        return [line for line in self.log().splitlines() if all(w in line for w in words)]

    def signal(self, number: signal.Signals) -> None:
        assert self.running(), f"syncd has exited:\n{self.log()}"
        os.kill(self.pid, number)

    def stop(self) -> None:
        stop_process(self.process)


def daemon_env(notify: NotifySocket | None, **extra: str) -> dict[str, str]:
    """The environment for a daemon under test: ours, scrubbed, with ``extra`` on top."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    if notify is not None:
        env["NOTIFY_SOCKET"] = notify.address
    return env | extra


def dav_source(name: str, url: str, username: str, password_env: str, calendar: str = "") -> str:
    """A ``[[sources]]`` table for a CalDAV source, the password read from ``password_env``."""
    calendars = f'calendars = ["{calendar}"]\n' if calendar else ""
    return (
        f'[[sources]]\nname = "{name}"\nkind = "caldav"\nurl = "{url}"\n'
        f'username = "{username}"\npassword_env = "{password_env}"\n{calendars}'
    )


def write_config(path: Path, state_dir: Path, *sources: str, interval: str = "1s") -> Path:
    """A config file watching ``sources`` every ``interval`` (1 s: the shortest accepted)."""
    head = f'timezone = "Europe/London"\ninterval = "{interval}"\nstate_dir = "{state_dir}"\n'
    path.write_text(head + "".join(sources))
    return path


def next_tuesday_at(hour: int) -> dt.datetime:
    """Tuesday of next week at ``hour`` in London: the follow-ups all lie ahead."""
    today = dt.datetime.now(LONDON).date()
    tuesday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1, days=1)
    return dt.datetime.combine(tuesday, dt.time(hour), tzinfo=LONDON)


def put_interview(calendar: CalendarHandle, key: str, company: str) -> None:
    """An interview with ``company`` next Tuesday 10:00-11:00, as a calendar app stores it."""
    start = next_tuesday_at(10)
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example Corp//Calendar App 1.0//EN",
        "BEGIN:VEVENT",
        f"UID:{key}",
        "DTSTAMP:20260101T090000Z",
        f"DTSTART:{start.astimezone(dt.UTC):{stamp}}",
        f"DTEND:{(start + dt.timedelta(hours=1)).astimezone(dt.UTC):{stamp}}",
        f"SUMMARY:Interview with {company}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    calendar.put(f"{key}.ics", "\r\n".join(lines) + "\r\n")


def followups(calendar: CalendarHandle) -> list[tuple[str, str]]:
    """syncd's follow-ups in ``calendar``: (kind, title) pairs, sorted."""
    found = []
    for name in calendar.names():
        data = calendar.get(name)
        for event in icalendar.Calendar.from_ical(data or b"").walk("VEVENT"):
            if "X-SYNCD-KIND" in event:
                found.append((str(event["X-SYNCD-KIND"]), str(event["SUMMARY"])))
    return sorted(found)


def wait_for_followups(calendar: CalendarHandle, count: int, timeout: float = 15) -> list[str]:
    """Wait until ``calendar`` holds ``count`` follow-ups; their kinds."""

    def written() -> list[tuple[str, str]] | None:
        found = followups(calendar)
        return found if len(found) >= count else None

    return [
        kind for kind, _ in wait_until(written, timeout, f"{count} follow-ups in {calendar.name}")
    ]
