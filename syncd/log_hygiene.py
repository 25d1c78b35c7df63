"""What a log line may hold: anyone's text cut and made inert, and no secret.

A log line carries text from invitations and servers (titles, hrefs, zone names,
error texts): each value is cut to ``LOGGED_CHARS`` and the line to
``LOG_LINE_CHARS`` (syncd.limits), and control and format characters (terminal
escapes, bidi overrides, line breaks that would forge a second line) are written
as escapes. Secrets are redacted by their shapes, a second line of defence behind
keeping the libraries that print them quiet (syncd.logs): Authorization headers,
``refresh_token=``/``"access_token": ...`` pairs, passwords in URLs, and the shapes
of Google's tokens, codes and client secrets.

Every pattern here is linear: possessive runs, no nested quantifier.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from syncd import limits

REDACTED = "[redacted]"

# C0 and C1 controls, DEL, and the format characters that reorder or hide text:
# soft hyphen, Arabic letter mark, zero-width and bidi marks, embeddings, overrides
# and isolates, line and paragraph separators, BOM, annotation and tag characters.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]"
)

_SECRET_KEYS = (
    r"refresh_token|access_token|id_token|client_secret|code_verifier|code|password|passwd"
    r"|token|assertion|api_key|secret"
)
_SECRETS = re.compile(
    # key=value, as in a form body or a URL query (code=..., refresh_token=...)
    rf"(?P<form>(?<![\w-])(?:{_SECRET_KEYS})=)[^\s&\"'<>]++"
    # "key": "value" and 'key': 'value', as in JSON and a dict's repr
    rf"|(?P<pair>(?P<q>[\"'])(?:{_SECRET_KEYS})(?P=q)\s*+:\s*+(?P<v>[\"']))[^\"']*+"
    # Authorization: Basic ..., 'Authorization': 'Bearer ...'
    r"|(?P<header>(?i:(?:proxy-)?authorization)[\"']?\s*+[:=]\s*+[\"']?)[^\"'\r\n]++"
    # Bearer tokens anywhere
    r"|(?P<bearer>(?i:bearer)\s++)[\w.~+/=-]++"
    # a password in a URL: scheme://user:password@host
    r"|(?P<userinfo>(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s/:@]*+:)[^\s/@]++(?=@)"
    # Google's shapes: access tokens, refresh tokens, authorization codes, client secrets
    r"|(?<![\w/])(?:ya29\.[\w.-]++|1//[\w-]{8,}+|4/[\w-]{8,}+|GOCSPX-[\w-]++)"
)


def _hide(found: re.Match[str]) -> str:
    for group in ("form", "pair", "header", "bearer", "userinfo"):
        if found[group] is not None:
            return found[group] + REDACTED
    return REDACTED


def redact(text: str) -> str:
    """``text`` with every secret of a known shape replaced by ``[redacted]``."""
    return _SECRETS.sub(_hide, text)


def escape_controls(text: str) -> str:
    """``text`` with control and format characters written as escapes (``\\x1b``)."""
    return _CONTROL.sub(lambda c: c.group().encode("unicode_escape").decode("ascii"), text)


def cut(text: str, chars: int = limits.LOGGED_CHARS) -> str:
    """``text`` cut to ``chars``, saying how long it was."""
    if len(text) <= chars:
        return text
    return f"{text[:chars]}... ({len(text):,} characters)"


class _Bounded:
    """A log argument whose ``%s`` and ``%r`` are cut to LOGGED_CHARS."""

    def __init__(self, value: object) -> None:
        self._value = value

    def __str__(self) -> str:
        return cut(str(self._value))

    def __repr__(self) -> str:
        return cut(repr(self._value))


def _bounded(value: object) -> object:
    # Numbers stay numbers, for %d and %.1f.
    return value if isinstance(value, int | float) else _Bounded(value)


def clean_message(record: logging.LogRecord) -> str:
    """The record's message with each argument cut, the whole cut to LOG_LINE_CHARS and
    its control characters escaped; the message as logging would make it if its
    arguments do not fit it."""
    args: Any = record.args
    try:
        if isinstance(args, Mapping):
            message = str(record.msg) % {key: _bounded(v) for key, v in args.items()}
        elif args:
            message = str(record.msg) % tuple(_bounded(v) for v in args)
        else:
            message = str(record.msg)
    except Exception:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: the message as written
            message = str(record.msg)
    return escape_controls(cut(message, limits.LOG_LINE_CHARS))


TRACEBACK_LINES = 200  # lines of a traceback logged; the last ones are kept


def clean_traceback(text: str) -> str:
    """A formatted traceback with each line cut and made inert, its last lines kept."""
    lines = text.splitlines()
    if len(lines) > TRACEBACK_LINES:
        lines = [
            f"... ({len(lines) - TRACEBACK_LINES:,} lines left out)",
            *lines[-TRACEBACK_LINES:],
        ]
    return "\n".join(escape_controls(cut(line, limits.LOG_LINE_CHARS)) for line in lines)
