"""What a source's calendars decide: which of them a pass reads, where an interview's
follow-ups go, and the zone the account lives in (docs/behaviour.md, "Where
follow-ups go" and "The zone in force").

Pure: the calendars as the server lists them (``CalendarInfo``: writable,
readable, hidden, zone, default) and the config's names come in; calendars and
ids come out. The engine does the listing, the creating and the logging.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from syncd import limits
from syncd.model import CalendarInfo, Interview


@dataclasses.dataclass(frozen=True)
class Watch:
    """The calendars a pass reads for interviews, the target calendar (None: not set, or
    missing), and the config's ``calendars`` names that name no calendar syncd can read,
    each with what is wrong and what to do."""

    watched: tuple[CalendarInfo, ...]
    target: CalendarInfo | None
    problems: tuple[tuple[str, str], ...] = ()


def watch(names: Sequence[str], target: str, listed: Sequence[CalendarInfo]) -> Watch:
    """The calendars to read, given the config's ``calendars`` (``names``; empty: all)
    and ``target_calendar`` (``target``; "" none) over the ``listed`` calendars.

    Never read: a calendar syncd may not read (free/busy only). Read when
    ``calendars`` is empty: every other calendar, except hidden ones (on Google
    mostly subscriptions the user hid) and the target. Read when named: the
    calendar named, hidden or not.
    """
    found = next((c for c in listed if target and c.answers_to(target)), None)
    if not names:
        skip = found.id if found is not None else None
        every = (c for c in listed if c.readable and not c.hidden and c.id != skip)
        return Watch(tuple(every), found)
    watched: dict[str, CalendarInfo] = {}
    problems = []
    for name in names:
        calendar = next((c for c in listed if c.answers_to(name)), None)
        if calendar is None:
            there = ", ".join(sorted(c.name for c in listed if c.readable)) or "none"
            problems.append((name, f"no calendar {name!r} (there are: {there}); check `calendars`"))
        elif not calendar.readable:
            problems.append(
                (
                    name,
                    "this account may only see when it is busy (free/busy); share it with"
                    " all event details or take it out of `calendars`",
                )  # fmt: skip
            )
        else:
            watched.setdefault(calendar.id, calendar)
    return Watch(tuple(watched.values()), found, tuple(problems))


def main_calendar(listed: Sequence[CalendarInfo]) -> CalendarInfo | None:
    """The account's main calendar (Google ``primary``; CalDAV: docs/providers.md)."""
    return next((c for c in listed if c.default), None)


def route(calendar: str, listed: Sequence[CalendarInfo], target: CalendarInfo | None) -> str:
    """The calendar the follow-ups of an interview on ``calendar`` go to; "" for none.

    ``target`` (the config's ``target_calendar``) when it is writable; else the
    interview's own calendar when it is writable; else the account's main
    calendar when it is writable; else none. Never a calendar the server lists
    as read-only.
    """
    if target is not None and target.writable:
        return target.id
    own = next((c for c in listed if c.id == calendar), None)
    if own is not None and own.writable:
        return own.id
    main = main_calendar(listed)
    return main.id if main is not None and main.writable else ""


@dataclasses.dataclass(frozen=True)
class Note:
    """A line to log once: ``key`` says what it is about, ``text`` starts at the calendar."""

    key: str
    text: str
    warning: bool = False

    def __str__(self) -> str:
        return self.text


@dataclasses.dataclass(frozen=True)
class Routes:
    """Where follow-ups go, by (calendar, interview key), for the interviews that get
    follow-ups; and the notes to log once about it."""

    where: dict[tuple[str, str], str]
    notes: tuple[Note, ...] = ()


def routes(
    interviews: Iterable[Interview], listed: Sequence[CalendarInfo], target: CalendarInfo | None
) -> Routes:
    """``route`` for each interview, with a note the first time one's follow-ups go
    elsewhere than its own calendar without a target set (info), or nowhere (warning).

    Left out: the interviews of calendars no longer listed (a vanished calendar is
    not a cancelled interview: their follow-ups stay as they are), and those whose
    follow-ups have nowhere to go.
    """
    names = {c.id: c.name for c in listed}
    where: dict[tuple[str, str], str] = {}
    notes = []
    if target is not None and not target.writable:
        text = (
            f"{target.name}: target_calendar is read-only for this account; follow-ups go"
            " to each interview's own calendar, else to the main calendar"
        )
        notes.append(Note(f"read-only target {target.id}", text, warning=True))
    for interview in interviews:
        if interview.calendar not in names:
            continue
        to = route(interview.calendar, listed, target)
        about = f"{names[interview.calendar]}: {limits.shown(interview.title)!r}"
        if not to:
            text = (
                f"{about}: the calendar is read-only for this account and there is no"
                " writable main calendar: no follow-ups for it; set target_calendar"
            )
            notes.append(Note(f"nowhere {interview.calendar} {interview.key}", text, True))
            continue
        where[(interview.calendar, interview.key)] = to
        if to != interview.calendar and (target is None or to != target.id):
            text = (
                f"{about}: the calendar is read-only for this account;"
                f" its follow-ups go to {names[to]!r}"
            )
            notes.append(Note(f"routed {interview.calendar} {interview.key} {to}", text))
    return Routes(where, tuple(notes))


def account_zone(listed: Sequence[CalendarInfo], watched: Sequence[CalendarInfo]) -> str:
    """The zone of the account's main calendar; else of the first watched calendar that
    states one (CalDAV servers often state none for the main one); "" when none does."""
    main = main_calendar(listed)
    if main is not None and main.zone:
        return main.zone
    return next((c.zone for c in watched if c.zone), "")
