"""Real CalDAV servers (Radicale, Xandikos) as subprocesses on 127.0.0.1, for the tests.

Each server runs in its own folder on a free port and is stopped by its own PID:
terminate, then kill after a timeout. ``make_calendar`` gives a calendar on it
to put objects into the way another calendar app would (plain HTTP), and
``write_stored`` puts bytes straight into the server's storage, past its
validation. Nothing here imports pytest. ``free_port`` and ``stop_process`` are
the demo's own (it runs them too); tests import them from here. The servers of
Debian packages (Cyrus, DAViCal, sabre/dav) start from ``dav_servers`` as the
same ``DavServer``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import http.client
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import niquests
from niquests.auth import HTTPDigestAuth

from syncd.demo import free_port, stop_process

START_TIMEOUT = 30.0  # seconds until a server must answer
LOCKED_RETRIES = 20  # writes a server turned away as locked, sent again


class ServerError(RuntimeError):
    """A server did not start; the text holds the tail of its log."""


@dataclasses.dataclass
class DavServer:
    """A running CalDAV server: ``url`` is what a user would configure as the source URL."""

    name: str
    url: str
    username: str
    password: str
    process: subprocess.Popen[bytes]
    folder: Path
    port: int
    rights: bool = False  # access rules of its own (Radicale's rights file)
    # What else stops with it (its database, its data folder), after its process.
    after_stop: Callable[[], None] | None = None
    digest: bool = False  # the server takes HTTP Digest logins only
    sync_collection: bool = True  # RFC 6578 (sabre/dav 1.8 has none: ctag and etags)
    # A UID may live in one calendar of an account only (Cyrus refuses it elsewhere with
    # 403 unique-scheduling-object-resource): the test's apps then give each calendar its own.
    one_uid_per_account: bool = False
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # its starter's own facts

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: what a path the server writes in hrefs is relative to."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def path(self) -> str:
        """The path of ``url`` (``/`` or deeper: ``/caldav.php/`` on DAViCal)."""
        return urllib.parse.urlsplit(self.url).path or "/"

    @property
    def log_file(self) -> Path:
        return self.folder / "server.log"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop this server's process (terminate, then kill after a timeout), then what
        ``after_stop`` stops; idempotent."""
        stop_process(self.process)
        if self.after_stop is not None:
            after, self.after_stop = self.after_stop, None
            after()


def _answers(port: int) -> bool:
    """True when an HTTP server on ``port`` answers an OPTIONS request (any status)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("OPTIONS", "/")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def log_tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _launch(
    name: str, argv: list[str], folder: Path, port: int, env: dict[str, str] | None, own: bool
) -> subprocess.Popen[bytes]:
    """Start ``argv`` logging to ``folder/server.log``; return once it answers on ``port``."""
    log_path = folder / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
            env=env, start_new_session=own,
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"{name} exited with status {process.returncode}:\n{log_tail(log_path)}"
            )
        if _answers(port):
            return process
        time.sleep(0.05)
    stop_process(process)
    raise ServerError(f"{name} did not answer on port {port} within {START_TIMEOUT:.0f} s")


def start_on_free_port(
    name: str,
    make_argv: Callable[[int], list[str]],
    folder: Path,
    env: dict[str, str] | None = None,
    own_group: bool = False,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start on a free port; try again on another port if the first one was taken meanwhile.

    ``env``: the whole environment of the process (None: this one's). ``own_group``: in a
    process group of its own (Cyrus's master, stopping, signals its whole group).
    """
    last: ServerError | None = None
    for _ in range(3):
        port = free_port()
        try:
            return _launch(name, make_argv(port), folder, port, env, own_group), port
        except ServerError as exc:
            last = exc
    assert last is not None
    raise last


def radicale_command(port: int, storage: Path, htpasswd: Path | None = None) -> list[str]:
    """Radicale on 127.0.0.1:``port``: plain htpasswd auth when given, else any login.

    No auth delay and no delay on errors: Radicale's defaults (1 s each) would
    only slow a loopback server down.
    """
    auth = ["--auth-type", "none"]
    if htpasswd is not None:
        auth = ["--auth-type", "htpasswd", "--auth-htpasswd-filename", str(htpasswd),
                "--auth-htpasswd-encryption", "plain"]  # fmt: skip
    return [
        sys.executable, "-m", "radicale", "--config", "",
        "--server-hosts", f"127.0.0.1:{port}", "--storage-filesystem-folder", str(storage),
        *auth, "--auth-delay", "0", "--server-delay-on-error", "0",
    ]  # fmt: skip


