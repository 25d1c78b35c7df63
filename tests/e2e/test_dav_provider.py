"""The CalDAV provider's contract, on real Radicale and Xandikos servers.

Objects are put the way another calendar app would (plain PUT/DELETE through
``CalendarHandle``); the provider reads and writes through its own requests.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import http.server
import logging
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import make_followup as build_followup
from factories import make_source, replace_keys
from servers import (
    CalendarHandle,
    DavServer,
    free_port,
    make_calendar,
    start_radicale,
    write_stored,
)

from providers import CalendarInfo, ReadScope
from providers.caldav import ical, render, reports
from providers.caldav import provider as dav
from providers.caldav.provider import DavProvider, open_source
from syncd.config import Config, SourceConfig
from syncd.errors import AuthError, ConflictError, NotFoundError, TakenError, TransientError
from syncd.model import CalendarEvent, FollowUp

LONDON = ZoneInfo("Europe/London")
CONFIG = Config(timezone=LONDON)
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
SCOPE = ReadScope.of(START, END, ["interview"])
PASSWORD_ENV = "SYNCD_E2E_DAV_PASSWORD"


# --- helpers


def source_for(server: DavServer, **changes: object) -> SourceConfig:
    source = make_source(
        "e2e", "caldav", url=server.url, username=server.username, password_env=PASSWORD_ENV
    )
    return replace_keys(source, **changes)


def ics(*events: str) -> str:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n{body}END:VCALENDAR\r\n"


def vevent(uid: str, title: str, day: int = 10, hour: int = 10, extra: str = "") -> str:
    start = dt.datetime(2026, 6, day, hour, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=1)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:{title}\r\n{extra}END:VEVENT\r\n"
    )


def info(calendar: CalendarHandle) -> CalendarInfo:
    return CalendarInfo(calendar.url, calendar.name)


def make_followup(target: str, title: str = "Thank-you letter: Acme", hour: int = 15) -> FollowUp:
    start = dt.datetime(2026, 6, 10, hour, tzinfo=LONDON)
    return build_followup(start=start, source="e2e", calendar=target,
                          interview="iv-1@example.com", title=title)  # fmt: skip


def last_requests(provider: DavProvider, count: int) -> list[str]:
    return list(provider.http.recent)[-count:] if count else []


@pytest.fixture
def provider(dav_server: DavServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DavProvider]:
    monkeypatch.setenv(PASSWORD_ENV, dav_server.password)
    opened = open_source(source_for(dav_server), CONFIG)
    yield opened
    opened.close()


# --- reading


def test_full_read_returns_the_interviews(provider: DavProvider, dav_calendar: CalendarHandle):
    acme = dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    dav_calendar.put("lunch.ics", ics(vevent("lunch", "Lunch with Bob")))
    dav_calendar.put("foo.ics", ics(vevent("foo", "Interview at Foo", day=11)))

    changes = provider.read_changes(info(dav_calendar), None, SCOPE)

    assert changes.full
    assert changes.token.startswith("sync:")
    assert sorted(e.title for e in changes.events) == ["Interview at Foo", "Interview with Acme"]
    event = next(e for e in changes.events if e.id == "acme")
    assert event.resource == dav_calendar.resource("acme.ics")
    assert event.etag == acme
    assert event.calendar == dav_calendar.url
    assert event.start == dt.datetime(2026, 6, 10, 10, tzinfo=dt.UTC)


def test_idle_incremental_read_is_one_request(provider: DavProvider, dav_calendar: CalendarHandle):
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    before = provider.requests_made

    idle = provider.read_changes(info(dav_calendar), first.token, SCOPE)

    assert (idle.events, idle.deleted, idle.full) == ((), (), False)
    assert provider.requests_made - before == 1
    assert last_requests(provider, 1) == [f"REPORT {dav_calendar.path} 207"]
    again = provider.read_changes(info(dav_calendar), idle.token, SCOPE)
    assert (again.events, again.deleted) == ((), ())


def test_edit_returns_just_that_object(provider: DavProvider, dav_calendar: CalendarHandle):
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    dav_calendar.put("foo.ics", ics(vevent("foo", "Interview at Foo")))
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    etag = dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme", hour=14)))
    before = provider.requests_made

    changes = provider.read_changes(info(dav_calendar), first.token, SCOPE)

    assert [(e.id, e.etag) for e in changes.events] == [("acme", etag)]
    assert changes.events[0].start == dt.datetime(2026, 6, 10, 14, tzinfo=dt.UTC)
    assert (changes.deleted, changes.full) == ((), False)
    assert provider.requests_made - before == 2  # sync-collection + one multiget
    assert [r.split()[0] for r in last_requests(provider, 2)] == ["REPORT", "REPORT"]


def test_deletion_is_reported_by_resource(provider: DavProvider, dav_calendar: CalendarHandle):
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    dav_calendar.put("foo.ics", ics(vevent("foo", "Interview at Foo")))
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    dav_calendar.delete("acme.ics")

    changes = provider.read_changes(info(dav_calendar), first.token, SCOPE)

    assert changes.events == ()
    assert changes.deleted == (dav_calendar.resource("acme.ics"),)
    assert first.events[0].resource in {dav_calendar.resource(n) for n in ("acme.ics", "foo.ics")}


def test_an_interview_renamed_to_something_else_is_reported_gone(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    dav_calendar.put("acme.ics", ics(vevent("acme", "Lunch with Acme people")))

    changes = provider.read_changes(info(dav_calendar), first.token, SCOPE)

    assert changes.events == ()
    assert changes.deleted == (dav_calendar.resource("acme.ics"),)


@pytest.mark.parametrize(
    "token",
    ["sync:http://radicale.org/ns/sync/0000", "sync:0123456789abcdef", "garbage", "ctag:%%%"],
)
def test_a_refused_or_garbage_token_gives_a_full_read(
    provider: DavProvider, dav_calendar: CalendarHandle, token: str
):
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))

    changes = provider.read_changes(info(dav_calendar), token, SCOPE)

    assert changes.full
    assert [e.id for e in changes.events] == ["acme"]
    assert changes.token.startswith("sync:") and changes.token != token


def test_known_objects_with_their_etag_are_not_fetched(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    written = provider.create(make_followup(dav_calendar.url))
    before = provider.requests_made

    changes = provider.read_changes(
        info(dav_calendar), first.token, SCOPE, known={written.resource: written.etag}
    )

    assert (changes.events, changes.deleted) == ((), ())
    assert changes.unchanged == (written.resource,)
    assert provider.requests_made - before == 1


def test_changed_objects_are_fetched_in_bulk(
    provider: DavProvider, dav_calendar: CalendarHandle, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(reports, "MULTIGET_CHUNK", 3)
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    for n in range(7):
        dav_calendar.put(f"i{n}.ics", ics(vevent(f"i{n}", f"Interview {n} with Acme", day=n + 1)))
    before = provider.requests_made

    changes = provider.read_changes(info(dav_calendar), first.token, SCOPE)

    assert sorted(e.id for e in changes.events) == [f"i{n}" for n in range(7)]
    assert provider.requests_made - before == 1 + 3  # sync-collection + 3 multigets of <= 3
    assert not any(r.startswith("GET") for r in last_requests(provider, 4))


def test_a_full_read_fetches_only_objects_near_the_window_in_one_query(
    provider: DavProvider, dav_calendar: CalendarHandle, caplog: pytest.LogCaptureFixture
):
    near = END + dt.timedelta(days=1)  # past the window's end: not returned
    slack = START - dav.QUERY_BEFORE / 2  # fetched for floating times, then cut off
    far = START - dav.QUERY_BEFORE - dt.timedelta(days=30)
    written = provider.create(make_followup(dav_calendar.url))
    known = {written.resource: written.etag}
    dav_calendar.put("in.ics", ics(vevent("in", "Interview with Acme")))
    dav_calendar.put("near.ics", ics(vevent("near", "Interview with Initech").replace(
        "20260610", f"{near:%Y%m%d}")))  # fmt: skip
    dav_calendar.put("slack.ics", ics(vevent("slack", "Interview with Umbrella").replace(
        "20260610", f"{slack:%Y%m%d}")))  # fmt: skip
    dav_calendar.put("far.ics", ics(vevent("far", "Interview with Globex").replace(
        "20260610", f"{far:%Y%m%d}")))  # fmt: skip
    dav_calendar.put("loop.ics", ics(vevent("loop", "Interview loop with Hooli").replace(
        "20260610", f"{far:%Y%m%d}").replace(
        "SUMMARY", "RRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY")))  # fmt: skip
    before = provider.requests_made

    with caplog.at_level(logging.INFO, logger="providers"):
        changes = provider.read_changes(info(dav_calendar), None, SCOPE, known)

    assert sorted({e.id for e in changes.events}) == ["in", "loop"]
    assert all(SCOPE.overlaps(e.start, e.end, LONDON) for e in changes.events)
    assert changes.unchanged == tuple(known)  # a follow-up syncd wrote, not parsed again
    # the sync-token, one calendar-query, one query for recurring events
    assert provider.requests_made - before == 3
    assert [r.split()[0] for r in last_requests(provider, 3)] == ["PROPFIND", "REPORT", "REPORT"]
    assert not [r for r in caplog.records if "query" in r.getMessage()]
    assert changes.full and changes.deleted == ()


def test_recurring_interview_expands_with_override_and_cancelled_instance(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    series = ics(
        "BEGIN:VEVENT\r\nUID:loop\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE:20260119T100000Z\r\n"
        "SUMMARY:Interview loop with Acme\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:loop\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID:20260112T100000Z\r\n"
        "DTSTART:20260113T140000Z\r\nDTEND:20260113T150000Z\r\n"
        "SUMMARY:Interview loop with Acme (moved)\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:loop\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID:20260126T100000Z\r\n"
        "DTSTART:20260126T100000Z\r\nDTEND:20260126T110000Z\r\nSTATUS:CANCELLED\r\n"
        "SUMMARY:Interview loop with Acme\r\nEND:VEVENT\r\n",
    )
    dav_calendar.put("loop.ics", series)

    changes = provider.read_changes(info(dav_calendar), None, SCOPE)

    by_start = {e.start: e for e in changes.events}
    utc = dt.UTC
    assert sorted(by_start) == [
        dt.datetime(2026, 1, 5, 10, tzinfo=utc),
        dt.datetime(2026, 1, 13, 14, tzinfo=utc),  # the override, moved
        dt.datetime(2026, 1, 26, 10, tzinfo=utc),  # 19 January is an EXDATE
        dt.datetime(2026, 2, 2, 10, tzinfo=utc),
    ]
    moved = by_start[dt.datetime(2026, 1, 13, 14, tzinfo=utc)]
    assert moved.title == "Interview loop with Acme (moved)"
    assert "20260112" in moved.recurrence_id
    assert by_start[dt.datetime(2026, 1, 26, 10, tzinfo=utc)].status == "cancelled"
    assert len({e.key for e in changes.events}) == 4
    assert {e.resource for e in changes.events} == {dav_calendar.resource("loop.ics")}


def test_a_broken_object_is_skipped_with_one_warning(
    dav_server: DavServer,
    provider: DavProvider,
    dav_calendar: CalendarHandle,
    caplog: pytest.LogCaptureFixture,
):
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    write_stored(dav_calendar, "broken.ics", b"Interview: this is not iCalendar at all\r\n")

    with caplog.at_level(logging.WARNING):
        changes = provider.read_changes(info(dav_calendar), None, SCOPE)
        provider.use_query = False  # a full read by calendar-multiget
        by_multiget = provider.read_changes(info(dav_calendar), None, SCOPE)

    assert [e.id for e in changes.events] == [e.id for e in by_multiget.events] == ["acme"]
    named = [r for r in caplog.records if "broken.ics" in r.getMessage()]
    if dav_server.name == "radicale":
        # Radicale never serves an object it cannot parse; it says so in its own log.
        assert named == []
        assert "Skip broken item 'broken.ics'" in dav_server.log_file.read_text()
    else:
        # Xandikos leaves it out of a calendar-query answer, and serves it to a multiget.
        assert [r.levelno for r in named] == [logging.WARNING]


def test_an_unreadable_event_accepted_by_xandikos_warns_once(
    xandikos: DavServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    # Xandikos stores a VEVENT with a bad RRULE (Radicale refuses it with 400).
    calendar = make_calendar(xandikos)
    calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    calendar.put("odd.ics", ics(vevent("odd", "Interview odd", extra="RRULE:FREQ=SOMETIMES\r\n")))
    monkeypatch.setenv(PASSWORD_ENV, xandikos.password)
    provider = open_source(source_for(xandikos), CONFIG)

    with caplog.at_level(logging.WARNING):
        changes = provider.read_changes(info(calendar), None, SCOPE)

    assert [e.id for e in changes.events] == ["acme"]
    assert len([r for r in caplog.records if "odd.ics" in r.getMessage()]) == 1


def test_objects_that_cannot_match_are_not_parsed(
    provider: DavProvider, dav_calendar: CalendarHandle, monkeypatch: pytest.MonkeyPatch
):
    for n in range(3):
        dav_calendar.put(f"lunch{n}.ics", ics(vevent(f"lunch{n}", "Lunch with Bob")))
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    parsed: list[str] = []
    real = ical.parse_object

    def counting(raw: str | bytes, **kwargs: Any) -> list[CalendarEvent]:
        parsed.append(str(kwargs["resource"]))
        return real(raw, **kwargs)

    monkeypatch.setattr(ical, "parse_object", counting)

    changes = provider.read_changes(info(dav_calendar), None, SCOPE)

    assert [e.id for e in changes.events] == ["acme"]
    assert parsed == [dav_calendar.resource("acme.ics")]


def test_ctag_fallback_reads_changes_without_sync_collection(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    provider.use_sync_collection = False
    dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme")))
    dav_calendar.put("foo.ics", ics(vevent("foo", "Interview at Foo")))
    first = provider.read_changes(info(dav_calendar), None, SCOPE)
    assert first.full and first.token.startswith("ctag:")
    assert sorted(e.id for e in first.events) == ["acme", "foo"]
    before = provider.requests_made

    idle = provider.read_changes(info(dav_calendar), first.token, SCOPE)

    assert (idle.events, idle.deleted, idle.full) == ((), (), False)
    assert provider.requests_made - before == 1
    assert last_requests(provider, 1)[0].startswith("PROPFIND")
    etag = dav_calendar.put("acme.ics", ics(vevent("acme", "Interview with Acme", hour=16)))
    dav_calendar.delete("foo.ics")

    changes = provider.read_changes(info(dav_calendar), idle.token, SCOPE)

    assert [(e.id, e.etag) for e in changes.events] == [("acme", etag)]
    assert changes.deleted == (dav_calendar.resource("foo.ics"),)
    assert not changes.full


# --- writing


def test_create_is_conditional(provider: DavProvider, dav_calendar: CalendarHandle):
    followup = make_followup(dav_calendar.url)
    name = ical.followup_href_name(followup.id)

    event = provider.create(followup)

    assert event.markers == followup.markers
    assert (event.id, event.start, event.title) == (
        ical.followup_uid(followup.id),
        followup.start,
        followup.title,
    )
    assert event.resource == dav_calendar.resource(name)
    assert event.etag and event.etag == dav_calendar.etag(name)
    with pytest.raises(ConflictError):
        provider.create(followup)
    assert dav_calendar.names() == [name]


def test_create_with_its_uid_used_elsewhere_names_the_object_that_holds_it(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    followup = make_followup(dav_calendar.url)
    dav_calendar.put("elsewhere.ics", ics(vevent(ical.followup_uid(followup.id), "Thank-you")))

    with pytest.raises(TakenError) as taken:
        provider.create(followup)

    assert f"{dav_calendar.resource('elsewhere.ics')} ('Thank-you') holds its UID" in str(
        taken.value
    )

    assert dav_calendar.names() == ["elsewhere.ics"]


def test_update_with_a_stale_etag_is_a_conflict(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    followup = make_followup(dav_calendar.url)
    name = ical.followup_href_name(followup.id)
    written = provider.create(followup)
    edited = dataclasses.replace(followup, title="Thank-you letter: Acme (my own words)")
    user_etag = dav_calendar.put(name, render.render_followup(edited, LONDON))
    moved = dataclasses.replace(followup, start=followup.start + dt.timedelta(hours=1))
    moved = dataclasses.replace(moved, end=moved.start + dt.timedelta(minutes=30))

    with pytest.raises(ConflictError):
        provider.update(moved, written.resource, written.etag)
    assert b"my own words" in (dav_calendar.get(name) or b"")

    updated = provider.update(moved, written.resource, user_etag)

    assert updated.start == moved.start
    assert updated.markers == moved.markers
    assert updated.etag == dav_calendar.etag(name) != user_etag
    assert b"my own words" not in (dav_calendar.get(name) or b"")


def test_delete_with_a_stale_etag_is_a_conflict(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    followup = make_followup(dav_calendar.url)
    name = ical.followup_href_name(followup.id)
    written = provider.create(followup)
    edited = dataclasses.replace(followup, description="Bring the portfolio.")
    user_etag = dav_calendar.put(name, render.render_followup(edited, LONDON))

    with pytest.raises(ConflictError):
        provider.delete(dav_calendar.url, written.resource, written.etag)
    assert dav_calendar.names() == [name]

    provider.delete(dav_calendar.url, written.resource, user_etag)

    assert dav_calendar.names() == []
    with pytest.raises(NotFoundError):
        provider.delete(dav_calendar.url, written.resource, user_etag)


def test_update_of_a_deleted_followup_is_not_found_and_get_says_none(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    # Both servers answer If-Match on a missing object with 412, as RFC 9110 says;
    # the provider tells "gone" from "changed" (the contract: docs/providers.md).
    followup = make_followup(dav_calendar.url)
    written = provider.create(followup)
    dav_calendar.delete(ical.followup_href_name(followup.id))

    with pytest.raises(NotFoundError):
        provider.update(followup, written.resource, written.etag)

    assert provider.get(dav_calendar.url, followup.id) is None
    assert dav_calendar.names() == []


def test_get_reads_a_followup_by_identity(provider: DavProvider, dav_calendar: CalendarHandle):
    followup = make_followup(dav_calendar.url)
    assert provider.get(dav_calendar.url, followup.id) is None
    written = provider.create(followup)

    event = provider.get(dav_calendar.url, followup.id)

    assert event is not None
    assert event.markers == followup.markers
    assert (event.resource, event.etag) == (written.resource, written.etag)
    assert (event.start, event.end, event.reminders) == (followup.start, followup.end, (0,))


def test_create_into_a_calendar_named_by_display_name(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    followup = dataclasses.replace(make_followup(dav_calendar.url), target=dav_calendar.name)

    event = provider.create(followup)

    assert event.resource == dav_calendar.resource(ical.followup_href_name(followup.id))


# --- calendars


def test_ensure_calendar_creates_a_missing_calendar_once(provider: DavProvider):
    name = f"Follow-ups {uuid.uuid4().hex[:6]}"
    assert name not in {c.name for c in provider.list_calendars()}

    created = provider.ensure_calendar(name)
    again = provider.ensure_calendar(name)

    assert created.name == name
    assert again == created
    assert provider.ensure_calendar(created.id) == created
    assert [c for c in provider.list_calendars() if c.name == name] == [created]
    assert sum(r.startswith("MKCALENDAR") for r in provider.http.recent) == 1


def test_calendars_answer_to_their_name_url_or_path(
    provider: DavProvider, dav_calendar: CalendarHandle
):
    [listed] = [c for c in provider.list_calendars() if c.id == info(dav_calendar).id]
    for ref in (
        dav_calendar.name,
        dav_calendar.name.upper(),
        dav_calendar.url,
        dav_calendar.url.rstrip("/"),
        dav_calendar.path,
    ):
        assert listed.answers_to(ref), ref
    assert not listed.answers_to("No Such Calendar")


# --- failures


def test_a_refused_login_is_an_auth_error(radicale_auth: DavServer, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, radicale_auth.password)
    good = open_source(source_for(radicale_auth), CONFIG)
    calendar = good.ensure_calendar("Personal")
    monkeypatch.setenv(PASSWORD_ENV, "wrong-password-123")
    bad = open_source(source_for(radicale_auth), CONFIG)

    with pytest.raises(AuthError) as listing:
        bad.list_calendars()
    with pytest.raises(AuthError) as reading:
        bad.read_changes(calendar, None, SCOPE)

    for error in (listing.value, reading.value):
        assert '"e2e"' in str(error) and "password_env" in str(error)
        assert "wrong-password-123" not in str(error)
    assert good.read_changes(calendar, None, SCOPE).full


def test_a_closed_port_is_a_transient_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(PASSWORD_ENV, "x")
    url = f"http://127.0.0.1:{free_port()}/"
    provider = open_source(
        make_source("e2e", url=url, username="u", password_env=PASSWORD_ENV),
        CONFIG,
    )
    calendar = CalendarInfo(url + "u/cal/", "cal")

    with pytest.raises(TransientError):
        provider.list_calendars()
    with pytest.raises(TransientError):
        provider.read_changes(calendar, "sync:abc", SCOPE)
    with pytest.raises(TransientError):
        provider.create(make_followup(calendar.id))


def test_a_stopped_server_is_a_transient_error(tmp_path, monkeypatch: pytest.MonkeyPatch):
    server = start_radicale(tmp_path / "radicale")
    try:
        calendar = make_calendar(server)
        monkeypatch.setenv(PASSWORD_ENV, server.password)
        provider = open_source(source_for(server), CONFIG)
        first = provider.read_changes(info(calendar), None, SCOPE)
    finally:
        server.stop()

    with pytest.raises(TransientError):
        provider.read_changes(info(calendar), first.token, SCOPE)


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers every request with the status and headers the test set on the server."""

    def _answer(self) -> None:
        status, headers = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_PUT = do_REPORT = do_PROPFIND = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [(503, {"Retry-After": "7"}, 7.0), (429, {}, None), (502, {}, None), (423, {}, None)],
)
def test_overload_is_a_transient_error_with_retry_after(
    monkeypatch: pytest.MonkeyPatch, status: int, headers: dict[str, str], retry_after: float | None
):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.answer = (status, headers)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        monkeypatch.setenv(PASSWORD_ENV, "x")
        provider = open_source(
            make_source("e2e", url=url, username="u", password_env=PASSWORD_ENV),
            CONFIG,
        )
        with pytest.raises(TransientError) as raised:
            provider.read_changes(CalendarInfo(url + "cal/", "cal"), "sync:abc", SCOPE)
        assert raised.value.retry_after == retry_after
        with pytest.raises(TransientError):
            provider.create(make_followup(url + "cal/"))
    finally:
        server.shutdown()
        server.server_close()


