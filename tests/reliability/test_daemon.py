"""``syncd run``, the daemon, as systemd runs it: the real console script against real Radicale.

Each test starts ``syncd --config CFG run`` with ``interval = "1s"`` and
$NOTIFY_SOCKET naming a socket the test listens on, changes the calendars or
the config as a user would, and watches what a user (or systemd) sees: events
on the server, notify messages, log lines, the exit code. Every process is
stopped by its PID in a finally.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import AUTH_PASSWORD, AUTH_USER
from daemon_process import (
    SYNCD,
    NotifySocket,
    Syncd,
    daemon_env,
    dav_source,
    put_interview,
    wait_for_followups,
    wait_until,
    write_config,
)
from servers import CalendarHandle, DavServer, free_port, make_calendar

PASSWORD_ENV = "SYNCD_TEST_PASSWORD"
KINDS = ["call-afternoon", "call-morning", "thank-you"]

Start = Callable[..., Syncd]


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    listener = NotifySocket()
    yield listener
    listener.close()


@pytest.fixture
def start(tmp_path: Path, notify: NotifySocket, radicale: DavServer) -> Iterator[Start]:
    """Start ``syncd run`` on a config; every daemon started is stopped at the end."""
    started: list[Syncd] = []

    def start_daemon(config: Path, **env: str) -> Syncd:
        env = {PASSWORD_ENV: radicale.password} | env
        log = tmp_path / f"syncd-{len(started)}.log"
        daemon = Syncd(config, log, daemon_env(notify, **env))
        started.append(daemon)
        return daemon

    yield start_daemon
    for daemon in started:
        daemon.stop()


@pytest.fixture
def calendar(radicale: DavServer) -> CalendarHandle:
    return make_calendar(radicale)


def home(radicale: DavServer, calendar: CalendarHandle, name: str = "home") -> str:
    return dav_source(name, radicale.url, radicale.username, PASSWORD_ENV, calendar.name)


def test_ready_then_follow_ups_status_and_watchdog(
    tmp_path: Path,
    start: Start,
    notify: NotifySocket,
    radicale: DavServer,
    calendar: CalendarHandle,
) -> None:
    put_interview(calendar, "acme-1", "Acme")
    config = write_config(tmp_path / "config.toml", tmp_path / "state", home(radicale, calendar))
    syncd = start(config, WATCHDOG_USEC="1000000")
    notify.wait_for("READY")
    assert wait_for_followups(calendar, 3) == KINDS
    statuses = notify.wait_for("STATUS", count=4)  # READY's, then one per loop turn with passes
    assert "0 ok, 1 waiting (home)" in statuses[0]
    assert statuses[-1].startswith("last pass 20") and statuses[-1].endswith("sources: 1 ok")
    notify.wait_for("WATCHDOG", count=3, timeout=5)
    assert syncd.running()
    assert notify.fields("READY") == ["1"]
    assert syncd.lines("under 30s"), "a 1 s interval is warned about"
    assert radicale.password not in syncd.log()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_exits_0_at_once_with_stopping(
    tmp_path: Path,
    start: Start,
    notify: NotifySocket,
    radicale: DavServer,
    calendar: CalendarHandle,
    stop_signal: signal.Signals,
) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path / "config.toml", state, home(radicale, calendar), interval="1h")
    syncd = start(config)
    notify.wait_for("STATUS", count=2)  # the first pass is done; the daemon waits for the next
    sent = time.monotonic()
    syncd.signal(stop_signal)
    assert syncd.process.wait(timeout=10) == 0
    assert time.monotonic() - sent < 3, "the wait ends at the signal"
    assert notify.wait_for("STOPPING", timeout=2) == ["1"]
    assert syncd.lines("INFO", "stopped")
    assert (tmp_path / "state" / "syncd.lock").read_text() == "", "the PID is cleared"


@pytest.mark.slow
def test_a_stop_signal_cuts_a_stuck_pass_within_10_s(
    tmp_path: Path, start: Start, notify: NotifySocket
) -> None:
    with socket.socket() as black_hole:  # accepts connections (backlog), never answers
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(8)
        url = f"http://127.0.0.1:{black_hole.getsockname()[1]}/"
        config = write_config(
            tmp_path / "config.toml",
            tmp_path / "state",
            dav_source("stuck", url, "u", PASSWORD_ENV),
        )
        syncd = start(config)
        notify.wait_for("READY")
        time.sleep(0.5)  # the first pass is now waiting for an answer (60 s timeout)
        sent = time.monotonic()
        syncd.signal(signal.SIGTERM)
        assert syncd.process.wait(timeout=12) == 0
        assert time.monotonic() - sent < 10
    assert notify.wait_for("STOPPING", timeout=2) == ["1"]
    assert syncd.lines("WARNING", "stopped in the middle of a pass")


def test_a_second_instance_on_the_same_state_dir_exits_at_once(
    tmp_path: Path,
    start: Start,
    notify: NotifySocket,
    radicale: DavServer,
    calendar: CalendarHandle,
) -> None:
    config = write_config(tmp_path / "config.toml", tmp_path / "state", home(radicale, calendar))
    first = start(config)
    notify.wait_for("READY")
    began = time.monotonic()
    second = subprocess.run(
        [str(SYNCD), "--config", str(config), "run"],
        env=daemon_env(notify, **{PASSWORD_ENV: radicale.password}),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert time.monotonic() - began < 5
    assert second.returncode == 1
    lines = second.stderr.splitlines()
    assert len(lines) == 1, second.stderr
    assert str(tmp_path / "state" / "syncd.lock") in lines[0]
    assert f"PID {first.pid}" in lines[0]
    assert first.running()
    assert notify.fields("READY") == ["1"], "the second one never told systemd it was ready"


def test_sighup_reloads_the_config_and_a_broken_one_keeps_the_old(
    tmp_path: Path,
    start: Start,
    notify: NotifySocket,
    radicale: DavServer,
    calendar: CalendarHandle,
) -> None:
    put_interview(calendar, "acme-1", "Acme")
    path, state = tmp_path / "config.toml", tmp_path / "state"
    config = write_config(path, state, home(radicale, calendar))
    syncd = start(config)
    wait_for_followups(calendar, 3)

    other = make_calendar(radicale)
    put_interview(other, "globex-1", "Globex")
    write_config(path, state, home(radicale, calendar), home(radicale, other, "second"))
    syncd.signal(signal.SIGHUP)
    assert wait_for_followups(other, 3) == KINDS, "the newly watched calendar is synced"
    assert syncd.lines("config reloaded", "home, second")

    path.write_text('interval = "soon"\n')
    syncd.signal(signal.SIGHUP)
    wait_until(lambda: syncd.lines("ERROR", "keeping the config"), 10, "the reload error")
    put_interview(calendar, "initech-1", "Initech")
    wait_for_followups(calendar, 6)  # the old config still runs
    errors = syncd.lines("ERROR")
    assert len(errors) == 1 and str(path) in errors[0] and "interval" in errors[0], errors
    assert syncd.running()


def test_a_source_that_is_down_backs_off_while_the_others_go_on(
    tmp_path: Path,
    start: Start,
    notify: NotifySocket,
    radicale: DavServer,
    calendar: CalendarHandle,
) -> None:
    put_interview(calendar, "acme-1", "Acme")
    closed = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    config = write_config(
        tmp_path / "config.toml",
        tmp_path / "state",
        dav_source("down", closed, "u", PASSWORD_ENV),
        home(radicale, calendar),
    )
    syncd = start(config)
    assert wait_for_followups(calendar, 3) == KINDS
    wait_until(lambda: len(syncd.lines("WARNING", "down: temporary failure")) >= 3, 15, "retries")
    status = notify.fields("STATUS")[-1]
    assert "1 ok, 1 failing (down)" in status
    assert syncd.running()
    assert not syncd.lines("ERROR")


@pytest.mark.slow
def test_a_refused_login_pauses_that_source_with_one_line_until_sighup(
    tmp_path: Path,
    start: Start,
    notify: NotifySocket,
    radicale: DavServer,
    radicale_auth: DavServer,
    calendar: CalendarHandle,
) -> None:
    put_interview(calendar, "acme-1", "Acme")
    carols = make_calendar(radicale_auth)
    put_interview(carols, "globex-1", "Globex")
    path, state = tmp_path / "config.toml", tmp_path / "state"

    def locked(password_env: str) -> str:
        return dav_source("locked", radicale_auth.url, AUTH_USER, password_env, carols.name)

    write_config(path, state, locked("SYNCD_WRONG"), home(radicale, calendar))
    syncd = start(path, SYNCD_WRONG="not-her-password", SYNCD_RIGHT=AUTH_PASSWORD)
    wait_for_followups(calendar, 3)
    turns = len(notify.wait_for("STATUS"))
    notify.wait_for("STATUS", count=turns + 4)  # four more intervals with passes of "home"
    errors = syncd.lines("ERROR")
    assert len(errors) == 1, errors
    assert "locked" in errors[0] and "HTTP 401" in errors[0] and "password_env" in errors[0]
    assert "1 ok, 1 paused (locked)" in notify.fields("STATUS")[-1]

    write_config(path, state, locked("SYNCD_RIGHT"), home(radicale, calendar))
    syncd.signal(signal.SIGHUP)
    assert wait_for_followups(carols, 3) == KINDS, "unpaused by the reload"
    wait_until(lambda: "sources: 2 ok" in notify.fields("STATUS")[-1], 10, "both sources ok")
    assert len(syncd.lines("ERROR")) == 1
    log = syncd.log()
    assert "not-her-password" not in log and AUTH_PASSWORD not in log
