"""The calendar services the scenario suite runs on, each driven as its users' apps do.

A backend holds one calendar of a real server (Radicale, Xandikos; Cyrus, DAViCal
and sabre/dav where their packages are installed, else skipped) or of the
Google Calendar fake, writes the user's events into it the way a calendar app
would, reads syncd's follow-ups back, and counts the requests syncd makes. The
scenarios speak only to this interface, so every one runs on every backend.

An account has more than one calendar (``sibling``, ``named``): one it may only
read (Radicale's rights file; on Xandikos, which has no access control, the
counting proxy refuses the writes; on Google a ``reader`` calendar), its main
calendar (``main``), calendars deleted between passes (``vanish``), made
read-only later (``narrow``) or stating a zone of their own (``set_zone``).
``open_account`` gives a calendar of an account of its own, so that what the
account lists is the test's alone: a new login on the Radicale with rights, a
Xandikos of its own (it has one principal), a new login on the session's Cyrus,
DAViCal or sabre/dav, a new Google fake. Those three have no access rules set up
here: the proxy plays a read-only calendar, as on Xandikos.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.parse
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dav_accounts import ADMIN, READ_ONLY_PREFIX, calendar_timezone, mkcalendar
from dav_accounts import set_calendar_timezone as _set_calendar_timezone
from dav_servers import SERVERS as PACKAGED
from dav_servers import add_login
from lxml import etree
from proxy import CountingProxy
from servers import CalendarHandle, DavServer, dav_client, make_calendar, start_xandikos

from providers.caldav.ical import unescape

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_E2E_PASSWORD"
BACKENDS = ("radicale", "xandikos", "google", "outlook", *PACKAGED)


def open_backend(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """A new calendar on the backend ``name`` (one of BACKENDS), its server from the fixtures;
    a CalDAV server's password in $PASSWORD_ENV, where the configs name it."""
    if name == "google":
        return GoogleBackend(request.getfixturevalue("google_fake"))
    if name == "outlook":
        from outlook_backend import OutlookBackend

        return OutlookBackend(request.getfixturevalue("outlook_fake"))
    server: DavServer = request.getfixturevalue(name)
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return DavBackend(server)


