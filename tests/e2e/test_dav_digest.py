"""A server that takes Digest logins only: sabre/dav's standard auth backend (Baikal's
default too). syncd logs in with the config a Basic server takes (a username and a
password), and a wrong password is the same one line it is on a Basic server.

The server is sabre/dav 1.8's Digest door (``sabredav_digest``, tests/dav_servers/),
behind the counting proxy; it runs where its Debian packages are installed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import LONDON, PASSWORD_ENV, DavBackend
from measured import run_once
from servers import DavServer

TUESDAY = dt.date.today() + dt.timedelta(days=8 - dt.date.today().weekday())


def at(hour: int) -> dt.datetime:
    return dt.datetime.combine(TUESDAY, dt.time(hour), tzinfo=LONDON)


@pytest.fixture
def backend(sabredav_digest: DavServer) -> Iterator[DavBackend]:
    found = DavBackend(sabredav_digest)
    yield found
    found.close()


def config(backend: DavBackend, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        '[calls]\nholidays = "none"\n' + backend.source_toml(tmp_path)
    )
    return path


def test_a_digest_only_server_takes_the_config_a_basic_server_takes(
    backend: DavBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, backend.server.password)
    backend.put("acme-1", "Interview with Acme", at(10), at(11))
    assert "username =" in backend.source_toml(tmp_path)  # no key says how to log in

    first = run_once(config(backend, tmp_path))
    backend.reset_requests()
    second = run_once(config(backend, tmp_path))

    assert (first.exit_code, first.failures) == (0, []), first.stderr
    assert len(writes(first.stderr)) == 3, first.stderr
    assert sorted(backend.followups()) == ["call-afternoon", "call-morning", "thank-you"]
    assert (second.exit_code, second.failures) == (0, []), second.stderr
    assert writes(second.stderr) == [] and not second.logged("WARNING"), second.stderr


def writes(log: str) -> list[str]:
    """The follow-ups a pass wrote, as its log says."""
    return [line for line in log.splitlines() if "syncd.apply: dav: create " in line]


def test_a_wrong_password_on_a_digest_only_server_is_one_clear_line(
    backend: DavBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-" + backend.server.password)
    path = config(backend, tmp_path)

    run = run_once(path)

    assert run.exit_code == 1, run.stderr
    assert run.failures == [
        f'dav: the CalDAV server refused the login "{backend.server.username}" (HTTP 401);'
        f' check the password of source "dav" (password_env) and its username in {path}'
    ], run.stderr
    assert "Traceback" not in run.stderr
    # Basic first, then Digest: two refusals, no more.
    assert backend.requests() == {"PROPFIND": 2}
