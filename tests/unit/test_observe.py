"""The observation step, case by case (pure: no SQLite, no provider, no clock)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import make_followup

from syncd import limits
from syncd.config import Config, SourceConfig
from syncd.detect import detect
from syncd.model import (
    Attendee,
    CalendarEvent,
    CalendarInfo,
    ChangeSet,
    FollowUp,
    FollowUpKind,
    FollowUpRecord,
    Interview,
    RecordStatus,
)
from syncd.observe import (
    Delta,
    forget,
    heard_back,
    known_etags,
    observe,
    observe_slot,
    reaching_back,
    read_scope,
)
from syncd.planner import FOLLOWUP_REACH
from syncd.reconcile import record_for

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
SOURCE = SourceConfig(name="src", kind="caldav", me=("me@example.com",))
CONFIG = Config(timezone=LONDON, sources=(SOURCE,))
CAL = CalendarInfo("mem://Personal", "Personal")
SCOPE = read_scope(CONFIG.detect, NOW)
DAY = dt.timedelta(days=1)


def ev(key: str = "iv1", **fields: Any) -> CalendarEvent:
    """An interview event (its id, key and resource are ``key``)."""
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    values: dict[str, Any] = dict(id=key, calendar=CAL.id, title="Interview with Acme",
                                  start=start, end=start + dt.timedelta(hours=1), resource=key,
                                  etag='"1"')  # fmt: skip
    return CalendarEvent(**{**values, **fields})


def known(event: CalendarEvent) -> Interview:
    """The interview syncd learnt from ``event`` (however long ago that was)."""
    interview = detect(event, SOURCE, CONFIG, NOW, known=True)
    assert interview is not None
    return interview


def fu(kind: FollowUpKind = FollowUpKind.THANK_YOU, days: float = 6) -> FollowUp:
    """A follow-up syncd planned for interview iv1, ``days`` after now."""
    start = NOW + dt.timedelta(days=days)
    return make_followup(source="src", calendar=CAL.id, interview="iv1", kind=kind, start=start)


THANKS, MORNING = fu(), fu(FollowUpKind.CALL_MORNING, days=9)


def at_slot(f: FollowUp, **fields: Any) -> CalendarEvent:
    """The event of follow-up ``f`` where syncd wrote it (its slot), as a read returns it."""
    values: dict[str, Any] = dict(id=f.id, calendar=f.target, title=f.title, start=f.start,
                                  end=f.end, description=f.description, reminders=f.reminders,
                                  markers=f.markers, resource=f"{f.id}.ics", slot=f.id,
                                  etag='"2"')  # fmt: skip
    return CalendarEvent(**{**values, **fields})


def rec(f: FollowUp, status: RecordStatus = RecordStatus.WRITTEN) -> FollowUpRecord:
    event = dataclasses.replace(at_slot(f), etag='"1"')
    return dataclasses.replace(record_for(f, event), status=status)


@dataclasses.dataclass(frozen=True)
class Case:
    events: tuple[CalendarEvent, ...] = ()
    deleted: tuple[str, ...] = ()
    full: bool = False
    unchanged: tuple[str, ...] = ()
    known: tuple[Interview, ...] = ()
    records: tuple[FollowUpRecord, ...] = ()
    # expected: interview keys, follow-up kinds -> status
    new: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    seen: tuple[tuple[str, RecordStatus], ...] = ()
    user_deleted: tuple[str, ...] = ()
    refound: tuple[str, ...] = ()
    guard: bool = False
    held: tuple[str, ...] = ()  # interviews stored again, marked held by the guard


IV = ev()
LATER = ev(start=IV.start + 7 * DAY, end=IV.end + 7 * DAY)
OLD = ev(start=NOW - 30 * DAY, end=NOW - 30 * DAY + dt.timedelta(hours=1))
INSTANCE = ev("rec-a_20261201T100000Z", series="rec-a")
SHAPED = ev("rec-b_20261201T100000Z")  # looks like an instance; its series field says it is not
DECLINED = (Attendee("me@example.com", "Me", "declined", is_self=True),)
LUNCH = ev("lunch", title="Lunch")
T, M = str(FollowUpKind.THANK_YOU), str(FollowUpKind.CALL_MORNING)
W, E, D = RecordStatus.WRITTEN, RecordStatus.EDITED, RecordStatus.DELETED

CASES = {
    "new interview": Case(events=(IV,), new=("iv1",)),
    "interview read again unchanged": Case(events=(IV,), known=(known(IV),)),
    "interview changed": Case(events=(LATER,), known=(known(IV),), new=("iv1",)),
    "interview moved past the lookahead": Case(
        events=(ev(start=NOW + 200 * DAY, end=NOW + 201 * DAY),), known=(known(IV),), gone=("iv1",)
    ),
    "a far interview that was never known is not one": Case(
        events=(ev(start=NOW + 200 * DAY, end=NOW + 201 * DAY),)
    ),
    "known interview aged out of the lookback stays known": Case(
        events=(dataclasses.replace(OLD, title="Interview with Acme (second round)"),),
        known=(known(OLD),),
        new=("iv1",),
    ),
    "an unknown interview past the lookback is not discovered": Case(events=(OLD,)),
    "interview cancelled": Case(
        events=(dataclasses.replace(IV, status="cancelled"),), known=(known(IV),), gone=("iv1",)
    ),
    "interview declined": Case(
        events=(dataclasses.replace(IV, attendees=DECLINED),), known=(known(IV),), gone=("iv1",)
    ),
    "interview renamed: no longer one": Case(
        events=(dataclasses.replace(IV, title="Lunch with Acme"),),
        known=(known(IV),),
        gone=("iv1",),
    ),
    "interview's resource deleted": Case(deleted=("iv1",), known=(known(IV),), gone=("iv1",)),
    "another resource deleted": Case(deleted=("lunch",), known=(known(IV),)),
    "interview's series deleted": Case(
        deleted=("rec-a",), known=(known(INSTANCE),), gone=(INSTANCE.key,)
    ),
    "an id that looks like an instance's is not parsed": Case(
        deleted=("rec-b",), known=(known(SHAPED),)
    ),
    "follow-up read back unedited": Case(
        events=(at_slot(THANKS),), records=(rec(THANKS),), seen=((T, W),)
    ),
    "follow-up edited by the user": Case(
        events=(at_slot(THANKS, title="Thank-you letter (sent)"),),
        records=(rec(THANKS),),
        seen=((T, E),),
    ),
    "follow-up edited before stays edited": Case(
        events=(at_slot(THANKS),), records=(rec(THANKS, E),), seen=((T, E),)
    ),
    "follow-up deleted by the user": Case(
        deleted=(f"{THANKS.id}.ics",),
        records=(rec(THANKS), rec(MORNING)),
        user_deleted=(T,),
    ),
    "follow-up syncd removed, reported deleted": Case(
        deleted=(f"{THANKS.id}.ics",), records=(rec(THANKS, RecordStatus.REMOVED),)
    ),
    "follow-up re-found after the state was lost": Case(
        events=(at_slot(THANKS), at_slot(MORNING, title="call them")),
        seen=((T, W), (M, E)),
        refound=(T, M),
    ),
    "markers at another slot: not ours, not an interview": Case(
        events=(at_slot(THANKS, id="copy", resource="copy", slot="", title="Interview notes"),),
    ),
    "markers naming another identity than the slot's": Case(
        events=(at_slot(THANKS, slot=MORNING.id),), records=(rec(THANKS),)
    ),
    "follow-up read cancelled (the server keeps deleted events): deleted by the user": Case(
        events=(at_slot(THANKS, status="cancelled"),), records=(rec(THANKS),), user_deleted=(T,)
    ),
    "cancelled follow-up after the state was lost: deleted by the user": Case(
        events=(at_slot(THANKS, status="cancelled"), at_slot(MORNING)),
        seen=((M, W),),
        user_deleted=(T,),
        refound=(M,),
    ),
    "cancelled follow-up syncd removed itself: stays removed": Case(
        events=(at_slot(THANKS, status="cancelled"),),
        records=(rec(THANKS, RecordStatus.REMOVED),),
    ),
    "cancelled follow-up known deleted: no change": Case(
        events=(at_slot(THANKS, status="cancelled"),), records=(rec(THANKS, D),)
    ),
    "cancelled copy of a follow-up elsewhere: nothing": Case(
        events=(at_slot(THANKS, status="cancelled", id="copy", resource="copy", slot=""),),
        records=(rec(THANKS),),
    ),
    "cancelled follow-up in a full read: deleted, not missing": Case(
        events=(LUNCH, at_slot(THANKS, status="CANCELLED")),
        full=True,
        records=(rec(THANKS),),
        user_deleted=(T,),
    ),
    "an out-of-office event is no interview": Case(
        events=(dataclasses.replace(IV, event_type="outOfOffice"),)
    ),
    "an event Gmail made is an interview": Case(
        events=(dataclasses.replace(IV, event_type="fromGmail"),), new=("iv1",)
    ),
    "known interview turned into focus time: gone": Case(
        events=(dataclasses.replace(IV, event_type="focusTime"),),
        known=(known(IV),),
        gone=("iv1",),
    ),
    "full read without a known interview: gone": Case(
        events=(LUNCH,), full=True, known=(known(IV),), gone=("iv1",)
    ),
    "full read without an interview that aged out: kept": Case(
        events=(LUNCH,), full=True, known=(known(OLD),)
    ),
    "full read without a follow-up: deleted by the user": Case(
        events=(LUNCH,), full=True, records=(rec(THANKS),), user_deleted=(T,)
    ),
    "full read listing a follow-up unchanged": Case(
        events=(LUNCH,), full=True, unchanged=(f"{THANKS.id}.ics",), records=(rec(THANKS),)
    ),
    "full read without a follow-up beyond the window": Case(
        events=(LUNCH,), full=True, records=(rec(fu(days=400)),)
    ),
    "full read empty while interviews are known: the guard holds": Case(
        full=True, known=(known(IV),), records=(rec(THANKS),), guard=True, held=("iv1",)
    ),
    "full read empty with nothing known": Case(full=True),
    "full read holding only unchanged follow-ups": Case(
        full=True,
        unchanged=(f"{THANKS.id}.ics",),
        known=(known(IV),),
        records=(rec(THANKS),),
        gone=("iv1",),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_observe(case: Case) -> None:
    changes = ChangeSet(case.events, case.deleted, "t2", case.full, case.unchanged)
    records = {r.id: r for r in case.records}
    delta = observe(changes, CAL, case.known, records, SCOPE, NOW, SOURCE, CONFIG)
    kinds = {r.id: str(r.kind) for r in [*case.records, *delta.records]}
    assert [i.key for i in delta.interviews if not i.held] == list(case.new)
    assert [i.key for i in delta.interviews if i.held] == list(case.held)
    assert [i.key for i in delta.gone] == list(case.gone)
    assert [(str(r.kind), r.status) for r in delta.followups] == list(case.seen)
    assert [str(r.kind) for r in delta.deleted] == list(case.user_deleted)
    assert all(r.status == D for r in delta.deleted)
    assert [kinds[fid] for fid in delta.refound] == list(case.refound)
    assert bool(delta.guard) is case.guard
    if case.guard:
        assert delta.guard.startswith(
            "src: Personal: a full read came back empty; deleting nothing (mass-deletion guard)"
        )


@pytest.mark.parametrize(
    ("event", "buried"),
    [
        (dataclasses.replace(IV, status="cancelled"), ["iv1"]),  # state lost meanwhile
        (dataclasses.replace(LUNCH, status="cancelled"), []),  # never an interview
        (IV, []),  # an interview: found, not buried
    ],
)
def test_a_cancelled_interview_syncd_did_not_know_is_buried(
    event: CalendarEvent, buried: list[str]
) -> None:
    changes = ChangeSet((event,), (), "t2", True)
    delta = observe(changes, CAL, (), {}, SCOPE, NOW, SOURCE, CONFIG)
    assert [i.key for i in delta.buried] == buried
    assert delta.gone == ()  # no line says a buried one is gone: syncd never knew it


def test_a_calendar_read_only_for_follow_ups_finds_no_interview() -> None:
    """The main calendar, read because follow-ups go there, is not a watched one."""
    changes = ChangeSet((IV, at_slot(THANKS, title="mine")), (), "t2", True)
    delta = observe(
        changes, CAL, [], {THANKS.id: rec(THANKS)}, SCOPE, NOW, SOURCE, CONFIG, detecting=False
    )
    assert (delta.interviews, delta.gone) == ((), ())
    assert [(str(r.kind), r.status) for r in delta.followups] == [(T, E)]


def test_observe_is_idempotent() -> None:
    """Observing the same read twice changes nothing the second time."""
    changes = ChangeSet((LATER, at_slot(THANKS)), (), "t2", False)
    first = observe(changes, CAL, [known(IV)], {}, SCOPE, NOW, SOURCE, CONFIG)
    records = {r.id: r for r in first.records}
    again = observe(changes, CAL, first.interviews, records, SCOPE, NOW, SOURCE, CONFIG)
    assert (again.interviews, again.gone, again.deleted, again.refound) == ((), (), (), ())
    assert again.followups == first.followups


def test_an_interview_keeps_its_series() -> None:
    assert known(INSTANCE).series == "rec-a"


def test_the_read_window_reaches_past_the_lookahead_by_the_follow_ups_reach() -> None:
    rules = CONFIG.detect
    assert (SCOPE.start, SCOPE.end) == (
        NOW - rules.lookback,
        NOW + rules.lookahead + FOLLOWUP_REACH,
    )
    assert SCOPE.may_matter("SUMMARY:Interview with Acme")
    assert not SCOPE.may_matter("SUMMARY:Lunch")


def aged(days_ago: float) -> Interview:
    """Interview iv1, known, that started ``days_ago`` before now."""
    start = NOW - dt.timedelta(days=days_ago)
    return dataclasses.replace(known(IV), start=start, end=start + dt.timedelta(hours=1))


REACH_BACK_CASES = {
    "nothing known: the window as is": ([], [rec(THANKS)], SCOPE.start),
    "known inside the window: as is": ([known(IV)], [rec(THANKS)], SCOPE.start),
    "aged out, a follow-up ahead: back to its start": (
        [aged(14)],
        [rec(THANKS)],
        NOW - dt.timedelta(days=14),
    ),
    "aged out, its follow-ups past: as is": ([aged(14)], [rec(fu(days=-1))], SCOPE.start),
    "aged out, no follow-up: as is": ([aged(14)], [], SCOPE.start),
}


@pytest.mark.parametrize(
    ("interviews", "records", "start"), REACH_BACK_CASES.values(), ids=REACH_BACK_CASES.keys()
)
def test_the_read_window_reaches_back_to_aged_out_interviews_with_follow_ups_ahead(
    interviews: list[Interview], records: list[FollowUpRecord], start: dt.datetime
) -> None:
    scope = reaching_back(SCOPE, interviews, records, NOW)
    assert (scope.start, scope.end, scope.needles) == (start, SCOPE.end, SCOPE.needles)


def test_known_etags_are_those_of_written_follow_ups_in_that_calendar() -> None:
    elsewhere = dataclasses.replace(rec(MORNING), target="mem://Other")
    records = [rec(THANKS), rec(fu(FollowUpKind.CALL_AFTERNOON), E), elsewhere]
    assert known_etags(records, CAL.id) == {f"{THANKS.id}.ics": '"1"'}


SLOT_CASES = {
    "nothing there: deleted by the user": (None, rec(THANKS), [], [(T, D)]),
    "edited meanwhile": (at_slot(THANKS, title="mine"), rec(THANKS), [(T, E)], []),
    "written meanwhile (a pass that died)": (at_slot(THANKS), None, [(T, W)], []),
    "nothing there and nothing known": (None, None, [], []),
    "a foreign event holds the place": (at_slot(THANKS, slot=""), rec(THANKS), [], []),
}


@pytest.mark.parametrize(
    ("current", "record", "seen", "deleted"), SLOT_CASES.values(), ids=SLOT_CASES.keys()
)
def test_observe_slot(
    current: CalendarEvent | None,
    record: FollowUpRecord | None,
    seen: list[tuple[str, RecordStatus]],
    deleted: list[tuple[str, RecordStatus]],
) -> None:
    delta = observe_slot("src", THANKS.id, CAL.id, current, record)
    assert [(str(r.kind), r.status) for r in delta.followups] == seen
    assert [(str(r.kind), r.status) for r in delta.deleted] == deleted
    assert (delta.interviews, delta.gone, delta.guard) == ((), (), "")


HEARD = "Thank-you letter: Acme #heard-back"
HEARD_CASES = {
    "marker in a follow-up title": ([dataclasses.replace(rec(THANKS), title=HEARD)], True),
    "marker in an edited follow-up": ([dataclasses.replace(rec(THANKS, E), title=HEARD)], True),
    "marker in a follow-up the user deleted": (
        [dataclasses.replace(rec(THANKS, D), title=HEARD)],
        False,
    ),
    "no marker": ([rec(THANKS)], False),
    "marker on another interview's follow-up": (
        [dataclasses.replace(rec(THANKS), interview="iv2", title=HEARD)],
        False,
    ),
}


@pytest.mark.parametrize(("records", "expected"), HEARD_CASES.values(), ids=HEARD_CASES.keys())
def test_heard_back_from_follow_up_titles(records: list[FollowUpRecord], expected: bool) -> None:
    [interview] = heard_back([known(IV)], records, CONFIG.detect.heard_back_marker)
    assert interview.heard_back is expected
    assert dataclasses.replace(interview, heard_back=False) == known(IV)


def ended(days_ago: float) -> Interview:
    end = NOW - dt.timedelta(days=days_ago)
    return dataclasses.replace(known(IV), start=end - dt.timedelta(hours=1), end=end)


RETENTION_CASES = {
    "tombstone over, nothing ahead: dropped": ([], [ended(46)], [rec(fu(days=-1))], True),
    "tombstone over, a written follow-up ahead: kept": ([], [ended(46)], [rec(THANKS)], False),
    "tombstone over, only an edited one ahead: dropped": ([], [ended(46)], [rec(THANKS, E)], True),
    "tombstone over, no record at all: dropped": ([], [ended(46)], [], True),
    # a follow-up written with its answer lost may still be found: it is then deleted
    "tombstone whose follow-ups may lie ahead, no record: kept": ([], [known(IV)], [], False),
    "tombstone ended 44 days ago, no record: kept": ([], [ended(44)], [], False),
    "interview ended beyond the retention: dropped": ([ended(401)], [], [], True),
    "interview ended within the retention: kept": ([ended(399)], [], [], False),
    "all-day interview ended beyond the retention: dropped": (
        [dataclasses.replace(known(IV), start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 2))],
        [],
        [],
        True,
    ),
    "upcoming interview: kept": ([known(IV)], [], [rec(THANKS)], False),
}


@pytest.mark.parametrize(
    ("live", "tombstones", "records", "dropped"),
    RETENTION_CASES.values(),
    ids=RETENTION_CASES.keys(),
)
def test_retention(
    live: list[Interview], tombstones: list[Interview], records: list[FollowUpRecord], dropped: bool
) -> None:
    expected = {(CAL.id, "iv1")} if dropped else set()
    assert forget(live, tombstones, records, NOW) == expected


def test_a_delta_lists_every_record_to_store() -> None:
    delta = Delta(followups=(rec(THANKS, E),), deleted=(rec(MORNING, D),))
    assert [r.status for r in delta.records] == [E, D]
    assert delta.edited == (rec(THANKS, E),)


# --- instances per series (syncd/limits.py) -------------------------------------------

MINUTE = dt.timedelta(minutes=1)


def minutely(count: int, series: str = "flood", first: dt.datetime = NOW) -> list[CalendarEvent]:
    """``count`` instances of a series repeating every minute, one resource each (as Google
    lists them)."""
    return [
        ev(
            f"{series}_{n}",
            series=series,
            title="Interview with Flood",
            start=first + n * MINUTE,
            end=first + (n + 30) * MINUTE,
        )  # fmt: skip
        for n in range(count)
    ]


def test_a_series_past_the_instance_limit_is_read_up_to_it_earliest_first() -> None:
    flood = minutely(limits.INSTANCES_PER_SERIES + 300)
    shuffled = (*flood[::2], *flood[1::2], IV)
    seen = observe(ChangeSet(shuffled, (), "t", full=True), CAL, (), {}, SCOPE, NOW, SOURCE, CONFIG)
    keys = {i.key for i in seen.interviews}
    assert keys == {e.key for e in flood[: limits.INSTANCES_PER_SERIES]} | {"iv1"}
    assert seen.notes == (
        "src: Personal: series 'Interview with Flood': more than 500 instances in the window:"
        " only the first 500 are read, and at most 50 interviews of a series get follow-ups"
        " at a time",
    )
    assert seen.cut == ("flood",)


def test_a_flood_of_no_interviews_is_cut_without_a_word() -> None:
    standups = [dataclasses.replace(e, title="Standup") for e in minutely(600)]
    seen = observe(ChangeSet(tuple(standups), (), "t", full=True), CAL, (), {}, SCOPE, NOW,
                   SOURCE, CONFIG)  # fmt: skip
    assert seen.interviews == () and seen.notes == () and seen.cut == ()


def test_a_series_within_the_limit_is_read_whole_without_a_note() -> None:
    within = minutely(limits.INSTANCES_PER_SERIES)
    seen = observe(ChangeSet(tuple(within), (), "t", full=True), CAL, (), {}, SCOPE, NOW, SOURCE,
                   CONFIG)  # fmt: skip
    assert len(seen.interviews) == limits.INSTANCES_PER_SERIES
    assert seen.notes == ()


def test_known_instances_past_the_limit_are_gone() -> None:
    # An older syncd kept every instance of the flood; a read brings them within the limit.
    flood = minutely(limits.INSTANCES_PER_SERIES + 10)
    before = [known(e) for e in flood]
    for full in (True, False):
        seen = observe(ChangeSet(tuple(flood), (), "t", full=full), CAL, before, {}, SCOPE, NOW,
                       SOURCE, CONFIG)  # fmt: skip
        assert {i.key for i in seen.gone} == {e.key for e in flood[limits.INSTANCES_PER_SERIES :]}


# --- the mass-deletion guard on a partial loss (syncd/guard.py, syncd/limits.py) ---------


def iv(n: int, **fields: Any) -> CalendarEvent:
    """Interview ``iv<n>``, an hour on day ``n`` after the first one's."""
    return ev(f"iv{n}", start=IV.start + n * DAY, end=IV.end + n * DAY, **fields)