def test_password_command_is_used_and_never_logged(
    radicale_auth: DavServer, caplog: pytest.LogCaptureFixture
):
    command = (sys.executable, "-c", f"print({radicale_auth.password!r})")
    source = make_source(
        "e2e", url=radicale_auth.url, username=radicale_auth.username, password_command=command
    )
    for name in ("", "caldav", "niquests", "urllib3", "urllib3_future", "providers"):
        caplog.set_level(logging.DEBUG, logger=name)

    provider = open_source(source, CONFIG)
    calendar = provider.ensure_calendar(f"Secret {uuid.uuid4().hex[:6]}")
    written = provider.create(make_followup(calendar.id))
    changes = provider.read_changes(calendar, None, SCOPE)
    provider.close()

    assert [e.resource for e in changes.events] == [written.resource]  # the login worked
    basic = base64.b64encode(f"{radicale_auth.username}:{radicale_auth.password}".encode()).decode()
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert radicale_auth.password not in logged and basic not in logged


@pytest.mark.parametrize(
    "command",
    [
        (sys.executable, "-c", "import sys; print('leaked-secret'); sys.exit(3)"),
        ("/nonexistent/password-tool", "show", "leaked-secret"),
    ],
)
def test_a_failing_password_command_is_an_auth_error_without_its_output(
    radicale_auth: DavServer, command: tuple[str, ...]
):
    source = make_source(
        "e2e", url=radicale_auth.url, username=radicale_auth.username, password_command=command
    )

    with pytest.raises(AuthError) as raised:
        open_source(source, CONFIG)

    message = str(raised.value)
    assert '"e2e"' in message and command[0] in message and "password_command" in message
    assert "leaked-secret" not in message


def test_a_missing_password_variable_is_an_auth_error(
    radicale_auth: DavServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)

    with pytest.raises(AuthError, match=PASSWORD_ENV):
        open_source(source_for(radicale_auth), CONFIG)


def test_a_login_without_a_configured_password_sends_an_empty_one(radicale: DavServer):
    # Radicale here accepts any login; before, a user name with no password crashed
    opened = open_source(source_for(radicale, password_env=""), CONFIG)
    try:
        assert opened.list_calendars() is not None
    finally:
        opened.close()
