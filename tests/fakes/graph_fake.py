"""A Microsoft Graph and sign-in fake on https://127.0.0.1, for one account and one app.

``FakeGraph`` serves the identity platform's endpoints (``graph_login``) and
Graph's calendar API (``graph_api``) from one TLS server (MSAL signs in over
https only): clients trust its certificate through ``REQUESTS_CA_BUNDLE``
(``ca_file``). Tests play the user's Outlook (``add_event``, ``modify_event``,
``remove_event``, ``add_weekly``, ...), the account's owner (``add_calendar``,
``make_read_only``, ``delete_calendar``), and Graph itself (``expire_delta_tokens``,
``inject`` of faults such as 429 with Retry-After, ``after=True`` to apply a
write and lose its answer, ``before`` to run another client's change first).
Every request is logged (method, path, query, the headers syncd's rules are
about, status).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .graph_api import GraphApi, GraphError, error_answer, preferences
from .graph_login import CLIENT_ID, Login
from .graph_store import Calendar, Store, parse_time, utc_text
from .graph_tls import certificate

Answer = tuple[int, dict[str, str], bytes]


@dataclasses.dataclass(frozen=True)
class Record:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # prefer, if-match (lower-case names)
    status: int


@dataclasses.dataclass
class Fault:
    status: int
    method: str | None
    path_contains: str | None
    times: int
    code: str
    retry_after: str | None
    after: bool


@dataclasses.dataclass
class Tamper:
    """An answer of the test's own in place of the real one, sent after ``delay`` seconds."""

    answer: Answer
    method: str | None
    path_contains: str | None
    times: int
    delay: float


@dataclasses.dataclass
class Hook:
    action: Callable[[], None]
    method: str | None
    path_contains: str | None


def _picks(method: str, path: str, want: str | None, part: str | None) -> bool:
    return (want is None or want.upper() == method) and (part is None or part in path)


