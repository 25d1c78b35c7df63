"""The contract suite's set-up for Outlook: the provider against the local Graph fake, the
user's app writing as Outlook does (``add_event``, ``modify_event``, ``add_weekly``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.graph_fake import FakeGraph

from contract.setups import CONFIG, HOUR, WEEK, User, source_config
from providers import CalendarInfo, Provider, open_provider
from providers.outlook.events import owned_body
from providers.outlook.provider import OutlookProvider
from syncd.model import CalendarEvent, FollowUp, When


def when(value: When) -> dict[str, str]:
    """A dateTimeTimeZone; an all-day date as its midnight."""
    if isinstance(value, dt.datetime):
        return {
            "dateTime": value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": "UTC",
        }
    return {"dateTime": f"{value.isoformat()}T00:00:00", "timeZone": "UTC"}


def times(start: When, end: When) -> dict[str, Any]:
    return {"start": when(start), "end": when(end), "isAllDay": not isinstance(start, dt.datetime)}


class OutlookUser:
    """Outlook on one calendar of the fake."""

    def __init__(self, fake: FakeGraph, calendar: str) -> None:
        self.fake, self.calendar = fake, calendar
        self.ids: dict[str, str] = {}  # key -> event id (a series: its master)

    def put(self, key: str, title: str, start: When, end: When) -> None:
        self.ids[key] = self.fake.add_event(self.calendar, {"subject": title, **times(start, end)})

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        fields = {"subject": title, **times(first, first + HOUR)}
        master = self.fake.add_weekly(self.calendar, fields, count)
        self.ids[key] = master
        index, new_start = moved
        self.fake.move_occurrence(self.calendar, master, index, new_start, new_start + HOUR)
        self.fake.delete_occurrence(self.calendar, master, cancelled)
        assert first + cancelled * WEEK  # (the occurrence deleted, as Outlook deletes one)

    def retitle(self, key: str, title: str) -> None:
        self.fake.modify_event(self.calendar, self.ids[key], {"subject": title})

    def move(self, key: str, start: When, end: When) -> None:
        self.fake.modify_event(self.calendar, self.ids[key], times(start, end))

    def remove(self, key: str) -> None:
        self.fake.remove_event(self.calendar, self.ids[key])

    def put_marked(self, key: str, followup: FollowUp) -> None:
        # A copy made by another app: syncd's properties, but no transactionId of syncd's.
        self.ids[key] = self.fake.add_event(self.calendar, owned_body(followup))

    def edit(self, event: CalendarEvent, title: str) -> None:
        self.fake.modify_event(self.calendar, event.resource, {"subject": title})

    def delete(self, event: CalendarEvent) -> None:
        self.fake.remove_event(self.calendar, event.resource)


class OutlookSetUp:
    """A fresh calendar in a fake Microsoft account of this test alone."""

    name = "outlook"

    def __init__(self, fake: FakeGraph, folder: Path) -> None:
        self.fake = fake
        calendar_id = fake.add_calendar("Contract")
        source = source_config(
            "outlook",
            client_id=fake.client_id,
            token_file=fake.token_file(folder / "outlook.token.json"),
            authority=fake.authority,
            api_endpoint=fake.api_endpoint,
        )
        self.outlook: OutlookProvider = open_provider(source, CONFIG)  # type: ignore[assignment]
        self.provider: Provider = self.outlook
        self.calendar = CalendarInfo(calendar_id, "Contract")
        self.user: User = OutlookUser(fake, calendar_id)
        self._made = 0

    def refused_token(self, token: str) -> str:
        self.fake.expire_delta_tokens()
        return token

    def new_calendar(self) -> CalendarInfo:
        self._made += 1
        name = f"Other {self._made}"
        return CalendarInfo(self.fake.add_calendar(name), name)

    def remove_calendar(self, calendar: CalendarInfo) -> None:
        self.fake.delete_calendar(calendar.id)

    def make_read_only(self) -> None:
        self.fake.make_read_only(self.calendar.id)

    def after_next_content(self, action: Callable[[], None]) -> None:
        # A delta page holds the content; the round's state was taken at its first request.
        graph = self.outlook.graph
        real = graph.call

        def call(method: str, url: str, what: str, **kwargs: Any) -> Any:
            answer = real(method, url, what, **kwargs)
            if what == "reading changes":
                del graph.call
                action()
            return answer

        graph.call = call  # type: ignore[method-assign]

    def close(self) -> None:
        self.provider.close()
