"""Logging to stderr: timestamps on a terminal, syslog priorities under journald."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# syslog priorities (sd-daemon(3)): journald reads a "<N>" line prefix as the priority.
_PRIORITIES = ((logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
_OWN_LOGGERS = ("syncd", "providers")


def priority(levelno: int) -> int:
    """The syslog priority of a logging level: 2 critical ... 7 debug."""
    if levelno >= logging.CRITICAL:
        return 2
    return next((prio for level, prio in _PRIORITIES if levelno >= level), 7)


class JournalFormatter(logging.Formatter):
    """Every line of a record prefixed with ``<N>``, so a traceback keeps its priority."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


class _SyncdHandler(logging.StreamHandler[TextIO]):
    """Marks the handler setup_logging installed, so a second call replaces it."""


def setup_logging(verbose: int = 0, *, journal: bool | None = None) -> None:
    """Log to stderr: syncd at INFO (-v: DEBUG), libraries at WARNING (-vv: DEBUG).

    ``journal`` None means: detect journald by $JOURNAL_STREAM; then no timestamps
    (journald adds them) and a ``<N>`` priority prefix on each line. Safe to call again.
    """
    if journal is None:
        journal = bool(os.environ.get("JOURNAL_STREAM"))
    handler = _SyncdHandler(sys.stderr)
    if journal:
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SyncdHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    for name in _OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
