"""The rig of the fault, crash and state tests: an account behind a fault proxy, its
config, and a daemon whose passes the test counts and starts.

syncd reaches the account through a ``FaultProxy`` (tests/reliability/fault_proxy.py):
CalDAV through it and then the soak's counting proxy (which plays read-only
calendars), Google through it to the fake's API and token endpoint. Each source
has ``timeout = "2s"``, so that a stalled request costs seconds.

A pass ends with a STATUS line to the notify socket. ``Run.kick`` reloads the
config (SIGHUP, as ``systemctl reload`` does), which makes every source due at
once: under 20 % of requests faulted most passes fail somewhere, and the
daemon's backoff (doubling with each failure in a row, up to 15 minutes) would
space 200 passes over hours. The backoff has tests of its own
(tests/unit/test_daemon_unit.py); here the passes are what count.
"""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from daemon_process import SYNCD, NotifySocket, Syncd, daemon_env, wait_until
from fault_proxy import FaultProxy
from soak_accounts import Account, open_account

from syncd.state_files import DB_NAME

TIMEOUT = "2s"  # the source's timeout: a stall past it costs 2 s
SOURCE = {"google": "gmail"}  # the source's name in soak_accounts' configs (else "dav")


def source_name(kind: str) -> str:
    return SOURCE.get(kind, "dav")


def open_faulted(
    kind: str, folder: Path, setenv: Callable[[str, str], None], *, seed: int, rate: float
) -> tuple[Account, FaultProxy]:
    """A new account of ``kind`` on a server of its own, and a fault proxy in front of it."""
    account = open_account(kind, folder, setenv)
    if kind == "google":
        upstream, flavour = account.fake.base_url, "json"  # type: ignore[attr-defined]
    else:
        upstream, flavour = account.proxy.url, "xml"  # type: ignore[attr-defined]
    return account, FaultProxy(upstream, seed=seed, rate=rate, flavour=flavour)


def write_config(account: Account, proxy: FaultProxy, folder: Path, state_dir: Path) -> Path:
    """The user's config: one source, every calendar, through ``proxy``."""
    folder.mkdir(parents=True, exist_ok=True)
    source = account.source_toml(folder) + f'timeout = "{TIMEOUT}"\n'
    if hasattr(account, "fake"):
        base = account.fake.base_url  # the API's and the token endpoint's
        for name in ("client_secret.json", "token.json"):
            path = folder / name
            path.write_text(path.read_text().replace(base, proxy.url + "/"))
        source = source.replace(base, proxy.url + "/")
    else:
        source = source.replace(account.proxy.url, proxy.url)  # type: ignore[attr-defined]
    config = folder / "config.toml"
    head = f'timezone = "Europe/London"\ninterval = "1s"\nstate_dir = "{state_dir}"\n'
    config.write_text(head + source)
    return config


def calendar_changes(rng: random.Random, passes: int) -> dict[int, str]:
    """Before which passes the account changes: a calendar appears and one is frozen (in
    either order) in the first half, one vanishes later."""
    appear, freeze = rng.sample(range(passes // 10, passes * 45 // 100), 2)
    vanish = rng.randrange(max(appear, freeze) + passes // 10, passes * 7 // 10)
    return {appear: "appear", freeze: "freeze", vanish: "vanish"}


def run_once(config: Path) -> str:
    done = subprocess.run(
        [str(SYNCD), "--config", str(config), "run", "--once"],
        env=daemon_env(None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def sources_ok(status: str) -> bool:
    """Whether a STATUS line says the one source's last pass went well."""
    return status.endswith("sources: 1 ok")


class Run:
    """One ``syncd run`` with a notify socket; its passes counted by their STATUS lines."""

    def __init__(
        self,
        config: Path,
        log: Path,
        env: dict[str, str],
        *,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        self.notify = NotifySocket()
        self.daemon = Syncd(config, log, daemon_env(self.notify, **env), preexec=preexec)
        self.statuses = 1  # READY's STATUS comes first: passes are the ones after it

    @property
    def passes(self) -> int:
        return len(self.notify.fields("STATUS")) - 1

    def alive(self) -> None:
        code = self.daemon.process.poll()
        assert code is None, f"syncd has exited ({code}):\n{self.daemon.log()[-3000:]}"

    def wait_pass(self, timeout: float = 120) -> str:
        """Wait for the next pass to end; its STATUS line."""

        def ended() -> list[str] | None:
            self.alive()
            lines = self.notify.fields("STATUS")
            return lines if len(lines) > self.statuses else None

        lines = wait_until(ended, timeout, "a pass")
        self.statuses = len(lines)
        return lines[-1]

    def wait_ready(self, timeout: float = 60) -> None:
        self.notify.wait_for("READY", timeout=timeout)

    def kick(self) -> None:
        """Every source due now (a reload): the next pass starts at once. Not before
        READY: until its handlers are in place, SIGHUP ends the process."""
        self.wait_ready()
        self.daemon.signal(signal.SIGHUP)

    def catch_up(self, proxy: FaultProxy, rate: float, calendars: str, tries: int = 40) -> None:
        """With no fault, passes until the STATUS line shows ``calendars`` (the calendars'
        states: the calendar list is read again every 12 passes) and two passes in a row
        went well; then ``rate`` again."""
        proxy.rate, good = 0.0, 0
        for _ in range(tries):
            self.kick()
            status = self.wait_pass()
            listed = f"calendars: {calendars};" in status
            good = good + 1 if sources_ok(status) and listed else 0
            if good == 2:
                proxy.rate = rate
                return
        raise AssertionError(f"not caught up in {tries} passes:\n{self.daemon.log()[-3000:]}")

    def stop(self) -> int:
        """SIGTERM; the exit code."""
        self.daemon.signal(signal.SIGTERM)
        return self.daemon.process.wait(timeout=15)

    def close(self) -> None:
        self.daemon.stop()
        self.notify.close()


def faults_line(proxy: FaultProxy) -> str:
    """The faults injected, by kind, and the lost answers by what they lost."""
    counts = proxy.faults()
    lost: dict[str, int] = {}
    for item in proxy.lost:
        lost[item.op] = lost.get(item.op, 0) + 1
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    return (
        f"{sum(counts.values())} faults in {proxy.requests} requests"
        f" ({', '.join(f'{m} {n}' for m, n in proxy.methods.most_common())}): {kinds};"
        f" lost answers: {json.dumps(lost, sort_keys=True)}"
    )


_SKIPPED = re.compile(r": (\S+) skipped: the server's answer for it is unreadable.*a GET of it too")


def skipped(log: str, state_dir: Path) -> set[str]:
    """The interviews a CalDAV read skipped an object of (its own, or a follow-up's) as
    unreadable: its multiget answer spoilt, asked for alone spoilt again, and its GET
    answered with no iCalendar. The calendar's sync token moves past it, so its change
    waits until it changes again (docs/reliability.md, "At scale")."""
    stems = {name.removesuffix(".ics") for name in _SKIPPED.findall(log)}
    path = state_dir / DB_NAME
    if not stems or not path.exists():
        return stems
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, interview FROM followups").fetchall()
    finally:
        db.close()
    return stems | {interview for fid, interview in rows if fid in stems}
