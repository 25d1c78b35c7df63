"""Retries and error translation for Google Calendar requests.

Every ``execute()`` of the Google provider goes through ``Retrier.execute``:
429, 403 ``rateLimitExceeded`` / ``userRateLimitExceeded``, 5xx and network
failures are tried again with exponential backoff and full jitter, waiting at
least what ``Retry-After`` asks, within a bounded number of attempts and time;
then ``TransientError``. Everything else becomes one of syncd's typed errors at
once: a request past its deadline a TransientError (another try would take as
long), an answer too large (``AnswerTooLargeError``) or not what the API
promises (an HTML page with status 200, JSON nested too deeply, ...) a
ProviderError. googleapiclient's own ``execute(num_retries=...)`` is not used:
it ignores ``Retry-After``.

Error text is one line and never holds a token: it names the operation, the
status, Google's reason and message; not the source (the caller puts it in
front, see ``syncd.errors.source_line``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import logging
import random as random_module
import time
from collections.abc import Callable
from typing import Any

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError

from providers.google.answers import NotAnAnswer
from providers.google.credentials import auth_command
from providers.google.transport import AnswerTooLarge, RequestDeadline
from syncd.errors import (
    UNTRUSTED,
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
    untrusted_certificate,
)

log = logging.getLogger(__name__)

# Google's "Handle API errors" guide: these 403 reasons are rate limits, retried.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Quota spent for the day (or Calendar's usage limits): transient, but hours
# away; retrying within one call only spends more. The daemon backs off instead.
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
# OAuth errors of a token endpoint that refuses the grant itself: authorize again.
GRANT_REFUSED = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
# What to do about an answer that is not Google's, and about a request too slow.
ELSEWHERE = (
    "if it lasts, something between syncd and Google answers in its place"
    " (a proxy, or a network's login page)"
)
SLOW = "if the network is that slow, raise the source's timeout"
# Network failures: sockets, timeouts (OSError), httplib2's own, a connection
# dropped mid-answer, and google-auth's transport errors during a refresh.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    httplib2.HttpLib2Error,
    http.client.HTTPException,
    google.auth.exceptions.TransportError,
)


class _LibraryRepeat(logging.Filter):
    """Drops googleapiclient's warning on every 403 ("Encountered 403 Forbidden with
    reason ..."), which it logs before answering: the Retrier turns each 403 into a
    retry or one of syncd's errors, and syncd says what it means in one line of its own.
    Shown with ``-vv`` (the root logger at DEBUG), as the libraries' other lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Encountered 403 Forbidden"):
            return True
        return logging.getLogger().isEnabledFor(logging.DEBUG)


logging.getLogger("googleapiclient.http").addFilter(_LibraryRepeat())


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait in [0, min(cap, base * factor**n)).

    At most ``attempts`` tries and ``budget`` seconds (waits included) per call.
    """

    attempts: int = 5
    base: float = 1.0
    factor: float = 2.0
    cap: float = 32.0
    budget: float = 60.0

    def wait(self, retry: int, retry_after: float | None, draw: float) -> float:
        """Seconds before retry number ``retry`` (1-based); at least ``retry_after``."""
        ceiling = min(self.cap, self.base * self.factor ** (retry - 1))
        jittered = draw * ceiling
        return max(jittered, retry_after) if retry_after is not None else jittered


@dataclasses.dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt: retried when ``transient``."""

    text: str
    transient: bool
    retry_after: float | None = None
    error: ProviderError | None = None  # what to raise when not retried


