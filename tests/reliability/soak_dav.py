"""The soak's account on a CalDAV server of its own (soak_accounts.py says which calendars).

syncd reaches it through a counting proxy that also logs each write it answers;
the test writes straight to the server, as the user's calendar app or the
calendar's owner would.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import icalendar
import niquests
from dav_accounts import ADMIN, READ_ONLY_PREFIX, as_login, mkcalendar
from proxy import CountingProxy
from servers import CalendarHandle, DavServer, ServerError
from soak_accounts import LONDON, PASSWORD_ENV, WRITES, Account, Found, Write

from providers.caldav.ical import unescape


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def interview_ics(key: str, title: str, start: dt.datetime, cancelled: bool) -> str:
    """An interview of an hour as a calendar app stores it."""
    text = title.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example Corp//Calendar App 1.0//EN",
        "BEGIN:VEVENT",
        f"UID:{key}",
        "DTSTAMP:20261120T090000Z",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(start + dt.timedelta(hours=1))}",
        f"SUMMARY:{text}",
        *(["STATUS:CANCELLED"] if cancelled else []),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def recording(proxy: CountingProxy) -> list[Write]:
    """Have ``proxy`` log every write it answers (method, unquoted path, status); the log.

    The proxy makes a handler per request from its server's handler class: a
    subclass in its place sees each answer go out.
    """
    log: list[Write] = []
    lock = threading.Lock()
    handler: Any = proxy.server.RequestHandlerClass

    class Recording(handler):  # type: ignore[misc, valid-type]
        def _answer(self, status: int, *args: Any, **kwargs: Any) -> None:
            if self.command in WRITES:
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                with lock:
                    log.append(Write(self.command, path, status))
            super()._answer(status, *args, **kwargs)

    proxy.server.RequestHandlerClass = Recording
    return log


class DavAccount(Account):
    """The account on a CalDAV server of its own, reached by syncd through a proxy."""

    def __init__(self, server: DavServer) -> None:
        super().__init__()
        self.server = server
        self.proxy = CountingProxy(server.url)
        self._log = recording(self.proxy)
        self.calendars: dict[str, CalendarHandle] = {}
        user = server.username
        if server.rights:  # Radicale: the rights file makes ro-* read-only for the user
            pair = [mkcalendar(server, f"/{user}/{n}/", n.title()) for n in ("home", "jobs")]
            first = _listed_first(server, f"/{user}/", pair)
            self.calendars["main"] = first
            self.calendars["work"] = next(c for c in pair if c is not first)
            for role, name in (("shared", "Careers centre"), ("team", "Team")):
                path = f"/{user}/{READ_ONLY_PREFIX}{role}/"
                self.calendars[role] = mkcalendar(server, path, name, login=ADMIN)
        else:  # Xandikos: --defaults made the inbox's default calendar; the proxy refuses
            home = "/user/calendars/"
            self.calendars["main"] = CalendarHandle(server, f"{server.url}user/calendars/calendar/",
                                                    "calendar")  # fmt: skip
            self.calendars["work"] = mkcalendar(server, f"{home}jobs/", "Jobs")
            for role, name in (("shared", "Careers centre"), ("team", "Team")):
                self.proxy.refuse_writes(f"{home}{role}/")
                self.calendars[role] = mkcalendar(server, f"{home}{role}/", name)

    def source_toml(self, folder: Path) -> str:
        return (
            f'[[sources]]\nname = "dav"\nkind = "caldav"\nurl = "{self.proxy.url}/"\n'
            f'username = "{self.server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
            "calendars = []\n"
        )

    def appear(self) -> None:
        if self.server.rights:
            path = f"/{self.server.username}/{READ_ONLY_PREFIX}rota/"
            self.calendars["rota"] = mkcalendar(self.server, path, "Rota", login=ADMIN)
        else:
            self.proxy.refuse_writes("/user/calendars/rota/")  # before anyone may list it
            self.calendars["rota"] = mkcalendar(self.server, "/user/calendars/rota/", "Rota")

    def _freeze(self) -> None:
        work = self.calendars["work"]
        self.proxy.refuse_writes(work.path)
        if self.server.rights:
            self.calendars["work"] = as_login(work, ADMIN)

    def vanish(self) -> None:
        self.calendars["team"].remove()

    def _put(self, role: str, key: str, title: str, start: dt.datetime, cancelled: bool) -> None:
        self.calendars[role].put(f"{key}.ics", interview_ics(key, title, start, cancelled))

    def _remove(self, role: str, key: str) -> None:
        self.calendars[role].delete(f"{key}.ics")

    def _object(self, role: str, key: str) -> tuple[str, Any]:
        return f"{key}.ics", self.calendars[role].get(f"{key}.ics")

    def contents(self, role: str) -> dict[str, Any]:
        calendar = self.calendars[role]
        return {name: calendar.get(name) for name in calendar.names()}

    def followups(self, role: str) -> list[Found]:
        found = []
        for data in self.contents(role).values():
            for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
                if "X-SYNCD-KIND" not in event:
                    continue
                alarms = event.walk("VALARM")
                minutes = sorted(int(-a.decoded("TRIGGER").total_seconds() // 60) for a in alarms)
                found.append(
                    Found(
                        unescape(str(event["X-SYNCD-KIND"])),
                        str(event["SUMMARY"]),
                        event.decoded("DTSTART").astimezone(LONDON),
                        tuple(minutes),
                        str(event.get("DESCRIPTION", "")),
                        unescape(str(event["X-SYNCD-INTERVIEW"])),
                    )
                )
        return found

    def _writes(self) -> list[Write]:
        return list(self._log)

    def _aimed(self, role: str, write: Write) -> bool:
        return write.path.startswith(urllib.parse.unquote(self.calendars[role].path))

    def close(self) -> None:
        self.proxy.close()
        self.server.stop()


def _listed_first(server: DavServer, home: str, among: list[CalendarHandle]) -> CalendarHandle:
    """Which of ``among`` the server lists first in ``home`` (a depth-1 PROPFIND)."""
    body = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>'
    with niquests.Session() as session:
        answer = session.request(
            "PROPFIND",
            server.url.rstrip("/") + home,
            data=body,
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            auth=(server.username, server.password),
            timeout=30,
        )
    if answer.status_code != 207:
        raise ServerError(f"PROPFIND {home}: HTTP {answer.status_code}")
    hrefs = [urllib.parse.unquote(h) for h in re.findall(r"<(?:\w+:)?href>([^<]*)<", answer.text)]
    order = [urllib.parse.urlsplit(h).path for h in hrefs]
    return min(among, key=lambda c: order.index(urllib.parse.unquote(c.path)))
