"""The named limits (syncd/limits.py): the helpers that apply them to untrusted text and dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd import limits
from syncd.observe import FORGET_AFTER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Interview with Acme", "Interview with Acme"),
        ("Interview\x1b[31m with\x07 Acme", "Interview[31m with Acme"),
        ("Interview\u202ewith Acme", "Interviewwith Acme"),  # a bidi override
        ("Interview\r\nwith\tAcme", "Interview with Acme"),
        ("x" * 41, "x" * 37 + "..."),
        ("x" * 40, "x" * 40),
        ("\x00" * 10_000 + "tail", "..."),
    ],
)
def test_shown_strips_control_characters_and_cuts(text: str, expected: str) -> None:
    assert limits.shown(text) == expected


@given(st.text())
def test_shown_is_short_and_printable(text: str) -> None:
    out = limits.shown(text)
    assert len(out) <= limits.SHOWN_CHARS
    assert out.isprintable()


@pytest.mark.parametrize(
    ("value", "inside"),
    [
        (dt.date(1900, 1, 1), True),
        (dt.date(2200, 12, 31), True),
        (dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), True),
        (dt.date(1, 1, 1), False),
        (dt.date(1899, 12, 31), False),
        (dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC), False),
    ],
)
def test_in_years(value: dt.date, inside: bool) -> None:
    assert limits.in_years(value) is inside


def test_the_config_bounds_hold_the_defaults() -> None:
    # The defaults of docs/behaviour.md sit well inside every bound.
    assert limits.INTERVAL_MIN <= dt.timedelta(minutes=5) <= limits.INTERVAL_MAX
    assert dt.timedelta(days=7) <= limits.LOOKBACK_MAX < FORGET_AFTER
    assert dt.timedelta(days=180) <= limits.LOOKAHEAD_MAX
    assert limits.INTERVIEWS_PER_SERIES < limits.INSTANCES_PER_SERIES
