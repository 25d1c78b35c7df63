"""The soak's account: one user's calendars on one service, as untidy as real accounts.

Each account lives on a server of its own (Radicale with its rights file,
Xandikos, or a Google fake), so that ``calendars = []`` watches exactly these
calendars and the account's main calendar is one the test chose:

- ``main``: the account's main calendar (Google ``primary``; Xandikos the
  inbox's default calendar; Radicale the first writable calendar it lists, so
  of the user's two calendars the one Radicale lists first). Writable.
- ``work``: writable, until ``freeze`` makes it read-only for the account (its
  owner takes the write access back). Radicale reads its rights file only when
  it starts, so there, as on Xandikos (no access control at all), the proxy in
  front of the server plays the change: 403 to writes, the read privilege only.
- ``shared``: read-only from the start (a careers centre's calendar). Radicale:
  the rights file (``ro-*``), filled by ADMIN; Xandikos: the proxy's
  ``refuse_writes``; Google: ``accessRole`` reader, filled by the fake's owner helpers.
- ``team``: read-only like ``shared``, deleted by its owner at ``vanish``.
- ``rota``: read-only like ``shared``, shared with the account at ``appear``.

The test writes interviews as the user (``main``, ``work`` before the freeze)
or as the calendar's owner (the others), straight to the server; syncd goes
through a proxy (CalDAV, soak_dav.py) or the fake's HTTP API, whose logs say
which writes syncd sent where and how they were answered. ``left`` holds each
read-only calendar's objects as the test left them, to compare byte for byte
with what the server holds at the end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dav_accounts import start_radicale_rights
from servers import start_xandikos

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_SOAK_PASSWORD"
READ_ONLY = ("shared", "team", "rota")  # read-only for the account from their start
WRITES = frozenset({"PUT", "DELETE", "POST", "PATCH", "PROPPATCH", "MKCALENDAR", "MOVE", "COPY"})


@dataclasses.dataclass(frozen=True)
class Found:
    """A follow-up as the user sees it (``shown``), and whose it is (its markers)."""

    kind: str
    title: str
    start: dt.datetime
    reminders: tuple[int, ...]
    description: str
    interview: str

    @property
    def shown(self) -> tuple[Any, ...]:
        return (self.kind, self.title, self.start, self.reminders, self.description)


@dataclasses.dataclass(frozen=True)
class Write:
    """A write request syncd sent: method, path (unquoted), the status it was answered."""

    method: str
    path: str
    status: int


class Account:
    """What the soak does with an account; ``DavAccount`` and ``GoogleAccount`` do it."""

    def __init__(self) -> None:
        self.left: dict[str, dict[str, Any]] = {role: {} for role in READ_ONLY}
        self.frozen = False

    # -- the user's (or the calendar owner's) changes

    def put(
        self, role: str, key: str, title: str, start: dt.datetime, *, cancelled: bool = False
    ) -> None:
        """Store the interview ``key`` (created or replaced) in the calendar ``role``."""
        self._put(role, key, title, start, cancelled)
        self._left_as(role, key)

    def remove(self, role: str, key: str) -> None:
        self._remove(role, key)
        self._left_as(role, key)

    def _left_as(self, role: str, key: str) -> None:
        if role in self.left or (role == "work" and self.frozen):
            self.left.setdefault(role, {})
            name, value = self._object(role, key)
            if value is None:
                self.left[role].pop(name, None)
            else:
                self.left[role][name] = value

    def freeze(self) -> None:
        """``work`` turns read-only for the account; what it holds now is left as it is."""
        self._freeze()
        self.frozen = True
        self.left["work"] = self.contents("work")

    # -- what is there

    def mark(self) -> int:
        """A position in the log of syncd's writes (``writes(role, since=...)``)."""
        return len(self._writes())

    def writes(self, role: str, since: int = 0) -> list[Write]:
        """syncd's writes aimed at the calendar ``role`` (``since`` a ``mark``), and the
        status of each: 2xx carried out, 403 refused."""
        return [w for w in self._writes()[since:] if self._aimed(role, w)]

    # -- for the subclasses

    def _put(
        self, role: str, key: str, title: str, start: dt.datetime, cancelled: bool
    ) -> None: ...

    def _remove(self, role: str, key: str) -> None: ...

    def _object(self, role: str, key: str) -> tuple[str, Any]: ...

    def _freeze(self) -> None: ...

    def _writes(self) -> list[Write]: ...

    def _aimed(self, role: str, write: Write) -> bool: ...

    def contents(self, role: str) -> dict[str, Any]: ...

    def followups(self, role: str) -> list[Found]: ...

    def source_toml(self, folder: Path) -> str: ...

    def appear(self) -> None: ...

    def vanish(self) -> None: ...

    def close(self) -> None: ...


