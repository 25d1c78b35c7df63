"""A local HTTP fake of Google Calendar v3 and Google's OAuth endpoints, for tests.

Drive it with the real google-api-python-client and google-auth::

    with FakeGoogleCalendar() as fake:
        service = fake.service()          # build("calendar", "v3", ...) against the fake
        service.events().list(calendarId="primary").execute()

Paths are Google's (``/calendar/v3/...``, ``/token``, ``/o/oauth2/auth``, ``/revoke``) on
127.0.0.1. Every API request needs a live bearer token the fake issued; query
parameters are checked against the discovery document googleapiclient ships.
``fields`` is accepted and ignored: answers are always whole resources.

Run by hand: ``python -m tests.fakes.google_calendar --port 8765``.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .google_api import CalendarApi
from .google_errors import ApiError, not_found
from .google_faults import FaultQueue, Make, fault_answer
from .google_http import Answer, RequestLog, error_answer, make_server
from .google_listing import Lister
from .google_model import StoredEvent
from .google_oauth import (
    CALENDAR_SCOPE,
    CLIENT_ID,
    CLIENT_SECRET,
    OAuthAuthority,
    write_private_json,
)
from .google_store import CalendarStore

if TYPE_CHECKING:
    import google.oauth2.credentials

API_PREFIX = "/calendar/v3/"


class FakeGoogleCalendar:
    """Google Calendar v3 + OAuth on a free loopback port, with fault injection and a log."""

    CLIENT_ID = CLIENT_ID
    CLIENT_SECRET = CLIENT_SECRET
    SCOPE = CALENDAR_SCOPE

    def __init__(
        self,
        account: str = "me@example.com",
        time_zone: str = "UTC",
        *,
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.account = account
        self.oauth = OAuthAuthority()
        self.store = CalendarStore(account, time_zone, clock or (lambda: datetime.now(UTC)))
        self.lister = Lister(self.store)
        self.api = CalendarApi(self.store, self.lister)
        self.requests = RequestLog()
        self.faults = FaultQueue()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> str:
        """Serve on 127.0.0.1 in a background thread; return the base URL (ends in /)."""
        server = make_server(self._port, self.handle, self.requests)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGoogleCalendar:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running: call start()")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def api_endpoint(self) -> str:
        """The ``client_options["api_endpoint"]`` that keeps Google's paths."""
        return self.base_url + API_PREFIX.lstrip("/")

    @property
    def token_uri(self) -> str:
        return self.base_url + "token"

    @property
    def auth_uri(self) -> str:
        return self.base_url + "o/oauth2/auth"

    @property
    def revoke_uri(self) -> str:
        return self.base_url + "revoke"

    # -- OAuth helpers ---------------------------------------------------------------------

    def issue_tokens(self, scope: str = CALENDAR_SCOPE) -> tuple[str, str]:
        """Return a fresh (access token, refresh token) pair for the fake client."""
        return self.oauth.issue_tokens(scope)

    def expire_access_tokens(self) -> None:
        self.oauth.expire_access_tokens()

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Refresh with this token now gets 400 invalid_grant; its access tokens die too."""
        self.oauth.revoke_refresh_token(refresh_token)

    def deny_consent(self, deny: bool = True) -> None:
        """Make the consent screen redirect with ``error=access_denied``."""
        self.oauth.deny_consent = deny

    def untick_scopes(self, *scopes: str) -> None:
        """Granular consent: the user unticks these scopes; the grant holds the others."""
        self.oauth.unticked = frozenset(scopes)

    def client_secrets_json(self, path: str | Path) -> Path:
        """Write an "installed" client-secrets file whose URIs point at the fake."""
        secrets = {
            "installed": {
                "client_id": CLIENT_ID,
                "project_id": "syncd-fake",
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": ["http://localhost"],
            }
        }
        return write_private_json(path, secrets)

    def authorized_user_json(
        self,
        path: str | Path,
        refresh_token: str | None = None,
        scopes: tuple[str, ...] = (CALENDAR_SCOPE,),
    ) -> Path:
        """Write a google-auth authorized-user file (a new grant of ``scopes`` unless
        ``refresh_token``), its ``scopes`` those granted.

        Its ``token_uri`` points at the fake, but google-auth 2.63's
        ``Credentials.from_authorized_user_file`` ignores the file's token_uri and
        always uses Google's: call ``.with_token_uri(fake.token_uri)`` on the result.
        """
        if refresh_token is None:
            _, refresh_token = self.issue_tokens(" ".join(scopes))
        info = {
            "type": "authorized_user",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh_token,
            "token_uri": self.token_uri,
            "scopes": list(scopes),
        }
        return write_private_json(path, info)

    def credentials(self) -> google.oauth2.credentials.Credentials:
        """google-auth Credentials holding a fresh grant of the fake."""
        from google.oauth2.credentials import Credentials

        access, refresh = self.issue_tokens()
        return Credentials(
            token=access,
            refresh_token=refresh,
            token_uri=self.token_uri,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=[CALENDAR_SCOPE],
        )

    def service(self, credentials: google.oauth2.credentials.Credentials | None = None) -> Any:
        """A googleapiclient Calendar v3 service talking to the fake."""
        from googleapiclient.discovery import build

        return build(
            "calendar",
            "v3",
            credentials=credentials or self.credentials(),
            static_discovery=True,
            client_options={"api_endpoint": self.api_endpoint},
            cache_discovery=False,
        )

    # -- data helpers (what other people and the web UI do) -------------------------------

    def add_calendar(
        self,
        summary: str,
        calendar_id: str | None = None,
        time_zone: str | None = None,
        *,
        access_role: str = "owner",
        hidden: bool = False,
        summary_override: str = "",
    ) -> str:
        """A calendar in the account's list; return its id.

        ``owner`` (the default): the account made it. Another ``access_role``
        (``writer``, ``reader``, ``freeBusyReader``): someone shared it, or the
        user subscribed to it (holidays, a public calendar); ``hidden`` and
        ``summary_override`` as the user set them in the web UI.
        """
        store = self.store
        cal = store.add_calendar(summary, calendar_id=calendar_id, time_zone=time_zone)
        store.change_calendar(cal.id, access_role=access_role, hidden=hidden)
        store.change_calendar(cal.id, summary_override=summary_override)
        return cal.id

    def change_calendar(self, calendar_id: str, **settings: Any) -> None:
        """Change ``access_role`` (the owner shares it otherwise), ``hidden``,
        ``summary_override``, ``summary`` or ``time_zone`` of a calendar."""
        self.store.change_calendar(calendar_id, **settings)

    def delete_calendar(self, calendar_id: str) -> None:
        """The calendar's owner deletes it (or stops sharing it with the account): every
        request naming it answers 404 from now on."""
        self.store.remove_calendar(calendar_id)

    def split_series(
        self, calendar_id: str, instance_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """The user edits ``instance_id`` with "this and following events": its series
        ends before it, a new series ``<series>_R<start>`` carries on; return the new one."""
        stored = self.store.split_series(calendar_id, instance_id, changes)
        return self._rendered(calendar_id, stored)

    def add_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Insert as someone else would: read-only fields (organizer, hangoutLink) kept."""
        stored = self.store.insert(calendar_id, event, trusted=True)
        return self._rendered(calendar_id, stored)

    def add_raw_event(self, calendar_id: str, item: Any) -> str:
        """List ``item`` as it is, checked by nothing (what a broken or hostile server could
        send), in every listing of the calendar from now on; its key. Only listings show it."""
        return self.store.insert_raw(calendar_id, item)

    def modify_event(
        self, calendar_id: str, event_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Patch as the user in the web UI would (new etag, shows in incremental sync)."""
        stored = self.store.patch(calendar_id, event_id, changes, trusted=True)
        return self._rendered(calendar_id, stored)

    def remove_event(self, calendar_id: str, event_id: str) -> None:
        """Delete as the user in the web UI would."""
        self.store.delete(calendar_id, event_id)

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """The event as events.get answers it (also when cancelled); None when unknown."""
        try:
            return self._rendered(calendar_id, self.store.get(calendar_id, event_id))
        except ApiError:
            return None

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every stored event of the calendar (cancelled ones and exceptions included)."""
        with self.store.lock:
            cal = self.store.calendar(calendar_id)
            return [self._rendered(cal.id, stored) for stored in cal.events.values()]

    def expire_sync_tokens(self) -> None:
        """Every sync token handed out so far now answers 410 fullSyncRequired."""
        self.lister.expire_sync_tokens()

    def _rendered(self, calendar_id: str, stored: StoredEvent) -> dict[str, Any]:
        cal = self.store.calendar(calendar_id)
        return self.lister.render(cal, stored.resource, cal.zone)

    # -- fault injection ------------------------------------------------------------------

    def inject(
        self,
        status: int,
        reason: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        method: str | None = None,
        path_contains: str | None = None,
        message: str | None = None,
        after: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` in Google's shape.

        ``after=True``: the request is carried out first and only its answer is
        replaced (the write happened, the client never heard: a lost response).

        ``reason`` defaults by status (429 rateLimitExceeded, 403 forbidden, 500 and 503
        backendError, ...); usage-limit reasons get the ``usageLimits`` domain. With
        ``retry_after`` the answer carries a Retry-After header (seconds). Faults are
        checked before authentication, in the order they were queued.
        """
        queue = self.faults
        queue.inject(status, reason, retry_after, times, method, path_contains, message, after)

    def before(
        self,
        action: Callable[[], None],
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
    ) -> None:
        """Run ``action`` (another client's change, say) just before the next matching request."""
        self.faults.before(action, method, path_contains, times)

    def tamper(
        self,
        make: Make,
        *,
        times: int | None = 1,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests (None: every one) with ``make(real,
        query)``, where ``real(query)`` is the answer the fake would give to ``query``:
        garbage, an answer too large or too slow, pages that never end
        (tests/fakes/google_hostile.py makes them). Checked before faults."""
        self.faults.tamper(make, times, method, path_contains)

    def clear_faults(self) -> None:
        """Drop the queued faults and tampers."""
        self.faults.clear()

    # -- request handling (called from the server's threads) --------------------------------

    def handle(
        self, method: str, raw_path: str, query: dict[str, list[str]], headers: Message, body: bytes
    ) -> Answer:
        """Answer one request: (status, headers, body)."""
        hook = self.faults.take_hook(method, raw_path)
        if hook is not None:
            hook.action()
        tamper = self.faults.take_tamper(method, raw_path)
        if tamper is not None:
            return tamper.make(lambda q: self._answer(method, raw_path, q, headers, body), query)
        fault = self.faults.take_fault(method, raw_path)
        if fault is not None and not fault.after:
            return fault_answer(fault, raw_path)
        answer = self._answer(method, raw_path, query, headers, body)
        return fault_answer(fault, raw_path) if fault is not None else answer

    def _answer(
        self, method: str, raw_path: str, query: dict[str, list[str]], headers: Message, body: bytes
    ) -> Answer:
        oauth = self.oauth.answer(method, raw_path, query, headers, body)
        if oauth is not None:
            return oauth
        try:
            if not raw_path.startswith(API_PREFIX):
                raise not_found()
            granted = self.oauth.check_bearer(headers.get("Authorization"))
            path = raw_path[len(API_PREFIX) :]
            return self.api.dispatch(method, path, query, headers, body, granted)
        except ApiError as error:
            return error_answer(error)


# -- command line -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground and print what a client needs to reach it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--account", default="me@example.com")
    parser.add_argument("--time-zone", default="UTC")
    parser.add_argument("--authorized-user", help="write an authorized-user JSON file here")
    args = parser.parse_args(argv)
    fake = FakeGoogleCalendar(args.account, args.time_zone, port=args.port)
    fake.start()
    access, refresh = fake.issue_tokens()
    print(f"base URL:      {fake.base_url}")
    print(f"api_endpoint:  {fake.api_endpoint}")
    print(f"token URI:     {fake.token_uri}")
    print(f"client:        {CLIENT_ID} / {CLIENT_SECRET}")
    print(f"access token:  {access}")
    print(f"refresh token: {refresh}")
    if args.authorized_user:
        print(f"wrote:         {fake.authorized_user_json(args.authorized_user, refresh)}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
