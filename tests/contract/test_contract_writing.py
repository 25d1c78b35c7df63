"""The contract on one follow-up: get, create, update, delete (docs/providers.md).

Each write has one error for "changed since" (ConflictError), one for "no longer
there" (NotFoundError) and one for "not allowed" (RefusedError), on every
provider: a CalDAV server's 412 to an update of a deleted object is NotFoundError
there as it is on Google and in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from contract.setups import SetUp, followup, read
from syncd.errors import ConflictError, NotFoundError, RefusedError
from syncd.model import FollowUp


def moved(wanted: FollowUp) -> FollowUp:
    """The follow-up as the planner wants it after the interview moved: new time and title."""
    start = wanted.start + dt.timedelta(hours=1)
    return dataclasses.replace(
        wanted, start=start, end=start + dt.timedelta(minutes=30), title=wanted.title + " Ltd"
    )


# --- get and create


def test_create_writes_the_followup_at_its_slot(setup: SetUp) -> None:
    wanted = followup(setup)

    created = setup.provider.create(wanted)

    assert created.resource and created.etag
    assert (created.slot, created.markers) == (wanted.id, wanted.markers)
    assert (created.title, created.start, created.reminders) == (
        wanted.title, wanted.start, wanted.reminders
    )  # fmt: skip
    got = setup.provider.get(setup.calendar.id, wanted.id)
    assert got is not None
    assert (got.resource, got.etag, got.slot, got.markers) == (
        created.resource, created.etag, wanted.id, wanted.markers
    )  # fmt: skip
    listed = [e for e in read(setup).events if e.resource == created.resource]
    assert [(e.slot, e.etag) for e in listed] == [(wanted.id, created.etag)]


def test_get_of_an_absent_followup_is_none(setup: SetUp) -> None:
    wanted = followup(setup)
    assert setup.provider.get(setup.calendar.id, wanted.id) is None

    setup.user.delete(setup.provider.create(wanted))

    assert setup.provider.get(setup.calendar.id, wanted.id) is None


def test_a_followup_the_user_deleted_reads_as_gone_or_as_its_tombstone(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)
    token = read(setup).token

    setup.user.delete(created)

    for changes in (read(setup, token), read(setup)):
        kept = [e for e in changes.events if e.resource == created.resource]
        if kept:  # a server that keeps tombstones (Google): cancelled, markers at its slot
            assert [(e.status, e.slot, e.markers) for e in kept] == [
                ("cancelled", wanted.id, wanted.markers)
            ]
        else:  # gone: reported deleted, or left out of a full read
            assert changes.full or created.resource in changes.deleted


def test_create_over_an_existing_followup_is_a_conflict(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)

    with pytest.raises(ConflictError):
        setup.provider.create(moved(wanted))

    got = setup.provider.get(setup.calendar.id, wanted.id)
    assert got is not None and (got.etag, got.title) == (created.etag, wanted.title)


def test_create_in_a_deleted_calendar_is_not_found(setup: SetUp) -> None:
    other = setup.new_calendar()
    setup.remove_calendar(other)
    wanted = dataclasses.replace(followup(setup), target=other.id)

    with pytest.raises(NotFoundError):
        setup.provider.create(wanted)


# --- update


def test_update_replaces_the_followup_and_gives_a_new_etag(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)
    again = moved(wanted)

    updated = setup.provider.update(again, created.resource, created.etag)

    assert updated.resource == created.resource and updated.etag != created.etag
    assert (updated.title, updated.start, updated.markers, updated.slot) == (
        again.title, again.start, again.markers, wanted.id
    )  # fmt: skip
    got = setup.provider.get(setup.calendar.id, wanted.id)
    assert got is not None and (got.etag, got.title) == (updated.etag, again.title)


def test_update_with_a_stale_etag_is_a_conflict(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)
    setup.user.edit(created, "Thank-you letter: Acme (my own words)")

    with pytest.raises(ConflictError):
        setup.provider.update(moved(wanted), created.resource, created.etag)

    got = setup.provider.get(setup.calendar.id, wanted.id)
    assert got is not None and got.title == "Thank-you letter: Acme (my own words)"


def test_update_of_a_deleted_followup_is_not_found(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)
    setup.user.delete(created)

    with pytest.raises(NotFoundError):
        setup.provider.update(moved(wanted), created.resource, created.etag)

    assert setup.provider.get(setup.calendar.id, wanted.id) is None


# --- delete


def test_delete_removes_the_followup(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)

    setup.provider.delete(setup.calendar.id, created.resource, created.etag)

    assert setup.provider.get(setup.calendar.id, wanted.id) is None
    listed = read(setup).events  # a tombstone (status cancelled) is no follow-up there
    assert [e for e in listed if e.resource == created.resource and e.status != "cancelled"] == []


def test_delete_with_a_stale_etag_is_a_conflict(setup: SetUp) -> None:
    wanted = followup(setup)
    created = setup.provider.create(wanted)
    setup.user.edit(created, "Thank-you letter: Acme (posted)")

    with pytest.raises(ConflictError):
        setup.provider.delete(setup.calendar.id, created.resource, created.etag)

    got = setup.provider.get(setup.calendar.id, wanted.id)
    assert got is not None and got.title == "Thank-you letter: Acme (posted)"


def test_delete_of_a_deleted_followup_is_not_found(setup: SetUp) -> None:
    created = setup.provider.create(followup(setup))
    setup.user.delete(created)

    with pytest.raises(NotFoundError):
        setup.provider.delete(setup.calendar.id, created.resource, created.etag)


# --- refusal


def test_writes_to_a_read_only_calendar_are_refused(setup: SetUp) -> None:
    first, second = followup(setup), followup(setup, interview="interview-2")
    created = setup.provider.create(first)
    setup.make_read_only()

    with pytest.raises(RefusedError):
        setup.provider.create(second)
    with pytest.raises(RefusedError):
        setup.provider.update(moved(first), created.resource, created.etag)
    with pytest.raises(RefusedError):
        setup.provider.delete(setup.calendar.id, created.resource, created.etag)

    got = setup.provider.get(setup.calendar.id, first.id)
    assert got is not None and got.etag == created.etag
    assert setup.provider.get(setup.calendar.id, second.id) is None
