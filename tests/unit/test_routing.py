"""Which calendars are read, where follow-ups go, the account's zone: tables over
calendar lists as servers give them (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd.model import CalendarInfo, Interview
from syncd.routing import account_zone, route, routes, watch

MAIN = CalendarInfo("main", "Personal", ("primary",), default=True, zone="America/New_York")
WORK = CalendarInfo("work", "Work", zone="Europe/London")
HOLIDAYS = CalendarInfo("hol", "Holidays", writable=False)
HIDDEN = CalendarInfo("hid", "Hidden", hidden=True)
BUSY = CalendarInfo("busy", "Boss", writable=False, readable=False)
TARGET = CalendarInfo("fu", "Follow-ups")
SHARED_TARGET = CalendarInfo("fu", "Follow-ups", writable=False)
READ_ONLY_MAIN = CalendarInfo("main", "Personal", writable=False, default=True)
LISTED = (MAIN, WORK, HOLIDAYS, HIDDEN, BUSY, TARGET)

WATCH_CASES = {
    "all: every readable, unhidden one but the target": ((), "Follow-ups", ["main", "work", "hol"]),
    "all, no target": ((), "", ["main", "work", "hol", "fu"]),
    "named: those, hidden or not": (("Hidden", "primary"), "", ["hid", "main"]),
    "named twice: once": (("Work", "work"), "", ["work"]),
    "the target named too: read": (("Follow-ups",), "Follow-ups", ["fu"]),
}


@pytest.mark.parametrize(("names", "target", "ids"), WATCH_CASES.values(), ids=WATCH_CASES.keys())
def test_which_calendars_are_read(names: tuple[str, ...], target: str, ids: list[str]) -> None:
    chosen = watch(names, target, LISTED)
    assert [c.id for c in chosen.watched] == ids
    assert chosen.problems == ()
    assert (chosen.target.id if chosen.target else "") == ("fu" if target else "")


def test_named_calendars_syncd_cannot_read_are_problems_not_reads() -> None:
    chosen = watch(("Work", "Boss", "Typo"), "", LISTED)
    assert [c.id for c in chosen.watched] == ["work"]
    assert [name for name, _ in chosen.problems] == ["Boss", "Typo"]
    assert "free/busy" in chosen.problems[0][1]
    assert chosen.problems[1][1] == (
        "no calendar 'Typo' (there are: Follow-ups, Hidden, Holidays, Personal, Work);"
        " check `calendars`"
    )


def test_a_missing_target_is_none() -> None:
    assert watch((), "Follow-ups", (MAIN,)).target is None


ROUTES = {
    "own calendar, writable": ("work", LISTED, None, "work"),
    "target set: the target": ("work", LISTED, TARGET, "fu"),
    "read-only calendar, no target: the main calendar": ("hol", LISTED, None, "main"),
    "read-only calendar, target: the target": ("hol", LISTED, TARGET, "fu"),
    "read-only target: as if none": ("work", LISTED, SHARED_TARGET, "work"),
    "read-only target, read-only calendar: the main one": ("hol", LISTED, SHARED_TARGET, "main"),
    "read-only calendar, read-only main: nowhere": ("hol", (READ_ONLY_MAIN, HOLIDAYS), None, ""),
    "read-only calendar, no main calendar: nowhere": ("hol", (WORK, HOLIDAYS), None, ""),
}


@pytest.mark.parametrize(("calendar", "listed", "target", "to"), ROUTES.values(), ids=ROUTES.keys())
def test_where_follow_ups_go(
    calendar: str, listed: tuple[CalendarInfo, ...], target: CalendarInfo | None, to: str
) -> None:
    assert route(calendar, listed, target) == to


def interview(calendar: str, key: str) -> Interview:
    start = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    return Interview("src", calendar, key, f"Interview {key}", start, start)


def test_routes_say_once_why_and_leave_out_what_has_nowhere_to_go() -> None:
    interviews = [
        interview("work", "a"),
        interview("hol", "b"),
        interview("gone", "c"),  # its calendar vanished: left as it is
    ]
    found = routes(interviews, LISTED, None)
    assert found.where == {("work", "a"): "work", ("hol", "b"): "main"}
    [note] = found.notes
    assert (note.key, note.warning) == ("routed hol b main", False)
    assert str(note) == (
        "Holidays: 'Interview b': the calendar is read-only for this account;"
        " its follow-ups go to 'Personal'"
    )
    nowhere = routes([interview("hol", "b")], (READ_ONLY_MAIN, HOLIDAYS), None)
    assert nowhere.where == {}
    assert [(n.key, n.warning) for n in nowhere.notes] == [("nowhere hol b", True)]
    shared = routes([interview("work", "a")], LISTED, SHARED_TARGET)
    assert [(n.key, n.warning) for n in shared.notes] == [("read-only target fu", True)]
    assert routes([interview("hol", "b")], LISTED, TARGET).notes == ()  # asked for: no note


ZONES = {
    "the main calendar's": (LISTED, [WORK], "America/New_York"),
    "main without one: the first watched that has one": (
        (READ_ONLY_MAIN, WORK),
        [HOLIDAYS, WORK],
        "Europe/London",
    ),
    "none stated": ((HOLIDAYS,), [HOLIDAYS], ""),
}


@pytest.mark.parametrize(("listed", "watched", "zone"), ZONES.values(), ids=ZONES.keys())
def test_the_accounts_zone(
    listed: tuple[CalendarInfo, ...], watched: list[CalendarInfo], zone: str
) -> None:
    assert account_zone(listed, watched) == zone
