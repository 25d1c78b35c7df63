"""Cyrus (Fastmail's server; iCloud and Apple's server too, by the caldav library's
hints) holds a UID in one calendar of an account only: a follow-up the user copied
or moved into another calendar keeps its UID there, and syncd's create of that
follow-up in its own calendar is refused with RFC 6638's
``unique-scheduling-object-resource``. It is the user's event now: a TakenError (one
warning in a pass), nothing written, nothing overwritten."""

from __future__ import annotations

import datetime as dt

import pytest
from backends import PASSWORD_ENV
from factories import make_followup, make_source
from servers import DavServer, make_calendar

from providers.caldav.provider import open_source
from providers.caldav.render import render_followup
from syncd.config import Config
from syncd.errors import TakenError


def test_a_followup_whose_uid_another_calendar_holds_is_taken(
    cyrus: DavServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, cyrus.password)
    source = make_source("e2e", "caldav", url=cyrus.url, username=cyrus.username,
                         password_env=PASSWORD_ENV)  # fmt: skip
    provider = open_source(source, Config())
    mine, elsewhere = make_calendar(cyrus), make_calendar(cyrus)
    start = dt.datetime(2031, 6, 10, 15, tzinfo=dt.UTC)
    wanted = make_followup(start=start, source="e2e", calendar=mine.url, target=mine.url)
    elsewhere.put("moved-by-the-user.ics", render_followup(wanted, Config().timezone))
    before = elsewhere.get("moved-by-the-user.ics")

    with pytest.raises(TakenError) as taken:
        provider.create(wanted)

    assert "holds its UID" in str(taken.value)
    assert provider.get(mine.url, wanted.id) is None
    assert elsewhere.get("moved-by-the-user.ics") == before
    provider.close()
