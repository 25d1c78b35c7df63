"""The CalDAV provider on accounts as people have them: calendars the account may only
read, calendars deleted between passes, calendars with a zone of their own.

Radicale says what the account may do by its rights file (tests/dav_accounts.py);
Xandikos reports the privilege ``all`` everywhere, so there the counting proxy
plays a read-only calendar (403 to writes, the read privilege in PROPFIND answers).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Iterator
from xml.sax.saxutils import escape

import pytest
from caldav.davclient import DAVClient
from dav_accounts import (
    OWNER,
    as_login,
    calendar_timezone,
    put_as,
    rights_calendars,
    set_calendar_timezone,
)
from factories import make_followup, make_source
from proxy import CountingProxy
from servers import CalendarHandle, DavServer, make_calendar

from providers import CalendarInfo, ReadScope
from providers.caldav import ical
from providers.caldav.provider import DavProvider, open_source
from syncd.config import Config
from syncd.errors import NotFoundError, RefusedError
from syncd.model import FollowUp

CONFIG = Config()
SCOPE = ReadScope.of(
    dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC), ["interview"]
)
PASSWORD_ENV = "SYNCD_E2E_DAV_ACCOUNTS_PASSWORD"
INTERVIEW = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp//Calendar App 1.0//EN\r\n"
    "BEGIN:VEVENT\r\nUID:careers-fair\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260610T100000Z\r\nDTEND:20260610T110000Z\r\n"
    "SUMMARY:Interview practice with Acme\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def open_for(server: DavServer, monkeypatch: pytest.MonkeyPatch, url: str = "") -> DavProvider:
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    source = make_source(
        "e2e", "caldav", url=url or server.url, username=server.username, password_env=PASSWORD_ENV
    )
    return open_source(source, CONFIG)


def followup_into(target: str, hour: int = 15) -> FollowUp:
    start = dt.datetime(2026, 6, 10, hour, tzinfo=dt.UTC)
    return make_followup(start=start, source="e2e", calendar=target, target=target,
                         interview="careers-fair")  # fmt: skip


def listed(provider: DavProvider, calendar: CalendarHandle) -> CalendarInfo:
    path = urllib.parse.unquote(calendar.path)
    [found] = [c for c in provider.list_calendars() if c.aliases == (path,)]
    return found


@pytest.fixture
def owner(radicale_rights: DavServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DavProvider]:
    provider = open_for(radicale_rights, monkeypatch)
    yield provider
    provider.close()


# --- what the account may do, from the server


def test_radicale_rights_say_which_calendar_is_read_only(
    radicale_rights: DavServer, owner: DavProvider
):
    pair = rights_calendars(radicale_rights)

    own, read_only = listed(owner, pair.own), listed(owner, pair.read_only)

    assert (own.writable, own.readable) == (True, True)
    assert (read_only.writable, read_only.readable) == (False, True)
    assert read_only.name == pair.read_only.name and not read_only.default


def test_a_write_into_the_read_only_calendar_is_refused_and_writes_nothing(
    radicale_rights: DavServer, owner: DavProvider
):
    pair = rights_calendars(radicale_rights)
    etag = pair.read_only.put("careers-fair.ics", INTERVIEW)  # its owner (ADMIN) writes it
    calendar = listed(owner, pair.read_only)
    seen = owner.read_changes(calendar, None, SCOPE)
    [interview] = seen.events
    assert put_as(as_login(pair.read_only, OWNER), "mine.ics", INTERVIEW).status_code == 403

    with pytest.raises(RefusedError) as creating:
        owner.create(followup_into(calendar.id))
    with pytest.raises(RefusedError):
        owner.update(followup_into(calendar.id), interview.resource, interview.etag)
    with pytest.raises(RefusedError):
        owner.delete(calendar.id, interview.resource, interview.etag)

    assert "HTTP 403" in str(creating.value)
    assert pair.read_only.names() == ["careers-fair.ics"]
    assert pair.read_only.etag("careers-fair.ics") == etag
    again = owner.read_changes(calendar, seen.token, SCOPE)
    assert (again.events, again.deleted) == ((), ())


def test_xandikos_has_no_read_only_calendar_so_the_proxy_plays_one(
    xandikos: DavServer, monkeypatch: pytest.MonkeyPatch
):
    calendar = make_calendar(xandikos)
    proxy = CountingProxy(xandikos.url)
    try:
        provider = open_for(xandikos, monkeypatch, url=proxy.url + "/")
        assert listed(provider, calendar).writable  # Xandikos: privilege "all" everywhere
        proxy.refuse_writes(calendar.path)

        info = listed(provider, calendar)
        with pytest.raises(RefusedError):
            provider.create(followup_into(info.id))

        assert (info.writable, info.readable, info.default) == (False, True, False)
        assert calendar.names() == []
        proxy.refuse_writes("/user/calendars/")
        with pytest.raises(RefusedError, match="HTTP 403"):
            provider.ensure_calendar("Follow-ups")
        provider.close()
    finally:
        proxy.close()


# --- the calendar's own zone


@pytest.mark.parametrize(
    ("tzid", "zone"),
    [
        ("America/New_York", "America/New_York"),
        ("W. Europe Standard Time", "Europe/Berlin"),  # a Windows name
        ("/mozilla.org/20050126_1/Europe/Paris", "Europe/Paris"),
        ("Office hours", ""),  # a made-up name: no zone
    ],
)
def test_the_calendar_timezone_is_the_calendars_zone(
    dav_server: DavServer, monkeypatch: pytest.MonkeyPatch, tzid: str, zone: str
):
    calendar, plain = make_calendar(dav_server), make_calendar(dav_server)
    try:
        set_calendar_timezone(calendar, calendar_timezone(tzid))
        provider = open_for(dav_server, monkeypatch)

        assert listed(provider, calendar).zone == zone
        assert listed(provider, plain).zone == ""
        provider.close()
    finally:  # a zoned calendar left on the shared account could be its main one later
        calendar.remove()
        plain.remove()


# --- the default calendar


def test_without_a_scheduling_inbox_the_default_is_the_first_writable_calendar(
    radicale_rights: DavServer, owner: DavProvider
):
    rights_calendars(radicale_rights)  # a read-only calendar among them

    calendars = owner.list_calendars()

    usable = [c for c in calendars if c.writable and c.readable]
    assert [c for c in calendars if c.default] == usable[:1] != []


def test_the_inbox_names_the_default_calendar_where_the_server_has_one(
    xandikos: DavServer, monkeypatch: pytest.MonkeyPatch
):
    chosen = make_calendar(xandikos)
    proxy = CountingProxy(xandikos.url)
    try:
        _set_inbox_default(xandikos, chosen.path)
        provider = open_for(xandikos, monkeypatch, url=proxy.url + "/")
        assert [c.aliases[0] for c in provider.list_calendars() if c.default] == [chosen.path]

        proxy.refuse_writes(chosen.path)  # a default the account may not write to: not used
        calendars = provider.list_calendars()

        first = next(c for c in calendars if c.writable)
        assert [c for c in calendars if c.default] == [dataclasses.replace(first, default=True)]
        assert first.aliases[0] != chosen.path
        provider.close()
    finally:
        _set_inbox_default(xandikos, XANDIKOS_DEFAULT)
        proxy.close()


XANDIKOS_DEFAULT = "/user/calendars/calendar/"  # what its --defaults sets up


def _set_inbox_default(server: DavServer, path: str | None) -> None:
    """Set (or, with None, remove) the RFC 6638 default calendar of Xandikos' inbox."""
    value = f"<D:href>{escape(path)}</D:href>" if path else ""
    what = "set" if path else "remove"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<D:propertyupdate xmlns:D="DAV:" '
        f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:{what}><D:prop>'
        f"<C:schedule-default-calendar-URL>{value}</C:schedule-default-calendar-URL>"
        f"</D:prop></D:{what}></D:propertyupdate>"
    )
    inbox = CalendarHandle(server, server.url + "user/inbox/", "inbox")
    response = inbox._request("PROPPATCH", "", body.encode(), {"Content-Type": "application/xml"})
    assert response.status_code == 207 and "200 OK" in response.text, response.text


