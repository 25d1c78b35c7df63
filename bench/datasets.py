"""The bench's calendars: generated, then loaded into Radicale, Xandikos or the Google fake.

Event ``n`` of a calendar of N: every 50th an interview (2 %), every 20th a
weekly series of 20 (5 %), every 10th an all-day event (10 %), the rest timed
events with a description and a location. They spread over a year centred on
the day the set is made, so that syncd's window (7 days back, 180 ahead) holds
about half of them, as a real calendar's would. Times are UTC (Z).

Loading is fast, as in ``bench/dav_read.py``: Radicale's collection folder is
written on disk and its item cache built once by a PROPFIND; that warm folder
is kept in a cache (one per size and day) and copied for every use, so that no
figure pays the rebuild (about a minute for 10,000). Xandikos gets one git
commit; the Google fake (``bench/google_server.py``) inserts into its store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import niquests

SIZES = (100, 1_000, 10_000)
CALENDAR = "bench"  # the calendar's path segment and display name on the CalDAV servers
TITLES = ("Team meeting", "Lunch with Sam", "Dentist", "1:1", "Gym", "Standup", "Call mum")
SHAPE = 2  # the version of the generated set: a new one makes the cache anew
CACHE = Path(os.environ.get("SYNCD_BENCH_CACHE", Path(tempfile.gettempdir()) / "syncd-bench"))


@dataclasses.dataclass(frozen=True)
class Event:
    """One generated event; ``start``/``end`` are dates for an all-day event."""

    n: int
    title: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    weekly: int = 0  # occurrences of a weekly series (0: a single event)
    description: str = ""

    @property
    def uid(self) -> str:
        return f"bench-{self.n}@example.com"

    @property
    def interview(self) -> bool:
        return self.n % 50 == 0


def event(n: int, today: dt.date) -> Event:
    """Event number ``n`` of a set made on ``today``."""
    day = today + dt.timedelta(days=(n * 37 + 182) % 365 - 182)
    at = dt.datetime.combine(day, dt.time(7 + (n * 5) % 11), dt.UTC)
    if n % 50 == 0:
        decision = ("end of week", "end of next week", "Thursday")[(n // 50) % 3]
        notes = f"company: Company {n}\\ncontact: Pat Doe, +44 20 7946 0{n % 1000:03d}"
        notes += f"\\ndecision: {decision}"
        return Event(n, f"Interview with Company {n}", at, at + dt.timedelta(hours=1), 0, notes)
    title = TITLES[n % len(TITLES)]
    if n % 10 == 3:
        return Event(n, f"Holiday {n}", day, day + dt.timedelta(days=1))
    weekly = 20 if n % 20 == 1 else 0
    return Event(n, title, at, at + dt.timedelta(hours=1), weekly, f"Notes for event {n}.")


def events(count: int, today: dt.date | None = None) -> list[Event]:
    today = today or dt.date.today()
    return [event(n, today) for n in range(count)]


def ics(item: Event) -> str:
    """The event as one iCalendar object (CRLF lines, as clients write them)."""
    if isinstance(item.start, dt.datetime):
        assert isinstance(item.end, dt.datetime)
        when = f"DTSTART:{item.start:%Y%m%dT%H%M%SZ}\r\nDTEND:{item.end:%Y%m%dT%H%M%SZ}\r\n"
    else:
        when = f"DTSTART;VALUE=DATE:{item.start:%Y%m%d}\r\nDTEND;VALUE=DATE:{item.end:%Y%m%d}\r\n"
    rule = f"RRULE:FREQ=WEEKLY;COUNT={item.weekly}\r\n" if item.weekly else ""
    notes = f"DESCRIPTION:{item.description}\r\n" if item.description else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{item.uid}\r\nDTSTAMP:20260101T000000Z\r\n{when}{rule}"
        f"SUMMARY:{item.title}\r\n{notes}LOCATION:Office\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def google_body(item: Event) -> dict[str, Any]:
    """The event as an events.insert body."""

    def when(value: dt.datetime | dt.date) -> dict[str, str]:
        if isinstance(value, dt.datetime):
            return {"dateTime": value.isoformat(), "timeZone": "UTC"}
        return {"date": value.isoformat()}

    body: dict[str, Any] = {
        "iCalUID": item.uid,
        "summary": item.title,
        "start": when(item.start),
        "end": when(item.end),
        "location": "Office",
        "description": item.description.replace("\\n", "\n"),
    }
    if item.weekly:
        body["recurrence"] = [f"RRULE:FREQ=WEEKLY;COUNT={item.weekly}"]
    return body


# -- Radicale -----------------------------------------------------------------------------


def radicale_collection(storage: Path, user: str, calendar: str = CALENDAR) -> Path:
    """The folder of ``user``'s calendar in a Radicale storage folder."""
    return storage / "collection-root" / user / calendar


