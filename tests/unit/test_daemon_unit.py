"""The daemon's pure parts: the backoff schedule, the per-source loop, notify, the lock.

The loop runs with a fake clock, a fake wait and a scripted sweep: no server,
no sleeping. The notify tests send to a real AF_UNIX datagram socket.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import socket
import stat
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import make_source

from syncd.config import Config
from syncd.daemon import (
    BACKOFF_CAP,
    MAX_SLEEP,
    RETRY_AFTER_LIMIT,
    Daemon,
    Waker,
    backoff_delay,
)
from syncd.errors import AuthError, ProviderError, TransientError
from syncd.lock import LOCK_NAME, AlreadyRunning, acquire
from syncd.notify import Notifier, WatchdogThread, one_line, socket_address, watchdog_period
from syncd.runner import SourceOutcome
from syncd.state import StateStore
from syncd.state_files import StateError
from syncd.workers import inline

# --- the backoff schedule


@pytest.mark.parametrize("failures", [1, 2, 3, 5])
def test_full_jitter_spans_one_second_to_the_ceiling(failures: int) -> None:
    ceiling = 30.0 * 2 ** (failures - 1)
    assert backoff_delay(failures, 300, rand=0.0) == 1.0
    assert backoff_delay(failures, 300, rand=0.999999) == pytest.approx(ceiling, rel=1e-5)
    assert backoff_delay(failures, 300, rand=0.5) == pytest.approx(ceiling / 2)


def test_the_ceiling_doubles_from_30s_up_to_the_cap() -> None:
    ceilings = [backoff_delay(n, 300, rand=1.0) for n in range(1, 9)]
    assert ceilings == [30, 60, 120, 240, 480, 900, 900, 900]
    assert BACKOFF_CAP == 900


def test_a_short_interval_is_the_base_and_a_long_one_the_cap() -> None:
    assert [backoff_delay(n, 10, rand=1.0) for n in (1, 2, 3)] == [10, 20, 40]
    assert [backoff_delay(n, 3600, rand=1.0) for n in (1, 7, 8, 50)] == [30, 1920, 3600, 3600]


def test_many_failures_do_not_overflow() -> None:
    assert backoff_delay(10_000, 300, rand=1.0) == BACKOFF_CAP


def test_a_larger_retry_after_wins_a_smaller_one_does_not() -> None:
    assert backoff_delay(1, 300, rand=0.5, retry_after=120) == 120
    assert backoff_delay(3, 300, rand=0.5, retry_after=5) == 60
    assert backoff_delay(1, 300, rand=0.5, retry_after=10**9) == RETRY_AFTER_LIMIT


# --- the loop, with a fake clock, a fake wait and a scripted sweep


@dataclasses.dataclass
class Loop:
    """A Daemon whose sources fail or succeed as scripted; records when each pass ran."""

    script: dict[str, list[Exception | None]]
    tmp_path: Path
    interval: float = 300
    until: float = 2000
    now: float = 1000.0
    passes: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    waits: list[float] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        sources = tuple(make_source(name, url="http://127.0.0.1:9/") for name in self.script)
        config = Config(
            interval=dt.timedelta(seconds=self.interval),
            state_dir=self.tmp_path / "state",
            sources=sources,
        )
        self.store = StateStore(config.state_dir)
        self.daemon = Daemon(
            self.tmp_path / "config.toml",
            config,
            self.store,
            sweep=self.sweep,
            clock=lambda: self.now,
            rand=lambda: 0.5,
            wait=self.wait,
            spawn=inline,  # each pass in the loop's thread: the fake clock stays in step
        )

    def sweep(
        self, config: Config, store: StateStore, *, dry_run: bool = False
    ) -> list[SourceOutcome]:
        [source] = config.sources
        self.passes.append((self.now, source.name))
        script = self.script[source.name]
        error = script.pop(0) if script else None
        if isinstance(error, ProviderError) or error is None:
            return [SourceOutcome(source.name, error=error)]
        raise error

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if self.now >= self.until:
            self.daemon.stopping = True

    def times(self, name: str) -> list[float]:
        return [at - 1000 for at, source in self.passes if source == name]


@pytest.fixture
def loop_factory(tmp_path: Path) -> Iterator[type[Loop]]:
    made: list[Loop] = []

    class Made(Loop):
        def __post_init__(self) -> None:
            super().__post_init__()
            made.append(self)

    yield Made
    for loop in made:
        loop.store.close()


def test_transient_failures_back_off_success_resets_others_go_on(
    loop_factory: type[Loop], tmp_path: Path
) -> None:
    down = TransientError("HTTP 503")
    loop = loop_factory({"flaky": [down, down, None], "steady": []}, tmp_path)
    loop.daemon.run()
    # rand 0.5: half the ceiling (30 s, then 60 s); after the success, the interval again.
    assert loop.times("flaky") == [0, 15, 45, 345, 645, 945]
    assert loop.times("steady") == [0, 300, 600, 900]
    assert max(loop.waits) <= MAX_SLEEP


def test_retry_after_is_honoured(loop_factory: type[Loop], tmp_path: Path) -> None:
    loop = loop_factory({"limited": [TransientError("429", retry_after=200)]}, tmp_path)
    loop.daemon.run()
    assert loop.times("limited")[:3] == [0, 200, 500]


def test_other_provider_errors_and_bugs_back_off_too(
    loop_factory: type[Loop], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loop = loop_factory(
        {"odd": [ProviderError("HTTP 400"), KeyError("bug")], "steady": []}, tmp_path
    )
    loop.daemon.run()
    assert loop.times("odd")[:3] == [0, 15, 45]
    assert loop.times("steady") == [0, 300, 600, 900]
    assert "odd: the pass failed unexpectedly" in caplog.text


def test_a_state_file_failing_in_a_pass_stops_the_daemon_in_one_line(
    loop_factory: type[Loop], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = StateError("state.sqlite3: the state file is damaged; run: syncd state reset")
    loop = loop_factory({"a": [damaged], "b": []}, tmp_path)
    loop.daemon.run()
    assert loop.daemon.fatal is damaged and loop.daemon.stopping
    assert "Traceback" not in caplog.text and "failed unexpectedly" not in caplog.text
    assert loop.times("a") == [0]  # never tried again: every pass needs the file


def test_an_auth_error_pauses_the_source_until_a_reload(
    loop_factory: type[Loop], tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text(
        f'interval = "5m"\nstate_dir = "{tmp_path / "state"}"\n'
        '[[sources]]\nname = "locked"\nkind = "caldav"\nurl = "http://127.0.0.1:9/"\n'
        '[[sources]]\nname = "steady"\nkind = "caldav"\nurl = "http://127.0.0.1:9/"\n'
    )
    loop = loop_factory({"locked": [AuthError("refused")], "steady": []}, tmp_path)
    loop.daemon.run()
    assert loop.times("locked") == [0]
    assert loop.times("steady") == [0, 300, 600, 900]
    assert "1 paused (locked)" in loop.daemon.status_line()
    reloaded = loop.now - 1000
    loop.daemon.stopping, loop.daemon.reload_requested, loop.until = False, True, loop.now + 400
    loop.daemon.run()
    assert loop.times("locked") == [0, reloaded, reloaded + 300]  # both due at once, then on
    assert loop.times("steady")[-2:] == [reloaded, reloaded + 300]


def test_a_broken_config_on_reload_keeps_the_old_one(
    loop_factory: type[Loop], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "config.toml").write_text('interval = "soon"\n')
    loop = loop_factory({"steady": []}, tmp_path, until=1500)
    loop.daemon.reload_requested = True
    with caplog.at_level(logging.ERROR):
        loop.daemon.run()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "interval" in errors[0] and "keeping the config" in errors[0]
    assert loop.daemon.config.interval == dt.timedelta(minutes=5)
    assert loop.times("steady") == [0, 300]


def test_a_stop_request_is_seen_between_sources(loop_factory: type[Loop], tmp_path: Path) -> None:
    loop = loop_factory({"first": [], "second": []}, tmp_path)
    original = loop.sweep

    def stop_during(
        config: Config, store: StateStore, *, dry_run: bool = False
    ) -> list[SourceOutcome]:
        loop.daemon.stopping = True  # as the SIGTERM handler does, mid-pass
        return original(config, store, dry_run=dry_run)

    loop.daemon.sweep = stop_during
    loop.daemon.run()
    assert loop.passes == [(1000, "first")]


def test_status_line_names_failing_and_paused_sources(
    loop_factory: type[Loop], tmp_path: Path
) -> None:
    loop = loop_factory(
        {"a": [], "b": [TransientError("x")] * 9, "c": [AuthError("no")], "d": []}, tmp_path
    )
    assert "last pass none yet; sources: 0 ok, 4 waiting (a, b, c, d)" in loop.daemon.status_line()
    loop.until = 1001
    loop.daemon.run()
    line = loop.daemon.status_line()
    assert line.startswith("last pass 20")
    assert line.endswith("sources: 2 ok, 1 failing (b), 1 paused (c)")


def test_a_short_interval_warns_once(
    loop_factory: type[Loop], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loop = loop_factory({"a": []}, tmp_path, interval=5, until=1020)
    loop.daemon.run()
    warnings = [r for r in caplog.records if "under 30s" in r.getMessage()]
    assert len(warnings) == 1 and loop.times("a") == [0, 5, 10, 15]


def test_a_hung_pass_holds_back_its_own_source_alone(tmp_path: Path) -> None:
    """Passes in worker threads: the steady source passes on its schedule while the stuck
    one's pass hangs, and the stuck one is never started twice at once."""
    release, woke = threading.Event(), threading.Event()
    passes: list[str] = []
    now = [1000.0]

    def sweep(config: Config, store: StateStore, *, dry_run: bool = False) -> list[SourceOutcome]:
        [source] = config.sources
        passes.append(source.name)
        if source.name == "stuck":
            release.wait(30)
        return [SourceOutcome(source.name)]

    def wait(seconds: float) -> None:
        woke.wait(0.05)  # a finished pass ends it at once
        woke.clear()
        now[0] += seconds
        if passes.count("steady") >= 5 and not daemon.stopping:
            daemon.stopping = True
            release.set()

    sources = tuple(make_source(name, url="http://127.0.0.1:9/") for name in ("stuck", "steady"))
    config = Config(interval=dt.timedelta(seconds=60), state_dir=tmp_path / "state",
                    sources=sources)  # fmt: skip
    store = StateStore(config.state_dir)
    try:
        daemon = Daemon(tmp_path / "config.toml", config, store, sweep=sweep,
                        clock=lambda: now[0], wait=wait, wake=woke.set)  # fmt: skip
        daemon.run()
    finally:
        store.close()
    assert passes.count("stuck") == 1 and passes.count("steady") >= 5
    assert not daemon.busy, "the stop waited for the pass in flight"
    assert daemon.states["stuck"].ok and daemon.states["steady"].ok


