"""One object a server cannot hand over as XML never stops its calendar (issue 10, finding 1).

A title holding U+FFFF, NUL, ESC or VT makes the server's multistatus invalid XML
(the servers write the character as it is stored), and a 10.5 MB description was
past lxml's text-node limit: the whole answer of 500 objects failed, every pass.
Now the answer is read again in halves down to single objects, and the object
that still cannot be read as XML is read by a GET of its own: the interview is
read, its follow-ups written without the character. An object past
OBJECT_BYTES is skipped with one warning; every other object is read.

On real Radicale and Xandikos of this module's own: U+FFFF and the long
description are stored by PUT on both; Xandikos serves NUL, ESC and VT written
straight into its storage; Radicale drops those on PUT and on reading its
storage, so there it stores a harmless twin and a proxy (tests/e2e/hostile_server.py)
hands the character over, as a server that keeps it would. Beside the bad object:
two interviews and six ordinary meetings, all in one multiget. ``syncd run --once``
runs as a process (tests/e2e/measured.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import hostile_objects as hostile
import icalendar
import pytest
from hostile_server import ReplacingProxy
from measured import run_once
from servers import CalendarHandle, DavServer, make_calendar, start_radicale, start_xandikos
from servers import write_stored as write_stored_object

from syncd import limits

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_UNREADABLE_PASSWORD"
CPU_SECONDS, PEAK_MIB = 2.0, 200  # the bounds of docs/reliability.md
THREE = ["call-afternoon", "call-morning", "thank-you"]
MARKER = "XBADX"  # in the twin's title, where the proxy puts the character


def next_tuesday() -> dt.date:
    today = dt.datetime.now(LONDON).date()
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7)


TUESDAY = next_tuesday()


def event(uid: str, title: str, hour: int, *lines: str) -> bytes:
    start = dt.datetime.combine(TUESDAY, dt.time(hour), tzinfo=LONDON)
    return hostile.wrap(hostile.vevent(uid, start, start + dt.timedelta(hours=1), title, *lines))


@dataclasses.dataclass(frozen=True)
class Case:
    """A bad object: what makes it bad (``part``), in an event, and how each server gets it:
    "put", "stored" (straight into its storage) or "proxy" (a twin with MARKER for ``part``)."""

    name: str
    part: bytes
    how: dict[str, str]
    title: str = "Interview with Bad{}char"

    @property
    def data(self) -> bytes:
        return self.twin.replace(MARKER.encode(), self.part)

    @property
    def twin(self) -> bytes:
        if self.title.startswith("Interview"):
            return event("bad@hostile", self.title.format(MARKER), 14)
        return event("bad@hostile", self.title, 14, f"DESCRIPTION:{MARKER}")


# 10.5 MiB of one description line, folded as RFC 5545 asks (Radicale takes minutes to
# store it: the proxy hands it over).
LONG = hostile.fold("A long agenda pasted in. " * 440_000).encode()
CASES = [
    Case("U+FFFF", "\uffff".encode(), {"radicale": "put", "xandikos": "put"}),
    Case("NUL", b"\x00", {"radicale": "proxy", "xandikos": "stored"}),
    Case("ESC", b"\x1b[31m", {"radicale": "proxy", "xandikos": "stored"}),
    Case("VT", b"\x0b", {"radicale": "proxy", "xandikos": "stored"}),
    Case("10.5 MB description", LONG, {"radicale": "proxy", "xandikos": "put"}, "Planning"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DavServer]]:
    found = {
        "radicale": start_radicale(tmp_path_factory.mktemp("unreadable-radicale")),
        "xandikos": start_xandikos(tmp_path_factory.mktemp("unreadable-xandikos")),
    }
    yield found
    for server in found.values():
        server.stop()


def followups(calendar: CalendarHandle) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in calendar.names():
        for vevent in icalendar.Calendar.from_ical(calendar.get(name) or b"").walk("VEVENT"):
            if "X-SYNCD-KIND" in vevent:
                interview = str(vevent["X-SYNCD-INTERVIEW"]).split(";")[0]
                found.setdefault(interview, []).append(str(vevent["X-SYNCD-KIND"]))
    return {key: sorted(kinds) for key, kinds in found.items()}


def titles(calendar: CalendarHandle) -> list[str]:
    return [
        str(vevent["SUMMARY"])
        for name in calendar.names()
        for vevent in icalendar.Calendar.from_ical(calendar.get(name) or b"").walk("VEVENT")
        if "X-SYNCD-KIND" in vevent
    ]


def put_bad(calendar: CalendarHandle, case: Case) -> ReplacingProxy | None:
    """The case's object into ``calendar`` as ``bad.ics``; the proxy that hands it over,
    where the server keeps a twin."""
    how = case.how[calendar.server.name]
    if how == "put":
        calendar.put("bad.ics", case.data)
    elif how == "stored":
        write_stored_object(calendar, "bad.ics", case.data)
    else:
        calendar.put("bad.ics", case.twin)
        return ReplacingProxy(calendar.server.url, {MARKER.encode(): case.part})
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("name", ["radicale", "xandikos"])
def test_an_object_xml_cannot_carry_is_read_by_a_get_and_one_too_large_skipped(
    servers: dict[str, DavServer],
    name: str,
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = servers[name]
    assert server.running, f"{server.name} has stopped; see {server.log_file}"
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    calendar = make_calendar(server)
    calendar.put("control.ics", event("control", "Interview with Acme", 10))
    calendar.put("beta.ics", event("beta", "Interview with Beta Ltd", 16))
    for n in range(6):
        calendar.put(f"meeting-{n}.ics", event(f"meeting-{n}", f"Team meeting {n}", 11))
    proxy = put_bad(calendar, case)
    url = proxy.url + "/" if proxy else server.url
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        '[calls]\nholidays = "none"\n'
        f'[[sources]]\nname = "dav"\nkind = "caldav"\nurl = "{url}"\n'
        f'username = "{server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
        f'calendars = ["{calendar.name}"]\n'
    )
    try:
        run = run_once(config)
    finally:
        if proxy:
            proxy.close()

    run.show(f"{case.name} {name}")
    assert run.exit_code == 0 and not run.failures, run.stderr
    if case.name.startswith("10.5"):
        assert followups(calendar) == {"control": THREE, "beta": THREE}, run.stderr
        [warning] = run.logged("WARNING")
        assert f"dav: calendar {calendar.path}: bad.ics skipped" in warning, warning
        assert f"larger than {limits.OBJECT_BYTES // 2**20} MiB" in warning, warning
    else:  # read by a GET of its own; its follow-ups without the character
        assert followups(calendar) == {"control": THREE, "beta": THREE, "bad@hostile": THREE}
        assert not run.logged("WARNING"), run.stderr
        assert case.part.decode() not in "".join(titles(calendar)), titles(calendar)
    assert "Traceback" not in run.stderr
    assert run.cpu < CPU_SECONDS and run.peak_mib < PEAK_MIB, (run.cpu, run.peak_mib)
