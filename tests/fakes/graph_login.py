"""The Microsoft identity platform, as the Graph fake plays it for one app registration.

OpenID discovery (``/{tenant}/v2.0/.well-known/openid-configuration``), the
device-code flow (``devicecode``, then ``token`` polled with
``authorization_pending`` until a test approves or denies the code), the
authorization-code flow with PKCE (``authorize`` consents at once and redirects
to a loopback ``redirect_uri`` only), and refresh tokens (single-use: each
refresh hands out a new one, as Microsoft rotates them; a revoked grant answers
400 ``invalid_grant``). Only the registered client id is accepted; scopes must
be Calendars.ReadWrite with the OpenID ones and offline_access (a refresh
token only then). id tokens are unsigned JWTs with the issuer of the discovery
document (MSAL checks it, and the nonce of the authorization request).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from typing import Any

CLIENT_ID = "3f1c6a2e-8b4d-4e6f-9a1b-2c3d4e5f6a7b"
ALLOWED_SCOPES = frozenset({"calendars.readwrite", "openid", "profile", "offline_access", "email"})
REQUIRED_SCOPE = "calendars.readwrite"
ACCESS_SECONDS = 3599


@dataclasses.dataclass
class Grant:
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclasses.dataclass
class DeviceCode:
    user_code: str
    scopes: tuple[str, ...]
    expires: float
    answer: str = "pending"  # pending | approve | deny
    polls: int = 0


Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: dict[str, Any]) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _error(error: str, description: str, status: int = 400) -> Answer:
    return _json(status, {"error": error, "error_description": f"AADSTS: {description}"})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class Login:
    """The sign-in side of the fake: its tokens and the grants behind them."""

    def __init__(self, base: str, account: str = "jo@example.com") -> None:
        self.base, self.account = base, account
        self.lock = threading.Lock()
        self.access: dict[str, float] = {}  # access token -> expiry
        self.refresh: dict[str, Grant] = {}
        self.devices: dict[str, DeviceCode] = {}  # device code -> its state
        self.codes: dict[
            str, tuple[str, str, str, tuple[str, ...]]
        ] = {}  # code -> (challenge, redirect, nonce, scopes)
        self.approve_after = 1  # polls answered authorization_pending before the user is done
        self.device_answer = "approve"
        self.last_user_code = ""

    # -- what tests do

    def valid(self, token: str) -> bool:
        with self.lock:
            return self.access.get(token, 0) > time.time()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access.clear()

    def revoke(self) -> None:
        """The user removes syncd's access (or the grant expired): every refresh token fails."""
        with self.lock:
            for grant in self.refresh.values():
                grant.revoked = True
            self.access.clear()

    def issue(
        self,
        scopes: tuple[str, ...] = ("calendars.readwrite", "openid", "profile", "offline_access"),
        nonce: str = "",
    ) -> dict[str, Any]:
        """A token answer, as the token endpoint gives it."""
        access = secrets.token_urlsafe(24)
        with self.lock:
            self.access[access] = time.time() + ACCESS_SECONDS
            refresh = secrets.token_urlsafe(32)
            if "offline_access" in scopes:
                self.refresh[refresh] = Grant(scopes)
        now = int(time.time())
        claims = {
            "iss": f"{self.base}/common/v2.0",
            "aud": CLIENT_ID,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": "fake-subject",
            "oid": "00000000-0000-0000-0000-00000000b0b0",
            "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
            "preferred_username": self.account,
            "name": "Jo Seeker",
            **({"nonce": nonce} if nonce else {}),
        }
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(
                "Calendars.ReadWrite" if s == "calendars.readwrite" else s
                for s in scopes
                if s not in ("openid", "profile", "offline_access")
            )
            + " openid profile",
            "expires_in": ACCESS_SECONDS,
            "ext_expires_in": ACCESS_SECONDS,
            "access_token": access,
            "id_token": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
            "client_info": _b64({"uid": claims["oid"], "utid": claims["tid"]}),
        }
        if "offline_access" in scopes:
            answer["refresh_token"] = refresh
        return answer

    # -- the endpoints

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> Answer | None:
        """The answer to a sign-in request, or None when ``path`` is not one."""
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._discovery(parts[0])
        if len(parts) != 4 or parts[1:3] != ["oauth2", "v2.0"]:
            return None
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode(), True).items()}
        if parts[3] == "authorize" and method == "GET":
            return self._authorize({k: v[-1] for k, v in query.items()})
        if method != "POST":
            return _error("invalid_request", "POST only")
        if form.get("client_id") != CLIENT_ID:
            return _error("unauthorized_client", "Application not found in the directory", 400)
        if parts[3] == "devicecode":
            return self._device(form)
        if parts[3] == "token":
            return self._token(form)
        return None

    def _discovery(self, tenant: str) -> Answer:
        root = f"{self.base}/{tenant}/oauth2/v2.0"
        return _json(200, {
            "authorization_endpoint": f"{root}/authorize",
            "token_endpoint": f"{root}/token",
            "device_authorization_endpoint": f"{root}/devicecode",
            "issuer": f"{self.base}/common/v2.0",
            "response_types_supported": ["code"],
        })  # fmt: skip

    def _scopes(self, text: str) -> tuple[str, ...] | str:
        asked = tuple(dict.fromkeys(s.lower() for s in text.split()))
        unknown = [s for s in asked if s not in ALLOWED_SCOPES]
        if unknown:
            return f"invalid_scope: {' '.join(unknown)}"
        return asked

    def _device(self, form: dict[str, str]) -> Answer:
        scopes = self._scopes(form.get("scope", ""))
        if isinstance(scopes, str):
            return _error("invalid_scope", scopes)
        device = secrets.token_urlsafe(16)
        user_code = secrets.token_hex(4).upper()
        with self.lock:
            self.devices[device] = DeviceCode(
                user_code, scopes, time.time() + 900, self.device_answer
            )
            self.last_user_code = user_code
        return _json(200, {
            "device_code": device,
            "user_code": user_code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": 900,
            "interval": 1,
            "message": "To sign in, use a web browser to open the page"
            f" https://microsoft.com/devicelogin and enter the code {user_code} to authenticate.",
        })  # fmt: skip

    def _token(self, form: dict[str, str]) -> Answer:
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            with self.lock:
                device = self.devices.get(form.get("device_code", ""))
                if device is None or device.expires < time.time():
                    return _error("expired_token", "the device code expired")
                device.polls += 1
                if device.polls <= self.approve_after:
                    return _error("authorization_pending", "the user has not signed in yet")
                if device.answer == "deny":
                    return _error("authorization_declined", "the user declined")
                del self.devices[form["device_code"]]
            return _json(200, self.issue(device.scopes))
        if grant == "refresh_token":
            with self.lock:
                found = self.refresh.pop(form.get("refresh_token", ""), None)
            if found is None or found.revoked:
                return _error("invalid_grant", "the refresh token was revoked or has expired")
            return _json(200, self.issue(found.scopes))
        if grant == "authorization_code":
            with self.lock:
                stored = self.codes.pop(form.get("code", ""), None)
            if stored is None:
                return _error("invalid_grant", "the code was used or never issued")
            challenge, redirect, nonce, scopes = stored
            verifier = form.get("code_verifier", "")
            made = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            if made != challenge or form.get("redirect_uri") != redirect:
                return _error("invalid_grant", "PKCE or redirect_uri does not match")
            return _json(200, self.issue(scopes, nonce))
        return _error("unsupported_grant_type", grant or "none")

    def _authorize(self, query: dict[str, str]) -> Answer:
        redirect = query.get("redirect_uri", "")
        host = urllib.parse.urlsplit(redirect).hostname
        if (
            query.get("client_id") != CLIENT_ID
            or host != "localhost"
            or not redirect.startswith("http://")
        ):
            return _json(
                400, {"error": "invalid_request", "error_description": "AADSTS50011: redirect_uri"}
            )
        scopes = self._scopes(query.get("scope", ""))
        if isinstance(scopes, str) or query.get("code_challenge_method") != "S256":
            return _json(400, {"error": "invalid_request", "error_description": "scope or PKCE"})
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = (
                query.get("code_challenge", ""),
                redirect,
                query.get("nonce", ""),
                scopes,
            )
        back = {"code": code, "state": query.get("state", "")}
        if query.get("response_mode") == "form_post":  # what MSAL asks for: a form the page posts
            fields = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in back.items()
            )
            action = html.escape(redirect)
            page = (
                f'<html><body><form method="POST" action="{action}">{fields}</form></body></html>'
            )
            return 200, {"Content-Type": "text/html"}, page.encode()
        return (
            302,
            {"Location": f"{redirect}?{urllib.parse.urlencode(back)}", "Content-Length": "0"},
            b"",
        )
