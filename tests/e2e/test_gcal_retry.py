"""Retries of the Google provider against injected faults of the fake (no real sleeping).

A ``FakeTime`` stands in for the clock and ``sleep``: every wait the provider
asks for is recorded and moves the clock, so the budget is checked as if the
waits had happened.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import make_followup as build_followup
from factories import make_source
from fakes.google_calendar import FakeGoogleCalendar

from providers import CalendarInfo, ReadScope
from providers.google.provider import GcalProvider
from providers.google.retry import Retrier, RetryPolicy
from syncd.config import Config
from syncd.errors import AuthError, ProviderError, RefusedError, TransientError, source_line
from syncd.model import FollowUp

LONDON = ZoneInfo("Europe/London")
CONFIG = Config(timezone=LONDON)
OWNER = "me@example.com"
PRIMARY = CalendarInfo(OWNER, OWNER, ("primary",))
START = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
SCOPE = ReadScope.of(START, END, ["interview"])


class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called; records the waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def make_provider(
    fake: FakeGoogleCalendar, folder: Path, time: FakeTime, draw: float, endpoint: str = ""
) -> GcalProvider:
    source = make_source(
        "gmail",
        "google",
        client_secrets=folder / "client_secret.json",  # not read: the token is there
        token_file=fake.authorized_user_json(folder / "gmail.token.json"),
        api_endpoint=endpoint or fake.api_endpoint,
    )
    retrier = Retrier("gmail", sleep=time.sleep, random=lambda: draw, clock=time.clock)
    return GcalProvider(source, CONFIG, retrier=retrier)


def followup() -> FollowUp:
    start = dt.datetime(2027, 6, 10, 15, tzinfo=LONDON)
    return build_followup(start=start, source="gmail", calendar=OWNER, interview="interview1",
                          description="Thank Ann.")  # fmt: skip


def inserts(fake: FakeGoogleCalendar) -> int:
    return fake.requests.count("POST", "/events")


def lists(fake: FakeGoogleCalendar) -> int:
    return fake.requests.count("GET", "/events")


@pytest.fixture
def fake(google_fake: FakeGoogleCalendar) -> FakeGoogleCalendar:
    return google_fake


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def provider(fake: FakeGoogleCalendar, tmp_path: Path, time: FakeTime) -> Iterator[GcalProvider]:
    # A draw of 0.1 keeps the jittered part small: waits of 1 s come from Retry-After.
    opened = make_provider(fake, tmp_path, time, draw=0.1)
    yield opened
    opened.close()


def test_429_with_retry_after_is_retried_after_waiting_that_long(fake, provider, time):
    fake.inject(429, retry_after=1, times=2, method="POST", path_contains="/events")

    created = provider.create(followup())

    assert [e["id"] for e in fake.events(OWNER)] == [created.id]
    assert inserts(fake) == 3
    assert len(time.waits) == 2
    assert all(wait >= 1 for wait in time.waits)


def test_403_rate_limit_is_retried(fake, provider, time):
    fake.add_event(OWNER, {"summary": "Interview", **_hour()})
    fake.inject(403, reason="rateLimitExceeded", method="GET", path_contains="/events")

    changes = provider.read_changes(PRIMARY, None, SCOPE)

    assert [e.title for e in changes.events] == ["Interview"]
    assert lists(fake) == 2
    assert len(time.waits) == 1


def test_403_forbidden_is_not_retried_and_is_reported(fake, provider, time):
    fake.inject(403, method="POST", path_contains="/events")

    with pytest.raises(ProviderError) as caught:
        provider.create(followup())

    assert not isinstance(caught.value, (TransientError, AuthError))
    message = source_line("gmail", caught.value)  # as the run reports it
    assert "\n" not in message and "403 forbidden" in message and "gmail" in message
    assert inserts(fake) == 1
    assert time.waits == []
    assert fake.events(OWNER) == []


def test_a_403_leaves_the_saying_to_syncd_not_to_the_library(fake, provider, time, caplog):
    fake.inject(403, reason="requiredAccessLevel", method="POST", path_contains="/events")
    fake.inject(403, reason="rateLimitExceeded", method="GET", path_contains="/events")

    with caplog.at_level(logging.INFO):
        with pytest.raises(RefusedError):
            provider.create(followup())
        provider.read_changes(PRIMARY, None, SCOPE)

    assert [r for r in caplog.records if r.name.startswith("googleapiclient")] == []
    with caplog.at_level(logging.DEBUG):  # -vv: the libraries' lines too
        fake.inject(403, reason="requiredAccessLevel", method="POST", path_contains="/events")
        with pytest.raises(RefusedError):
            provider.create(followup())
    assert any("Encountered 403" in r.getMessage() for r in caplog.records)


def test_daily_quota_is_transient_at_once(fake, provider, time):
    fake.inject(403, reason="quotaExceeded", method="POST", path_contains="/events")

    with pytest.raises(TransientError):
        provider.create(followup())

    assert inserts(fake) == 1  # hours away: the daemon backs off, not this call
    assert time.waits == []


def test_401_that_a_refresh_does_not_cure_is_an_auth_error(fake, provider, time):
    fake.inject(401, times=3, method="GET", path_contains="/events")

    with pytest.raises(AuthError) as caught:
        provider.read_changes(PRIMARY, None, SCOPE)

    assert "run: syncd auth google gmail" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert time.waits == []


def test_503_is_retried_with_growing_backoff(fake, tmp_path, time):
    provider = make_provider(fake, tmp_path, time, draw=0.99)
    fake.inject(503, times=3, method="GET", path_contains="/events")
    try:
        changes = provider.read_changes(PRIMARY, None, SCOPE)
    finally:
        provider.close()

    assert changes.full
    assert lists(fake) == 4
    assert time.waits == pytest.approx([0.99, 1.98, 3.96])


def test_exhausted_attempts_give_a_transient_error_and_the_next_call_works(fake, provider, time):
    fake.inject(500, times=100, method="GET", path_contains="/events")

    with pytest.raises(TransientError) as caught:
        provider.read_changes(PRIMARY, None, SCOPE)

    assert lists(fake) == RetryPolicy().attempts
    assert "500" in str(caught.value) and "\n" not in str(caught.value)
    fake.clear_faults()
    assert provider.read_changes(PRIMARY, None, SCOPE).full


def test_retry_after_beyond_the_budget_is_handed_to_the_daemon(fake, provider, time):
    fake.inject(429, retry_after=120, times=100, method="POST", path_contains="/events")

    with pytest.raises(TransientError) as caught:
        provider.create(followup())

    assert caught.value.retry_after == 120
    assert inserts(fake) == 1  # waiting 120 s would break the 60 s budget: not waited
    assert time.waits == []
    fake.clear_faults()
    assert provider.create(followup()).id == followup().id


def test_network_errors_are_retried_then_transient(fake, tmp_path, time):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/calendar/v3/"
    provider = make_provider(fake, tmp_path, time, draw=0.5, endpoint=dead)
    try:
        with pytest.raises(TransientError) as caught:
            provider.read_changes(PRIMARY, None, SCOPE)
    finally:
        provider.close()

    assert "network error" in str(caught.value)
    assert len(time.waits) == RetryPolicy().attempts - 1


def test_full_jitter_stays_under_the_cap():
    policy = RetryPolicy()

    waits = [policy.wait(retry, None, 0.999) for retry in range(1, 12)]

    assert waits[:3] == pytest.approx([0.999, 1.998, 3.996])
    assert max(waits) < policy.cap
    assert policy.wait(1, 7.0, 0.0) == 7.0


def _hour() -> dict[str, dict[str, str]]:
    return {
        "start": {"dateTime": "2027-06-10T10:00:00Z"},
        "end": {"dateTime": "2027-06-10T11:00:00Z"},
    }