def start_radicale(
    folder: Path,
    *,
    users: dict[str, str] | None = None,
    username: str = "alice",
    rights: str | None = None,
) -> DavServer:
    """Radicale storing in ``folder``; ``users`` (name -> password) turns on plain htpasswd auth.

    Without ``users`` any login is accepted and the principal is the login's user name.
    ``rights``: the text of a rights file (``--rights-type from_file``); without it
    every user may read and write everything of their own.
    """
    folder.mkdir(parents=True, exist_ok=True)
    storage = folder / "collections"
    password = "secret"
    htpasswd = None
    if users:
        htpasswd = folder / "users"
        htpasswd.write_text("".join(f"{user}:{pw}\n" for user, pw in users.items()))
        username, password = next(iter(users.items()))
    extra = []
    if rights is not None:
        (folder / "rights").write_text(rights)
        extra = ["--rights-type", "from_file", "--rights-file", str(folder / "rights")]

    def argv(port: int) -> list[str]:
        return [*radicale_command(port, storage, htpasswd), *extra, "--logging-level", "info"]

    process, port = start_on_free_port("radicale", argv, folder)
    url = f"http://127.0.0.1:{port}/"
    return DavServer("radicale", url, username, password, process, folder, port, rights is not None)


def _xandikos_command() -> list[str]:
    """The xandikos entry point of this interpreter's environment."""
    script = Path(sys.executable).parent / "xandikos"
    if script.exists():
        return [str(script)]
    found = shutil.which("xandikos")
    return [found] if found else [sys.executable, "-m", "xandikos"]


def start_xandikos(folder: Path) -> DavServer:
    """Xandikos serving ``folder`` with the principal /user/ and its default calendar; no auth."""
    folder.mkdir(parents=True, exist_ok=True)

    def argv(port: int) -> list[str]:
        return [
            *_xandikos_command(),
            "serve",
            "-d",
            str(folder / "data"),
            "--state-dir",
            str(folder / "state"),
            "--defaults",
            "--current-user-principal",
            "/user/",
            "-l",
            "127.0.0.1",
            "-p",
            str(port),
            "--no-detect-systemd",
        ]

    process, port = start_on_free_port("xandikos", argv, folder)
    # Xandikos has no auth without TLS: any user name and password are ignored.
    url = f"http://127.0.0.1:{port}/"
    return DavServer("xandikos", url, "user", "unused", process, folder, port)


