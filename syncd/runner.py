"""A sweep: one pass over every configured source, each source's faults kept to itself.

``syncd run --once``, ``syncd plan``, ``syncd demo`` and the daemon all sweep
through here; what went wrong with one source is recorded for ``syncd status``
and the other sources go on. The caller reports a failure (``SourceOutcome.line``;
with a calendar's failures, ``SourceOutcome.lines``): the CLI prints them, the
daemon logs them with what it does next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable

from providers import Provider, open_provider
from syncd.config import Config, SourceConfig
from syncd.engine import Engine, PassReport
from syncd.errors import AuthError, ProviderError, one_line, source_line
from syncd.state import StateStore
from syncd.state_files import database_error

log = logging.getLogger(__name__)

Opener = Callable[[SourceConfig, Config], Provider]


@dataclasses.dataclass
class SourceOutcome:
    """One source's pass: its report, or the error that stopped it."""

    source: str
    report: PassReport | None = None
    error: ProviderError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def line(self) -> str:
        """The failure as one error line, ``SOURCE: what happened; what to do``; "" when ok."""
        return source_line(self.source, self.error) if self.error is not None else ""

    @property
    def lines(self) -> list[str]:
        """Every failure of the pass, one line each: the source's, else its calendars'
        (``SOURCE: CALENDAR: what happened; what to do``)."""
        if self.error is not None:
            return [self.line]
        return list(self.report.failures) if self.report is not None else []


def sweep(
    config: Config,
    store: StateStore,
    *,
    dry_run: bool = False,
    opener: Opener = open_provider,
    clock: Callable[[], dt.datetime] | None = None,
) -> list[SourceOutcome]:
    """One pass over every source; never raises a provider's error, returns it per source.

    A defect (any other exception) is logged with its traceback and returned as
    a ProviderError; typed errors are left to the caller to report. An SQLite error
    (the state file damaged meanwhile) stops the sweep: StateError, one line.
    """
    engine = Engine(config, store, clock=clock)
    outcomes = []
    try:
        for source in config.sources:
            outcomes.append(_pass(engine, source, config, dry_run, opener))
    except sqlite3.Error as error:  # the state file, damaged while syncd ran: no source goes on
        raise database_error(store.path, error) from None
    return outcomes


def _pass(
    engine: Engine, source: SourceConfig, config: Config, dry_run: bool, opener: Opener
) -> SourceOutcome:
    outcome = SourceOutcome(source.name)
    try:
        provider = opener(source, config)
        try:
            outcome.report = engine.run_source(source, provider, dry_run=dry_run)
        finally:
            provider.close()
    except ProviderError as error:
        outcome.error = error
    except sqlite3.Error:
        raise
    except Exception as error:  # a defect must not stop the other sources
        log.exception("%s: unexpected failure", source.name)
        outcome.error = ProviderError(f"unexpected failure: {type(error).__name__}: {error}")
    if not dry_run:
        _record(engine.store, outcome, engine.clock())
    return outcome


def _record(store: StateStore, outcome: SourceOutcome, now: dt.datetime) -> None:
    if outcome.error is None:
        store.set_source_status(outcome.source, last_sync=now.isoformat())
    else:
        paused = isinstance(outcome.error, AuthError)
        store.set_source_status(outcome.source, error=one_line(str(outcome.error)), paused=paused)