def write_radicale(storage: Path, user: str, items: list[Event], calendar: str = CALENDAR) -> None:
    """``user``'s calendar, written into Radicale's storage (the server need not run)."""
    folder = radicale_collection(storage, user, calendar)
    folder.mkdir(parents=True, exist_ok=True)
    props = {"tag": "VCALENDAR", "D:displayname": calendar}
    (folder / ".Radicale.props").write_text(json.dumps(props))
    (folder.parent / ".Radicale.props").write_text("{}")
    for item in items:
        (folder / f"bench-{item.n}.ics").write_text(ics(item), newline="")


def warm(url: str, auth: tuple[str, str]) -> None:
    """A depth-1 PROPFIND of a calendar, waiting as long as the server needs (its cache)."""
    response = niquests.request(
        "PROPFIND",
        url,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        data=b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
        auth=auth,
        timeout=900,
    )
    assert response.status_code == 207, (url, response.status_code)


def radicale_storage(
    count: int,
    folder: Path,
    users: tuple[str, ...] = ("alice",),
    calendars: tuple[str, ...] = (CALENDAR,),
) -> Path:
    """A Radicale storage folder in ``folder`` with warm ``calendars`` of ``count`` events
    each for each of ``users``; copied from the day's cache (built there on first use)."""
    from tests.servers import radicale_command, start_on_free_port

    cached = CACHE / f"{dt.date.today():%Y-%m-%d}-radicale-{SHAPE}-{count}"
    if not (cached / "done").exists():
        _drop_old_days()
        shutil.rmtree(cached, ignore_errors=True)
        storage = cached / "collections"
        write_radicale(storage, "alice", events(count))
        process, port = start_on_free_port(
            "radicale", lambda p: radicale_command(p, storage), cached
        )
        try:
            warm(f"http://127.0.0.1:{port}/alice/{CALENDAR}/", ("alice", "x"))
        finally:
            from syncd.demo import stop_process

            stop_process(process)
        (cached / "done").write_text("")
    storage = folder / "collections"
    template = radicale_collection(cached / "collections", "alice")
    for user in users:
        for calendar in calendars:
            target = radicale_collection(storage, user, calendar)
            shutil.copytree(template, target)
            props = {"tag": "VCALENDAR", "D:displayname": calendar}
            (target / ".Radicale.props").write_text(json.dumps(props))
            (target.parent / ".Radicale.props").write_text("{}")
    return storage


def _drop_old_days() -> None:
    """Remove the cache of earlier days (their events are centred on another day)."""
    today = f"{dt.date.today():%Y-%m-%d}"
    for old in CACHE.glob("*-radicale-*") if CACHE.exists() else ():
        if not old.name.startswith(today):
            shutil.rmtree(old, ignore_errors=True)


# -- Xandikos -----------------------------------------------------------------------------


def fill_xandikos(server_folder: Path, calendar_path: str, items: list[Event]) -> None:
    """Write ``items`` into a Xandikos calendar's git repository, in one commit."""
    from dulwich import porcelain

    folder = server_folder / "data" / urllib.parse.unquote(calendar_path).strip("/")
    names = [f"bench-{item.n}.ics" for item in items]
    for item, name in zip(items, names, strict=True):
        (folder / name).write_text(ics(item), newline="")
    porcelain.add(str(folder), [str(folder / name) for name in names])
    porcelain.commit(str(folder), message=b"bench", author=b"b <b@b>", committer=b"b <b@b>")
