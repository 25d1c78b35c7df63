"""``syncd demo``: an embedded Radicale on loopback, two sample interviews, one pass.

Everything lives in a temporary folder: the server's storage, the config and
the state. The follow-ups shown are read back from the server, as a calendar
app would see them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from syncd.config import Config, parse_config
from syncd.errors import SyncdError

DEMO_USER = "demo"
CALENDAR = "Interviews"
START_TIMEOUT = 20.0


@dataclasses.dataclass
class EmbeddedServer:
    """A Radicale process of ours: stop it by its own PID, nothing else."""

    url: str
    user: str
    password: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Terminate ``process`` by its PID, kill it if it is still there after ``timeout``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _radicale_command(port: int, storage: Path, htpasswd: Path) -> list[str]:
    """Radicale on 127.0.0.1:``port`` with plain htpasswd auth.

    No auth delay and no delay on errors: Radicale's defaults (1 s each) would
    only slow a loopback server down.
    """
    return [
        sys.executable, "-m", "radicale", "--config", "",
        "--server-hosts", f"127.0.0.1:{port}", "--storage-filesystem-folder", str(storage),
        "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(htpasswd),
        "--auth-htpasswd-encryption", "plain", "--auth-delay", "0", "--server-delay-on-error", "0",
    ]  # fmt: skip


@contextlib.contextmanager
def embedded_radicale(folder: Path) -> Iterator[EmbeddedServer]:
    """Radicale on 127.0.0.1 with one user (plain htpasswd), storing in ``folder``."""
    password = secrets.token_urlsafe(12)
    users = folder / "users"
    users.write_text(f"{DEMO_USER}:{password}\n")
    users.chmod(0o600)
    port = free_port()
    argv = _radicale_command(port, folder / "collections", users)
    with (folder / "radicale.log").open("ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    server = EmbeddedServer(f"http://127.0.0.1:{port}/", DEMO_USER, password, process)
    try:
        _wait_until_up(server, port)
        yield server
    finally:
        server.stop()


def _wait_until_up(server: EmbeddedServer, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"Radicale exited with code {server.process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"Radicale did not answer on port {port} within {START_TIMEOUT:.0f}s")


def sample_interviews(zone: ZoneInfo, today: dt.date) -> dict[str, str]:
    """Two interviews next week: one in person through an agency, one remote."""
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)

    def stamp(day: dt.date, hour: int) -> str:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
        return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    def event(uid: str, summary: str, day: dt.date, hour: int, lines: list[str]) -> str:
        body = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//syncd//demo//EN", "BEGIN:VEVENT",
            f"UID:{uid}", f"DTSTAMP:{stamp(today, 9)}", f"DTSTART:{stamp(day, hour)}",
            f"DTEND:{stamp(day, hour + 1)}", f"SUMMARY:{summary}", *lines,
            "END:VEVENT", "END:VCALENDAR",
        ]  # fmt: skip
        return "\r\n".join(body) + "\r\n"

    tuesday, thursday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=3)
    return {
        "globex-onsite.ics": event(
            "demo-globex-onsite", "Interview with Globex - Data Analyst", tuesday, 10,
            ["LOCATION:Globex House\\, 12 King Street\\, Manchester",
             "DESCRIPTION:agency: Hays\\nstaffing manager: Priya Patel +44 161 496 0000\\n"
             "contact: Tom Baker\\ndecision: end of week"],
        ),
        "initech-video.ics": event(
            "demo-initech-video", "Interview at Initech for Backend Developer", thursday, 14,
            ["LOCATION:https://meet.google.com/abc-defg-hij",
             "DESCRIPTION:contact: Sara Lee sara.lee@initech.example\\ndecision: next week"],
        ),
    }  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Row:
    title: str
    start: str
    reminders: str
    calendar: str


def run_demo(*, keep: bool, zone: ZoneInfo) -> list[Row]:
    """Start the server, add the samples, run one pass; the follow-ups read back.

    With ``keep`` it waits for Ctrl-C before stopping the server.
    """
    import click

    from syncd.runner import sweep
    from syncd.state import StateStore

    with tempfile.TemporaryDirectory(prefix="syncd-demo-") as tmp:
        folder = Path(tmp)
        with embedded_radicale(folder) as server:
            calendar_url = _make_calendar(server)
            for name, text in sample_interviews(zone, dt.datetime.now(zone).date()).items():
                _put(server, calendar_url + name, text)
            config = demo_config(server, folder / "state", zone)
            with _environ("SYNCD_DEMO_PASSWORD", server.password):
                store = StateStore(config.state_dir)
                try:
                    [outcome] = sweep(config, store)
                finally:
                    store.close()
            if outcome.error is not None:
                raise SyncdError(outcome.line)
            rows = read_back(server, calendar_url, zone)
            click.echo(format_table(rows))
            if keep:
                click.echo(
                    f"\nThe server keeps running until Ctrl-C. Open it in a calendar app:\n"
                    f"  URL:      {server.url}\n  user:     {server.user}\n"
                    f"  password: {server.password}"
                )
                with contextlib.suppress(KeyboardInterrupt):
                    server.process.wait()
            return rows


def demo_config(server: EmbeddedServer, state_dir: Path, zone: ZoneInfo) -> Config:
    """The config a user would write for the embedded server, through the same loader."""
    from providers import config_sections

    source = {
        "name": "demo", "kind": "caldav", "url": server.url, "username": server.user,
        "password_env": "SYNCD_DEMO_PASSWORD", "calendars": [CALENDAR],
    }  # fmt: skip
    # The zone is stated, as --timezone (or the system) chose it: a calendar's never replaces it.
    data = {"timezone": zone.key, "state_dir": str(state_dir), "sources": [source]}
    return parse_config(data, "the demo's config", config_sections())


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    import os

    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _client(server: EmbeddedServer) -> Any:
    from caldav.davclient import DAVClient

    return DAVClient(server.url, username=server.user, password=server.password, auth_type="basic")


def _make_calendar(server: EmbeddedServer) -> str:
    with _client(server) as client:
        calendar = client.get_principal().make_calendar(name=CALENDAR)
        url = str(calendar.url)
    return url if url.endswith("/") else url + "/"


def _put(server: EmbeddedServer, url: str, text: str) -> None:
    with _client(server) as client:
        response = client.put(url, text, {"Content-Type": "text/calendar; charset=utf-8"})
        if response.status not in (200, 201, 204):
            raise RuntimeError(f"PUT {url}: HTTP {response.status}")


def read_back(server: EmbeddedServer, calendar_url: str, zone: ZoneInfo) -> list[Row]:
    """The follow-ups on the server (objects carrying X-SYNCD-KIND), by start."""
    import icalendar

    rows = []
    with _client(server) as client:
        for calendar in client.get_principal().get_calendars():
            name = calendar.get_display_name()
            for obj in calendar.get_objects_by_sync_token(load_objects=True):
                for event in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
                    if "X-SYNCD-KIND" not in event:
                        continue
                    start = event.decoded("DTSTART").astimezone(zone)
                    alarms = [a.decoded("TRIGGER") for a in event.walk("VALARM")]
                    minutes = sorted(int(-t.total_seconds() // 60) for t in alarms)
                    rows.append(Row(
                        str(event["SUMMARY"]), f"{start:%a %Y-%m-%d %H:%M}",
                        ", ".join(f"{m} min before" for m in minutes) or "none", name,
                    ))  # fmt: skip
    return sorted(rows, key=lambda r: r.start[4:])


def format_table(rows: list[Row]) -> str:
    heads = Row("Follow-up", "Local start", "Reminders", "Calendar")
    table = [heads, *rows]
    widths = [max(len(getattr(r, f.name)) for r in table) for f in dataclasses.fields(Row)]
    lines = []
    for index, row in enumerate(table):
        cells = [
            getattr(row, f.name).ljust(w)
            for f, w in zip(dataclasses.fields(Row), widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
