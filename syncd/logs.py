"""Logging to stderr: timestamps on a terminal, syslog priorities under journald.

Every line is written within bounds (``syncd.log_hygiene``): anyone's text cut to
a few hundred characters, control characters as escapes, secrets redacted. The
libraries that print credentials at DEBUG stay quieter than that even at ``-vv``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

from syncd.log_hygiene import clean_message, clean_traceback, redact

# syslog priorities (sd-daemon(3)): journald reads a "<N>" line prefix as the priority.
_PRIORITIES = ((logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_OWN_LOGGERS = ("syncd", "providers")

# Libraries whose debug lines carry credentials: requests-oauthlib and oauthlib print
# the token request (authorization code, client secret) and answer (refresh and
# access tokens); google-auth-oauthlib's loopback server logs the redirect it gets,
# code and all, at INFO; urllib3 and niquests log every URL. At -vv they stay at
# WARNING (INFO for the HTTP libraries' connection lines would still show URLs).
QUIET_LIBRARIES = (
    "requests_oauthlib",
    "oauthlib",
    "google_auth_oauthlib",
    "google.auth",
    "google_auth_httplib2",
    "httplib2",
    "urllib3",
    "urllib3_future",
    "niquests",
    "requests",
)


def priority(levelno: int) -> int:
    """The syslog priority of a logging level: 2 critical ... 7 debug."""
    if levelno >= logging.CRITICAL:
        return 2
    return next((prio for level, prio in _PRIORITIES if levelno >= level), 7)


class SafeFormatter(logging.Formatter):
    """A formatter whose lines hold no secret and no terminal escape, each value cut.

    The record is copied: other handlers see it as it came.
    """

    def format(self, record: logging.LogRecord) -> str:
        copy = logging.makeLogRecord(record.__dict__)
        copy.msg, copy.args = clean_message(record), None
        copy.exc_text = None  # another handler's text of the traceback: made here again
        return redact(super().format(copy))

    def formatException(self, ei: Any) -> str:
        return clean_traceback(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return clean_traceback(super().formatStack(stack_info))


class JournalFormatter(SafeFormatter):
    """Every line of a record prefixed with ``<N>``, so a traceback keeps its priority."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


class _SyncdHandler(logging.StreamHandler[TextIO]):
    """Marks the handler setup_logging installed, so a second call replaces it."""


def setup_logging(verbose: int = 0, *, journal: bool | None = None) -> None:
    """Log to stderr: syncd at INFO (-v: DEBUG), libraries at WARNING (-vv: DEBUG, but
    those of QUIET_LIBRARIES, which stay at WARNING).

    ``journal`` None means: detect journald by $JOURNAL_STREAM; then no timestamps
    (journald adds them) and a ``<N>`` priority prefix on each line. Safe to call again.
    """
    if journal is None:
        journal = bool(os.environ.get("JOURNAL_STREAM"))
    handler = _SyncdHandler(sys.stderr)
    if journal:
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SyncdHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    for name in _OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