class Retrier:
    """Runs requests with retries; ``sleep``, ``random`` and ``clock`` are injectable."""

    def __init__(
        self,
        source: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.random = random
        self.clock = clock

    def execute(self, request: Any, what: str, *, write: bool = False) -> Any:
        """``request.execute()``, retried while transient; returns its parsed answer.

        Raises TransientError when the attempts or the time budget run out,
        else the typed error of ``classify`` (AuthError, NotFoundError, ...);
        ``write``: the request changes an event (a 403 there is a RefusedError).
        """
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return request.execute()
            except HttpError as error:
                failure = classify(error, self.source, what, write=write)
            except google.auth.exceptions.RefreshError as error:
                failure = refresh_failure(error, self.source)
            except RequestDeadline as error:  # another try would take as long: not now
                raise TransientError(
                    f"{what}: {error} (the server sends too slowly); {SLOW}"
                ) from None
            except AnswerTooLarge as error:
                raise too_large(what, error) from None
            except NotAnAnswer as error:
                raise broken(what, error) from None
            except httplib2.FailedToDecompressContent:
                raise broken(
                    what, NotAnAnswer("an answer said to be compressed that is not")
                ) from None
            except (RecursionError, AttributeError, TypeError, ValueError) as error:
                raise unreadable(what, error) from None
            except NETWORK_ERRORS as error:
                if untrusted_certificate(error):  # trying again will not help
                    raise untrusted(what, error) from None
                failure = Failure(f"network error ({network_reason(error)})", transient=True)
            if not failure.transient:
                assert failure.error is not None
                raise failure.error
            wait = self.policy.wait(attempt, failure.retry_after, self.random())
            spent = self.clock() - started
            if attempt >= self.policy.attempts or spent + wait > self.policy.budget:
                raise TransientError(
                    f"{what}: {failure.text} (gave up after {attempt} attempts in {spent:.0f}s)",
                    retry_after=failure.retry_after,
                )
            log.info("%s: %s: %s; retrying in %.1fs", self.source, what, failure.text, wait)
            self.sleep(wait)


class AnswerTooLargeError(ProviderError):
    """An answer larger than syncd reads (syncd.limits.ANSWER_BYTES, ANSWER_CONTAINERS)."""


def too_large(what: str, error: AnswerTooLarge) -> AnswerTooLargeError:
    """The error for an answer larger than syncd reads, in one line."""
    if error.how == "objects and arrays":
        size = f"holds more than {error.limit:,} JSON objects and arrays"
    else:
        size = f"is larger than {error.limit / 2**20:g} MiB"
    return AnswerTooLargeError(
        f"{what}: Google's answer {size}, the most syncd reads of one answer"
    )


def broken(what: str, error: NotAnAnswer) -> ProviderError:
    """The error for an answer that is not what the API promises, in one line."""
    return ProviderError(f"{what}: Google answered with {error}; {ELSEWHERE}")


def classify(error: HttpError, source: str, what: str, *, write: bool = False) -> Failure:
    """Sort a Google error answer: transient (retried) or the typed error to raise.

    A 403 on a ``write`` that is no rate limit, quota or missing scope is Google
    refusing it (``requiredAccessLevel``: a calendar the account may only read).
    A 400 on the ``syncToken`` parameter is a refused token, as a 410 is.
    """
    status = error.status_code
    reason, message = error_reason(error)
    text = one_line(f"{status} {reason or 'error'}: {message}" if message else f"{status} {reason}")
    where = f"{what}: {text}"
    retry_after = _retry_after(error)
    if status == 429 or status >= 500 or (status == 403 and reason in RATE_LIMIT_REASONS):
        return Failure(text, transient=True, retry_after=retry_after)
    typed: ProviderError
    if status == 403 and reason in QUOTA_REASONS:
        typed = TransientError(where, retry_after=retry_after)
    elif status == 401 or (status == 403 and reason == "insufficientPermissions"):
        typed = AuthError(f"Google refused its credentials ({text}); run: {auth_command(source)}")
    elif status == 403 and write:
        typed = RefusedError(f"{where}; the account may not write to this calendar")
    elif status == 400 and _location(error) == "syncToken":
        typed = GoneError(where)
    elif status == 404:
        typed = NotFoundError(where)
    elif status == 410:
        typed = GoneError(where) if reason == "fullSyncRequired" else NotFoundError(where)
    elif status in (409, 412):
        typed = ConflictError(where)
    else:
        typed = ProviderError(where)
    return Failure(text, transient=False, error=typed)


def refresh_failure(error: google.auth.exceptions.RefreshError, source: str) -> Failure:
    """A failed token refresh: a grant Google refuses (revoked, expired, a client gone)
    is an AuthError; an answer that is no answer at all (an HTML page, no token in it:
    google-auth has tried three times already) a TransientError, at once."""
    if error.retryable:
        return Failure("token refresh failed for now", transient=True)
    data = error.args[1] if len(error.args) > 1 else None
    if isinstance(data, dict) and data.get("error") in GRANT_REFUSED:
        return Failure(
            "token refresh refused",
            transient=False,
            error=AuthError(f"access was revoked or has expired; run: {auth_command(source)}"),
        )
    what = "something that is not a token" if isinstance(data, dict) else "a page that is not JSON"
    return Failure(
        "token refresh failed",
        transient=False,
        error=TransientError(f"token refresh: Google answered with {what}; {ELSEWHERE}"),
    )


def untrusted(what: str, error: BaseException) -> ProviderError:
    """The error for a server whose TLS certificate is not trusted, in one line."""
    why = untrusted_certificate(error)
    return ProviderError(f"{what}: the server's certificate is not trusted ({why}); {UNTRUSTED}")


def unreadable(what: str, error: Exception) -> ProviderError:
    """What a library's failure to read an answer means: google-auth's, reading a token
    answer that is not one (it indexes whatever came as a JSON object), a TransientError;
    googleapiclient's, reading an error answer before syncd sees it (nesting too deep
    for json, a "message" that is not text), a ProviderError. A certificate not trusted
    (ssl's verification error is a ValueError too) says so. Any other is re-raised."""
    if untrusted_certificate(error):
        return untrusted(what, error)
    if _in_token_refresh(error):
        return TransientError(f"token refresh: Google answered with no token; {ELSEWHERE}")
    if isinstance(error, (RecursionError, AttributeError)):
        return broken(what, NotAnAnswer("an error answer that cannot be read"))
    raise error


def _in_token_refresh(error: BaseException) -> bool:
    """Whether ``error`` rose in google-auth's reading of a token answer (it indexes the
    answer as a JSON object, whatever came)."""
    frame = error.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith("google.oauth2"):
            return True
        frame = frame.tb_next
    return False


def error_reason(error: HttpError) -> tuple[str, str]:
    """(reason, message) from Google's ``{"error": {"message", "errors": [{"reason"}]}}``."""
    try:
        payload = json.loads(error.content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, AttributeError):
        return "", ""
    body = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(body, dict):
        return "", ""
    message = body.get("message") if isinstance(body.get("message"), str) else ""
    errors = body.get("errors")
    reason = ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = str(errors[0].get("reason", ""))
    return reason, str(message)


def _location(error: HttpError) -> str:
    """``errors[0].location`` of Google's error body (the parameter at fault), or ""."""
    try:
        payload = json.loads(error.content.decode("utf-8"))
        return str(payload["error"]["errors"][0].get("location", ""))
    except (ValueError, UnicodeDecodeError, AttributeError, LookupError, TypeError):
        return ""


def _retry_after(error: HttpError) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date); None when absent or bad."""
    value = error.resp.get("retry-after") if error.resp is not None else None
    return retry_after_seconds(value, dt.datetime.now(dt.UTC))
