"""The scenario suite's Outlook backend: a calendar of the Graph fake, written to as Outlook
would, read back through the fake's store, requests counted by the fake's own log."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from providers.outlook.events import MARKERS_PROPERTY, slot_of

LONDON = ZoneInfo("Europe/London")


def _when(value: dt.datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


class OutlookBackend:
    """A calendar in the Graph fake; ``Seen.ref`` of a follow-up is the follow-up id its
    transactionId names (its place)."""

    def __init__(self, fake: Any, calendar_id: str = "") -> None:
        self.fake = fake
        self.name = "outlook"
        self.calendar_id = calendar_id or fake.add_calendar(f"Interviews {uuid.uuid4().hex[:6]}")
        with fake.store.lock:  # kept: the calendar may vanish later
            self._name = str(fake.store.calendars[self.calendar_id].name)
        self.ids: dict[str, str] = {}
        self.idle = {"GET /calendarView/delta": 1}

    @property
    def calendar_name(self) -> str:
        return self._name

    def source_toml(
        self, tmp_path: Path, *, target_calendar: str = "", calendars: Sequence[str] | None = None
    ) -> str:
        token = self.fake.token_file(tmp_path / "outlook.token.json")
        target = f'target_calendar = "{target_calendar}"\n' if target_calendar else ""
        names = json.dumps([self.calendar_name] if calendars is None else list(calendars))
        return (
            '[[sources]]\nname = "outlook"\nkind = "outlook"\n'
            f'client_id = "{self.fake.client_id}"\n'
            f'token_file = "{token}"\nauthority = "{self.fake.authority}"\n'
            f'api_endpoint = "{self.fake.api_endpoint}"\ncalendars = {names}\n'
            f'me = ["me@example.com"]\n{target}'
        )

    def put(
        self, key: str, title: str, start: dt.datetime, end: dt.datetime, *,
        description: str = "", location: str = "",
    ) -> None:  # fmt: skip
        fields = {
            "subject": title,
            "start": _when(start),
            "end": _when(end),
            "body": {"contentType": "text", "content": description},
            "location": {"displayName": location},
        }
        if key in self.ids:
            self.fake.modify_event(self.calendar_id, self.ids[key], fields)
        else:
            self.ids[key] = self.fake.add_event(self.calendar_id, fields)

    def change(
        self, key: str, *, title: str | None = None, status: str | None = None,
        description: str | None = None,
    ) -> None:  # fmt: skip
        changes: dict[str, Any] = {}
        if title is not None:
            changes["subject"] = title
        if status is not None:  # the organizer cancelled it: Outlook keeps it, cancelled
            changes["isCancelled"] = status == "cancelled"
        if description is not None:
            changes["body"] = {"contentType": "text", "content": description}
        self.fake.modify_event(self.calendar_id, self.ids[key], changes)

    def remove(self, key: str) -> None:
        self.fake.remove_event(self.calendar_id, self.ids[key])

    def put_weekly(
        self, key: str, title: str, first: dt.datetime, count: int,
        moved: tuple[int, dt.datetime], cancelled: int,
    ) -> None:  # fmt: skip
        hour = dt.timedelta(hours=1)
        fields = {"subject": title, "start": _when(first), "end": _when(first + hour)}
        master = self.fake.add_weekly(self.calendar_id, fields, count)
        self.ids[key] = master
        index, new_start = moved
        self.fake.move_occurrence(self.calendar_id, master, index, new_start, new_start + hour)
        self.fake.delete_occurrence(self.calendar_id, master, cancelled)

    def followups(self, target: str = "") -> dict[str, list[Any]]:
        from backends import Seen

        calendar = self.fake.calendar_named(target) if target else self.calendar_id
        seen: dict[str, list[Any]] = {}
        for event in self.fake.events(calendar):
            props = event.get("singleValueExtendedProperties", {})
            slot = slot_of(event)
            if MARKERS_PROPERTY not in props or not slot:
                continue
            marker = json.loads(props[MARKERS_PROPERTY])
            start = dt.datetime.fromisoformat(event["start"]["dateTime"][:19] + "+00:00")
            on = event.get("isReminderOn", True)
            seen.setdefault(marker["kind"], []).append(
                Seen(
                    slot,
                    marker["kind"],
                    event["subject"],
                    start.astimezone(LONDON),
                    event.get("body", {}).get("content", ""),
                    (event.get("reminderMinutesBeforeStart", 15),) if on else (),
                    marker["interview"],
                    marker["calendar"],
                    marker["fingerprint"],
                )
            )
        return seen

    def retitle(self, seen: Any, title: str) -> None:
        calendar, event = self._event_of(seen.ref)
        self.fake.modify_event(calendar, event, {"subject": title})

    def delete(self, seen: Any) -> None:
        self.fake.remove_event(*self._event_of(seen.ref))

    def snapshot(self, keys: list[str]) -> dict[str, Any]:
        stored = {e["id"]: e for e in self.fake.events(self.calendar_id)}
        return {k: json.dumps(stored.get(self.ids[k]), sort_keys=True) for k in keys}

    def requests(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.fake.graph_requests():
            path = record.path
            if path.endswith("/calendarView/delta"):
                shape = "/calendarView/delta"
            elif path.endswith("/events"):
                shape = "/events"
            elif "/me/events/" in path:
                shape = "/me/events"
            else:
                shape = path.removeprefix("/v1.0")
            key = f"{record.method} {shape}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def reset_requests(self) -> None:
        self.fake.clear_requests()

    def close(self) -> None:
        pass

    def sibling(self, *, read_only: bool = False, name: str = "") -> OutlookBackend:
        """Another calendar of the account; ``read_only``: shared with it for reading."""
        name = name or f"Interviews {uuid.uuid4().hex[:6]}"
        return OutlookBackend(self.fake, self.fake.add_calendar(name, can_edit=not read_only))

    def named(self, name: str) -> OutlookBackend:
        return OutlookBackend(self.fake, self.fake.calendar_named(name))

    def main(self) -> OutlookBackend:
        return OutlookBackend(self.fake, self.fake.account)

    def vanish(self) -> None:
        self.fake.delete_calendar(self.calendar_id)

    def narrow(self) -> None:
        self.fake.make_read_only(self.calendar_id)

    def set_zone(self, zone: str) -> None:
        pytest.skip(
            "Graph states no time zone per calendar; the mailbox's zone needs"
            " MailboxSettings.Read, which syncd does not ask for (set `timezone`)"
        )

    def contents(self) -> dict[str, str]:
        return {e["id"]: e["@odata.etag"] for e in self.fake.events(self.calendar_id)}

    def _event_of(self, slot: str) -> tuple[str, str]:
        with self.fake.store.lock:
            calendars = list(self.fake.store.calendars)
        for calendar in calendars:
            for event in self.fake.events(calendar):
                if slot_of(event) == slot:
                    return calendar, event["id"]
        raise KeyError(slot)
