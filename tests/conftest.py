"""Shared fixtures: real CalDAV servers on 127.0.0.1, one per session.

Radicale and Xandikos come with the Python environment. Cyrus, DAViCal and
sabre/dav (``cyrus``, ``davical``, ``sabredav``; tests/dav_servers/) start only
where their Debian packages are installed: elsewhere every test on them is
skipped, saying what to install. ``sabredav_digest`` is the same sabre/dav behind
its Digest-only door. A failed test on one of these servers shows the tail of
that server's logs.

``radicale_rights`` is a Radicale with access rules (read-only calendars, a
second login that may only read); the contract suite's Radicale set-up runs on it.

``dav_server`` runs a test once on each server; ``dav_calendar`` gives each test
a fresh calendar of its own (unique display name), so tests never see each
other's objects.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dav_servers
import pytest
from dav_accounts import start_radicale_rights
from dav_servers.known import KNOWN
from servers import (
    CalendarHandle,
    DavServer,
    log_tail,
    make_calendar,
    start_radicale,
    start_xandikos,
)

# tests/reliability drives the scenario suite's backends (tests/e2e/backends.py).
_E2E = str(Path(__file__).resolve().parent / "e2e")
if _E2E not in sys.path:
    sys.path.append(_E2E)

DAV_SERVERS = ("radicale", "xandikos")


class LeftLoopback(AssertionError):
    """A test tried to open a connection to an address outside 127.0.0.0/8 and ::1."""


def _loopback_only(address: Any) -> None:
    if not isinstance(address, tuple):
        return  # AF_UNIX paths (the systemd notify socket, say)
    host = str(address[0])
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host.split("%")[0]).is_loopback:
            return
    except ValueError:
        pass
    raise LeftLoopback(f"a test tried to connect to {host}: tests talk only to 127.0.0.1")


@pytest.fixture(autouse=True, scope="session")
def _no_traffic_off_loopback() -> Iterator[None]:
    """Every connection this test process opens goes to loopback, or the test fails.

    The check runs before connect(), so nothing is sent anywhere else.
    """
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return connect_ex(self, address)

    patch = pytest.MonkeyPatch()
    patch.setattr(socket.socket, "connect", guarded_connect)
    patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield
    patch.undo()


# The login of the auth-enabled Radicale (plain htpasswd).
AUTH_USER, AUTH_PASSWORD = "carol", "c0rrect-h0rse-battery"


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Radicale without auth: any login is accepted, the user name is the principal."""
    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def radicale_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Radicale with one user (AUTH_USER, AUTH_PASSWORD); other logins get 401."""
    server = start_radicale(
        tmp_path_factory.mktemp("radicale-auth"), users={AUTH_USER: AUTH_PASSWORD}
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def radicale_rights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Radicale with a rights file (tests/dav_accounts.py): its user (the server's login)
    writes their own calendars but may only read those named ``ro-*``; ADMIN writes
    everything, READER may only read every user's calendars."""
    server = start_radicale_rights(tmp_path_factory.mktemp("radicale-rights"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Xandikos with the principal /user/ and no auth."""
    server = start_xandikos(tmp_path_factory.mktemp("xandikos"))
    yield server
    server.stop()


_PACKAGED: list[DavServer] = []  # the packaged servers this session started


def _packaged(name: str, factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Server ``name`` of dav_servers for the session, or a skip saying what to install."""
    reason = dav_servers.missing(name)
    if reason:
        pytest.skip(reason)
    server = dav_servers.start(name, factory.mktemp(name))
    _PACKAGED.append(server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cyrus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """Cyrus IMAP with CalDAV; its login's mailbox made."""
    yield from _packaged("cyrus", tmp_path_factory)


@pytest.fixture(scope="session")
def davical(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """DAViCal on a private PostgreSQL."""
    yield from _packaged("davical", tmp_path_factory)


@pytest.fixture(scope="session")
def sabredav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """sabre/dav 1.8, Basic logins (no sync-collection)."""
    yield from _packaged("sabredav", tmp_path_factory)


@pytest.fixture(scope="session")
def sabredav_digest(sabredav: DavServer) -> DavServer:
    """The same sabre/dav and calendars behind its door that takes Digest logins only."""
    return dav_servers.digest_door(sabredav)


def _params(item: pytest.Item) -> set[str]:
    """The values a parametrised test runs with (a server's name among them), and its id
    (``cyrus-main calendar``)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return set()
    return {str(v) for v in callspec.params.values()} | {callspec.id}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests known to fail on a packaged server (dav_servers/known.py): xfail, with why."""
    for item in items:
        module = Path(str(item.fspath)).stem
        test = getattr(item, "originalname", item.name)
        for value in _params(item):
            reason = KNOWN.get((module, test, value))
            if reason is not None:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test on a packaged server shows the tail of that server's logs."""
    report = yield
    if report.failed:
        ran_on = _params(item)
        for server in (s for s in _PACKAGED if s.name in ran_on):
            for log in (server.folder / "server.log", server.folder / "postgres.log"):
                if log.exists():
                    report.sections.append((f"{server.name}: {log}", _tail(log)))
    return report


def _tail(log: Path) -> str:
    """The log's last lines, without the PHP built-in server's line per connection."""
    lines = log_tail(log, 400).splitlines()
    kept = [line for line in lines if not line.endswith((" Accepted", " Closing"))]
    return "\n".join(kept[-40:]) or "(empty: Cyrus, for one, logs only to syslog)"


@pytest.fixture(params=DAV_SERVERS)
def dav_server(request: pytest.FixtureRequest) -> DavServer:
    """Each real CalDAV server in turn."""
    server: DavServer = request.getfixturevalue(request.param)
    assert server.running, f"{server.name} has stopped; see {server.log_file}"
    return server


@pytest.fixture
def dav_calendar(dav_server: DavServer) -> CalendarHandle:
    """A new, empty calendar on ``dav_server`` for this test alone."""
    return make_calendar(dav_server)


@pytest.fixture
def google_fake() -> Iterator[object]:
    """A fake Google Calendar v3 + OAuth server on 127.0.0.1 for this test alone.

    Yields a ``fakes.google_calendar.FakeGoogleCalendar`` (imported here, not at
    the top, so CalDAV-only runs never load the Google client).
    """
    from fakes.google_calendar import FakeGoogleCalendar

    with FakeGoogleCalendar() as fake:
        yield fake


@pytest.fixture
def outlook_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A fake Microsoft Graph and sign-in on https://127.0.0.1 for this test alone, its
    certificate trusted through REQUESTS_CA_BUNDLE (as MSAL and syncd's HTTP read it).

    Yields a ``fakes.graph_fake.FakeGraph`` (imported here: CalDAV-only runs never load
    MSAL).
    """
    from fakes.graph_fake import FakeGraph

    with FakeGraph() as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
        yield fake
