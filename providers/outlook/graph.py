"""Requests to Microsoft Graph: the token, retries, and Graph's errors as syncd's.

Every request of the provider goes through ``Graph.call``. Throttling (429) and
a service busy or down (503, 504, other 5xx) and network failures are tried
again with exponential backoff and full jitter, never sooner than Graph's
``Retry-After``, within a bounded number of attempts and time; then a
TransientError. A 401 gets one new access token (MSAL refreshes it) and one
more try; a second 401 pauses the source (AuthError naming the command). The
rest becomes one of syncd's typed errors at once (``classify``). An answer
must be one JSON object of at most ANSWER_CONTAINERS objects and arrays.

Error text is one line: the operation, the status, Graph's error code and
message; never a token, never a library's repr.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import random as random_module
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import requests

from providers.bounded import TooLarge, TooSlow
from providers.outlook.credentials import Tokens
from providers.outlook.settings import auth_command
from providers.outlook.transport import Answer, Http
from syncd import limits
from syncd.errors import (
    AuthError,
    ConflictError,
    GoneError,
    NotFoundError,
    ProviderError,
    RefusedError,
    TransientError,
    network_reason,
    one_line,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

# Text and times as syncd reads them: bodies as plain text, times in UTC.
PREFER = 'outlook.timezone="UTC", outlook.body-content-type="text"'
ELSEWHERE = (
    "if it lasts, something between syncd and Microsoft answers in its place"
    " (a proxy, or a network's login page)"
)
SLOW = "if the network is that slow, raise the source's timeout"
# Graph's codes for a refused sync state (410): read the calendar whole again.
SYNC_GONE = frozenset({"syncStateNotFound", "syncStateInvalid", "resyncRequired"})
# Graph's code for a transactionId already used by another create.
DUPLICATE_TRANSACTION = "ErrorDuplicateTransactionId"


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait in [0, min(cap, base * factor**n)),
    at least Retry-After. At most ``attempts`` tries and ``budget`` seconds per call."""

    attempts: int = 5
    base: float = 1.0
    factor: float = 2.0
    cap: float = 32.0
    budget: float = 60.0

    def wait(self, retry: int, retry_after: float | None, draw: float) -> float:
        jittered = draw * min(self.cap, self.base * self.factor ** (retry - 1))
        return max(jittered, retry_after) if retry_after is not None else jittered


class Graph:
    """Graph for one source: ``call`` returns the answer's JSON object.

    ``sleep``, ``random`` and ``clock`` are injectable (tests observe the waits).
    """

    def __init__(
        self,
        base: str,
        tokens: Tokens,
        http: Http,
        source: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base, self.tokens, self.http, self.source = base.rstrip("/"), tokens, http, source
        self.policy = policy or RetryPolicy()
        self.sleep, self.random, self.clock = sleep, random, clock

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """Graph's URL of ``path`` (below the root), with ``params`` as the query."""
        query = f"?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}" if params else ""
        return f"{self.base}{path}{query}"

    def ours(self, url: str) -> bool:
        """Whether ``url`` (a nextLink, a deltaLink) is Graph's, as configured: the access
        token is never sent anywhere else."""
        return url.startswith(self.base + "/")

    def call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
    ) -> dict[str, Any]:
        """One request, retried while transient; its JSON object ({} for 204).

        Raises TransientError, AuthError, NotFoundError, ConflictError, GoneError
        (a refused sync state), RefusedError (a refused ``write``), ProviderError.
        """
        data = json.dumps(body).encode("utf-8") if body is not None else None
        started, attempt = self.clock(), 0
        refreshed = force = False  # one new token after a 401, and only one
        while True:
            attempt += 1
            sent = {**(headers or {})}
            # Every request asks for UTC times and text bodies, besides its own preferences.
            sent["Prefer"] = ", ".join(p for p in (PREFER, sent.get("Prefer", "")) if p)
            if data is not None:
                sent["Content-Type"] = "application/json"
            try:
                token, force = self.tokens.access_token(refresh=force), False
                sent["Authorization"] = f"Bearer {token}"
                answer = self.http.send(method, url, sent, data)
            except TooSlow as error:  # another try would take as long: not now
                raise TransientError(
                    f"{what}: {error} (the server sends too slowly); {SLOW}"
                ) from None
            except TooLarge as error:
                raise ProviderError(
                    f"{what}: Microsoft's answer is larger than {error.limit / 2**20:g} MiB,"
                    " the most syncd reads of one answer"
                ) from None
            except requests.exceptions.ContentDecodingError:
                raise ProviderError(
                    f"{what}: Microsoft answered with an answer said to be compressed that is"
                    f" not; {ELSEWHERE}"
                ) from None
            except (requests.RequestException, OSError) as error:
                failure = f"network error ({network_reason(error)})"
                retry_after = None
            else:
                if answer.status == 401 and not refreshed:
                    refreshed = force = True  # one new token, one more try
                    attempt -= 1
                    continue
                if 200 <= answer.status < 300:
                    return parse(answer, what)
                transient, problem = classify(answer, what, self.source, write=write)
                if not transient:
                    raise problem
                failure, retry_after = str(problem), _retry_after(answer)
                failure = failure.removeprefix(f"{what}: ")
            wait = self.policy.wait(attempt, retry_after, self.random())
            spent = self.clock() - started
            if attempt >= self.policy.attempts or spent + wait > self.policy.budget:
                raise TransientError(
                    f"{what}: {failure} (gave up after {attempt} attempts in {spent:.0f}s)",
                    retry_after=retry_after,
                )
            log.info("%s: %s: %s; retrying in %.1fs", self.source, what, failure, wait)
            self.sleep(wait)