class FakeGraph:
    """The fake, started as a context manager; ``account`` is the default calendar's id."""

    def __init__(self) -> None:
        self.store = Store()
        self.records: list[Record] = []
        self.faults: list[Fault] = []
        self.hooks: list[Hook] = []
        self.tampers: list[Tamper] = []
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.account = self.store.add_calendar("Calendar", default=True).id
        self.login = Login("https://127.0.0.1:0")
        self.api = GraphApi(self.store, "https://127.0.0.1:0")

    # -- the server

    def start(self) -> str:
        cert, key = certificate()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.fake = self  # type: ignore[attr-defined]
        self.server = server
        self.login.base = self.api.base = self.base
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self.base

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FakeGraph:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def ca_file(self) -> Path:
        return certificate()[0]

    @property
    def authority(self) -> str:
        return f"{self.base}/common"

    @property
    def api_endpoint(self) -> str:
        return f"{self.base}/v1.0"

    client_id = CLIENT_ID

    def token_file(self, path: Path) -> Path:
        """An MSAL token cache for the account, as ``syncd auth outlook`` writes it (0600),
        made by MSAL's device-code flow against this fake (the user signs in at once)."""
        import msal

        cache = msal.SerializableTokenCache()
        app = msal.PublicClientApplication(
            CLIENT_ID, authority=self.authority, token_cache=cache,
            instance_discovery=False, verify=str(self.ca_file),
        )  # fmt: skip
        waits, self.login.approve_after = self.login.approve_after, 0
        try:
            flow = app.initiate_device_flow(scopes=["Calendars.ReadWrite"])
            result = app.acquire_token_by_device_flow(flow)
        finally:
            self.login.approve_after = waits
        assert "access_token" in result, result
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(cache.serialize())
        path.chmod(0o600)
        return path

    # -- what the account's owner does

    def add_calendar(self, name: str, *, can_edit: bool = True) -> str:
        return self.store.add_calendar(name, can_edit=can_edit).id

    def make_read_only(self, calendar_id: str) -> None:
        """The calendar is shared with the account for reading only (``canEdit`` false)."""
        with self.store.lock:
            self.store.calendars[calendar_id].can_edit = False

    def delete_calendar(self, calendar_id: str) -> None:
        with self.store.lock:
            del self.store.calendars[calendar_id]

    def calendar_named(self, name: str) -> str:
        with self.store.lock:
            return next(c.id for c in self.store.calendars.values() if c.name == name)

    # -- what the user's Outlook does

    def add_event(self, calendar_id: str, fields: dict[str, Any]) -> str:
        """A new event with Graph's fields (times as dateTimeTimeZone); its id."""
        with self.store.lock:
            return self.store.put(self._calendar(calendar_id), _times(fields)).id

    def add_weekly(self, calendar_id: str, fields: dict[str, Any], count: int) -> str:
        """A weekly series of ``count`` occurrences from ``fields``' times; the master's id."""
        with self.store.lock:
            return self.store.put(self._calendar(calendar_id), _times(fields), count=count).id

    def occurrences(self, calendar_id: str, master: str) -> list[str]:
        """The ids of a series' occurrences, in order (those deleted left out)."""
        with self.store.lock:
            calendar = self._calendar(calendar_id)
            return [key for key, stored, _ in self.store.instances(calendar) if stored.id == master]

    def move_occurrence(
        self, calendar_id: str, master: str, index: int, start: dt.datetime, end: dt.datetime
    ) -> None:
        with self.store.lock:
            stored = self._calendar(calendar_id).events[master]
            stored.moved[index] = (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
            self.store.touch(stored)

    def delete_occurrence(self, calendar_id: str, master: str, index: int) -> None:
        with self.store.lock:
            stored = self._calendar(calendar_id).events[master]
            stored.dropped.add(index)
            self.store.touch(stored)

    def modify_event(self, calendar_id: str, event_id: str, changes: dict[str, Any]) -> None:
        """Change an event (or a series' master: every occurrence) as Outlook would."""
        with self.store.lock:
            stored = self._calendar(calendar_id).events[event_id]
            stored.fields.update(_times(changes))
            self.store.touch(stored)

    def remove_event(self, calendar_id: str, event_id: str) -> None:
        with self.store.lock:
            del self._calendar(calendar_id).events[event_id]
            self.store.next_change()

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every stored event of the calendar (series as their master), as Graph stores it."""
        with self.store.lock:
            return [{"id": s.id, "@odata.etag": self.api.etag(s),
                     **json.loads(json.dumps(s.fields))}
                    for s in self._calendar(calendar_id).events.values()]  # fmt: skip

    def expire_delta_tokens(self) -> None:
        """Graph forgot every sync state: 410 syncStateNotFound from now on."""
        with self.store.lock:
            self.store.rounds.clear()
            self.api.pending.clear()

    def _calendar(self, calendar_id: str) -> Calendar:
        return self.store.calendars[calendar_id]

    # -- faults

    def inject(self, status: int, *, method: str | None = None, path_contains: str | None = None,
               times: int = 1, code: str = "", retry_after: str | None = None,
               after: bool = False) -> None:  # fmt: skip
        """The next ``times`` matching requests answer ``status`` (Graph's error shape, with
        ``Retry-After`` when given); ``after``: a write is applied first, its answer lost."""
        codes = {
            429: "TooManyRequests",
            503: "ServiceNotAvailable",
            504: "GatewayTimeout",
            401: "InvalidAuthenticationToken",
        }
        with self._lock:
            code = code or codes.get(status, "ErrorInternalServerError")
            self.faults.append(
                Fault(status, method, path_contains, times, code, retry_after, after)
            )

    def tamper(self, status: int, body: bytes, headers: dict[str, str] | None = None, *,
               method: str | None = None, path_contains: str | None = None, times: int = 1,
               delay: float = 0.0) -> None:  # fmt: skip
        """The next ``times`` matching requests get this answer instead (a proxy's page, a
        broken or endless listing), after ``delay`` seconds."""
        answer = (status, dict(headers or {"Content-Type": "application/json"}), body)
        with self._lock:
            self.tampers.append(Tamper(answer, method, path_contains, times, delay))

    def before(
        self,
        action: Callable[[], None],
        *,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Run ``action`` (another client's change) once, just before a matching request."""
        with self._lock:
            self.hooks.append(Hook(action, method, path_contains))

    def graph_requests(self) -> list[Record]:
        """The requests to Graph (not the sign-in), oldest first."""
        with self._lock:
            return [r for r in self.records if r.path.startswith("/v1.0/")]

    def clear_requests(self) -> None:
        with self._lock:
            self.records.clear()

    # -- answering

    def answer(self, method: str, raw_path: str, headers: Any, body: bytes) -> Answer:
        split = urllib.parse.urlsplit(raw_path)
        query = {
            k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()
        }
        path = split.path
        hook = fault = tamper = None
        with self._lock:
            for one_tamper in self.tampers:
                if _picks(method, path, one_tamper.method, one_tamper.path_contains):
                    one_tamper.times -= 1
                    if one_tamper.times <= 0:
                        self.tampers.remove(one_tamper)
                    tamper = one_tamper
                    break
            for found in self.hooks:
                if _picks(method, path, found.method, found.path_contains):
                    self.hooks.remove(found)
                    hook = found
                    break
            for one in self.faults:
                if _picks(method, path, one.method, one.path_contains):
                    one.times -= 1
                    if one.times <= 0:
                        self.faults.remove(one)
                    fault = one
                    break
        if tamper is not None:
            time.sleep(tamper.delay)
            return tamper.answer
        if hook is not None:
            hook.action()
        if fault is not None and not fault.after:
            return self._fault(fault)
        if path.startswith("/v1.0/"):
            answer = self._graph(method, path, query, headers, body)
        else:
            answer = self.login.handle(method, path, {k: [v] for k, v in query.items()}, body) or (
                404,
                {},
                b"",
            )
        return self._fault(fault) if fault is not None else answer

    def _graph(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> Answer:
        auth = str(headers.get("Authorization", ""))
        if not auth.startswith("Bearer ") or not self.login.valid(auth[7:]):
            return error_answer(
                GraphError(
                    401,
                    "InvalidAuthenticationToken",
                    "Access token has expired or is not yet valid.",
                )
            )
        prefer = preferences(headers.get_all("Prefer") or [])
        try:
            return self.api.handle(
                method, path, query, prefer, body, str(headers.get("If-Match", ""))
            )
        except GraphError as error:
            return error_answer(error)

    @staticmethod
    def _fault(fault: Fault) -> Answer:
        status, extra, body = error_answer(
            GraphError(fault.status, fault.code, f"injected {fault.status}")
        )
        if fault.retry_after is not None:
            extra["Retry-After"] = fault.retry_after
        return status, extra, body

    def log(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)


def _times(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields with their times in UTC text, as the store keeps them."""
    out = dict(fields)
    props = out.get("singleValueExtendedProperties")
    if isinstance(props, list):
        out["singleValueExtendedProperties"] = {p["id"]: p["value"] for p in props}
    for side in ("start", "end"):
        if side in out:
            out[side] = {"dateTime": utc_text(parse_time(out[side])), "timeZone": "UTC"}
    return out


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)  # a client hanging up is no news


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeGraph"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake: FakeGraph = self.server.fake  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status, headers, payload = fake.answer(self.command, self.path, self.headers, body)
        except Exception:  # a bug in the fake: say so loudly, answer like Graph's 500
            traceback.print_exc(file=sys.stderr)
            status, headers, payload = error_answer(GraphError(500, "InternalServerError", "fake"))
        split = urllib.parse.urlsplit(self.path)
        query = {
            k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()
        }
        logged = {
            n: ", ".join(self.headers.get_all(n) or [])
            for n in ("prefer", "if-match")
            if n in self.headers
        }
        fake.log(Record(self.command, split.path, query, logged, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass
