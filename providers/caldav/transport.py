"""HTTP for the CalDAV provider: the password, one session, typed errors, a request count.

The caldav library's DAVClient makes calendars (MKCALENDAR: its socket reads
time out after the source's ``timeout``); every other request, discovery too,
goes through ``DavHttp.send`` on the same niquests session with explicit headers.
A response hook on that session counts every HTTP response, whichever of the two
paths sent the request.

Every request is bounded (``providers.caldav.bounded``): its answer is read up to
``syncd.limits.ANSWER_BYTES``, and the whole request, from connecting to the
last byte, ends at the source's ``timeout`` (``syncd.limits.REQUEST_SECONDS``).

Error text follows syncd's error lines (``syncd.errors``): what was being done,
what happened, what to do; never the source's name (the caller puts it in
front) and never a library's repr.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import os
import subprocess
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import niquests
from caldav.davclient import DAVClient
from caldav.lib import error as caldav_error

from providers.bounded import Deadline, TooLarge, TooSlow, read_body
from providers.caldav.bounded import Answer
from providers.caldav.login import SCHEMES, Login, Unsupported
from providers.caldav.settings import DavSettings, in_clear
from syncd import limits
from syncd.errors import (
    UNTRUSTED,
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderError,
    TransientError,
    network_reason,
    retry_after_seconds,
    untrusted_certificate,
)

if TYPE_CHECKING:
    from syncd.config import Config, SourceConfig

log = logging.getLogger(__name__)

PASSWORD_COMMAND_TIMEOUT = 30
_NETWORK_ERRORS = (
    niquests.exceptions.ConnectionError,
    niquests.exceptions.Timeout,
    niquests.exceptions.ChunkedEncodingError,
    niquests.exceptions.ContentDecodingError,
)


def resolve_password(source: SourceConfig) -> str | None:
    """The source's password from ``password_env`` or ``password_command``; None without either.

    Raises AuthError naming the variable or the command's program (and, in what
    to do, the source), never the command's output.
    """
    settings: DavSettings = source.settings
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if value is None:
            raise AuthError(
                f"the environment variable {settings.password_env} (password_env) is not set;"
                " set it, or use password_command"
            )
        return value
    if not settings.password_command:
        return None
    program = settings.password_command[0]
    hint = f'check password_command of source "{source.name}"'
    try:
        done = subprocess.run(
            list(settings.password_command),
            capture_output=True,
            text=True,
            timeout=PASSWORD_COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise AuthError(f"password command {program} not found; {hint}") from None
    except subprocess.TimeoutExpired:
        raise AuthError(
            f"password command {program} did not finish within {PASSWORD_COMMAND_TIMEOUT} s"
            f" (is it waiting for input?); {hint}"
        ) from None
    except OSError as exc:
        raise AuthError(f"cannot run password command {program} ({exc.strerror}); {hint}") from None
    if done.returncode != 0:
        raise AuthError(
            f"password command {program} failed with exit status {done.returncode}; {hint}"
        )
    password = done.stdout.rstrip("\r\n")
    if not password:
        raise AuthError(f"password command {program} printed nothing; {hint}")
    return password


class AnswerTooLarge(ProviderError):
    """The server's answer is longer than the bytes syncd reads of one answer."""


