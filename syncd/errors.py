"""The typed errors of syncd; the CLI turns them into one line and an exit code.

Every line about a source's failure reads ``SOURCE: CALENDAR: what happened;
what to do`` (CALENDAR when it is about one): a provider's message starts at
CALENDAR (or at what happened) and never holds a library's repr; ``source_line``
puts the source in front.
"""

from __future__ import annotations

import datetime as dt


class SyncdError(Exception):
    """Base of every error syncd reports to its user."""


class ConfigError(SyncdError):
    """A config problem: ``file: [section] key: problem`` in one line (exit 2)."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


class SourcesFailed(SyncdError):
    """A pass failed for some sources: ``lines`` holds one error line per failed source."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class ProviderError(SyncdError):
    """A provider could not do what was asked; the subclasses say why."""


class TransientError(ProviderError):
    """Network failure, timeout, 5xx, 429, rate limit: try again later.

    ``retry_after`` is the server's wish in seconds, when it said one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(ProviderError):
    """The credentials are refused; the message names the command that fixes it."""


class ConflictError(ProviderError):
    """A conditional write failed: it exists already (create) or changed (update, delete)."""


class GoneError(ProviderError):
    """The sync token is no longer valid (Google 410, CalDAV valid-sync-token): re-read fully."""


class NotFoundError(ProviderError):
    """The object or calendar is not there (any more)."""


class RefusedError(ProviderError):
    """The server refuses this write and will go on refusing it (403: a read-only calendar)."""


class TakenError(RefusedError):
    """Another event, not syncd's, holds the place or the UID a follow-up is written under:
    the server refuses the write until that event is gone. The message names it."""


# --- error text: one line, no library's repr ---


def one_line(text: str) -> str:
    """``text`` with every run of white space (line breaks too) made one space."""
    return " ".join(text.split())


def source_line(source: str, error: BaseException) -> str:
    """How a source's failure is printed and logged: ``SOURCE: what happened; what to do``.

    The error's own text never names the source (a provider's message may start
    with the calendar it is about); this adds it, once.
    """
    return one_line(f"{source}: {error}")


def network_reason(error: BaseException) -> str:
    """What went wrong on the network, in a few words, from the innermost cause of ``error``.

    Library exceptions wrap the socket's error several times, and their text holds
    reprs (``<... object at 0x...>``); the socket's errno or the exception's class
    name is all the user needs.
    """
    causes: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and len(causes) < 20:
        causes.append(seen)
        seen = seen.__cause__ or seen.__context__
    for cause in reversed(causes):
        name = type(cause).__name__
        if isinstance(cause, TimeoutError) or "Timeout" in name:
            return "timed out"
        if name == "gaierror" or "NameResolution" in name:
            return "host name not found"
        if "SSL" in name or "Certificate" in name:
            return "TLS handshake failed"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
    return type(error).__name__


def untrusted_certificate(error: BaseException) -> str:
    """Why the server's TLS certificate was not trusted, in OpenSSL's words (``self-signed
    certificate``, ``unable to get local issuer certificate``, ...) from ``error``'s
    causes; "" when that is not what failed."""
    seen: BaseException | None = error
    for _ in range(20):
        if seen is None:
            break
        message = getattr(seen, "verify_message", None)
        if isinstance(message, str) and message:
            return message
        seen = seen.__cause__ or seen.__context__
    return ""


UNTRUSTED = (
    "if the server uses a certificate of its own, set ca_file on the source to the"
    " certificate (PEM) of the authority that signed it"
)


def retry_after_seconds(value: object, now: dt.datetime) -> float | None:
    """A Retry-After header in seconds from ``now`` (aware): delta-seconds or an HTTP date.

    None when absent or unreadable; a date in the past is 0.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if text.isdigit():
        return float(text)
    import email.utils  # only now: a header date is rare, and the module is not small

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())