@dataclasses.dataclass
class CalendarHandle:
    """A calendar on a DavServer, written to as another client would: PUT, DELETE, GET."""

    server: DavServer
    url: str  # ends with "/"
    name: str
    login: tuple[str, str] | None = None  # (user, password) when not the server's own

    @property
    def auth(self) -> tuple[str, str]:
        return self.login or (self.server.username, self.server.password)

    @property
    def path(self) -> str:
        """The calendar's path as the server writes it in hrefs."""
        return urllib.parse.urlsplit(self.url).path

    def uid(self, key: str) -> str:
        """The UID an app gives the event ``key`` here: ``key`` itself, or on a server that
        holds a UID once per account ``key`` and a mark of this calendar."""
        if not self.server.one_uid_per_account:
            return key
        return f"{key}-{hashlib.blake2b(self.path.encode(), digest_size=4).hexdigest()}"

    def resource(self, name: str) -> str:
        """The resource (path) of the object ``name`` in this calendar."""
        return self.path + name

    def _request(
        self, method: str, name: str, data: bytes = b"", headers: dict[str, str] | None = None
    ) -> niquests.Response:
        """One request as a calendar app sends it; a write the server's lock held back
        is sent again, as an app would."""
        for attempt in range(LOCKED_RETRIES):
            with niquests.Session() as session:
                response = session.request(
                    method,
                    self.url + name,
                    data=data or None,
                    headers=headers,
                    auth=HTTPDigestAuth(*self.auth) if self.server.digest else self.auth,
                    timeout=30,
                )
            if not self._locked(method, response) or attempt == LOCKED_RETRIES - 1:
                return response
            time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _locked(self, method: str, response: niquests.Response) -> bool:
        """Whether the server turned a write away because another write held its store.

        Xandikos answers 423 while its git repository is locked, except for DELETE,
        where the same LockedError escapes as a 500 (its delete_member does not map
        it): that one is told by the server's log.
        """
        if method not in ("PUT", "DELETE"):
            return False
        if response.status_code == 423:
            return True
        if response.status_code != 500 or self.server.name != "xandikos":
            return False
        log = log_tail(self.server.log_file, 40)
        return "LockedError" in log or "index.lock" in log

    def put(self, name: str, ics: str | bytes) -> str:
        """Store ``ics`` as ``name`` (created or replaced); the new etag."""
        data = ics.encode() if isinstance(ics, str) else ics
        response = self._request(
            "PUT", name, data=data, headers={"Content-Type": "text/calendar; charset=utf-8"}
        )
        if response.status_code not in (200, 201, 204):
            text = (response.text or "")[:200]
            raise ServerError(f"PUT {name}: HTTP {response.status_code}: {text}")
        return response.headers.get("ETag") or ""

    def get(self, name: str) -> bytes | None:
        """The stored object, or None when there is none."""
        response = self._request("GET", name)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServerError(f"GET {name}: HTTP {response.status_code}")
        return response.content or b""

    def etag(self, name: str) -> str | None:
        """The object's current etag (from a GET), or None when there is none."""
        response = self._request("GET", name)
        return None if response.status_code == 404 else response.headers.get("ETag")

    def delete(self, name: str) -> None:
        response = self._request("DELETE", name)
        if response.status_code not in (200, 204):
            raise ServerError(f"DELETE {name}: HTTP {response.status_code}")

    def remove(self) -> None:
        """Delete the whole calendar (DELETE on the collection), as its owner would."""
        response = self._request("DELETE", "")
        if response.status_code not in (200, 204):
            raise ServerError(f"DELETE {self.path}: HTTP {response.status_code}")

    def names(self) -> list[str]:
        """The object names in the calendar (a depth-1 PROPFIND)."""
        body = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
        headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        response = self._request("PROPFIND", "", data=body, headers=headers)
        if response.status_code != 207:
            raise ServerError(f"PROPFIND {self.url}: HTTP {response.status_code}")
        hrefs = [urllib.parse.unquote(h) for h in _HREF.findall(response.text or "")]
        return sorted(h.rsplit("/", 1)[-1] for h in hrefs if not h.endswith("/"))


_HREF = re.compile(r"<(?:\w+:)?href>([^<]*)</(?:\w+:)?href>")


def dav_client(server: DavServer) -> Any:
    """The caldav library's client on ``server`` with its login, in the scheme it takes
    (sent at once: a server may answer an anonymous request without the principal)."""
    from caldav.davclient import DAVClient

    auth_type = "digest" if server.digest else "basic"
    return DAVClient(
        server.url, username=server.username, password=server.password, auth_type=auth_type
    )


def make_calendar(server: DavServer, name: str | None = None) -> CalendarHandle:
    """A new calendar (MKCALENDAR) with display name ``name`` (default: a unique one)."""
    name = name or f"Test {uuid.uuid4().hex[:8]}"
    with dav_client(server) as client:
        calendar = client.get_principal().make_calendar(name=name)
        url = str(getattr(calendar, "url", ""))
    return CalendarHandle(server, url if url.endswith("/") else url + "/", name)


def write_stored(calendar: CalendarHandle, name: str, data: bytes) -> None:
    """Put ``data`` as object ``name`` straight into the server's storage, unvalidated.

    Radicale: a file in its collection folder. Xandikos: a commit in the
    calendar's git repository (it serves what is committed).
    """
    relative = urllib.parse.unquote(calendar.path).strip("/")
    if calendar.server.name == "radicale":
        folder = calendar.server.folder / "collections" / "collection-root" / relative
        (folder / name).write_bytes(data)
        return
    from dulwich import porcelain

    folder = calendar.server.folder / "data" / relative
    (folder / name).write_bytes(data)
    porcelain.add(str(folder), [str(folder / name)])
    porcelain.commit(str(folder), message=b"raw write", author=b"t <t@t>", committer=b"t <t@t>")