def held(event: CalendarEvent, days_ago: float) -> Interview:
    """The interview of ``event``, held by the guard since ``days_ago`` days."""
    return dataclasses.replace(known(event), held=(NOW - days_ago * DAY).isoformat())


IV1, IV2, IV3, IV4, IV5 = (iv(n) for n in range(1, 6))
HOLDS = "src: Personal: a full read misses"
LET_GO = "src: Personal: 2 interviews still missing from a full read 24 hours after"


@dataclasses.dataclass(frozen=True)
class GuardCase:
    known: tuple[Interview, ...]
    events: tuple[CalendarEvent, ...] = ()
    deleted: tuple[str, ...] = ()
    records: tuple[FollowUpRecord, ...] = ()
    full: bool = True
    # expected: interviews gone; stored marked held; stored again without the mark
    gone: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    warning: str = ""  # how the guard's one line starts ("": none)
    note: str = ""  # how the let-go line starts ("": none)
    holding: bool = False  # the calendar is to be read whole again
    user_deleted: tuple[str, ...] = ()
    retry: bool = True


GUARD_CASES = {
    "one of three missing: gone at once": GuardCase(
        known=(known(IV1), known(IV2), known(IV3)), events=(IV1, IV2), gone=("iv3",)
    ),
    "two of three missing: held, one warning, read whole again": GuardCase(
        known=(known(IV1), known(IV2), known(IV3)),
        events=(IV1,),
        held=("iv2", "iv3"),
        warning=HOLDS + " 2 of the 3 interviews known there, none of them reported cancelled",
        holding=True,
        retry=False,
    ),
    "two of four missing (not more than half): gone": GuardCase(
        known=(known(IV1), known(IV2), known(IV3), known(IV4)),
        events=(IV1, IV2),
        gone=("iv3", "iv4"),
    ),
    "every one missing, the read holding other events: held": GuardCase(
        known=(known(IV1), known(IV2)),
        events=(LUNCH,),
        held=("iv1", "iv2"),
        warning=HOLDS + " 2 of the 2",
        holding=True,
        retry=False,
    ),
    "those reported deleted are gone and not counted as missing": GuardCase(
        known=tuple(known(e) for e in (IV1, IV2, IV3, IV4, IV5)),
        events=(IV1,),
        deleted=("iv2",),
        gone=("iv2",),
        held=("iv3", "iv4", "iv5"),
        warning=HOLDS + " 3 of the 5",
        holding=True,
        retry=False,
    ),
    "an interview whose object is read without it is gone, whatever else is missing": GuardCase(
        known=(known(IV1), known(IV2), known(IV3)),
        events=(dataclasses.replace(IV1, title="Lunch with Acme"),),
        gone=("iv1",),
        held=("iv2", "iv3"),
        warning=HOLDS + " 2 of the 3",
        holding=True,
        retry=False,
    ),
    "follow-ups missing while the guard holds are not taken as deleted": GuardCase(
        known=(known(IV1), known(IV2), known(IV3)),
        events=(IV1,),
        records=(rec(THANKS),),
        held=("iv2", "iv3"),
        warning=HOLDS,
        holding=True,
        retry=False,
    ),
    "still missing within the hold: held as it is, no second warning": GuardCase(
        known=(known(IV1), held(IV2, 0.5), held(IV3, 0.5)),
        events=(IV1,),
        holding=True,
        retry=False,
    ),
    "still missing a day after: gone, and said": GuardCase(
        known=(known(IV1), held(IV2, 1), held(IV3, 1.5)),
        events=(IV1,),
        gone=("iv2", "iv3"),
        note=LET_GO,
    ),
    "back in the read: taken up again": GuardCase(
        known=(known(IV1), held(IV2, 0.5), held(IV3, 0.5)),
        events=(IV1, IV2, IV3),
        released=("iv2", "iv3"),
    ),
    "partly back, the rest a small loss: gone at once": GuardCase(
        known=(known(IV1), held(IV2, 0.5), held(IV3, 0.5)),
        events=(IV1, IV2),
        released=("iv2",),
        gone=("iv3",),
    ),
    "an empty read holding only follow-ups: deletes nothing, says so each time": GuardCase(
        known=(),
        records=(rec(THANKS),),
        warning="src: Personal: a full read came back empty; deleting nothing",
        retry=False,
    ),
    "an incremental read is never judged": GuardCase(
        known=(known(IV1), known(IV2), known(IV3)), events=(IV1,), full=False, retry=True
    ),
    "an incremental read showing only syncd's follow-ups frees no refused write": GuardCase(
        known=(known(IV1),),
        events=(at_slot(THANKS),),
        records=(rec(THANKS),),
        full=False,
        retry=False,
    ),  # fmt: skip
    "an incremental read showing a deletion frees refused writes": GuardCase(
        known=(known(IV1),), deleted=("lunch",), full=False, retry=True
    ),
    "a follow-up of syncd's reported deleted frees nothing": GuardCase(
        known=(known(IV1),),
        deleted=(f"{THANKS.id}.ics",),
        records=(rec(THANKS),),
        full=False,
        user_deleted=(T,),
        retry=False,
    ),  # fmt: skip
}