def test_the_wait_ends_at_a_signal() -> None:
    waker = Waker()
    previous = signal.signal(signal.SIGUSR1, lambda *_: None)
    timer = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        timer.start()
        started = time.monotonic()
        waker.wait(10)
        assert time.monotonic() - started < 2
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
        waker.close()


# --- systemd notify


def test_socket_addresses() -> None:
    assert socket_address("@syncd/notify") == "\0syncd/notify"
    assert socket_address("/run/user/1000/systemd/notify") == "/run/user/1000/systemd/notify"
    assert socket_address("") is None
    assert socket_address("@") is None
    assert socket_address("vsock:2:1234") is None


def test_watchdog_period_is_half_of_watchdog_usec_for_our_pid() -> None:
    assert watchdog_period({"WATCHDOG_USEC": "1000000"}, 42) == 0.5
    assert watchdog_period({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "42"}, 42) == 0.5
    assert watchdog_period({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "43"}, 42) is None
    assert watchdog_period({"WATCHDOG_USEC": "0"}, 42) is None
    assert watchdog_period({"WATCHDOG_USEC": "soon"}, 42) is None
    assert watchdog_period({}, 42) is None


def test_status_is_one_line() -> None:
    assert one_line("a\nb\r\n c") == "a b c"


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket in a short folder (AF_UNIX paths are limited to 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="sdn-")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    yield sock, path
    sock.close()
    os.unlink(path)
    os.rmdir(folder)


