"""``syncd run``: passes on a per-source schedule, backoff, signals, the lock, systemd notify.

The daemon drives passes (``syncd.runner.sweep`` over one source at a time) and
knows nothing of interviews. Each source has its own due time: after a good
pass, one interval; after a transient or unexpected failure, a backoff (see
``backoff_delay``); after an AuthError, never again until the config is
reloaded (SIGHUP). Each due source's pass runs in a worker thread of its own
(``syncd.workers``: at most WORKERS at once, a source never twice at once, each
pass with its own state store connection), so that a hung server delays no other
source. The loop, the schedule and the signals stay in the main thread: signals
only set flags, and the wait between turns is a select() that a signal, or a pass
that ends, ends at once.

Stopping: SIGTERM/SIGINT stop the loop: no pass starts any more. The passes in
flight are let finish (the engine commits each write with its record) for up to
STOP_GRACE seconds; past that, or at a second signal, they are abandoned (a
request in flight with them, an open transaction rolls back) so that syncd exits
0 within 10 s; the next start finds what a cut pass wrote by identity and marker
(docs/behaviour.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

from providers import config_sections
from syncd.config import QUOTA_INTERVAL, Config, load_config
from syncd.config_schema import format_duration
from syncd.errors import AuthError, ConfigError, TransientError, source_line
from syncd.lock import acquire
from syncd.notify import Notifier, WatchdogThread
from syncd.runner import SourceOutcome, sweep
from syncd.state import StateStore
from syncd.state_files import StateError
from syncd.state_health import STATES
from syncd.workers import WORKERS, Finished, Spawn, Waker, Workers, daemon_thread

log = logging.getLogger(__name__)

BACKOFF_BASE = 30.0  # the first retry comes within this (or within the interval if shorter)
BACKOFF_CAP = 15 * 60.0  # retries are never further apart than this (or the interval if longer)
RETRY_AFTER_LIMIT = 24 * 3600.0  # a server's Retry-After is honoured up to a day
MAX_SLEEP = 30.0  # wake at least this often: a laptop back from suspend syncs soon
STOP_GRACE = 8.0  # seconds a pass in flight may go on after SIGTERM (exit within 10 s)
HANG_LIMIT = 600.0  # no loop progress, or a pass this long: stop feeding the systemd watchdog
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
HANDLED_SIGNALS = {*STOP_SIGNALS, signal.SIGHUP, signal.SIGALRM}


def backoff_delay(
    failures: int, interval: float, rand: float, retry_after: float | None = None
) -> float:
    """Seconds to wait after the ``failures``-th failure in a row (1, 2, ...) of a source.

    Full jitter: ``rand`` (in [0, 1)) times a ceiling that starts at
    min(interval, BACKOFF_BASE), doubles per failure and stops at
    max(interval, BACKOFF_CAP); never under a second (or the ceiling, if less).
    A larger ``retry_after`` (the server's wish) wins, up to RETRY_AFTER_LIMIT.
    """
    base = min(interval, BACKOFF_BASE)
    cap = max(interval, BACKOFF_CAP)
    ceiling = min(cap, base * 2.0 ** min(max(failures, 1) - 1, 64))
    delay = max(ceiling * rand, min(1.0, ceiling))
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_LIMIT))
    return delay


def uptime() -> float:
    """Seconds on a clock that goes on during suspend (CLOCK_BOOTTIME; monotonic elsewhere)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


class Sweep(Protocol):
    def __call__(
        self, config: Config, store: StateStore, *, dry_run: bool = ...
    ) -> list[SourceOutcome]: ...


class StopNow(BaseException):
    """Raised by a signal handler to cut a pass short (BaseException: no handler swallows it)."""


@dataclasses.dataclass
class SourceState:
    """One source's schedule: when it is due, its failures in a row, paused or not."""

    due: float
    failures: int = 0
    paused: bool = False
    ok: bool | None = None  # None: no pass yet
    said: frozenset[str] = frozenset()  # its calendars' failure lines of the last pass

    @property
    def health(self) -> str:
        """``ok``, ``failing``, ``paused`` or ``waiting`` (no pass yet)."""
        if self.paused:
            return "paused"
        return "waiting" if self.ok is None else "ok" if self.ok else "failing"


class Daemon:
    """The loop over the sources' schedules; clock, random, sweep, wait and how a pass is
    run (``spawn``: a worker thread; tests run it inline) are injectable.

    ``wait(seconds)`` must return early when a signal arrives, or ``wake`` is called
    (``Waker``); a plain ``time.sleep`` would hold SIGTERM back for up to MAX_SLEEP.
    ``store`` is the loop's own connection (the STATUS line); each pass opens its own
    with ``open_store``.
    """

    def __init__(
        self,
        config_path: Path,
        config: Config,
        store: StateStore,
        *,
        wait: Callable[[float], None],
        dry_run: bool = False,
        sweep: Sweep = sweep,
        clock: Callable[[], float] = uptime,
        rand: Callable[[], float] = random.random,
        notifier: Notifier | None = None,
        wake: Callable[[], None] = lambda: None,
        spawn: Callable[[str], Spawn] = daemon_thread,
        open_store: Callable[[Path], StateStore] = StateStore,
    ) -> None:
        self.config_path, self.store, self.dry_run = config_path, store, dry_run
        self.sweep, self.clock, self.rand, self.wait = sweep, clock, rand, wait
        self.open_store = open_store
        self.notifier = notifier or Notifier({}, 0)
        self.stopping = self.reload_requested = False
        self.fatal: StateError | None = None  # the state file failed in a pass: stop
        # A dry pass holds its writes in one transaction it throws away: one at a time.
        size = 1 if dry_run else WORKERS
        self.workers = Workers(clock, size=size, wake=wake, spawn=spawn)
        self.beat = clock()  # the loop's last sign of life, for the watchdog
        self.last_pass: dt.datetime | None = None
        self.config = config
        self.states: dict[str, SourceState] = {}
        self._apply(config, previous=None)

    @property
    def busy(self) -> bool:
        """Whether a pass is in flight."""
        return self.workers.busy

    def run(self) -> None:
        """Loop until ``stopping`` is set; returns once the passes in flight are done (or
        abandoned: StopNow)."""
        try:
            while not self.stopping:
                self.beat = self.clock()
                if self.reload_requested:
                    self._reload()
                self._start_due()
                if self._collect():
                    self.notifier.status(self.status_line())
                if not self.stopping:
                    self.wait(self.next_wait())
            while self.workers.busy:  # the passes in flight, within the stop's grace
                self.wait(MAX_SLEEP)
                self._collect()
        except StopNow:
            log.warning("stopped in the middle of a pass; the next start completes it")
        log.info("stopped")

    def alive(self) -> bool:
        """Whether the loop has shown life within HANG_LIMIT, and no pass has been in
        flight longer (what the watchdog vouches for)."""
        now, oldest = self.clock(), self.workers.oldest()
        return now - self.beat < HANG_LIMIT and (oldest is None or now - oldest < HANG_LIMIT)

    def next_wait(self) -> float:
        """Seconds until the next source not in flight is due, at most MAX_SLEEP."""
        now = self.clock()
        due = [
            state.due
            for name, state in self.states.items()
            if not state.paused and not self.workers.running(name)
        ]
        return min(max(min(due) - now, 0.0), MAX_SLEEP) if due else MAX_SLEEP

    def status_line(self) -> str:
        """One line for systemd's STATUS: last pass time, calendars ok, read-only,
        failing, vanished (once there are any), sources ok, failing, paused."""
        groups: dict[str, list[str]] = {"ok": [], "failing": [], "paused": [], "waiting": []}
        for name, state in self.states.items():
            groups[state.health].append(name)
        parts = [f"{len(groups['ok'])} ok"]
        parts += [f"{len(v)} {k} ({', '.join(v)})" for k, v in groups.items() if k != "ok" and v]
        when = f"{self.last_pass:%Y-%m-%d %H:%M:%S}" if self.last_pass else "none yet"
        dry = " (dry run)" if self.dry_run else ""
        health = [h.state for h in self.store.calendar_health() if h.source in self.states]
        counts = [f"{health.count(state)} {state}" for state in STATES if health.count(state)]
        calendars = f"calendars: {', '.join(counts)}; " if counts else ""
        return f"last pass {when}{dry}; {calendars}sources: " + ", ".join(parts)

    def _start_due(self) -> None:
        """Start the pass of every due source that is not in flight, while workers are free."""
        for source in self.config.sources:
            state = self.states[source.name]
            if self.stopping or self.workers.full:
                break
            if state.paused or state.due > self.clock() or self.workers.running(source.name):
                continue
            config = dataclasses.replace(self.config, sources=(source,))
            self.workers.start(source.name, functools.partial(self._one, config))

    def _one(self, config: Config) -> SourceOutcome:
        """One source's pass (in its worker), with a state store connection of its own."""
        store = self.open_store(config.state_dir)
        try:
            [outcome] = self.sweep(config, store, dry_run=self.dry_run)
        finally:
            store.close()
        return outcome

    def _collect(self) -> bool:
        """Take in the passes done since the last turn; whether there were any."""
        done = self.workers.finished()
        for finished in done:
            self._finish(finished)
        return bool(done)

    def _finish(self, finished: Finished) -> None:
        name, outcome, now = finished.name, finished.outcome, finished.ended
        state = self.states.get(name)
        if state is None:  # a source the config no longer has (reloaded meanwhile)
            return
        error: Exception | None = finished.error or (outcome.error if outcome else None)
        if isinstance(error, StateError):  # every source's pass needs the state file
            self.fatal, self.stopping = error, True
            return
        self.beat = max(self.beat, now)
        self.last_pass = dt.datetime.now(self.config.timezone)
        interval = self.config.interval.total_seconds()
        state.ok = error is None
        if outcome is not None and error is None:  # a calendar's line, once while it lasts
            lines = outcome.lines
            for line in lines:
                if line not in state.said:
                    log.warning("%s", line)
            state.said = frozenset(lines)
        if error is None:
            state.failures, state.due = 0, now + interval
        elif isinstance(error, AuthError):
            state.paused = True
            log.error("%s (paused until the config is reloaded)", source_line(name, error))
        else:
            state.failures += 1
            wish = error.retry_after if isinstance(error, TransientError) else None
            delay = backoff_delay(state.failures, interval, self.rand(), wish)
            state.due = now + delay
            if isinstance(error, TransientError):
                log.warning("%s: temporary failure, next try in %.0f s: %s", name, delay, error)
            elif outcome is not None:  # else: a bug, logged above with its traceback
                log.error("%s (next try in %.0f s)", outcome.line, delay)
            log.debug("%s: failure %d in a row", name, state.failures)

    def _reload(self) -> None:
        self.reload_requested = False
        try:
            config = load_config(self.config_path, config_sections())
        except ConfigError as error:
            log.error("%s (keeping the config in use)", error)
            return
        if config.state_dir != self.config.state_dir:
            log.warning(
                "%s: state_dir changed to %s: restart syncd to use it; keeping %s",
                self.config_path,
                config.state_dir,
                self.config.state_dir,
            )
            config = dataclasses.replace(config, state_dir=self.config.state_dir)
        self._apply(config, previous=self.config)

    def _apply(self, config: Config, previous: Config | None) -> None:
        """Use ``config``: every source due now and unpaused (a reload is the way to unpause)."""
        self.config = config
        now = self.clock()
        self.states = {source.name: SourceState(due=now) for source in config.sources}
        interval = config.interval
        if interval < QUOTA_INTERVAL and (previous is None or previous.interval != interval):
            log.warning(
                "%s: interval %s is under 30s: every pass spends API quota",
                config.path or self.config_path,
                format_duration(interval),
            )
        names = ", ".join(self.states) or "none"
        verb = "watching" if previous is None else "config reloaded; watching"
        log.info("%s sources (%s) every %s", verb, names, format_duration(interval))


Handler = Callable[[int, FrameType | None], object] | int | None


def _install_signals(daemon: Daemon) -> dict[int, Handler]:
    """Handlers that only set flags, except when a pass must be cut short (StopNow)."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        again, daemon.stopping = daemon.stopping, True
        if daemon.busy and again:
            raise StopNow
        if daemon.busy:
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE)

    def deadline(_signum: int, _frame: FrameType | None) -> None:
        if daemon.busy:
            raise StopNow

    def reload(_signum: int, _frame: FrameType | None) -> None:
        daemon.reload_requested = True

    handlers = {signal.SIGHUP: reload, signal.SIGALRM: deadline}
    handlers |= {number: stop for number in STOP_SIGNALS}
    return {number: signal.signal(number, handler) for number, handler in handlers.items()}


def run_daemon(config_path: Path, config: Config, *, dry_run: bool = False) -> int:
    """Run passes until SIGTERM or SIGINT; returns the exit code (0 after a requested stop).

    ``config`` is what ``config_path`` held at start; SIGHUP reloads it from there.
    Raises AlreadyRunning (a SyncdError) when another syncd holds the state dir's lock,
    and StateError when the state file fails in a pass (every source needs it).
    """
    notifier = Notifier.from_environment()
    lock = acquire(config.state_dir)
    store: StateStore | None = None
    waker: Waker | None = None
    watchdog: WatchdogThread | None = None
    previous: dict[int, Handler] = {}
    try:
        store = StateStore(config.state_dir)
        waker = Waker()
        daemon = Daemon(
            config_path,
            config,
            store,
            dry_run=dry_run,
            wait=waker.wait,
            wake=waker.wake,
            notifier=notifier,
        )
        previous = _install_signals(daemon)
        if notifier.watchdog_period:
            period = notifier.watchdog_period
            watchdog = WatchdogThread(notifier, period, daemon.alive, HANDLED_SIGNALS)
            watchdog.start()
        notifier.ready(daemon.status_line())
        daemon.run()
        if daemon.fatal is not None:
            raise daemon.fatal  # one line from the command line, exit 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        notifier.stopping()
        for number, handler in previous.items():
            signal.signal(number, handler)
        if watchdog is not None:
            watchdog.stop()
        if waker is not None:
            waker.close()
        if store is not None:
            store.close()
        lock.release()
        notifier.close()
    return 0
