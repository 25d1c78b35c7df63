"""The servers a bench script runs syncd against, loaded with a generated set, and the
config that points syncd at them.

``radicale``: one Radicale whose users each have the calendar ``bench`` of N
events (plain htpasswd logins when there is more than one user); ``xandikos``:
one Xandikos with that calendar; ``google``: the Google fake in its own process
(bench/google_server.py) with K calendars of N events, one token file each.
Every server is a process of its own, stopped by its PID by ``Backend.stop``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.datasets import CALENDAR, events, fill_xandikos, radicale_storage
from syncd.demo import stop_process
from tests.servers import (
    DavServer,
    make_calendar,
    radicale_command,
    start_on_free_port,
    start_xandikos,
)

PASSWORD_ENV = "BENCH_DAV_PASSWORD"
# The Google fake speaks plain http.
ENV = {PASSWORD_ENV: "bench", "OAUTHLIB_INSECURE_TRANSPORT": "1"}
os.environ.update(ENV)


@dataclasses.dataclass
class Backend:
    """A running server and the ``[[sources]]`` tables that point syncd at it."""

    name: str
    sources: list[dict[str, Any]]
    stop: Callable[[], None]
    server: DavServer | None = None
    google: GoogleProcess | None = None
    calendars: list[str] = dataclasses.field(default_factory=list)  # URLs or Google ids


def radicale(folder: Path, count: int, users: int = 1, calendars: int = 1) -> Backend:
    """Radicale with ``users`` users (alice, or u0, u1, ...), each with the calendar
    ``bench`` of ``count`` events (or ``calendars`` of them, bench0, bench1, ...); one
    source per user, watching them all.

    Radicale refuses (400) a REPORT answer of more than 10,000 VEVENTs by default
    (``[reporting] max_expand_occurrence``): vdirsyncer's first sync asks for every
    object of the calendar in one multiget, so the bench raises it. syncd's requests
    stay under it (it multigets 500 at a time).
    """
    names = ("alice",) if users == 1 else tuple(f"u{k}" for k in range(users))
    called = (CALENDAR,) if calendars == 1 else tuple(f"{CALENDAR}{k}" for k in range(calendars))
    storage = radicale_storage(count, folder, names, called)
    htpasswd = None
    if users > 1:
        htpasswd = folder / "users"
        htpasswd.write_text("".join(f"{name}:bench\n" for name in names))

    def argv(port: int) -> list[str]:
        return [*radicale_command(port, storage, htpasswd), "--logging-level", "warning",
                "--reporting-max-expand-occurrence", "1000000"]  # fmt: skip

    process, port = start_on_free_port("radicale", argv, folder)
    url = f"http://127.0.0.1:{port}/"
    server = DavServer("radicale", url, names[0], "bench", process, folder, port)
    sources = [_dav_source(f"dav{k}", server.url, name, called) for k, name in enumerate(names)]
    urls = [f"{server.url}{name}/{calendar}/" for name in names for calendar in called]
    return Backend("radicale", sources, server.stop, server=server, calendars=urls)


def xandikos(folder: Path, count: int) -> Backend:
    """Xandikos with the calendar ``bench`` of ``count`` events (one git commit)."""
    server = start_xandikos(folder)
    calendar = make_calendar(server, CALENDAR)
    fill_xandikos(server.folder, calendar.path, events(count))
    source = _dav_source("dav0", server.url, server.username)
    return Backend("xandikos", [source], server.stop, server=server, calendars=[calendar.url])


def _dav_source(
    name: str, url: str, user: str, calendars: tuple[str, ...] = (CALENDAR,)
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "caldav",
        "url": url,
        "username": user,
        "password_env": PASSWORD_ENV,
        "calendars": list(calendars),
    }


class GoogleProcess:
    """bench/google_server.py running; ``ask`` sends it one command."""

    def __init__(self, folder: Path, count: int, calendars: int) -> None:
        script = Path(__file__).resolve().parent / "google_server.py"
        argv = [sys.executable, str(script), "--folder", str(folder)]
        argv += ["--events", str(count), "--calendars", str(calendars)]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the Google fake did not start")
        self.ready: dict[str, Any] = json.loads(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, op: str, **fields: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        stop_process(self.process)


def google(folder: Path, count: int, calendars: int = 1) -> Backend:
    """The Google fake with ``calendars`` calendars of ``count`` events; one source each."""
    fake = GoogleProcess(folder, count, calendars)
    ready = fake.ready
    sources = [
        {
            "name": f"google{k}",
            "kind": "google",
            "client_secrets": ready["secrets"],
            "token_file": token,
            "calendars": [calendar],
            "api_endpoint": ready["api_endpoint"],
        }
        for k, (calendar, token) in enumerate(zip(ready["calendars"], ready["tokens"], strict=True))
    ]
    return Backend("google", sources, fake.stop, google=fake, calendars=list(ready["calendars"]))


START = {"radicale": radicale, "xandikos": xandikos, "google": google}


def config_toml(state_dir: Path, sources: list[dict[str, Any]], **top: Any) -> str:
    """A syncd config: ``top`` keys (``interval = "5s"``), the state folder, the sources."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in top.items()]
    lines.append(f"state_dir = {json.dumps(str(state_dir))}")
    for source in sources:
        lines.append("\n[[sources]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in source.items()]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, sources: list[dict[str, Any]], **top: Any) -> Path:
    """``folder/config.toml`` with its state in ``folder/state``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(config_toml(folder / "state", sources, **top))
    return path
