"""The contract on reading: read_changes, full and incremental (docs/providers.md).

The window has one meaning on every provider: a full read returns exactly the
events with a part in [START, END), a series as its instances there.
"""

from __future__ import annotations

import datetime as dt

import pytest

from contract.setups import END, SCOPE, START, SetUp, followup, read, utc
from syncd.errors import NotFoundError
from syncd.model import CalendarEvent

# A weekly series from before the window to past its end: instance 4 (17 March)
# moved to the 18th at 14:00, instance 5 (24 March) cancelled.
FIRST = utc(2, 17, 10)
COUNT = 10
MOVED = (4, utc(3, 18, 14))
CANCELLED = 5
SERIES_IN_WINDOW = {
    utc(3, 3, 10), utc(3, 10, 10), utc(3, 18, 14), utc(3, 31, 10), utc(4, 7, 10)
}  # fmt: skip


def titles(events: tuple[CalendarEvent, ...]) -> list[str]:
    return sorted(e.title for e in events)


def live(events: tuple[CalendarEvent, ...]) -> list[CalendarEvent]:
    """The events that take place (a provider may list a cancelled instance as such)."""
    return [e for e in events if e.status != "cancelled"]


def put_series(setup: SetUp, title: str = "Interview loop with Acme") -> None:
    setup.user.put_weekly("loop", title, FIRST, COUNT, MOVED, CANCELLED)


# --- full reads


def test_a_full_read_returns_exactly_the_events_in_the_window(setup: SetUp) -> None:
    put = setup.user.put
    put("inside", "Interview: inside", utc(3, 10, 10), utc(3, 10, 11))
    put("over-start", "Interview: over the start", utc(3, 2, 23), utc(3, 3, 1))
    put("over-end", "Interview: over the end", utc(4, 13, 23), utc(4, 14, 1))
    put("day", "Interview: all day", dt.date(2031, 3, 12), dt.date(2031, 3, 13))
    put("before", "Interview: the day before", utc(3, 2, 10), utc(3, 2, 11))
    put("to-start", "Interview: ends at the start", utc(3, 2, 23), START)
    put("at-end", "Interview: starts at the end", END, utc(4, 14, 1))
    put("after", "Interview: after", utc(4, 20, 10), utc(4, 20, 11))
    put("day-before", "Interview: all day before", dt.date(2031, 3, 1), dt.date(2031, 3, 2))
    put("long-ago", "Interview: long ago", utc(1, 15, 10), utc(1, 15, 11))

    changes = read(setup)

    assert changes.full and changes.token and changes.deleted == ()
    assert titles(changes.events) == [
        "Interview: all day", "Interview: inside", "Interview: over the end",
        "Interview: over the start",
    ]  # fmt: skip
    for event in changes.events:
        assert event.calendar == setup.calendar.id
        assert event.resource and event.etag and event.markers is None
        assert (event.series, event.slot, event.event_type) == ("", "", "default")


def test_a_full_read_expands_a_series_into_its_instances_in_the_window(setup: SetUp) -> None:
    put_series(setup)

    changes = read(setup)

    instances = live(changes.events)
    assert {e.start for e in instances} == SERIES_IN_WINDOW
    assert all(SCOPE.overlaps(e.start, e.end, dt.UTC) for e in changes.events)
    assert len({e.key for e in instances}) == len(SERIES_IN_WINDOW)
    series = {e.series for e in instances}
    assert len(series) == 1 and series != {""}
    # The series' one object (CalDAV, memory), or one resource per instance (Google).
    resources = {e.resource for e in instances}
    assert resources == series or len(resources) == len(instances)
    assert {(e.slot, e.event_type) for e in instances} == {("", "default")}
    assert {e.title for e in instances} == {"Interview loop with Acme"}


