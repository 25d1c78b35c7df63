"""Graph events read into the neutral model (providers/outlook/events.py): what makes an
interview remote, declined or cancelled, and the one reminder Graph holds."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from providers.outlook.events import MARKERS_PROPERTY, event_of, slot_of, transaction_id
from providers.outlook.reading import Round
from syncd.model import ReadScope

BASE: dict[str, Any] = {
    "id": "AAMkAD1",
    "@odata.etag": 'W/"ck1"',
    "subject": "Interview with Acme",
    "start": {"dateTime": "2031-03-10T10:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2031-03-10T11:00:00.0000000", "timeZone": "UTC"},
    "body": {"contentType": "text", "content": "contact: Ann"},
}


def read(**fields: Any) -> Any:
    return event_of({**BASE, **fields}, "cal", frozenset({"me@example.com"}))


@pytest.mark.parametrize(
    ("fields", "remote"),
    [
        ({}, False),
        ({"isOnlineMeeting": True}, True),
        ({"onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/x"}}, True),
        ({"onlineMeetingProvider": "skypeForConsumer"}, True),
        ({"onlineMeetingProvider": "unknown"}, False),
    ],
)
def test_teams_and_skype_meetings_are_remote(fields: dict[str, Any], remote: bool) -> None:
    assert read(**fields).conference is remote


def test_the_users_own_answer_and_cancellation_are_read() -> None:
    declined = read(responseStatus={"response": "declined"})
    assert [(a.is_self, a.response) for a in declined.attendees] == [(True, "declined")]
    assert read(responseStatus={"response": "organizer"}).attendees == ()
    assert read(isCancelled=True).status == "cancelled"


def test_times_arrive_in_utc_and_all_day_events_as_dates() -> None:
    event = read()
    assert event.start == dt.datetime(2031, 3, 10, 10, tzinfo=dt.UTC)
    day = read(isAllDay=True, end={"dateTime": "2031-03-11T00:00:00.0000000", "timeZone": "UTC"})
    assert (day.start, day.end) == (dt.date(2031, 3, 10), dt.date(2031, 3, 11))
    with pytest.raises(ValueError, match="unreadable start"):
        read(start={"dateTime": "2031-03-10T10:00:00", "timeZone": "Pacific Standard Time"})


def test_the_one_reminder_reads_as_the_reminders_syncd_asked_for_while_it_stands() -> None:
    markers = {"kind": "thank-you", "interview": "i", "calendar": "c", "fingerprint": "f",
               "reminders": [5, 30]}  # fmt: skip
    properties = {MARKERS_PROPERTY: json.dumps(markers)}
    item = {**BASE, "isReminderOn": True, "reminderMinutesBeforeStart": 5}

    assert event_of(item, "cal", frozenset(), properties).reminders == (5, 30)
    changed = {**item, "reminderMinutesBeforeStart": 15}
    assert event_of(changed, "cal", frozenset(), properties).reminders == (15,)
    off = {**item, "isReminderOn": False}
    assert event_of(off, "cal", frozenset(), properties).reminders == ()


def test_only_syncds_transaction_id_gives_a_slot() -> None:
    from factories import make_followup

    followup = make_followup(start=dt.datetime(2031, 3, 20, 15, tzinfo=dt.UTC))
    assert slot_of({"transactionId": transaction_id(followup, 1_700_000_000_000)}) == followup.id
    assert slot_of({"transactionId": followup.id}) == ""
    assert slot_of({}) == ""


def test_a_token_is_ours_or_nothing_and_goes_stale_when_the_window_moves_a_day() -> None:
    start = dt.datetime(2031, 3, 3, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=40)
    found = Round.of(Round(start, end, "https://graph/x?$deltatoken=1").token())
    assert found is not None and found.link.endswith("$deltatoken=1")
    assert Round.of("garbage") is None and Round.of("graph-delta:!!") is None
    hour = dt.timedelta(hours=1)
    assert not found.stale(ReadScope(start + 23 * hour, end))
    assert found.stale(ReadScope(start + 24 * hour, end))
    assert found.stale(ReadScope(start - hour, end))
    assert found.stale(ReadScope(start, end + hour))
