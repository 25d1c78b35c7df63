"""The Google fake's tampered answers: served as made, for as many requests as asked.

syncd's own behaviour against them is tests/e2e/test_hostile_google.py; this pins
down what the fake sends, read with plain http.client and the real googleapiclient.
"""

from __future__ import annotations

import gzip
import http.client
import urllib.parse
from collections.abc import Iterator

import pytest

from . import google_hostile as hostile
from .google_calendar import FakeGoogleCalendar
from .google_client import listed, timed

OWNER = "me@example.com"


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar(account=OWNER) as running:
        yield running


def get(fake: FakeGoogleCalendar, path: str) -> http.client.HTTPResponse:
    """A GET as any client sends it, with a live access token."""
    split = urllib.parse.urlsplit(fake.base_url)
    connection = http.client.HTTPConnection(split.hostname or "", split.port, timeout=10)
    access, _ = fake.issue_tokens()
    connection.request("GET", path, headers={"Authorization": f"Bearer {access}"})
    return connection.getresponse()


def test_a_tamper_answers_as_many_requests_as_asked_then_the_real_answer_comes(fake):
    service = fake.service()
    fake.add_event(OWNER, timed("Interview"))
    fake.tamper(hostile.body(hostile.LOGIN_PAGE, "text/html"), times=2, path_contains="/events")

    for _ in range(2):
        answer = get(fake, f"/calendar/v3/calendars/{OWNER}/events")
        assert (answer.status, answer.getheader("Content-Type")) == (200, "text/html")
        assert answer.read() == hostile.LOGIN_PAGE

    assert [e["summary"] for e in listed(service)["items"]] == ["Interview"]


def test_a_huge_answer_says_its_size_or_comes_chunked(fake):
    fake.tamper(hostile.huge(10 << 20), path_contains="/events")
    fake.tamper(hostile.huge(10 << 20, said=False), path_contains="/events")

    said = get(fake, "/calendar/v3/calendars/primary/events")
    chunked = get(fake, "/calendar/v3/calendars/primary/events")

    assert said.getheader("Content-Length") == str(10 << 20)
    assert len(said.read()) == 10 << 20
    assert chunked.getheader("Transfer-Encoding") == "chunked"
    body = chunked.read()
    assert len(body) == 10 << 20 and body.startswith(b'{"kind": "calendar#events", "items": [{')


def test_the_gzip_bomb_unpacks_to_what_it_says(fake):
    fake.tamper(hostile.gzip_bomb(64 << 20), path_contains="/events")

    answer = get(fake, "/calendar/v3/calendars/primary/events")

    packed = answer.read()
    assert answer.getheader("Content-Encoding") == "gzip" and len(packed) < 128 << 10
    assert len(gzip.decompress(packed)) > 64 << 20


def test_page_tokens_come_again_or_never_end(fake):
    service = fake.service()
    fake.add_event(OWNER, timed("Interview"))
    fake.tamper(hostile.same_page_token(), times=2, path_contains="/events")
    fake.tamper(hostile.endless_page_tokens(), times=2, path_contains="/events")

    first = listed(service)
    again = listed(service, pageToken=first["nextPageToken"])
    endless = [listed(service, pageToken="page-0")["nextPageToken"] for _ in range(2)]

    assert first["nextPageToken"] == again["nextPageToken"] == "again"
    assert first["items"] == again["items"] and "nextSyncToken" not in again
    assert endless == ["page-1", "page-2"]


def test_a_drip_sends_the_real_answer_whole_at_last(fake):
    fake.add_event(OWNER, timed("Interview"))
    drip = hostile.Drip(every=0.0)
    fake.tamper(drip, path_contains="/events")
    fake.tamper(hostile.with_items({"summary": "No id"}), path_contains="/events")

    dripped = get(fake, f"/calendar/v3/calendars/{OWNER}/events")
    more = fake.service().events().list(calendarId=OWNER).execute()

    assert dripped.status == 200 and b'"summary": "Interview"' in dripped.read()
    assert drip.sent > 1000
    assert [item["summary"] for item in more["items"]] == ["No id", "Interview"]
