"""``syncd run`` with a source whose server never answers beside a healthy one.

The hung server is a local socket that accepts connections and never says a word.
Each source's pass runs in a worker of its own (syncd/workers.py): the healthy source
gets its follow-ups on its schedule, pass after pass, while the other hangs; and a
stop still exits 0 within 10 s, the hung pass abandoned. Asserted by the follow-ups
appearing, not by timing.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_process import (
    NotifySocket,
    Syncd,
    daemon_env,
    dav_source,
    put_interview,
    wait_for_followups,
    write_config,
)
from servers import DavServer, make_calendar

PASSWORD_ENV = "SYNCD_TEST_PASSWORD"
KINDS = ["call-afternoon", "call-morning", "thank-you"]


@pytest.fixture
def black_hole() -> Iterator[str]:
    """The URL of a server that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)
        yield f"http://127.0.0.1:{hole.getsockname()[1]}/"


def test_a_hung_server_delays_no_other_source(
    tmp_path: Path, radicale: DavServer, black_hole: str
) -> None:
    calendar = make_calendar(radicale)
    put_interview(calendar, "acme-1", "Acme")
    config = write_config(
        tmp_path / "config.toml",
        tmp_path / "state",
        dav_source("hung", black_hole, "u", PASSWORD_ENV),  # listed first: it starts first
        dav_source("home", radicale.url, radicale.username, PASSWORD_ENV, calendar.name),
    )
    notify = NotifySocket()
    env = daemon_env(notify, **{PASSWORD_ENV: radicale.password})
    syncd = Syncd(config, tmp_path / "syncd.log", env)
    try:
        notify.wait_for("READY")
        assert wait_for_followups(calendar, 3) == KINDS
        put_interview(calendar, "globex-1", "Globex")  # a later pass of "home" takes it up
        assert len(wait_for_followups(calendar, 6)) == 6
        status = notify.fields("STATUS")[-1]
        assert "sources: 1 ok, 1 " in status and "(hung)" in status, status

        sent = time.monotonic()
        syncd.signal(signal.SIGTERM)
        assert syncd.process.wait(timeout=12) == 0
        assert time.monotonic() - sent < 10
        assert syncd.lines("WARNING", "stopped in the middle of a pass")
    finally:
        syncd.stop()
        notify.close()
