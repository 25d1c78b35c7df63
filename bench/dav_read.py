"""Benchmark: the CalDAV provider reading a 10,000-event calendar on local Radicale and Xandikos.

Puts EVENTS events (1% interviews, 5% weekly series) into a fresh calendar on
each server, then times through ``providers.caldav.provider``:

- after the server's cache warm-up, two full reads (no token) listing and
  multigetting every object; then full reads as syncd does them: the
  sync-token and one calendar-query for the objects near syncd's window (7
  days back, 180 ahead, as on 1 June); eight of them, as Xandikos builds its
  index after its fifth query;
- an idle incremental read (nothing changed: must be one request);
- an incremental read after 10 edits.

Both servers are filled through their storage: Radicale's collection folder
(its first access then rebuilds its cache, timed apart as the warm-up), and
one git commit in Xandikos' calendar repository (Xandikos commits every PUT,
about 13 PUTs a second here even in parallel: 10,000 would take many minutes).
``--put`` fills Xandikos by parallel PUTs instead.
Run: .venv/bin/python bench/dav_read.py [--events N] [--smoke]; numbers go to stdout.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import os
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from providers import CalendarInfo, ReadScope, config_sections  # noqa: E402
from providers.caldav import ical  # noqa: E402
from providers.caldav.provider import DavProvider, open_source  # noqa: E402
from syncd.config import Config, parse_config  # noqa: E402
from tests.servers import (  # noqa: E402
    CalendarHandle,
    DavServer,
    make_calendar,
    start_radicale,
    start_xandikos,
)

YEAR = 2026
START = dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.UTC)
# syncd's own window on a day in the year of events: lookback 7 days, lookahead 180 days.
TODAY = dt.datetime(YEAR, 6, 1, tzinfo=dt.UTC)
WINDOW = (TODAY - dt.timedelta(days=7), TODAY + dt.timedelta(days=180))
TITLES = ("Team meeting", "Lunch with Sam", "Dentist", "1:1", "Gym", "Standup", "Call mum")


def event_ics(n: int, title: str | None = None) -> str:
    """Object number ``n``: every 100th an interview, every 20th a weekly series."""
    start = START + dt.timedelta(hours=7 + (n * 37) % (24 * 360))
    if title is None:
        title = f"Interview with Company {n}" if n % 100 == 0 else TITLES[n % len(TITLES)]
    rule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n" if n % 20 == 1 else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-{n}@example.com\r\nDTSTAMP:{YEAR}0101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n{rule}"
        f"SUMMARY:{title}\r\nDESCRIPTION:Notes for event {n}.\\nSecond line.\r\n"
        "LOCATION:Office\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def fill_radicale(calendar: CalendarHandle, count: int) -> None:
    folder = calendar.server.folder / "collections" / "collection-root"
    folder = folder / urllib.parse.unquote(calendar.path).strip("/")
    for n in range(count):
        (folder / f"bench-{n}.ics").write_text(event_ics(n), newline="")


def fill_xandikos(calendar: CalendarHandle, count: int) -> None:
    from dulwich import porcelain

    folder = calendar.server.folder / "data" / urllib.parse.unquote(calendar.path).strip("/")
    names = [f"bench-{n}.ics" for n in range(count)]
    for n, name in enumerate(names):
        (folder / name).write_text(event_ics(n), newline="")
    porcelain.add(str(folder), [str(folder / name) for name in names])
    porcelain.commit(str(folder), message=b"bench", author=b"b <b@b>", committer=b"b <b@b>")


def fill_by_put(calendar: CalendarHandle, count: int, workers: int = 8) -> None:
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda n: calendar.put(f"bench-{n}.ics", event_ics(n)), range(count)))


def warm(calendar: CalendarHandle) -> None:
    """A depth-1 PROPFIND of the calendar, waiting as long as the server needs."""
    import niquests

    server = calendar.server
    response = niquests.request(
        "PROPFIND",
        calendar.url,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        data=b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
        auth=(server.username, server.password),
        timeout=900,
    )
    assert response.status_code == 207, response.status_code


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


class ParseCounter:
    """Counts ical.parse_object calls (to show the prefilter at work)."""

    def __init__(self) -> None:
        self.calls = 0
        self._real = ical.parse_object
        ical.parse_object = self

    def __call__(self, raw: str | bytes, **kwargs: Any) -> Any:
        self.calls += 1
        return self._real(raw, **kwargs)


def run(
    server: DavServer, count: int, fill: Callable[[CalendarHandle, int], None], queries: int
) -> None:
    calendar = make_calendar(server, "Bench")
    _, fill_time = timed(lambda: fill(calendar, count))
    os.environ["BENCH_DAV_PASSWORD"] = server.password
    source = parse_config(
        {"sources": [{"name": "bench", "kind": "caldav", "url": server.url,
                      "username": server.username, "password_env": "BENCH_DAV_PASSWORD"}]},
        "the bench's config",
        config_sections(),
    ).sources[0]  # fmt: skip
    provider: DavProvider = open_source(source, Config())
    target = CalendarInfo(calendar.url, calendar.name)
    counter = ParseCounter()
    rows = [f"{server.name}: {count} objects written in {fill_time:.1f} s"]

    def measure(label: str, token: str | None) -> str:
        before, parsed = provider.requests_made, counter.calls
        changes, seconds = timed(
            lambda: provider.read_changes(target, token, ReadScope.of(*WINDOW, ["interview"]))
        )
        rows.append(
            f"  {label:<34} {seconds * 1000:9.1f} ms  {provider.requests_made - before:3d} requests"
            f"  {len(changes.events):5d} events  {counter.calls - parsed:4d} parsed"
        )
        return str(changes.token)

    provider.use_query = False
    # The server's first look at objects written behind its back rebuilds its cache
    # (Radicale: about a minute for 10,000, past syncd's 60 s request timeout).
    _, warm_up = timed(lambda: warm(calendar))
    rows.append(f"  {'server cache warm-up (PROPFIND)':<34} {warm_up * 1000:9.1f} ms")
    measure("full read, multiget of all (1)", None)
    measure("full read, multiget of all (2)", None)
    provider.use_query = True
    for run in range(1, queries):
        measure(f"full read, calendar-query ({run})", None)
    token = measure(f"full read, calendar-query ({queries})", None)
    token = measure("idle incremental read", token)
    for n in range(0, 1000, 100):  # 10 edits, all of interviews
        calendar.put(f"bench-{n}.ics", event_ics(n, f"Interview with Company {n} (moved)"))
    measure("incremental read after 10 edits", token)
    provider.use_sync_collection = False
    token = measure("full read, ctag fallback", None)
    measure("idle read, ctag fallback", token)
    ical.parse_object = counter._real
    provider.close()
    print("\n".join(rows), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--put", action="store_true", help="fill Xandikos by parallel PUTs")
    parser.add_argument(
        "--queries", type=int, default=8, help="full reads by calendar-query (Xandikos indexes)"
    )
    parser.add_argument("--smoke", action="store_true", help="100 events, 2 queries (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.queries = 100, 2
    with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
        for start, fill in (
            (start_radicale, fill_radicale),
            (start_xandikos, fill_by_put if args.put else fill_xandikos),
        ):
            server = start(Path(folder) / start.__name__)
            try:
                run(server, args.events, fill, max(args.queries, 1))
            finally:
                server.stop()


if __name__ == "__main__":
    main()