class DeadlinePassed(TransientError):
    """A request was cut at the source's deadline (its ``timeout``)."""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None without one."""
    return retry_after_seconds(headers.get("Retry-After"), dt.datetime.now(dt.UTC))


class DavHttp:
    """One source's HTTP session; ``requests_made`` counts every response received."""

    def __init__(self, source: SourceConfig, config: Config, password: str | None) -> None:
        self.source = source
        self.settings: DavSettings = source.settings
        self._config_file = str(config.path) if config.path else "the config"
        self.requests_made = 0
        self.recent: collections.deque[str] = collections.deque(maxlen=50)
        self.seconds = self.settings.timeout.total_seconds()  # the deadline of one request
        # Given with every request, so that no CA bundle named in the environment stands
        # in for the source's own (only for the system's, when it names none).
        self.verify: bool | str = self.settings.verify
        if self.settings.verify and self.settings.ca_file is not None:
            self.verify = str(self.settings.ca_file)
        if not self.settings.verify:  # the provider is opened once a pass: said every pass
            log.warning(
                "%s: verify = false: the server's certificate is not checked, so anyone on"
                " the way can read the password and the calendars; set ca_file instead",
                source.name,
            )
        username = self.settings.username
        # A login with no password configured sends an empty one (Basic needs both
        # halves; a server without auth ignores it). Over plain http to another machine
        # nothing goes before the server asks (providers.caldav.login).
        self.login = (
            Login(username, password or "", basic_first=not in_clear(self.settings))
            if username
            else None
        )
        self.client = DAVClient(
            self.settings.url, auth=self.login, timeout=self.seconds, ssl_verify_cert=self.verify
        )
        self.client.session.hooks["response"].append(self._counted)

    def _counted(self, response: Any, **_: Any) -> None:
        self.requests_made += 1
        request = getattr(response, "request", None)
        path = urllib.parse.urlsplit(str(getattr(request, "url", ""))).path
        self.recent.append(f"{getattr(request, 'method', '?')} {path} {response.status_code}")

    def send(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        what: str = "",
    ) -> Answer:
        """One request; the answer for any status but 401, 423, 429 and 5xx (501 comes back).

        The answer's body is read up to ANSWER_BYTES, and the request ends at the
        source's deadline. Raises AuthError (401), TransientError (network failure,
        deadline, 423, 429, 5xx), AnswerTooLarge (past ANSWER_BYTES), ProviderError
        (a redirect loop); their text starts with ``what`` (default: the method and path).
        """
        what = what or f"{method} {_path(url)}"
        answer = self._bounded(method, url, body, headers, what)
        # A 401 names the schemes the server takes: answered at most twice (Basic sent
        # first, then Digest; a Digest nonce gone stale).
        for _ in range(2):
            if answer.status_code != 401 or self.login is None or self._elsewhere(url, answer):
                break
            try:
                again = self.login.answer(answer.headers.get("WWW-Authenticate"), answer.sent)
            except Unsupported as exc:
                raise self.unsupported_login(exc.schemes) from None
            if not again:
                break
            answer = self._bounded(method, url, body, headers, what)
        status = answer.status_code
        # niquests sends no password on a redirect to another origin: a 401 there is no
        # verdict on the password.
        if status == 401 and self._elsewhere(url, answer):
            raise AuthError(
                f"{what}: the server sent syncd on to {_origin(answer.url)}, which asks for a"
                " login (HTTP 401); syncd sends the password to no other server than the"
                " source's url: set url to the server that answers"
            )
        if status == 401:
            raise self.login_refused()
        # 423 Locked: Xandikos, while another write holds its repository; 501: not implemented.
        if _retried(status):
            raise TransientError(
                f"{what}: the server answered HTTP {status}; syncd tries again",
                retry_after(answer.headers),
            )
        return answer

    def _elsewhere(self, url: str, answer: Answer) -> bool:
        """Whether the answer came from another origin than ``url``'s (a redirect)."""
        return bool(self.client.session.should_strip_auth(url, answer.url or url))

    def _bounded(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str] | None, what: str
    ) -> Answer:
        """One exchange within the source's deadline and ANSWER_BYTES, its failures typed."""
        with Deadline(self.client.session, self.seconds) as deadline:
            try:
                answer = self._exchange(method, url, body, headers, deadline)
            except TooLarge as exc:
                raise self.too_large(what, exc.limit) from None
            except TooSlow:
                raise self.too_slow(what) from None
            except _NETWORK_ERRORS as exc:
                if deadline.expired:
                    raise self.too_slow(what) from None
                raise self.unreachable(what, exc) from None
            except niquests.exceptions.TooManyRedirects:
                raise ProviderError(
                    f"{what}: the server redirects in a loop; check the source's url"
                ) from None
            except niquests.exceptions.RequestException as exc:
                if deadline.expired:
                    raise self.too_slow(what) from None
                raise ProviderError(f"{what}: the request failed ({network_reason(exc)})") from None
        return answer

    def _exchange(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: Mapping[str, str] | None,
        deadline: Deadline,
    ) -> Answer:
        """Send, and read the answer within ANSWER_BYTES and the deadline (not the body of
        an answer ``send`` turns into an error)."""
        sent = self.login.scheme if self.login is not None else ""
        response = self.client.session.request(
            method,
            url,
            data=body or None,
            headers=dict(headers or {}),
            auth=self.login,
            timeout=self.seconds,
            stream=True,
            verify=self.verify,
        )
        try:
            deadline.watch(response)
            status = response.status_code or 0
            content = (
                b""
                if status == 401 or _retried(status)
                else read_body(response, limits.ANSWER_BYTES, deadline)
            )
        finally:
            response.close()
        return Answer(status, response.headers, content, str(response.url or url), sent)

    def fail(self, response: Answer, what: str) -> ProviderError:
        """The typed error for an unexpected status (to raise): 403, 404, 409/412, others."""
        status = response.status_code or 0
        text = f"{what}: HTTP {status}"
        if status == 403:
            return self.access_denied(what)
        if status in (404, 410):
            return NotFoundError(f"{text} (not found)")
        if status in (409, 412):
            return ConflictError(f"{text} (changed or exists)")
        return ProviderError(text)

    def login_refused(self) -> AuthError:
        if self.settings.password_command:
            where = "password_command"
        elif self.settings.password_env:
            where = "password_env"
        else:
            where = "password_command or password_env (none is set)"
        user = f' "{self.settings.username}"' if self.settings.username else ""
        return AuthError(
            f"the CalDAV server refused the login{user} (HTTP 401); "
            f'check the password of source "{self.source.name}" ({where}) and its username '
            f"in {self._config_file}"
        )

    def unsupported_login(self, schemes: list[str]) -> AuthError:
        """The error for a server that takes no login syncd can give (Bearer, Negotiate ...)."""
        return AuthError(
            f"the CalDAV server asks for a login by {', '.join(schemes)} (HTTP 401), which"
            f" syncd does not do: it logs in by {' or '.join(SCHEMES)} only; check the url of"
            f' source "{self.source.name}" in {self._config_file}, or ask for a login by'
            " password"
        )

    def access_denied(self, what: str) -> AuthError:
        return AuthError(
            f"{what}: the CalDAV server denied access (HTTP 403); check the username and"
            f' calendars of source "{self.source.name}" in {self._config_file}'
        )

    def too_slow(self, what: str) -> DeadlinePassed:
        """The error for a request cut at its deadline."""
        return DeadlinePassed(
            f"{what}: no complete answer within {self.seconds:g} s (the source's timeout);"
            " syncd tries again at the next pass"
        )

    def too_large(self, what: str, limit: int) -> AnswerTooLarge:
        """The error for an answer longer than ``limit`` bytes."""
        return AnswerTooLarge(
            f"{what}: the server's answer is larger than {limit / 2**20:g} MiB, the most"
            " syncd reads of one answer; check that the source's url is the CalDAV server's"
        )

    def unreachable(self, what: str, error: BaseException) -> ProviderError:
        """The error for a request that got no answer (refused, timed out, no such host; a
        certificate not trusted: a ProviderError, as it will not pass by itself)."""
        host = urllib.parse.urlsplit(self.settings.url).netloc
        if why := untrusted_certificate(error):
            return ProviderError(
                f"{what}: the server's certificate is not trusted ({why}); {UNTRUSTED}"
            )
        return TransientError(
            f"{what}: cannot reach {host} ({network_reason(error)}); check that the server"
            " is up and the source's url"
        )

    @contextlib.contextmanager
    def translated(self, what: str) -> Iterator[None]:
        """Turn the caldav library's and niquests' errors into syncd's typed errors."""
        try:
            yield
        except caldav_error.AuthorizationError as exc:
            raise (
                self.access_denied(what) if exc.status == 403 else self.login_refused()
            ) from None
        except caldav_error.RateLimitError as exc:
            raise TransientError(
                f"{what}: rate limited (HTTP {exc.status})", exc.retry_after_seconds
            ) from None
        except caldav_error.NotFoundError:
            raise NotFoundError(f"{what}: not found") from None
        except caldav_error.DAVError as exc:
            status = exc.status or 0
            kind = TransientError if status >= 500 else ProviderError
            name = type(exc).__name__
            raise kind(f"{what}: failed: {name} (HTTP {status or '?'})") from None
        except _NETWORK_ERRORS as exc:
            raise self.unreachable(what, exc) from None

    def close(self) -> None:
        self.client.close()


def _retried(status: int) -> bool:
    """Whether ``send`` answers this status with a TransientError (no body read)."""
    return status in (423, 429) or (status >= 500 and status != 501)


def _origin(url: str) -> str:
    """The scheme, host and port of ``url``."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _path(url: str) -> str:
    """The path of ``url``: the host is the source's own, and error lines stay short."""
    return urllib.parse.urlsplit(url).path or "/"