def classify(answer: Answer, what: str, source: str, *, write: bool) -> tuple[bool, ProviderError]:
    """A Graph error answer: (retry it, the error to raise otherwise)."""
    code, message = error_of(answer)
    text = one_line(
        f"{answer.status} {code or 'error'}: {message}" if message else f"{answer.status} {code}"
    )
    where = f"{what}: {text}"
    status = answer.status
    if status == 429 or status >= 500:
        return True, TransientError(where)
    if status == 401:
        return False, AuthError(
            f"Microsoft refused its credentials ({text}); run: {auth_command(source)}"
        )
    if code == DUPLICATE_TRANSACTION:
        return False, ConflictError(where)
    if status == 403:
        if write:
            return False, RefusedError(f"{where}; the account may not write to this calendar")
        return False, ProviderError(f"{where}; the account may not read this calendar")
    if status == 404:
        return False, NotFoundError(where)
    if status == 410:
        return False, GoneError(where) if code in SYNC_GONE or not code else NotFoundError(where)
    if status in (409, 412):
        return False, ConflictError(where)
    return False, ProviderError(where)


def error_of(answer: Answer) -> tuple[str, str]:
    """(code, message) of Graph's ``{"error": {"code", "message"}}``; ("", "") otherwise."""
    try:
        payload = json.loads(answer.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "", ""
    body = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return "", ""
    code, message = body.get("code"), body.get("message")
    return (
        limits.shown(code, 80) if isinstance(code, str) else "",
        limits.shown(message, 200) if isinstance(message, str) else "",
    )


def parse(answer: Answer, what: str) -> dict[str, Any]:
    """The JSON object of a 2xx answer ({} for an empty 204); ProviderError saying what
    came instead."""
    content = answer.body
    if answer.status == 204 or (not content.strip() and answer.status in (200, 202)):
        return {}
    if content.count(b"{") + content.count(b"[") > limits.ANSWER_CONTAINERS:
        raise ProviderError(
            f"{what}: Microsoft's answer holds more than {limits.ANSWER_CONTAINERS:,} JSON"
            " objects and arrays, the most syncd reads of one answer"
        )
    try:
        body = json.loads(content.decode("utf-8"))
    except RecursionError:
        raise ProviderError(
            f"{what}: Microsoft answered with JSON nested too deeply; {ELSEWHERE}"
        ) from None
    except ValueError:
        kind = str(answer.headers.get("Content-Type", "")).split(";")[0].strip().lower()
        head = content.lstrip()[:15].lower()
        instead = (
            "a web page"
            if "html" in kind or head.startswith((b"<!doctype html", b"<html"))
            else f"something that is not JSON ({limits.shown(kind, 40) or 'no type'})"
        )
        raise ProviderError(f"{what}: Microsoft answered with {instead}; {ELSEWHERE}") from None
    if not isinstance(body, dict):
        raise ProviderError(
            f"{what}: Microsoft answered with JSON that is not an object; {ELSEWHERE}"
        )
    return body


def _retry_after(answer: Answer) -> float | None:
    return retry_after_seconds(answer.headers.get("Retry-After"), dt.datetime.now(dt.UTC))
