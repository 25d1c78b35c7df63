"""Figure 3: the first read. ``syncd plan`` on a fresh state beside caldav's own
``calendar.search(start=, end=, event=True)`` over syncd's window (bench/caldav_search.py),
each a whole process: wall, CPU, peak resident memory; on one Radicale calendar
of 10,000 events.

Then the requests a first read can be made of, each sent alone (niquests, in
this process), to see which answers the time is spent waiting for: the
collection's DAV:sync-token (a depth-0 PROPFIND), the calendar-query syncd
sends for its window, and the one request that could replace both, a
sync-collection REPORT from the empty token asking for every object's data with
its etag (RFC 6578 lets a client ask any property of the members).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import niquests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import backends, measure  # noqa: E402
from providers.caldav import davxml  # noqa: E402
from providers.caldav.provider import QUERY_BEFORE  # noqa: E402
from syncd.config import Config  # noqa: E402
from syncd.observe import read_scope  # noqa: E402

SEARCH = str(ROOT / "bench" / "caldav_search.py")
SYNC_WITH_DATA = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<D:sync-token/><D:sync-level>1</D:sync-level>"
    b"<D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"
)


def window() -> tuple[dt.datetime, dt.datetime]:
    """What syncd's calendar-query asks for on a fresh state now (default detect settings)."""
    scope = read_scope(Config().detect, dt.datetime.now(dt.UTC))
    return scope.start - QUERY_BEFORE, scope.end


def shapes(url: str, auth: tuple[str, str]) -> dict[str, tuple[str, bytes, dict[str, str]]]:
    start, end = window()
    xml = davxml.XML_HEADERS
    return {
        "PROPFIND DAV:sync-token (depth 0)": (
            "PROPFIND", davxml.propfind_body("sync-token"), {**xml, "Depth": "0"}),
        "calendar-query REPORT, syncd's window": (
            "REPORT", davxml.calendar_query_body(start, end), {**xml, "Depth": "1"}),
        "sync-collection REPORT, empty token, etags": (
            "REPORT", davxml.sync_collection_body(""), xml),
        "sync-collection REPORT, empty token, etags and data": ("REPORT", SYNC_WITH_DATA, xml),
    }  # fmt: skip


def measure_requests(url: str, auth: tuple[str, str], runs: int) -> list[list[str]]:
    taken: dict[str, list[tuple[float, int]]] = {name: [] for name in shapes(url, auth)}
    with niquests.Session() as session:
        for _ in range(runs):
            for name, (method, body, headers) in shapes(url, auth).items():
                began = time.perf_counter()
                answer = session.request(method, url, data=body, headers=headers, auth=auth)
                took = time.perf_counter() - began
                assert answer.status_code == 207, (name, answer.status_code)
                taken[name].append((took, len(answer.content or b"")))
    return [
        [name, measure.summary([t for t, _ in values]), f"{values[0][1]:,}"]
        for name, values in taken.items()
    ]


def measure_reads(count: int, runs: int, folder: Path) -> tuple[list[list[str]], list[list[str]]]:
    backend = backends.radicale(folder / "server", count)
    try:
        url, user = backend.calendars[0], backend.sources[0]["username"]
        start, end = window()
        search = [SEARCH, url, user, start.isoformat(), end.isoformat()]
        taken: dict[str, list[measure.Child]] = {"syncd plan": [], "caldav search": []}
        for run in range(runs):
            config = backends.write_config(folder / f"syncd-{run}", backend.sources)
            plan = ["syncd", "--config", str(config), "plan"]
            taken["syncd plan"].append(measure.run_child(plan, python=sys.executable))
            taken["caldav search"].append(measure.run_child(search, python=sys.executable))
        requests = measure_requests(url, (user, "bench"), runs)
    finally:
        backend.stop()
    ours = taken["syncd plan"]
    rows = [
        [
            name,
            f"{count:,}",
            measure.summary([c.wall for c in children]),
            measure.summary([c.cpu for c in children]),
            measure.summary([c.peak_mib for c in children], digits=0),
            measure.ratio([c.wall for c in ours], [c.wall for c in children]),
            measure.ratio([c.peak_mib for c in ours], [c.peak_mib for c in children]),
        ]
        for name, children in taken.items()
    ]
    return rows, requests


def main() -> None:
    parser = measure.arguments(__doc__)
    parser.add_argument("--events", type=int, default=0)
    args = parser.parse_args()
    runs = measure.runs(args)
    count = args.events or (100 if args.smoke else 10_000)
    section = measure.Section("first_read", args)
    section.add("## 3. First read (Radicale, one calendar, fresh state)")
    section.add()
    with tempfile.TemporaryDirectory(prefix="syncd-bench-") as folder:
        rows, requests = measure_reads(count, runs, Path(folder))
    start, end = window()
    section.add(
        f"Median (min-max) of {runs} runs; ratios: caldav's / syncd's, by medians. "
        f"Window {start:%Y-%m-%d} to {end:%Y-%m-%d} (syncd's own, with its margins)."
    )
    section.add()
    section.table(
        ["command", "events", "wall s", "CPU s", "peak MiB", "wall ratio", "memory ratio"], rows
    )
    section.add("Each request alone, on the same calendar (wall s; bytes of the answer):")
    section.add()
    section.table(["request", "wall s", "answer bytes"], requests)
    section.finish(runs)


if __name__ == "__main__":
    main()
