"""OAuth 2.0 for the Google fake: consent (auth URI), token endpoint, revocation, bearer check.

Modelled on Google's installed-app flow: the consent screen approves at once and
redirects to a loopback ``redirect_uri`` with ``code``, ``state`` and ``scope``
(granular consent: a test may untick scopes, and then ``scope`` and the token
answer name only those granted, as Google's do); a
refresh token is issued only for ``access_type=offline`` (google-auth-oauthlib asks for
it by default); codes are single-use; PKCE is checked when a challenge was sent.
Token-endpoint errors use OAuth's shape (``{"error", "error_description"}``), API
errors Google's (``{"error": {"code", ...}}``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from .google_errors import ApiError
from .google_http import Answer, json_answer

CLIENT_ID = "123456789012-fakeclient.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-client-secret"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
KNOWN_SCOPES = frozenset(
    {
        CALENDAR_SCOPE,
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.readonly",
        "https://www.googleapis.com/auth/calendar.events.readonly",
        "https://www.googleapis.com/auth/calendar.events.owned",
        "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
        "https://www.googleapis.com/auth/calendar.calendars",
        "https://www.googleapis.com/auth/calendar.app.created",
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
    }
)
ACCESS_TOKEN_TTL = 3599
CODE_TTL = 600
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

JsonAnswer = tuple[int, dict[str, Any]]


@dataclass
class _AccessToken:
    expires_at: float
    scope: str
    refresh_token: str | None


@dataclass
class _Grant:
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    scope: str
    offline: bool
    challenge: str | None
    challenge_method: str
    expires_at: float


def _oauth_error(status: int, error: str, description: str) -> JsonAnswer:
    return status, {"error": error, "error_description": description}


def _auth_error(message: str, reason: str, detail: str) -> ApiError:
    # Google answers both cases with 401 and a WWW-Authenticate challenge.
    return ApiError(
        401,
        reason,
        message,
        detail=detail,
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


class OAuthAuthority:
    """Issues, checks, expires and revokes tokens for one OAuth client; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._clients = {CLIENT_ID: CLIENT_SECRET}
        self._access: dict[str, _AccessToken] = {}
        self._grants: dict[str, _Grant] = {}
        self._codes: dict[str, _AuthCode] = {}
        self.access_token_ttl = ACCESS_TOKEN_TTL
        self.deny_consent = False
        # Granular consent: the scopes the user unticks on the consent screen.
        self.unticked: frozenset[str] = frozenset()

    # -- helpers for tests ---------------------------------------------------------

    def issue_tokens(self, scope: str = CALENDAR_SCOPE) -> tuple[str, str]:
        """Grant ``scope`` to the fake client; return (access token, refresh token)."""
        with self._lock:
            refresh = self._new_grant(CLIENT_ID, scope)
            return self._new_access(scope, refresh), refresh

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired."""
        with self._lock:
            for token in self._access.values():
                token.expires_at = min(token.expires_at, self._clock() - 1)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """Revoke a grant: its refresh token and the access tokens minted from it die."""
        with self._lock:
            self._revoke(refresh_token)

    # -- the API's bearer check ----------------------------------------------------

    def check_bearer(self, authorization: str | None) -> frozenset[str]:
        """The scopes of the live access token ``authorization`` carries; else ApiError 401."""
        if not authorization:
            raise _auth_error(
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                "required",
                "Login Required.",
            )
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            known = self._access.get(token.strip()) if scheme.lower() == "bearer" else None
            alive = known is not None and known.expires_at > self._clock()
        if not alive or known is None:
            raise _auth_error(
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "authError",
                "Invalid Credentials",
            )
        return frozenset(known.scope.split())

    # -- endpoints -------------------------------------------------------------------

    def answer(
        self, method: str, raw_path: str, query: dict[str, list[str]], headers: Message, body: bytes
    ) -> Answer | None:
        """Answer a request to one of the OAuth endpoints; None for any other path."""
        if raw_path == "/token" and method == "POST":
            basic = _basic_credentials(headers.get("Authorization"))
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
            return json_answer(*self.token_endpoint(form, basic), oauth=True)
        if raw_path == "/o/oauth2/auth" and method == "GET":
            status, extra, text = self.consent(query)
            return status, {**extra, "Content-Type": "text/plain; charset=utf-8"}, text.encode()
        if raw_path == "/revoke" and method == "POST":
            form = urllib.parse.parse_qs(body.decode("utf-8"))
            token = (form.get("token") or query.get("token") or [""])[0]
            return json_answer(*self.revoke_endpoint(token), oauth=True)
        return None

    def token_endpoint(self, form: dict[str, list[str]], basic: str | None) -> JsonAnswer:
        """Answer POST /token (refresh_token and authorization_code grants)."""
        fields = {name: values[0] for name, values in form.items()}
        client_id, client_secret = _client_credentials(fields, basic)
        with self._lock:
            if client_id not in self._clients:
                return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
            if self._clients[client_id] != client_secret:
                return _oauth_error(401, "invalid_client", "Unauthorized")
            grant_type = fields.get("grant_type")
            if grant_type == "refresh_token":
                return self._refresh(client_id, fields)
            if grant_type == "authorization_code":
                return self._exchange_code(client_id, fields)
            return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def consent(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        """Answer GET on the auth URI: approve and redirect, or an error page."""
        params = {name: values[0] for name, values in query.items()}
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self._clients:
            return 401, {}, "Error 401: invalid_client\nThe OAuth client was not found."
        if not _is_loopback(redirect_uri):
            return 400, {}, "Error 400: redirect_uri_mismatch"
        scopes = params.get("scope", "").split()
        if not scopes or not set(scopes) <= KNOWN_SCOPES:
            return 400, {}, "Error 400: invalid_scope\nSome requested scopes were invalid."
        method = params.get("code_challenge_method", "plain")
        if "code_challenge" in params and method not in ("S256", "plain"):
            return 400, {}, "Error 400: invalid_request\nInvalid code_challenge_method."
        answer: dict[str, str] = {}
        if "state" in params:
            answer["state"] = params["state"]
        if params.get("response_type") != "code":
            answer["error"] = "unsupported_response_type"
        elif self.deny_consent:
            answer["error"] = "access_denied"
        else:
            granted = " ".join(s for s in scopes if s not in self.unticked)
            with self._lock:
                answer["code"] = self._new_code(params, client_id, redirect_uri, granted)
            answer["scope"] = granted
        separator = "&" if "?" in redirect_uri else "?"
        location = redirect_uri + separator + urllib.parse.urlencode(answer)
        return 302, {"Location": location}, ""

    def revoke_endpoint(self, token: str) -> JsonAnswer:
        """Answer POST /revoke for an access or a refresh token."""
        with self._lock:
            if token in self._grants and not self._grants[token].revoked:
                self._revoke(token)
                return 200, {}
            access = self._access.pop(token, None)
            if access is not None:
                if access.refresh_token:
                    self._revoke(access.refresh_token)
                return 200, {}
        return _oauth_error(400, "invalid_token", "Token expired or revoked")

    # -- internals (called with the lock held) ----------------------------------------

    def _refresh(self, client_id: str, fields: dict[str, str]) -> JsonAnswer:
        refresh = fields.get("refresh_token")
        if not refresh:
            return _oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
        grant = self._grants.get(refresh)
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != client_id:
            return _oauth_error(401, "unauthorized_client", "Unauthorized")
        scope = grant.scope
        if "scope" in fields:
            if not set(fields["scope"].split()) <= set(grant.scope.split()):
                return _oauth_error(400, "invalid_scope", "Bad Request")
            scope = fields["scope"]
        return 200, self._token_answer(self._new_access(scope, refresh), scope)

    def _exchange_code(self, client_id: str, fields: dict[str, str]) -> JsonAnswer:
        code = self._codes.pop(fields.get("code", ""), None)
        if code is None or code.expires_at < self._clock() or code.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "Bad Request")
        if fields.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None:
            verifier = fields.get("code_verifier")
            if verifier is None:
                return _oauth_error(400, "invalid_grant", "Missing code verifier.")
            if _challenge_of(verifier, code.challenge_method) != code.challenge:
                return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        refresh = self._new_grant(client_id, code.scope) if code.offline else None
        answer = self._token_answer(self._new_access(code.scope, refresh), code.scope)
        if refresh is not None:
            answer["refresh_token"] = refresh
        return 200, answer

    def _token_answer(self, access: str, scope: str) -> dict[str, Any]:
        return {
            "access_token": access,
            "expires_in": self.access_token_ttl,
            "scope": scope,
            "token_type": "Bearer",
        }

    def _new_grant(self, client_id: str, scope: str) -> str:
        refresh = "1//fake-" + secrets.token_urlsafe(24)
        self._grants[refresh] = _Grant(client_id, scope)
        return refresh

    def _new_access(self, scope: str, refresh: str | None) -> str:
        access = "ya29.fake-" + secrets.token_urlsafe(24)
        expires_at = self._clock() + self.access_token_ttl
        self._access[access] = _AccessToken(expires_at, scope, refresh)
        return access

    def _new_code(
        self, params: dict[str, str], client_id: str, redirect_uri: str, scope: str
    ) -> str:
        code = "4/0fake-" + secrets.token_urlsafe(24)
        self._codes[code] = _AuthCode(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            offline=params.get("access_type") == "offline",
            challenge=params.get("code_challenge"),
            challenge_method=params.get("code_challenge_method", "plain"),
            expires_at=self._clock() + CODE_TTL,
        )
        return code

    def _revoke(self, refresh_token: str) -> None:
        grant = self._grants.get(refresh_token)
        if grant is not None:
            grant.revoked = True
        for token, access in list(self._access.items()):
            if access.refresh_token == refresh_token:
                del self._access[token]


def write_private_json(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path``, created 0600: such files hold secrets."""
    target = Path(path)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    return target


def _basic_credentials(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("basic "):
        return authorization[6:].strip()
    return None


def _client_credentials(fields: dict[str, str], basic: str | None) -> tuple[str, str]:
    # Google takes the client's credentials from the body or from HTTP Basic auth.
    if basic:
        try:
            decoded = base64.b64decode(basic, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
    return fields.get("client_id", ""), fields.get("client_secret", "")


def _challenge_of(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _is_loopback(uri: str) -> bool:
    parsed = urllib.parse.urlsplit(uri)
    return parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS
