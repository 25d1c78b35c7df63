"""Error lines: one line, the source once, the network's reason without a library's repr."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from syncd.errors import (
    AuthError,
    TransientError,
    network_reason,
    one_line,
    retry_after_seconds,
    source_line,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_one_line_joins_every_run_of_white_space() -> None:
    assert one_line("a\nb\r\n c\t d") == "a b c d"


def test_a_source_line_names_the_source_once_in_front() -> None:
    error = AuthError("the server refused the login (HTTP 401);\ncheck the password")
    assert source_line("work", error) == (
        "work: the server refused the login (HTTP 401); check the password"
    )


class _Wrapper(Exception):
    """Stands for a library's exception that wraps the socket's error in a repr."""


def _wrapped(inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except OSError as exc:
            raise _Wrapper(f"<urllib3.connection.HTTPConnection object at 0x7f00>: {exc}") from exc
    except _Wrapper as outer:
        return outer


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (socket.gaierror(-2, "Name or service not known"), "host name not found"),
        (TimeoutError("timed out"), "timed out"),
        (OSError(113, "No route to host"), "no route to host"),
    ],
)
def test_network_reason_comes_from_the_innermost_cause(inner: OSError, reason: str) -> None:
    assert network_reason(_wrapped(inner)) == reason


def test_network_reason_without_a_cause_is_the_class_name() -> None:
    assert network_reason(_Wrapper("<x object at 0x1>")) == "_Wrapper"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("Wed, 25 Nov 2026 12:01:30 GMT", 90.0),
        ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),  # in the past: now
        ("Wed, 25 Nov 2026 12:00:10 -0000", 10.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: object, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_transient_error_keeps_the_wish() -> None:
    assert TransientError("busy", retry_after=retry_after_seconds("30", NOW)).retry_after == 30.0