def test_notifier_sends_ready_status_and_stopping(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path}, os.getpid())
    notifier.ready("starting\nnow")
    notifier.status("1 ok")
    notifier.stopping()
    notifier.close()
    received = [sock.recv(4096).decode() for _ in range(3)]
    assert received == ["READY=1\nSTATUS=starting now", "STATUS=1 ok", "STOPPING=1"]


def test_notifier_reaches_an_abstract_socket() -> None:
    name = f"syncd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        notifier = Notifier({"NOTIFY_SOCKET": "@" + name}, os.getpid())
        assert notifier.send("READY=1")
        assert sock.recv(4096) == b"READY=1"
        notifier.close()


def test_notifier_never_fails(tmp_path: Path) -> None:
    missing = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")}, os.getpid())
    assert missing.send("READY=1") is False
    missing.stopping()
    outside = Notifier({}, os.getpid())
    assert outside.send("READY=1") is False and outside.watchdog_period is None


def test_from_environment_hides_the_socket_from_children(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", "@x")
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    notifier = Notifier.from_environment()
    assert notifier.address == "\0x" and notifier.watchdog_period == 1.0
    assert not {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} & set(os.environ)


def test_the_watchdog_pings_only_while_the_loop_is_alive(
    listener: tuple[socket.socket, str],
) -> None:
    sock, path = listener
    sock.settimeout(0.5)
    notifier = Notifier({"NOTIFY_SOCKET": path}, os.getpid())
    alive = threading.Event()
    alive.set()
    thread = WatchdogThread(notifier, 0.05, alive.is_set)
    thread.start()
    try:
        assert [sock.recv(64) for _ in range(3)] == [b"WATCHDOG=1"] * 3
        alive.clear()
        time.sleep(0.1)
        sock.settimeout(0.01)
        with pytest.raises(TimeoutError):  # drain what was in flight, then silence
            while True:
                sock.recv(64)
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(64)
    finally:
        thread.stop()
        notifier.close()


# --- one instance per state dir


def test_the_lock_is_exclusive_names_its_holder_and_is_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    lock = acquire(state)
    try:
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert stat.S_IMODE((state / LOCK_NAME).stat().st_mode) == 0o600
        assert (state / LOCK_NAME).read_text() == f"{os.getpid()}\n"
        with pytest.raises(AlreadyRunning) as raised:
            acquire(state)
        message = str(raised.value)
        assert str(state / LOCK_NAME) in message and f"PID {os.getpid()}" in message
        assert "\n" not in message
    finally:
        lock.release()
    acquire(state).release()
    assert (state / LOCK_NAME).read_text() == ""
