"""What the provider contract suite runs on: one set-up per provider, the same interface.

A set-up gives a fresh calendar, a provider that can read and write it, and a
``user``: the calendar app of the account's owner, which puts, changes and
removes events straight into the service (never through the provider). It also
does to the service what only the service does: refuse sync tokens, delete a
calendar, take write access away. That adapter is the one part written per
backend (here the memory provider; ``dav_setup`` and ``google_setup`` for
the real ones); the tests in ``test_contract_*.py`` are backend-neutral.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from factories import make_followup, make_source

from providers import CalendarInfo, ChangeSet, Provider, ReadScope
from providers.memory import MemoryProvider
from syncd.config import Config, SourceConfig
from syncd.model import CalendarEvent, FollowUp, When

ZONE = ZoneInfo("Europe/London")
CONFIG = Config(timezone=ZONE)
SOURCE = "contract"  # the source name follow-ups are derived from
# The window every read of the suite asks for: six weeks, Monday to Monday.
START = dt.datetime(2031, 3, 3, tzinfo=dt.UTC)
END = dt.datetime(2031, 4, 14, tzinfo=dt.UTC)
SCOPE = ReadScope.of(START, END, ["interview"])
HOUR = dt.timedelta(hours=1)
WEEK = dt.timedelta(weeks=1)


def utc(month: int, day: int, hour: int = 0) -> dt.datetime:
    """A moment of 2031 in UTC."""
    return dt.datetime(2031, month, day, hour, tzinfo=dt.UTC)


def source_config(kind: str, **keys: Any) -> SourceConfig:
    """The one place the suite builds a source's config (its kind's keys as given)."""
    return make_source(SOURCE, kind, **keys)


class User(Protocol):
    """The account owner's calendar app, writing straight into the service.

    Events are named by a ``key`` of the test's choosing; times are UTC
    datetimes, or dates for all-day events.
    """

    def put(self, key: str, title: str, start: When, end: When) -> None:
        """A single event, new (or replaced)."""
        ...

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        """A weekly series of one-hour events: instance ``moved[0]`` moved to start at
        ``moved[1]``, instance ``cancelled`` cancelled (numbered from 0)."""
        ...

    def retitle(self, key: str, title: str) -> None:
        """A new title for the event, or for every instance of the series."""
        ...

    def move(self, key: str, start: When, end: When) -> None:
        """New times for a single event."""
        ...

    def remove(self, key: str) -> None:
        """Delete the event, or the whole series."""
        ...

    def put_marked(self, key: str, followup: FollowUp) -> None:
        """A copy of the follow-up, syncd's markers included, at a place of the user's
        (a duplicated event, an import)."""
        ...

    def edit(self, event: CalendarEvent, title: str) -> None:
        """Retitle an event syncd wrote (``event`` as the provider returned it)."""
        ...

    def delete(self, event: CalendarEvent) -> None:
        """Delete an event syncd wrote."""
        ...


class SetUp(Protocol):
    """One provider on one service, with a fresh calendar and the user's app."""

    name: str
    calendar: CalendarInfo
    provider: Provider
    user: User

    def refused_token(self, token: str) -> str:
        """A sync token the service refuses (``token`` was a good one of this calendar)."""
        ...

    def new_calendar(self) -> CalendarInfo:
        """Another fresh calendar of the account."""
        ...

    def remove_calendar(self, calendar: CalendarInfo) -> None:
        """Delete a calendar as the account's owner would."""
        ...

    def make_read_only(self) -> None:
        """From now on the account may read ``calendar`` but not write to it."""
        ...

    def after_next_content(self, action: Callable[[], None]) -> None:
        """Run ``action`` once, right after the next read has fetched its content (and
        before it returns)."""
        ...

    def close(self) -> None: ...


def followup(setup: SetUp, interview: str = "interview-1", hour: int = 15) -> FollowUp:
    """A follow-up of an interview of the set-up's calendar, written there, in the window."""
    return make_followup(
        start=utc(3, 20, hour), source=SOURCE, calendar=setup.calendar.id,
        interview=interview, title="Thank-you letter: Acme", reminders=(0, 30),
    )  # fmt: skip


def read(setup: SetUp, token: str | None = None, **known: str) -> ChangeSet:
    """A read of the set-up's calendar over the suite's window."""
    return setup.provider.read_changes(setup.calendar, token, SCOPE, known or None)


# -- the reference provider


class MemoryUser:
    """The user's app on the memory provider: neutral events put straight into it."""

    def __init__(self, provider: MemoryProvider, calendar: str) -> None:
        self.provider, self.calendar = provider, calendar

    def put(self, key: str, title: str, start: When, end: When) -> None:
        self.provider.put(CalendarEvent(key, self.calendar, title, start, end, resource=key))

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        instances = []
        for n in range(count):
            original = first + n * WEEK
            start = moved[1] if n == moved[0] else original
            status = "cancelled" if n == cancelled else "confirmed"
            recurrence = original.strftime("%Y%m%dT%H%M%SZ")
            instances.append(
                CalendarEvent(
                    key, self.calendar, title, start, start + HOUR, recurrence, status=status
                )
            )
        self.provider.put_series(self.calendar, key, instances)

    def retitle(self, key: str, title: str) -> None:
        stored = self._object(key)
        changed = [dataclasses.replace(e, title=title) for e in stored]
        if stored[0].series:
            self.provider.put_series(self.calendar, key, changed)
        else:
            self.provider.put(changed[0])

    def move(self, key: str, start: When, end: When) -> None:
        self.provider.put(dataclasses.replace(self._object(key)[0], start=start, end=end))

    def remove(self, key: str) -> None:
        self.provider.remove(self.calendar, key)

    def put_marked(self, key: str, followup: FollowUp) -> None:
        copy = dataclasses.replace(MemoryProvider.event_of(followup, key), id=key)
        self.provider.put(dataclasses.replace(copy, calendar=self.calendar))

    def edit(self, event: CalendarEvent, title: str) -> None:
        self.provider.put(dataclasses.replace(event, title=title))

    def delete(self, event: CalendarEvent) -> None:
        self.provider.remove(self.calendar, event.resource)

    def _object(self, key: str) -> list[CalendarEvent]:
        return [e for e in self.provider.events(self.calendar) if e.resource == key]


class MemorySetUp:
    """The memory provider, as the engine's own tests use it."""

    name = "memory"

    def __init__(self) -> None:
        self.memory = MemoryProvider(("Contract",), tz=ZONE)
        self.provider: Provider = self.memory
        self.calendar = self.memory.list_calendars()[0]
        self.user: User = MemoryUser(self.memory, self.calendar.id)
        self._made = 0

    def refused_token(self, token: str) -> str:
        self.memory.expire_tokens()
        return token

    def new_calendar(self) -> CalendarInfo:
        self._made += 1
        return self.memory.ensure_calendar(f"Other {self._made}")

    def remove_calendar(self, calendar: CalendarInfo) -> None:
        self.memory.remove_calendar(calendar.id)

    def make_read_only(self) -> None:
        self.memory.set_writable(self.calendar.id, False)

    def after_next_content(self, action: Callable[[], None]) -> None:
        # A memory read is one atomic step: "after its content" is as it returns.
        real = self.memory.read_changes

        def reading(*args: Any, **kwargs: Any) -> ChangeSet:
            del self.memory.read_changes  # once
            changes = real(*args, **kwargs)
            action()
            return changes

        self.memory.read_changes = reading  # type: ignore[method-assign]

    def close(self) -> None:
        self.provider.close()
