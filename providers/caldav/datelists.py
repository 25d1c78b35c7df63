"""RDATE and EXDATE lists cut to what a pass reads, before icalendar parses them.

icalendar turns every value of an RDATE or EXDATE list into a datetime when it
parses the object: 50,000 RDATEs in one invitation cost a second of CPU before
the series is even counted (docs/reliability.md). The core reads at most
INSTANCES_PER_SERIES instances of a series, the earliest in the window; so an
object whose lists hold more than DATES_PER_OBJECT values keeps, of each
kind, the values near the window, the earliest first, up to that bound. Values
are compared as text: every form (a date, a date-time, a period) begins with
YYYYMMDD, and the window is widened by two days for the zones they may be in.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re

from syncd import limits

# One property line of an unfolded object: name, parameters (quoted values may hold
# ':' and ';'), value. Linear: every repetition starts with ';' and ends before one.
_LINE = re.compile(
    r'^(RDATE|EXDATE)((?:;(?:[^:;"\r\n]|"[^"\r\n]*")*)*):([^\r\n]*)\r?$', re.I | re.M
)
_ZONE = re.compile(r"^(BEGIN|END):VTIMEZONE\r?$", re.I | re.M)
_SLACK = dt.timedelta(days=2)


def bounded(text: str, start: dt.datetime, end: dt.datetime) -> tuple[str, int]:
    """``text`` (unfolded) with its RDATE and EXDATE lists cut to the window
    [start, end) and DATES_PER_OBJECT values of each kind, and how many values were
    left out; the text itself when its lists hold no more than that."""
    zones = _zone_spans(text)  # a VTIMEZONE's RDATEs are its onsets: not cut here
    lines = [m for m in _LINE.finditer(text) if not _within(zones, m.start())]
    if sum(m.group(3).count(",") + 1 for m in lines) <= limits.DATES_PER_OBJECT:
        return text, 0
    low, high = (start - _SLACK).strftime("%Y%m%d"), (end + _SLACK).strftime("%Y%m%d")
    kept: dict[int, list[str]] = {}
    dropped = 0
    for kind in ("RDATE", "EXDATE"):
        values = [
            (value, i)
            for i, m in enumerate(lines)
            if m.group(1).upper() == kind
            for value in m.group(3).split(",")
        ]
        near = sorted(v for v in values if low <= v[0].strip()[:8] <= high)
        near = near[: limits.DATES_PER_OBJECT]
        dropped += len(values) - len(near)
        for value, i in near:
            kept.setdefault(i, []).append(value)
    parts, at = [], 0
    for i, m in enumerate(lines):
        parts.append(text[at : m.start()])
        at = m.end()
        if i in kept:
            parts.append(f"{m.group(1)}{m.group(2)}:{','.join(kept[i])}")
        elif text.startswith("\n", at):  # no value left: the line goes
            at += 1
    parts.append(text[at:])
    return "".join(parts), dropped


def _zone_spans(text: str) -> list[tuple[int, int]]:
    """Where the VTIMEZONE components are: (start, end) offsets; an unclosed one runs on."""
    spans, opened = [], -1
    for m in _ZONE.finditer(text):
        if m.group(1).upper() == "BEGIN" and opened < 0:
            opened = m.start()
        elif m.group(1).upper() == "END" and opened >= 0:
            spans.append((opened, m.end()))
            opened = -1
    return spans + ([(opened, len(text))] if opened >= 0 else [])


def _within(spans: list[tuple[int, int]], at: int) -> bool:
    """Whether offset ``at`` lies in one of ``spans`` (sorted, apart)."""
    i = bisect.bisect_right(spans, at, key=lambda span: span[0]) - 1
    return i >= 0 and at < spans[i][1]
