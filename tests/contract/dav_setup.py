"""The contract suite's set-up for CalDAV: a real server (Radicale or Xandikos), the
provider behind a proxy, the user's app writing .ics objects straight to the server.

A read-only calendar is the server's own rule where it has rules: on Radicale
(run with its rights file, tests/dav_accounts.py) the provider logs in as READER,
who may only read the owner's calendars; Xandikos has no access control, so the
proxy refuses the writes (403) and lists the calendar with the read privilege only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import icalendar
from dav_accounts import READER
from proxy import CountingProxy
from servers import CalendarHandle, DavServer, make_calendar

from contract.setups import CONFIG, HOUR, WEEK, ZONE, User, source_config
from providers import CalendarInfo, Provider
from providers.caldav import ical, render
from providers.caldav.davxml import Fetched
from providers.caldav.provider import DavProvider
from providers.caldav.transport import DavHttp
from syncd.model import CalendarEvent, FollowUp, When

# A well-formed token each server refuses (Radicale: 403, Xandikos: 412, Cyrus: 403
# valid-sync-token). sabre/dav 1.8 has no sync-collection (the provider's tokens there
# are ctag: ones): it refuses every sync token, here one in the form later versions give.
# DAViCal refuses none: it answers a token it does not know with a listing of everything
# there is, and no deletions (docs/servers.md).
REFUSED = {
    "radicale": "http://radicale.org/ns/sync/" + "0" * 64,
    "xandikos": "0" * 40,
    "cyrus": "data:,1-1",
    "davical": "data:,999999",
    "sabredav": "http://sabre.io/ns/sync/1",
}


def _value(name: str, value: When) -> str:
    if isinstance(value, dt.datetime):
        return f"{name}:{value.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    return f"{name};VALUE=DATE:{value:%Y%m%d}"


def _vevent(uid: str, title: str, start: When, end: When, *extra: str) -> list[str]:
    stamp = "DTSTAMP:20310101T000000Z"
    return [f"UID:{uid}", stamp, _value("DTSTART", start), _value("DTEND", end), *extra,
            f"SUMMARY:{title}"]  # fmt: skip


def _wrap(*events: list[str]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp//Calendar App 1.0//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


class DavUser:
    """Another CalDAV client on the same calendar: PUT and DELETE of whole objects."""

    def __init__(self, calendar: CalendarHandle) -> None:
        self.calendar = calendar

    def put(self, key: str, title: str, start: When, end: When) -> None:
        uid = self.calendar.uid(key)
        self.calendar.put(f"{key}.ics", _wrap(_vevent(uid, title, start, end)))

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        uid = self.calendar.uid(key)
        master = _vevent(uid, title, first, first + HOUR, f"RRULE:FREQ=WEEKLY;COUNT={count}")
        index, new_start = moved
        shifted = _vevent(uid, title, new_start, new_start + HOUR,
                          _value("RECURRENCE-ID", first + index * WEEK))  # fmt: skip
        gone = first + cancelled * WEEK
        dropped = _vevent(uid, title, gone, gone + HOUR, _value("RECURRENCE-ID", gone),
                          "STATUS:CANCELLED")  # fmt: skip
        self.calendar.put(f"{key}.ics", _wrap(master, shifted, dropped))

    def retitle(self, key: str, title: str) -> None:
        self._edit(f"{key}.ics", lambda event: event.__setitem__("SUMMARY", title))

    def move(self, key: str, start: When, end: When) -> None:
        def moved(event: Any) -> None:
            for name, value in (("DTSTART", start), ("DTEND", end)):
                del event[name]
                event.add(name, value)

        self._edit(f"{key}.ics", moved)

    def remove(self, key: str) -> None:
        self.calendar.delete(f"{key}.ics")

    def put_marked(self, key: str, followup: FollowUp) -> None:
        # Another UID: a calendar holds a UID once (a copy gets a new one).
        body = render.render_followup(followup, ZONE)
        uid = f"{self.calendar.uid(key)}@example.com"
        body = body.replace(ical.followup_uid(followup.id).encode(), uid.encode())
        self.calendar.put(f"{key}.ics", body)

    def edit(self, event: CalendarEvent, title: str) -> None:
        self._edit(_name(event), lambda vevent: vevent.__setitem__("SUMMARY", title))

    def delete(self, event: CalendarEvent) -> None:
        self.calendar.delete(_name(event))

    def _edit(self, name: str, change: Callable[[Any], None]) -> None:
        data = self.calendar.get(name)
        assert data is not None, f"no object {name}"
        cal = icalendar.Calendar.from_ical(data)
        for event in cal.walk("VEVENT"):
            change(event)
        self.calendar.put(name, cal.to_ical())


def _name(event: CalendarEvent) -> str:
    return event.resource.rsplit("/", 1)[-1]


class DavSetUp:
    """A fresh calendar on a running server; the provider talks to it through a proxy,
    which plays the access control of a server without its own for ``make_read_only``."""

    def __init__(self, server: DavServer) -> None:
        self.name = server.name
        self.server = server
        self.proxy = CountingProxy(server.url)
        handle = make_calendar(server)
        self.dav = self._open(server.username, server.password)
        self.provider: Provider = self.dav
        self.calendar = self._info(handle)
        self.user: User = DavUser(handle)

    def refused_token(self, token: str) -> str:
        assert token.startswith("ctag:" if self.server.name == "sabredav" else "sync:"), token
        return "sync:" + REFUSED[self.server.name]

    def new_calendar(self) -> CalendarInfo:
        return self._info(make_calendar(self.server))

    def remove_calendar(self, calendar: CalendarInfo) -> None:
        path = calendar.id.removeprefix(self.proxy.url)
        handle = CalendarHandle(self.server, self.server.origin + path, calendar.name)
        response = handle._request("DELETE", "")
        assert response.status_code in (200, 204), response.status_code

    def make_read_only(self) -> None:
        if self.server.rights:  # the same calendar, seen by a login its rules let only read
            self.dav.close()
            self.dav = self._open(*READER)
            self.provider = self.dav
        else:
            self.proxy.refuse_writes(self.calendar.id.removeprefix(self.proxy.url))

    def _open(self, username: str, password: str) -> DavProvider:
        source = source_config("caldav", url=self.proxy.url + self.server.path, username=username)
        return DavProvider(source, CONFIG, DavHttp(source, CONFIG, password))

    def after_next_content(self, action: Callable[[], None]) -> None:
        # The content of a read: a calendar-query and the query for recurring events
        # (full read; the second where the server takes it) or multigets (changes).
        reports = self.dav.reports
        real_query, real_series, real_multiget = reports.query, reports.series, reports.multiget

        def restore() -> None:
            del reports.query, reports.series, reports.multiget
            action()

        def query(url: str, *args: Any) -> list[Fetched] | None:
            answers = real_query(url, *args)
            if url in self.dav._no_series:  # no query for recurring events follows
                restore()
            return answers

        def series(*args: Any) -> list[Fetched] | None:
            answers = real_series(*args)
            restore()
            return answers

        def multiget(*args: Any) -> Iterator[Fetched]:
            answers = list(real_multiget(*args))
            restore()
            return iter(answers)

        reports.query = query  # type: ignore[method-assign]
        reports.series = series  # type: ignore[method-assign]
        reports.multiget = multiget  # type: ignore[method-assign]

    def close(self) -> None:
        self.provider.close()
        self.proxy.close()

    def _info(self, handle: CalendarHandle) -> CalendarInfo:
        """The calendar as the provider sees it (by the proxy's URL)."""
        return CalendarInfo(self.proxy.url + handle.path, handle.name)