# --- a calendar deleted between passes


@pytest.mark.parametrize("sync_collection", [True, False], ids=["sync", "ctag"])
def test_a_deleted_calendar_is_not_found_on_read(
    dav_server: DavServer, monkeypatch: pytest.MonkeyPatch, sync_collection: bool
):
    calendar = make_calendar(dav_server)
    provider = open_for(dav_server, monkeypatch)
    provider.use_sync_collection = sync_collection
    info = listed(provider, calendar)
    token = provider.read_changes(info, None, SCOPE).token

    calendar.remove()

    for reading in (token, None):
        with pytest.raises(NotFoundError) as gone:
            provider.read_changes(info, reading, SCOPE)
        message = str(gone.value)
        assert message.startswith(f"calendar {urllib.parse.unquote(calendar.path)}: ")
        assert "no longer on the server (HTTP 404)" in message and "http://" not in message
    assert info.id not in {c.id for c in provider.list_calendars()}
    provider.close()


def test_a_read_only_calendar_deleted_by_its_owner_is_not_found(
    radicale_rights: DavServer, owner: DavProvider
):
    pair = rights_calendars(radicale_rights)
    info = listed(owner, pair.read_only)
    token = owner.read_changes(info, None, SCOPE).token

    pair.read_only.remove()  # as ADMIN, its owner

    with pytest.raises(NotFoundError):
        owner.read_changes(info, token, SCOPE)
    assert not owner.get(info.id, followup_into(info.id).id)


