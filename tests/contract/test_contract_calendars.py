"""The contract on calendars: list_calendars and ensure_calendar (docs/providers.md)."""

from __future__ import annotations

import uuid

from contract.setups import SetUp


def test_list_calendars_holds_the_calendar(setup: SetUp) -> None:
    found = [c for c in setup.provider.list_calendars() if c.id == setup.calendar.id]

    assert [(c.name, c.writable) for c in found] == [(setup.calendar.name, True)]
    assert found[0].answers_to(setup.calendar.name)


def test_ensure_calendar_returns_an_existing_calendar(setup: SetUp) -> None:
    before = len(setup.provider.list_calendars())

    found = setup.provider.ensure_calendar(setup.calendar.name)

    assert (found.id, found.name) == (setup.calendar.id, setup.calendar.name)
    assert len(setup.provider.list_calendars()) == before


def test_ensure_calendar_creates_a_missing_calendar_once(setup: SetUp) -> None:
    name = f"Follow-ups {uuid.uuid4().hex[:6]}"

    created = setup.provider.ensure_calendar(name)
    again = setup.provider.ensure_calendar(name)

    assert created.name == name and created.answers_to(name)
    assert again.id == created.id
    listed = [c for c in setup.provider.list_calendars() if c.answers_to(name)]
    assert [c.id for c in listed] == [created.id]