def test_only_a_followup_at_its_own_place_has_a_slot(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)
    setup.user.put("plain", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    setup.user.put_marked("copy", wanted)

    changes = read(setup)

    ours = [e for e in changes.events if e.resource == created.resource]
    others = [e for e in changes.events if e.resource != created.resource]
    assert [(e.slot, e.markers) for e in ours] == [(wanted.id, wanted.markers)]
    assert len(others) == 2 and {e.slot for e in others} == {""}
    assert [e.markers for e in others if e.markers is not None] == [wanted.markers]
    assert {e.event_type for e in changes.events} == {"default"}


# --- incremental reads


def test_an_idle_incremental_read_has_no_changes(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    put_series(setup)
    first = read(setup)

    idle = read(setup, first.token)
    again = read(setup, idle.token)

    assert (idle.events, idle.deleted, idle.full) == ((), (), False)
    assert (again.events, again.deleted, again.full) == ((), (), False)


def test_an_incremental_read_returns_a_changed_event(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    setup.user.put("foo", "Interview at Foo", utc(3, 11, 10), utc(3, 11, 11))
    first = read(setup)
    before = next(e for e in first.events if e.title == "Interview with Acme")
    setup.user.retitle("acme", "Interview with Acme (2nd round)")

    changes = read(setup, first.token)

    assert not changes.full and changes.deleted == ()
    assert [(e.title, e.resource) for e in changes.events] == [
        ("Interview with Acme (2nd round)", before.resource)
    ]
    assert changes.events[0].etag != before.etag


def test_an_incremental_read_reports_a_removed_event_by_its_resource(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    setup.user.put("foo", "Interview at Foo", utc(3, 11, 10), utc(3, 11, 11))
    first = read(setup)
    gone = next(e for e in first.events if e.title == "Interview with Acme")
    setup.user.remove("acme")

    changes = read(setup, first.token)

    assert (changes.events, changes.deleted) == ((), (gone.resource,))


def test_an_incremental_read_reports_a_deleted_series(setup: SetUp) -> None:
    put_series(setup)
    first = read(setup)
    setup.user.remove("loop")

    changes = read(setup, first.token)

    assert live(changes.events) == []
    deleted = set(changes.deleted)
    assert first.events and all(e.resource in deleted or e.series in deleted for e in first.events)


def test_an_incremental_read_lists_every_instance_of_a_changed_series(setup: SetUp) -> None:
    put_series(setup)
    first = read(setup)
    setup.user.retitle("loop", "Interview loop with Acme Ltd")

    changes = read(setup, first.token)

    instances = live(changes.events)
    assert {e.start for e in instances} == SERIES_IN_WINDOW
    assert {e.title for e in instances if e.start != MOVED[1]} == {"Interview loop with Acme Ltd"}
    assert all(SCOPE.overlaps(e.start, e.end, dt.UTC) for e in changes.events)


def test_an_event_moved_out_of_the_window_is_reported_deleted(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    first = read(setup)
    (event,) = first.events
    setup.user.move("acme", utc(4, 20, 10), utc(4, 20, 11))

    gone = read(setup, first.token)
    setup.user.move("acme", utc(3, 12, 10), utc(3, 12, 11))
    back = read(setup, gone.token)

    assert (gone.events, gone.deleted) == ((), (event.resource,))
    assert [(e.resource, e.start) for e in back.events] == [(event.resource, utc(3, 12, 10))]


def test_known_objects_with_their_etag_come_back_unchanged(setup: SetUp) -> None:
    token = read(setup).token
    created = setup.provider.create(followup(setup))
    known = {created.resource: created.etag}

    changes = read(setup, token, **known)
    full = read(setup, None, **known)

    assert (changes.events, changes.deleted, changes.unchanged) == ((), (), (created.resource,))
    assert full.unchanged == (created.resource,)
    assert [e for e in full.events if e.resource == created.resource] == []


def test_a_refused_token_gives_a_full_read(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    token = read(setup).token
    setup.user.put("foo", "Interview at Foo", utc(3, 11, 10), utc(3, 11, 11))

    changes = read(setup, setup.refused_token(token))

    assert changes.full and changes.token
    assert titles(changes.events) == ["Interview at Foo", "Interview with Acme"]
    after = read(setup, changes.token)
    assert (after.events, after.full) == ((), False)


def test_a_garbage_token_gives_a_full_read(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))

    changes = read(setup, "garbage, not a token of this service")

    assert changes.full and changes.token
    assert titles(changes.events) == ["Interview with Acme"]


def test_the_token_is_taken_before_the_content(setup: SetUp) -> None:
    setup.user.put("acme", "Interview with Acme", utc(3, 10, 10), utc(3, 10, 11))
    setup.after_next_content(
        lambda: setup.user.put("late", "Interview at Foo", utc(3, 11, 10), utc(3, 11, 11))
    )

    first = read(setup)
    second = read(setup, first.token)

    # What changed after the content was read comes again with the token.
    assert titles(first.events) == ["Interview with Acme"]
    assert titles(second.events) == ["Interview at Foo"]


def test_a_read_of_a_deleted_calendar_is_not_found(setup: SetUp) -> None:
    other = setup.new_calendar()
    token = setup.provider.read_changes(other, None, SCOPE).token
    setup.remove_calendar(other)

    with pytest.raises(NotFoundError):
        setup.provider.read_changes(other, token, SCOPE)
    with pytest.raises(NotFoundError):
        setup.provider.read_changes(other, None, SCOPE)