# --- the cost: one request per list, never one per calendar


def test_the_calendar_list_is_one_request_however_many_calendars(
    dav_server: DavServer, monkeypatch: pytest.MonkeyPatch
):
    if dav_server.name == "xandikos":
        _set_inbox_default(dav_server, XANDIKOS_DEFAULT)
    provider = open_for(dav_server, monkeypatch)
    provider.list_calendars()  # the first list finds the principal and home too
    before = provider.requests_made
    provider.list_calendars()
    one_list = provider.requests_made - before
    for _ in range(3):
        make_calendar(dav_server)

    before = provider.requests_made
    listed = provider.list_calendars()

    # Xandikos keeps its scheduling inbox outside the calendar home: its default
    # calendar costs one more PROPFIND. Radicale has no inbox.
    expected = {"radicale": ["PROPFIND"], "xandikos": ["PROPFIND", "PROPFIND"]}
    made = list(provider.http.recent)[-(provider.requests_made - before) :]
    # A new calendar listed first (the server lists in no set order) becomes the main
    # calendar when no default is named: its zone, absent from the listing, is asked
    # of it at depth 0, once; never a request per calendar.
    main = next(c for c in listed if c.default)
    probe = f"PROPFIND {urllib.parse.urlsplit(main.id).path} 207"
    if made and made[-1] == probe and len(made) == one_list + 1:
        made = made[:-1]
    assert len(made) == one_list == len(expected[dav_server.name]), made
    assert [r.split()[0] for r in made] == expected[dav_server.name]
    provider.close()


def test_an_inbox_without_a_default_is_not_asked_again(
    xandikos: DavServer, monkeypatch: pytest.MonkeyPatch
):
    _set_inbox_default(xandikos, None)
    try:
        provider = open_for(xandikos, monkeypatch)
        first = provider.list_calendars()
        before = provider.requests_made

        again = provider.list_calendars()

        assert provider.requests_made - before == 1
        assert [c.id for c in again] == [c.id for c in first]
        assert [c for c in again if c.default] == [next(c for c in again if c.writable)]
        provider.close()
    finally:
        _set_inbox_default(xandikos, XANDIKOS_DEFAULT)


def test_calendar_ids_are_spelled_as_before(dav_server: DavServer, monkeypatch: pytest.MonkeyPatch):
    # Follow-ups carry their calendar's id; a listing that spelled ids otherwise
    # would make them strangers. The ids are those the caldav library listed.
    provider = open_for(dav_server, monkeypatch)
    with DAVClient(dav_server.url, username=dav_server.username,
                   password=dav_server.password, auth_type="basic") as client:  # fmt: skip
        principal = client.get_principal()
        for cal_id in ("team@example.com", "Team Calendar", "x+y"):
            if cal_id not in {str(c.url).rstrip("/").rsplit("/", 1)[-1] for c in
                              principal.get_calendars()}:  # fmt: skip
                principal.make_calendar(name=cal_id, cal_id=cal_id)
        expected = sorted(str(c.url) for c in principal.get_calendars())

    assert sorted(c.id for c in provider.list_calendars()) == expected
    provider.close()


def test_a_followup_written_at_a_listed_id_is_read_back(
    radicale_rights: DavServer, owner: DavProvider
):
    pair = rights_calendars(radicale_rights)
    info = listed(owner, pair.own)

    written = owner.create(followup_into(info.id))

    assert pair.own.names() == [ical.followup_href_name(written.slot)]
    assert owner.get(info.id, written.slot) is not None