class GoogleAccount(Account):
    """The account on a Google fake of its own; its main calendar is ``primary``."""

    def __init__(self, fake: Any) -> None:
        super().__init__()
        self.fake = fake
        self.calendars = {"main": fake.account, "work": fake.add_calendar("Jobs")}
        for role, name in (("shared", "Careers centre"), ("team", "Team")):
            self.calendars[role] = fake.add_calendar(name, access_role="reader")
        self.ids: dict[str, str] = {}

    def source_toml(self, folder: Path) -> str:
        secrets = self.fake.client_secrets_json(folder / "client_secret.json")
        token = self.fake.authorized_user_json(folder / "token.json")
        return (
            f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
            f'token_file = "{token}"\ncalendars = []\n'
            f'api_endpoint = "{self.fake.api_endpoint}"\n'
        )

    def appear(self) -> None:
        self.calendars["rota"] = self.fake.add_calendar("Rota", access_role="reader")

    def _freeze(self) -> None:
        self.fake.change_calendar(self.calendars["work"], access_role="reader")

    def vanish(self) -> None:
        self.fake.delete_calendar(self.calendars["team"])

    def _put(self, role: str, key: str, title: str, start: dt.datetime, cancelled: bool) -> None:
        def when(value: dt.datetime) -> dict[str, str]:
            return {"dateTime": value.isoformat(), "timeZone": "Europe/London"}

        body = {"summary": title, "start": when(start), "end": when(start + dt.timedelta(hours=1))}
        if cancelled:
            body["status"] = "cancelled"
        calendar = self.calendars[role]
        if key in self.ids:
            self.fake.modify_event(calendar, self.ids[key], body)
        else:
            self.ids[key] = self.fake.add_event(calendar, body)["id"]

    def _remove(self, role: str, key: str) -> None:
        self.fake.remove_event(self.calendars[role], self.ids[key])

    def _object(self, role: str, key: str) -> tuple[str, Any]:
        event = self.fake.event(self.calendars[role], self.ids[key])
        return self.ids[key], event and json.dumps(event, sort_keys=True)

    def contents(self, role: str) -> dict[str, Any]:
        events = self.fake.events(self.calendars[role])
        return {e["id"]: json.dumps(e, sort_keys=True) for e in events}

    def followups(self, role: str) -> list[Found]:
        found = []
        for event in self.fake.events(self.calendars[role]):
            marker = event.get("extendedProperties", {}).get("private", {})
            if event.get("status") == "cancelled" or "syncd.kind" not in marker:
                continue
            reminders = event.get("reminders", {}).get("overrides", [])
            start = dt.datetime.fromisoformat(event["start"]["dateTime"]).astimezone(LONDON)
            found.append(
                Found(
                    marker["syncd.kind"],
                    event["summary"],
                    start,
                    tuple(sorted(r["minutes"] for r in reminders)),
                    event.get("description", ""),
                    marker["syncd.interview"],
                )
            )
        return found

    def _writes(self) -> list[Write]:
        return [
            Write(r.method, urllib.parse.unquote(r.path), r.status)
            for r in self.fake.requests.records
            if r.method in WRITES
        ]

    def _aimed(self, role: str, write: Write) -> bool:
        return write.path.startswith(f"/calendar/v3/calendars/{self.calendars[role]}/")

    def close(self) -> None:
        self.fake.stop()


def open_account(kind: str, folder: Path, setenv: Callable[[str, str], None]) -> Account:
    """A new account on a server of its own: ``radicale``, ``xandikos`` or ``google``."""
    if kind == "google":
        from fakes.google_calendar import FakeGoogleCalendar

        fake = FakeGoogleCalendar(time_zone="Europe/London")
        fake.start()
        return GoogleAccount(fake)
    from soak_dav import DavAccount

    server = start_radicale_rights(folder) if kind == "radicale" else start_xandikos(folder)
    setenv(PASSWORD_ENV, server.password)
    try:
        return DavAccount(server)
    except BaseException:
        server.stop()
        raise