@pytest.mark.parametrize("case", GUARD_CASES.values(), ids=GUARD_CASES.keys())
def test_the_guard_on_a_partial_loss(case: GuardCase) -> None:
    changes = ChangeSet(case.events, case.deleted, "t2", case.full)
    records = {r.id: r for r in case.records}
    delta = observe(changes, CAL, case.known, records, SCOPE, NOW, SOURCE, CONFIG)
    assert sorted(i.key for i in delta.gone) == sorted(case.gone)
    stored = {i.key: i for i in delta.interviews}
    assert sorted(k for k, i in stored.items() if i.held) == sorted(case.held)
    before = {i.key: i for i in case.known}
    released = [k for k, i in stored.items() if not i.held and before.get(k, i).held]
    assert sorted(released) == sorted(case.released)
    for key in case.held:  # marked with the time of this read
        assert stored[key].held == NOW.isoformat()
    assert delta.guard.startswith(case.warning) if case.warning else delta.guard == ""
    assert [n for n in delta.notes if n.startswith(case.note or "\0")] == (
        [delta.notes[-1]] if case.note else []
    )
    assert (delta.holding, delta.retry) == (case.holding, case.retry)
    assert [str(r.kind) for r in delta.deleted] == list(case.user_deleted)


def test_the_guard_says_when_it_lets_go_and_what_to_do() -> None:
    changes = ChangeSet((IV1,), (), "t2", True)
    known_ = (known(IV1), known(IV2), known(IV3))
    delta = observe(changes, CAL, known_, {}, SCOPE, NOW, SOURCE, CONFIG)
    assert delta.guard == (
        "src: Personal: a full read misses 2 of the 3 interviews known there, none of them"
        " reported cancelled or deleted; deleting none of their follow-ups (mass-deletion"
        " guard); if they were lost, restore them: syncd reads the calendar whole at every"
        " pass and takes them up again; if you deleted them, their follow-ups still ahead"
        " are deleted once a full read still misses them after 2026-11-26 12:00"
    )
    assert limits.GUARD_LOST_MIN == 2 and limits.GUARD_HOLD == DAY