def open_account(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """A new calendar of an account that holds nothing else yet, on the backend ``name``:
    on ``radicale`` a new login of the Radicale with the rights file (it may only read its
    calendars named ``ro-*``), on ``xandikos`` a Xandikos of its own (stopped after the
    test), on Cyrus, DAViCal and sabre/dav a new login of the session's server, on
    ``google`` a new fake. Its main calendar and its listing are the test's own."""
    if name == "google":
        fake = request.getfixturevalue("google_fake")
        fake.change_calendar(fake.account, time_zone="Europe/London")  # a user in London
        return GoogleBackend(fake)
    if name == "outlook":
        from outlook_backend import OutlookBackend

        return OutlookBackend(request.getfixturevalue("outlook_fake"))
    if name == "radicale":
        shared: DavServer = request.getfixturevalue("radicale_rights")
        login = f"u{uuid.uuid4().hex[:10]}"
        with (shared.folder / "users").open("a") as users:  # Radicale reads it at each login
            users.write(f"{login}:{login}-pw\n")
        server = dataclasses.replace(shared, username=login, password=f"{login}-pw")
    elif name in PACKAGED:
        shared = request.getfixturevalue(name)
        login = f"u{uuid.uuid4().hex[:10]}"
        add_login(shared, login, f"{login}-pw")
        server = dataclasses.replace(shared, username=login, password=f"{login}-pw")
        if name == "cyrus":
            monkeypatch.setenv(PASSWORD_ENV, server.password)
            return DavBackend(server, calendar=_first_on_cyrus(server))
    else:
        server = start_xandikos(request.getfixturevalue("tmp_path") / "xandikos")
        request.addfinalizer(server.stop)
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return DavBackend(server)


def _first_on_cyrus(server: DavServer) -> CalendarHandle:
    """A new calendar of the account whose name comes before that of the calendar Cyrus
    gives every account (``Default``) in Cyrus's listing, as 10 in 16 of the names apps
    give do (UUIDs), so that which one syncd takes for the main calendar is the same
    every run (docs/servers.md)."""
    path = f"/dav/calendars/user/{server.username}/0{uuid.uuid4()}/"
    return mkcalendar(server, path, f"Test {uuid.uuid4().hex[:8]}")


@dataclasses.dataclass(frozen=True)
class Seen:
    """A follow-up as read back from the service."""

    ref: str
    kind: str
    title: str
    start: dt.datetime
    description: str
    reminders: tuple[int, ...]
    interview: str
    calendar: str
    fingerprint: str


class Backend(Protocol):
    name: str
    calendar_id: str  # what syncd writes as the follow-ups' calendar marker
    idle: dict[str, int]  # the requests of an idle pass over one watched calendar

    def source_toml(
        self,
        tmp_path: Path,
        *,
        target_calendar: str = "",
        calendars: Sequence[str] | None = None,
    ) -> str: ...
    def put(
        self,
        key: str,
        title: str,
        start: dt.datetime,
        end: dt.datetime,
        *,
        description: str = "",
        location: str = "",
    ) -> None: ...
    def change(
        self,
        key: str,
        *,
        title: str | None = None,
        status: str | None = None,
        description: str | None = None,
    ) -> None: ...
    def remove(self, key: str) -> None: ...
    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None: ...
    def followups(self, target: str = "") -> dict[str, list[Seen]]: ...
    def retitle(self, seen: Seen, title: str) -> None: ...
    def delete(self, seen: Seen) -> None: ...
    def snapshot(self, keys: list[str]) -> dict[str, Any]: ...
    def requests(self) -> dict[str, int]: ...
    def reset_requests(self) -> None: ...
    def close(self) -> None: ...

    # -- the account's other calendars
    @property
    def calendar_name(self) -> str: ...  # what `calendars` in the config names it by
    def sibling(self, *, read_only: bool = False, name: str = "") -> Backend: ...
    def named(self, name: str) -> Backend: ...
    def main(self) -> Backend: ...
    def vanish(self) -> None: ...
    def narrow(self) -> None: ...
    def set_zone(self, zone: str) -> None: ...
    def contents(self) -> dict[str, str]: ...


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _toml_list(names: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(n) for n in names) + "]"


class DavBackend:
    """A calendar on a real CalDAV server, behind a counting proxy."""

    def __init__(
        self,
        server: DavServer,
        *,
        proxy: CountingProxy | None = None,
        calendar: CalendarHandle | None = None,
    ) -> None:
        """A new calendar on ``server`` behind a new proxy; or, with ``proxy`` and
        ``calendar``, another calendar of the same account behind the same proxy."""
        self.server = server
        self.name = server.name
        self.calendar = calendar or make_calendar(server)
        self.owns_proxy = proxy is None
        self.proxy = proxy or CountingProxy(server.url)
        self.calendar_id = self.proxy.url + self.calendar.path
        # An idle pass: one sync-collection REPORT, or without it one ctag PROPFIND.
        self.idle = {"REPORT": 1} if server.sync_collection else {"PROPFIND": 1}

    @property
    def calendar_name(self) -> str:
        return self.calendar.name

    def source_toml(
        self,
        tmp_path: Path,
        *,
        target_calendar: str = "",
        calendars: Sequence[str] | None = None,
    ) -> str:
        """The source's config; ``calendars`` None: this calendar alone."""
        target = f'target_calendar = "{target_calendar}"\n' if target_calendar else ""
        names = _toml_list([self.calendar.name] if calendars is None else calendars)
        return (
            f'[[sources]]\nname = "dav"\nkind = "caldav"\n'
            f'url = "{self.proxy.url}{self.server.path}"\n'
            f'username = "{self.server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
            f'calendars = {names}\nme = ["me@example.com"]\n{target}'
        )

    def put(
        self,
        key: str,
        title: str,
        start: dt.datetime,
        end: dt.datetime,
        *,
        description: str = "",
        location: str = "",
    ) -> None:
        lines = [
            f"UID:{self.calendar.uid(key)}",
            "DTSTAMP:20261120T090000Z",
            f"DTSTART:{_utc(start)}",
            f"DTEND:{_utc(end)}",
            f"SUMMARY:{_text(title)}",
        ]
        if description:
            lines.append(f"DESCRIPTION:{_text(description)}")
        if location:
            lines.append(f"LOCATION:{_text(location)}")
        self.calendar.put(f"{key}.ics", _wrap([lines]))

    def change(
        self,
        key: str,
        *,
        title: str | None = None,
        status: str | None = None,
        description: str | None = None,
    ) -> None:
        changes = {
            "SUMMARY": title,
            "STATUS": status and status.upper(),
            "DESCRIPTION": description,
        }
        self._edit(f"{key}.ics", {k: v for k, v in changes.items() if v is not None})

    def remove(self, key: str) -> None:
        self.calendar.delete(f"{key}.ics")

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        hour = dt.timedelta(hours=1)
        stamp = "DTSTAMP:20261120T090000Z"
        week = dt.timedelta(weeks=1)
        master = [
            f"UID:{self.calendar.uid(key)}",
            stamp,
            f"DTSTART:{_utc(first)}",
            f"DTEND:{_utc(first + hour)}",
            f"RRULE:FREQ=WEEKLY;COUNT={count}",
            f"SUMMARY:{title}",
        ]
        index, new_start = moved
        shifted = [
            f"UID:{self.calendar.uid(key)}",
            stamp,
            f"RECURRENCE-ID:{_utc(first + index * week)}",
            f"DTSTART:{_utc(new_start)}",
            f"DTEND:{_utc(new_start + hour)}",
            f"SUMMARY:{title}",
        ]
        gone = first + cancelled * week
        dropped = [
            f"UID:{self.calendar.uid(key)}",
            stamp,
            f"RECURRENCE-ID:{_utc(gone)}",
            f"DTSTART:{_utc(gone)}",
            f"DTEND:{_utc(gone + hour)}",
            "STATUS:CANCELLED",
            f"SUMMARY:{title}",
        ]
        self.calendar.put(f"{key}.ics", _wrap([master, shifted, dropped]))

    def followups(self, target: str = "") -> dict[str, list[Seen]]:
        calendar = self._target(target) if target else self.calendar
        seen: dict[str, list[Seen]] = {}
        for name in calendar.names():
            data = calendar.get(name)
            assert data is not None
            for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
                if "X-SYNCD-KIND" not in event:
                    continue
                marker = {k: unescape(str(v)) for k, v in event.items() if k.startswith("X-SYNCD-")}
                minutes = tuple(
                    sorted(
                        int(-a.decoded("TRIGGER").total_seconds() // 60)
                        for a in event.walk("VALARM")
                    )
                )
                kind = marker["X-SYNCD-KIND"]
                seen.setdefault(kind, []).append(
                    Seen(
                        name,
                        kind,
                        str(event["SUMMARY"]),
                        event.decoded("DTSTART").astimezone(LONDON),
                        str(event.get("DESCRIPTION", "")),
                        minutes,
                        marker["X-SYNCD-INTERVIEW"],
                        marker["X-SYNCD-CALENDAR"],
                        marker["X-SYNCD-FINGERPRINT"],
                    )
                )
        return seen

    def retitle(self, seen: Seen, title: str) -> None:
        self._edit(seen.ref, {"SUMMARY": title})

    def delete(self, seen: Seen) -> None:
        self.calendar.delete(seen.ref)

    def snapshot(self, keys: list[str]) -> dict[str, Any]:
        return {k: (self.calendar.etag(f"{k}.ics"), self.calendar.get(f"{k}.ics")) for k in keys}

    def requests(self) -> dict[str, int]:
        return self.proxy.snapshot()

    def reset_requests(self) -> None:
        self.proxy.reset()

    def close(self) -> None:
        if self.owns_proxy:
            self.proxy.close()

    def sibling(self, *, read_only: bool = False, name: str = "") -> DavBackend:
        """Another calendar of the account. ``read_only``: on Radicale with rights, one
        its administrator made under ``ro-*`` (the account may only read it; events are
        put as the administrator); elsewhere the proxy refuses writes there."""
        name = name or f"Test {uuid.uuid4().hex[:8]}"
        if read_only and self.server.rights:
            path = f"/{self.server.username}/{READ_ONLY_PREFIX}{uuid.uuid4().hex[:12]}/"
            calendar = mkcalendar(self.server, path, name, login=ADMIN)
        else:
            calendar = make_calendar(self.server, name)
            if read_only:
                self.proxy.refuse_writes(calendar.path)
        return DavBackend(self.server, proxy=self.proxy, calendar=calendar)

    def named(self, name: str) -> DavBackend:
        """The account's calendar whose display name is ``name`` (one syncd made, say)."""
        return DavBackend(self.server, proxy=self.proxy, calendar=self._target(name))

    def main(self) -> DavBackend:
        """The account's main calendar, as the server says it (through the proxy): the
        inbox's schedule-default-calendar-URL, else the first calendar of the home's
        listing that the account may write to."""
        [found] = self._propfind(self.server.path, 0, _PRINCIPAL_PROPS)
        [home] = self._propfind(_href(found, _DAV + "current-user-principal"), 0, _HOME_PROPS)
        listing = self._propfind(_href(home, _CALDAV + "calendar-home-set"), 1, _LIST_PROPS)
        inbox, default = _href(home, _CALDAV + "schedule-inbox-URL"), ""
        if inbox:
            [answer] = self._propfind(inbox, 0, _INBOX_PROPS)
            default = _href(answer, _CALDAV + "schedule-default-calendar-URL")
        calendars = [r for r in listing if r.find(f".//{_CALDAV}calendar") is not None]
        writable = [r for r in calendars if _may_write(r)]
        stated = [r for r in writable if default and _path(r).rstrip("/") == default.rstrip("/")]
        chosen = (stated or writable)[0]
        path = _path(chosen)
        name = chosen.findtext(f".//{_DAV}displayname") or path
        handle = CalendarHandle(self.server, self.server.origin + path, name)
        return DavBackend(self.server, proxy=self.proxy, calendar=handle)

    def vanish(self) -> None:
        """The calendar's owner deletes it."""
        self.calendar.remove()

    def narrow(self) -> None:
        """From now on the account may only read the calendar (the proxy plays it: the
        rights of a running Radicale are not changed for one calendar)."""
        self.proxy.refuse_writes(self.calendar.path)

    def set_zone(self, zone: str) -> None:
        """The calendar states ``zone`` as its CALDAV:calendar-timezone."""
        _set_calendar_timezone(self.calendar, calendar_timezone(zone))

    def contents(self) -> dict[str, str]:
        """Every object of the calendar, by name: its etag."""
        return {n: self.calendar.etag(n) or "" for n in self.calendar.names()}

    def _propfind(self, path: str, depth: int, body: bytes) -> list[Any]:
        """The responses of a PROPFIND on ``path`` through the proxy, in the server's order."""
        handle = CalendarHandle(self.server, self.proxy.url + path, "", self.calendar.login)
        headers = {"Depth": str(depth), "Content-Type": "application/xml; charset=utf-8"}
        answer = handle._request("PROPFIND", "", body, headers)
        assert answer.status_code == 207, (path, answer.status_code)
        return list(etree.fromstring(answer.content).iter(_DAV + "response"))

    def _edit(self, name: str, changes: dict[str, str]) -> None:
        data = self.calendar.get(name)
        assert data is not None
        cal = icalendar.Calendar.from_ical(data)
        for event in cal.walk("VEVENT"):
            for prop, value in changes.items():
                event[prop] = value
        self.calendar.put(name, cal.to_ical())

    def _target(self, name: str) -> CalendarHandle:
        with dav_client(self.server) as client:
            [found] = [
                c for c in client.get_principal().get_calendars() if c.get_display_name() == name
            ]
            return CalendarHandle(self.server, str(found.url), name)


_DAV, _CALDAV = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"


def _props(*names: str) -> bytes:
    inner = "".join(names)
    return (
        '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"'
        f' xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>{inner}</D:prop></D:propfind>'
    ).encode()


_PRINCIPAL_PROPS = _props("<D:current-user-principal/>")
_HOME_PROPS = _props("<C:calendar-home-set/>", "<C:schedule-inbox-URL/>")
_INBOX_PROPS = _props("<C:schedule-default-calendar-URL/>")
_LIST_PROPS = _props("<D:resourcetype/>", "<D:displayname/>", "<D:current-user-privilege-set/>")
_WRITES = {"write", "write-content", "all"}


def _href(response: Any, prop: str) -> str:
    found = response.find(f".//{prop}/{_DAV}href")
    return urllib.parse.urlsplit(found.text).path if found is not None and found.text else ""


def _path(response: Any) -> str:
    return urllib.parse.urlsplit(response.findtext(_DAV + "href") or "").path


def _may_write(response: Any) -> bool:
    granted = response.find(f".//{_DAV}current-user-privilege-set")
    if granted is None:
        return False
    return any(p.tag.removeprefix(_DAV) in _WRITES for p in granted.iter())


def _wrap(events: list[list[str]]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp//Calendar App 1.0//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


class GoogleBackend:
    """A calendar in the Google Calendar fake, written to as the web UI would."""

    def __init__(self, fake: Any, calendar_id: str = "") -> None:
        """A new calendar in the fake; or, with ``calendar_id``, that one."""
        self.fake = fake
        self.name = "google"
        self.calendar_id = calendar_id or fake.add_calendar(f"Interviews {uuid.uuid4().hex[:6]}")
        self.ids: dict[str, str] = {}
        self.idle = {"GET /events": 1}

    @property
    def calendar_name(self) -> str:
        return str(self.calendar_id)

    def source_toml(
        self,
        tmp_path: Path,
        *,
        target_calendar: str = "",
        calendars: Sequence[str] | None = None,
    ) -> str:
        """The source's config (a new grant of every scope); ``calendars`` None: this one."""
        secrets = self.fake.client_secrets_json(tmp_path / "client_secret.json")
        token = self.fake.authorized_user_json(tmp_path / "token.json")
        target = f'target_calendar = "{target_calendar}"\n' if target_calendar else ""
        names = _toml_list([self.calendar_id] if calendars is None else calendars)
        return (
            f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
            f'token_file = "{token}"\ncalendars = {names}\n'
            f'api_endpoint = "{self.fake.api_endpoint}"\nme = ["me@example.com"]\n{target}'
        )

    def put(
        self,
        key: str,
        title: str,
        start: dt.datetime,
        end: dt.datetime,
        *,
        description: str = "",
        location: str = "",
    ) -> None:
        body = {
            "summary": title,
            "start": _when(start),
            "end": _when(end),
            "description": description,
            "location": location,
        }
        if key in self.ids:
            self.fake.modify_event(self.calendar_id, self.ids[key], body)
        else:
            self.ids[key] = self.fake.add_event(self.calendar_id, body)["id"]

    def change(
        self,
        key: str,
        *,
        title: str | None = None,
        status: str | None = None,
        description: str | None = None,
    ) -> None:
        changes = {"summary": title, "status": status, "description": description}
        self.fake.modify_event(
            self.calendar_id, self.ids[key], {k: v for k, v in changes.items() if v is not None}
        )

    def remove(self, key: str) -> None:
        self.fake.remove_event(self.calendar_id, self.ids[key])

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        hour, week = dt.timedelta(hours=1), dt.timedelta(weeks=1)
        series = self.fake.add_event(
            self.calendar_id,
            {
                "summary": title,
                "start": _when(first),
                "end": _when(first + hour),
                "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"],
            },
        )["id"]
        self.ids[key] = series
        index, new_start = moved
        self.fake.modify_event(
            self.calendar_id,
            f"{series}_{_utc(first + index * week)}",
            {"start": _when(new_start), "end": _when(new_start + hour)},
        )
        self.fake.remove_event(self.calendar_id, f"{series}_{_utc(first + cancelled * week)}")

    def followups(self, target: str = "") -> dict[str, list[Seen]]:
        calendar = self._target(target) if target else self.calendar_id
        seen: dict[str, list[Seen]] = {}
        for event in self.fake.events(calendar):
            marker = event.get("extendedProperties", {}).get("private", {})
            if event.get("status") == "cancelled" or "syncd.kind" not in marker:
                continue
            reminders = event.get("reminders", {}).get("overrides", [])
            start = dt.datetime.fromisoformat(event["start"]["dateTime"]).astimezone(LONDON)
            seen.setdefault(marker["syncd.kind"], []).append(
                Seen(
                    event["id"],
                    marker["syncd.kind"],
                    event["summary"],
                    start,
                    event.get("description", ""),
                    tuple(sorted(r["minutes"] for r in reminders)),
                    marker["syncd.interview"],
                    marker["syncd.calendar"],
                    marker["syncd.fingerprint"],
                )
            )
        return seen

    def retitle(self, seen: Seen, title: str) -> None:
        self.fake.modify_event(self._calendar_of(seen), seen.ref, {"summary": title})

    def delete(self, seen: Seen) -> None:
        self.fake.remove_event(self._calendar_of(seen), seen.ref)

    def snapshot(self, keys: list[str]) -> dict[str, Any]:
        return {
            k: json.dumps(self.fake.event(self.calendar_id, self.ids[k]), sort_keys=True)
            for k in keys
        }

    def requests(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.fake.requests.records:
            shape = "/events" if record.path.rstrip("/").endswith("/events") else record.path
            key = f"{record.method} {shape}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def reset_requests(self) -> None:
        self.fake.requests.clear()

    def close(self) -> None:
        pass

    def sibling(self, *, read_only: bool = False, name: str = "") -> GoogleBackend:
        """Another calendar in the account's list; ``read_only``: shared with it as
        ``reader`` (events are put by its owner)."""
        name = name or f"Interviews {uuid.uuid4().hex[:6]}"
        role = "reader" if read_only else "owner"
        return GoogleBackend(self.fake, self.fake.add_calendar(name, access_role=role))

    def named(self, name: str) -> GoogleBackend:
        """The account's calendar whose summary is ``name`` (one syncd made, say)."""
        return GoogleBackend(self.fake, self._target(name))

    def main(self) -> GoogleBackend:
        """The account's primary calendar."""
        return GoogleBackend(self.fake, self.fake.account)

    def vanish(self) -> None:
        """Its owner deletes the calendar (or stops sharing it): 404 from now on."""
        self.fake.delete_calendar(self.calendar_id)

    def narrow(self) -> None:
        """From now on the account may only read the calendar (``reader``)."""
        self.fake.change_calendar(self.calendar_id, access_role="reader")

    def set_zone(self, zone: str) -> None:
        """The calendar's ``timeZone`` setting."""
        self.fake.change_calendar(self.calendar_id, time_zone=zone)

    def contents(self) -> dict[str, str]:
        """Every event of the calendar (cancelled ones too), by id: its etag."""
        return {e["id"]: e["etag"] for e in self.fake.events(self.calendar_id)}

    def _target(self, name: str) -> str:
        with self.fake.store.lock:
            return next(c.id for c in self.fake.store.calendars.values() if c.summary == name)

    def _calendar_of(self, seen: Seen) -> str:
        if self.fake.event(self.calendar_id, seen.ref) is not None:
            return self.calendar_id
        with self.fake.store.lock:
            return next(c.id for c in self.fake.store.calendars.values() if seen.ref in c.events)


def _when(value: dt.datetime) -> dict[str, str]:
    return {"dateTime": value.isoformat(), "timeZone": "Europe/London"}
