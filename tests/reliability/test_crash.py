"""``syncd run`` killed with SIGKILL in the middle of its writes, again and again, then restarted.

Nothing runs at a kill: no handler, no commit, no lock release. The next start
must still end with each follow-up exactly once, the user's events untouched,
and a pass after that with nothing left to do (SPEC section 7: what a cut pass
wrote is found again by its identity and markers).
"""

from __future__ import annotations

import collections
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest
from daemon_process import (
    SYNCD,
    NotifySocket,
    Syncd,
    daemon_env,
    dav_source,
    put_interview,
    wait_until,
    write_config,
)
from servers import CalendarHandle, DavServer

PASSWORD_ENV = "SYNCD_TEST_PASSWORD"
INTERVIEWS = 15  # 45 follow-ups: a pass writes long enough to be killed in the middle
KILL_AFTER = (0, 7, 22, 38)  # kill once this many follow-ups are on the server (0: at once)


def syncd_objects(calendar: CalendarHandle, interviews: set[str]) -> list[str]:
    """The names of the objects syncd wrote (everything but the user's interviews)."""
    return [name for name in calendar.names() if name not in interviews]


@pytest.mark.slow
def test_killed_mid_pass_four_times_then_restarted_no_duplicate_nothing_touched(
    tmp_path: Path, dav_server: DavServer, dav_calendar: CalendarHandle
) -> None:
    calendar = dav_calendar
    interviews = set()
    for n in range(INTERVIEWS):
        put_interview(calendar, f"company-{n}", f"Company {n}")
        interviews.add(f"company-{n}.ics")
    before = {name: (calendar.etag(name), calendar.get(name)) for name in interviews}
    config = write_config(
        tmp_path / "config.toml",
        tmp_path / "state",
        dav_source("home", dav_server.url, dav_server.username, PASSWORD_ENV, calendar.name),
        interval="1h",
    )
    env = {PASSWORD_ENV: dav_server.password}

    def written_at_least(count: int) -> Callable[[], bool]:
        return lambda: len(syncd_objects(calendar, interviews)) >= count

    seen = []
    for round_, kill_after in enumerate(KILL_AFTER):
        daemon = Syncd(config, tmp_path / f"killed-{round_}.log", daemon_env(None, **env))
        try:
            wait_until(written_at_least(kill_after), 60, f"{kill_after} follow-ups")
            daemon.signal(signal.SIGKILL)
            assert daemon.process.wait(timeout=10) == -signal.SIGKILL
        finally:
            daemon.stop()
        seen.append(len(syncd_objects(calendar, interviews)))
    assert seen[-1] < 3 * INTERVIEWS, f"the last kill came too late to cut a pass: {seen}"

    notify = NotifySocket()
    daemon = Syncd(config, tmp_path / "final.log", daemon_env(notify, **env))
    try:
        notify.wait_for("STATUS", count=2, timeout=60)  # READY's, then the first pass's
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=10) == 0
    finally:
        daemon.stop()
        notify.close()

    ids: collections.Counter[str] = collections.Counter()
    written = syncd_objects(calendar, interviews)
    assert len(written) == 3 * INTERVIEWS, f"kills after {seen} follow-ups"
    for name in written:
        for event in icalendar.Calendar.from_ical(calendar.get(name) or b"").walk("VEVENT"):
            ids[f"{event['X-SYNCD-INTERVIEW']} {event['X-SYNCD-KIND']} {event['UID']}"] += 1
    assert len(ids) == 3 * INTERVIEWS, f"kills after {seen} follow-ups"
    assert set(ids.values()) == {1}, [i for i, n in ids.items() if n > 1]
    assert {name: (calendar.etag(name), calendar.get(name)) for name in interviews} == before

    again = subprocess.run(
        [str(SYNCD), "--config", str(config), "run", "--once"],
        env=daemon_env(None, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "home: did create 0, update 0, delete 0"
