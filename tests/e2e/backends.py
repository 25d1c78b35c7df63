"""The calendar services the scenario suite runs on, each driven as its users' apps do.

A backend holds one calendar of a real server (Radicale, Xandikos) or of the
Google Calendar fake, writes the user's events into it the way a calendar app
would, reads syncd's follow-ups back, and counts the requests syncd makes. The
scenarios speak only to this interface, so every one runs on every backend.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import icalendar
import pytest
from proxy import CountingProxy
from servers import CalendarHandle, DavServer, make_calendar

from providers.caldav.ical import unescape

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_E2E_PASSWORD"
BACKENDS = ("radicale", "xandikos", "google")


def open_backend(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """A new calendar on the backend ``name`` (one of BACKENDS), its server from the fixtures;
    a CalDAV server's password in $PASSWORD_ENV, where the configs name it."""
    if name == "google":
        return GoogleBackend(request.getfixturevalue("google_fake"))
    server: DavServer = request.getfixturevalue(name)
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return DavBackend(server)


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

    def source_toml(self, tmp_path: Path, *, target_calendar: str = "") -> str: ...
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


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


class DavBackend:
    """A calendar on a real CalDAV server, behind a counting proxy."""

    def __init__(self, server: DavServer) -> None:
        self.server = server
        self.name = server.name
        self.calendar = make_calendar(server)
        self.proxy = CountingProxy(server.url)
        self.calendar_id = self.proxy.url + self.calendar.path
        self.idle = {"REPORT": 1}

    def source_toml(self, tmp_path: Path, *, target_calendar: str = "") -> str:
        target = f'target_calendar = "{target_calendar}"\n' if target_calendar else ""
        return (
            f'[[sources]]\nname = "dav"\nkind = "caldav"\nurl = "{self.proxy.url}/"\n'
            f'username = "{self.server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
            f'calendars = ["{self.calendar.name}"]\nme = ["me@example.com"]\n{target}'
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
            f"UID:{key}",
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
            f"UID:{key}",
            stamp,
            f"DTSTART:{_utc(first)}",
            f"DTEND:{_utc(first + hour)}",
            f"RRULE:FREQ=WEEKLY;COUNT={count}",
            f"SUMMARY:{title}",
        ]
        index, new_start = moved
        shifted = [
            f"UID:{key}",
            stamp,
            f"RECURRENCE-ID:{_utc(first + index * week)}",
            f"DTSTART:{_utc(new_start)}",
            f"DTEND:{_utc(new_start + hour)}",
            f"SUMMARY:{title}",
        ]
        gone = first + cancelled * week
        dropped = [
            f"UID:{key}",
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
        self.proxy.close()

    def _edit(self, name: str, changes: dict[str, str]) -> None:
        data = self.calendar.get(name)
        assert data is not None
        cal = icalendar.Calendar.from_ical(data)
        for event in cal.walk("VEVENT"):
            for prop, value in changes.items():
                event[prop] = value
        self.calendar.put(name, cal.to_ical())

    def _target(self, name: str) -> CalendarHandle:
        from caldav.davclient import DAVClient

        with DAVClient(
            self.server.url, username=self.server.username, password=self.server.password
        ) as client:
            [found] = [
                c for c in client.get_principal().get_calendars() if c.get_display_name() == name
            ]
            return CalendarHandle(self.server, str(found.url), name)


def _wrap(events: list[list[str]]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp//Calendar App 1.0//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


class GoogleBackend:
    """A calendar in the Google Calendar fake, written to as the web UI would."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.name = "google"
        self.calendar_id = fake.add_calendar(f"Interviews {uuid.uuid4().hex[:6]}")
        self.ids: dict[str, str] = {}
        self.idle = {"GET /events": 1}

    def source_toml(self, tmp_path: Path, *, target_calendar: str = "") -> str:
        secrets = self.fake.client_secrets_json(tmp_path / "client_secret.json")
        token = self.fake.authorized_user_json(tmp_path / "token.json")
        target = f'target_calendar = "{target_calendar}"\n' if target_calendar else ""
        return (
            f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
            f'token_file = "{token}"\ncalendars = ["{self.calendar_id}"]\n'
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
