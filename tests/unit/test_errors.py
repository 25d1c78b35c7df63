"""Text every caller reads the same way: one line, a Retry-After header."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd.errors import TransientError, one_line, retry_after_seconds

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_one_line_joins_every_run_of_white_space() -> None:
    assert one_line("a\nb\r\n c\t d") == "a b c d"


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
