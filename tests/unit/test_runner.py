"""A sweep keeps each source's faults to that source, whatever they are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from factories import make_source

from providers import Provider
from providers.memory import MemoryProvider
from syncd.config import Config, SourceConfig
from syncd.errors import AuthError, ProviderError
from syncd.model import CalendarEvent
from syncd.runner import sweep
from syncd.state import StateStore

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
SOURCES = tuple(make_source(n, url="http://127.0.0.1/") for n in "abc")


def test_a_defect_or_an_auth_failure_in_one_source_leaves_the_others_running(
    tmp_path: Path,
) -> None:
    healthy = MemoryProvider()
    start = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    healthy.put(CalendarEvent(id="iv", calendar=healthy.calendar_id("Personal"),
                              title="Interview with Acme", start=start,
                              end=start + dt.timedelta(hours=1)))  # fmt: skip

    def opener(source: SourceConfig, config: Config) -> Provider:
        if source.name == "a":
            raise RuntimeError("a bug in a provider")
        if source.name == "b":
            raise AuthError('source "b": the server refused the login')
        return healthy

    store = StateStore(tmp_path)
    outcomes = sweep(Config(sources=SOURCES), store, opener=opener, clock=lambda: NOW)
    assert [o.ok for o in outcomes] == [False, False, True]
    assert isinstance(outcomes[0].error, ProviderError)
    assert "RuntimeError: a bug in a provider" in str(outcomes[0].error)
    assert outcomes[2].report is not None and len(outcomes[2].report.applied) == 3
    status_b = store.source_status("b")
    assert status_b is not None and status_b.paused
    status_c = store.source_status("c")
    assert status_c is not None and status_c.last_sync == NOW.isoformat()
