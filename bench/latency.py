"""Figure 5: latency. An interview saved by a client -> its follow-ups readable on the
server, with ``syncd run`` (the daemon, a process) at ``interval = "5s"``; the same
for a move (the interview a week later: every follow-up moves) and a cancel
(STATUS:CANCELLED, or ``status: cancelled`` on Google: every follow-up goes).

A trial saves a new interview three days ahead (a company of its own), moves it,
cancels it, each time taking the time from the client's write (its answer
received) until the server shows what syncd wrote: three follow-ups; all three
changed; none. The bench looks every 50 ms (a depth-1 PROPFIND of the calendar's
etags on Radicale, the fake's own store on Google). Before each step it waits a
random 0-5 s, so that the steps fall anywhere in the daemon's 5 s period (a step
right after the last one showed would fall just after a pass: the worst case). The
calendar holds 100 generated events besides.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any, Protocol

import niquests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402

POLL = 0.05
GIVE_UP = 60.0
OPS = ("save", "move", "cancel")
_ENTRY = re.compile(rb"<(?:\w+:)?href>([^<]*)</(?:\w+:)?href>.*?<(?:\w+:)?getetag>([^<]*)<", re.S)


class Client(Protocol):
    def write(self, key: str, start: dt.datetime, cancelled: bool = False) -> None: ...
    def followups(self) -> dict[str, str]: ...


def interview_ics(key: str, start: dt.datetime, cancelled: bool) -> str:
    status = "STATUS:CANCELLED\r\n" if cancelled else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{key}@bench\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}"
        f"\r\nSUMMARY:Interview with Latency {key}\r\n{status}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


class DavClient:
    """A calendar app on the Radicale calendar: PUTs, and the listing of follow-ups."""

    def __init__(self, url: str, user: str) -> None:
        self.url, self.session = url, niquests.Session()
        self.session.auth = (user, backends.ENV[backends.PASSWORD_ENV])

    def write(self, key: str, start: dt.datetime, cancelled: bool = False) -> None:
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        body = interview_ics(key, start, cancelled).encode()
        answer = self.session.put(f"{self.url}{key}.ics", data=body, headers=headers)
        assert answer.status_code in (201, 204), answer.status_code

    def followups(self) -> dict[str, str]:
        """syncd's objects in the calendar (not the generated ones, nor the trials'): etags."""
        headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        body = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
        answer = self.session.request("PROPFIND", self.url, data=body, headers=headers)
        found = {}
        for href, etag in _ENTRY.findall(answer.content or b""):
            name = urllib.parse.unquote(href.decode()).rsplit("/", 1)[-1]
            if name.endswith(".ics") and not name.startswith(("bench-", "trial-")):
                found[name] = etag.decode()
        return found


class GoogleClient:
    """The web UI on the fake's calendar."""

    def __init__(self, fake: backends.GoogleProcess, calendar: str) -> None:
        self.fake, self.calendar = fake, calendar
        self.ids: dict[str, str] = {}

    def write(self, key: str, start: dt.datetime, cancelled: bool = False) -> None:
        body: dict[str, Any] = {
            "summary": f"Interview with Latency {key}",
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
        }
        if cancelled:
            body["status"] = "cancelled"
        if key in self.ids:
            self.fake.ask("modify", calendar=self.calendar, id=self.ids[key], body=body)
        else:
            self.ids[key] = self.fake.ask("add", calendar=self.calendar, body=body)["id"]

    def followups(self) -> dict[str, str]:
        return dict(self.fake.ask("followups", calendar=self.calendar))


def wait_for(client: Client, done: Any) -> float:
    """Seconds until ``done(followups)`` holds, from now."""
    began = time.perf_counter()
    while time.perf_counter() - began < GIVE_UP:
        if done(client.followups()):
            return time.perf_counter() - began
        time.sleep(POLL)
    raise RuntimeError("the follow-ups did not show within a minute")


def trial(client: Client, key: str, pause: float) -> dict[str, float]:
    """One interview saved, moved a week, cancelled: the latency of each."""
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start += dt.timedelta(days=3, hours=1)
    before = set(client.followups())
    taken: dict[str, float] = {}
    time.sleep(random.random() * pause)
    client.write(key, start)
    taken["save"] = wait_for(client, lambda now: len(set(now) - before) >= 3)
    ours = {k: v for k, v in client.followups().items() if k not in before}
    time.sleep(random.random() * pause)
    client.write(key, start + dt.timedelta(days=7))
    taken["move"] = wait_for(client, lambda now: all(now.get(k, v) != v for k, v in ours.items()))
    time.sleep(random.random() * pause)
    client.write(key, start + dt.timedelta(days=7), cancelled=True)
    taken["cancel"] = wait_for(client, lambda now: not set(ours) & set(now))
    return taken


def daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "syncd", "--config", str(config), "run"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def settled(client: Client, quiet: float = 6.0) -> None:
    """Wait until the follow-ups of the generated set are there and stop changing for
    ``quiet`` seconds."""
    last, since = client.followups(), time.perf_counter()
    while not last or time.perf_counter() - since < quiet:  # the set has interviews ahead
        time.sleep(0.5)
        now = client.followups()
        if now != last:
            last, since = now, time.perf_counter()


def measure_backend(name: str, trials: int, folder: Path, smoke: bool) -> dict[str, list[float]]:
    backend = backends.START[name](folder / "server", 100)
    process = None
    try:
        client: Client
        if backend.google is not None:
            client = GoogleClient(backend.google, backend.calendars[0])
        else:
            client = DavClient(backend.calendars[0], backend.sources[0]["username"])
        interval = "1s" if smoke else "5s"  # the smoke run only checks that it works
        config = backends.write_config(folder / "syncd", backend.sources, interval=interval)
        process = daemon(config, folder / "daemon.log")
        settled(client, 2.0 if smoke else 6.0)
        taken: dict[str, list[float]] = {op: [] for op in OPS}
        for k in range(trials):
            for op, seconds in trial(client, f"trial-{k}", 0.2 if smoke else 5.0).items():
                taken[op].append(seconds)
        return taken
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        backend.stop()


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--trials", type=int, default=0, help="trials a backend (default 10)")
    parser.add_argument("--backend", action="append", choices=("radicale", "google"))
    args = parser.parse_args()
    trials = args.trials or measure.runs(args, full=10, quick=5)
    section = measure.Section("latency", args)
    section.add("## 5. Latency: a client's change -> syncd's follow-ups readable")
    section.add()
    rows = []
    for name in args.backend or ("radicale", "google"):
        with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
            taken = measure_backend(name, trials, Path(folder), args.smoke)
        for op in OPS:
            values = taken[op]
            rows.append(
                [
                    name,
                    op,
                    f"{measure.percentile(values, 0.5):.2f}",
                    f"{measure.percentile(values, 0.95):.2f}",
                    measure.summary(values),
                ]
            )
    section.add(f'{trials} trials a server, daemon at `interval = "5s"`; seconds.')
    section.add()
    section.table(["server", "change", "p50 s", "p95 s", "median (min-max) s"], rows)
    section.finish(trials)


if __name__ == "__main__":
    main()
