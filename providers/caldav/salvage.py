"""Reading an object's text into a VCALENDAR, saving what can be saved of a broken one.

icalendar fails a whole text for one bad VALARM, VTIMEZONE or calendar
property; ``read_calendar`` then parses each VEVENT on its own (without its
alarms if need be), so one odd event costs only itself.
"""

from __future__ import annotations

import logging
import re

import icalendar

log = logging.getLogger(__name__)

_FOLD = re.compile(r"\r?\n[ \t]")
_PRODID = "-//syncd//syncd//EN"


class ObjectError(ValueError):
    """A stored object that is not iCalendar at all; the message names the resource."""


def unfold(text: str) -> str:
    """The text with RFC 5545 line folds (CRLF or LF, then a space or tab) removed."""
    return _FOLD.sub("", text)


def read_calendar(text: str, resource: str) -> icalendar.Calendar:
    """The VCALENDAR of an object's text (a bare VEVENT is wrapped in one); what cannot be
    parsed as a whole is salvaged VEVENT by VEVENT. Raises ObjectError when nothing can."""
    try:
        return _from_ical(text)
    except Exception as error:  # icalendar raises more than ValueError on bad input
        return _salvage(text, resource, error)


def _from_ical(text: str) -> icalendar.Calendar:
    parsed = icalendar.Calendar.from_ical(text)
    if parsed.name == "VCALENDAR":
        return parsed
    if parsed.name == "VEVENT":  # a bare VEVENT: be lenient
        cal = icalendar.Calendar()
        cal.add_component(parsed)
        return cal
    raise ValueError(f"{parsed.name} is not a VCALENDAR")


def _salvage(text: str, resource: str, error: Exception) -> icalendar.Calendar:
    """Parse what can be parsed: each VEVENT on its own, without its alarms if need be.

    icalendar tolerates bad values only inside VEVENT; a bad VALARM, VTIMEZONE or
    calendar property fails the whole text.
    """
    text = unfold(text)
    header = "".join(
        m.group(0) + "\r\n" for m in re.finditer(r"^X-WR-TIMEZONE[;:].*?(?=\r?$)", text, re.M)
    )
    header = header if _parses(_wrap(header, [])) else ""
    zones = [z for z in _blocks(text, "VTIMEZONE") if _parses(_wrap(header, [z]))]
    events = _blocks(text, "VEVENT")
    if not events:
        raise ObjectError(f"{resource}: not a readable iCalendar object: {error}") from error
    kept: list[str] = []
    for block in events:
        uid = re.search(r"^UID[;:](.*?)\r?$", block, re.M)
        name = repr(uid.group(1)) if uid else "without UID"
        without_alarms = re.sub(r"^BEGIN:VALARM.*?^END:VALARM\r?\n", "", block, flags=re.M | re.S)
        if _parses(_wrap(header, [*zones, block])):
            kept.append(block)
        elif _parses(_wrap(header, [*zones, without_alarms])):
            log.warning("%s: VEVENT %s: unreadable alarms ignored", resource, name)
            kept.append(without_alarms)
        else:
            log.warning("%s: skipping unreadable VEVENT %s", resource, name)
    try:
        return _from_ical(_wrap(header, [*zones, *kept]))
    except Exception as again:
        raise ObjectError(f"{resource}: not a readable iCalendar object: {again}") from again


def _blocks(text: str, name: str) -> list[str]:
    pattern = rf"^BEGIN:{name}\r?\n.*?^END:{name}\r?(?:\n|\Z)"
    return [m.group(0) for m in re.finditer(pattern, text, re.M | re.S | re.I)]


def _wrap(header: str, blocks: list[str]) -> str:
    body = "".join(b if b.endswith("\n") else b + "\r\n" for b in blocks)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{_PRODID}\r\n{header}{body}END:VCALENDAR\r\n"


def _parses(text: str) -> bool:
    try:
        _from_ical(text)
    except Exception:
        return False
    return True
