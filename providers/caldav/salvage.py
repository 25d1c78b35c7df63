"""Reading an object's text into a VCALENDAR, saving what can be saved of a broken one.

icalendar fails a whole text for one bad VALARM, VTIMEZONE or calendar
property; ``read_calendar`` then parses each VEVENT on its own (without its
alarms if need be), so one odd event costs only itself.

Linear in the object's size: each zone and each event is parsed once on its own
(twice without its alarms), then the kept ones once together. Testing every event
with every zone beside it cost 16.9 s of CPU for 300 zones and 300 events.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import icalendar

from syncd import limits

log = logging.getLogger(__name__)

_FOLD = re.compile(r"\r?\n[ \t]")
_PRODID = "-//syncd//syncd//EN"
NAMED = 3  # unreadable VEVENTs a warning names; it counts the rest


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
    calendar property fails the whole text. An event is tested without the zones:
    icalendar keeps each zone it has parsed for the rest of the process, by TZID,
    so the zones tested first are the ones the event's times are read in either way.
    """
    where = limits.shown(resource, 200)
    text = unfold(text)
    header = "".join(
        m.group(0) + "\r\n" for m in re.finditer(r"^X-WR-TIMEZONE[;:].*?(?=\r?$)", text, re.M)
    )
    header = header if _parses(_wrap(header, [])) else ""
    zones = [z for z in _blocks(text, "VTIMEZONE") if _parses(_wrap(header, [z]))]
    events = list(_blocks(text, "VEVENT"))
    if not events:
        why = limits.shown(str(error), 200)
        raise ObjectError(f"{where}: not a readable iCalendar object: {why}") from error
    kept: list[str] = []
    alarms: list[str] = []
    skipped: list[str] = []
    for block in events:
        if _parses(_wrap(header, [block])):
            kept.append(block)
            continue
        without_alarms = "".join(_without(block, "VALARM"))
        if without_alarms != block and _parses(_wrap(header, [without_alarms])):
            alarms.append(_uid(block))
            kept.append(without_alarms)
        else:
            skipped.append(_uid(block))
    if alarms:
        log.warning("%s: unreadable alarms ignored in %s", where, _some(alarms, "VEVENT"))
    if skipped:
        log.warning("%s: skipping unreadable %s", where, _some(skipped, "VEVENT"))
    try:
        return _from_ical(_wrap(header, [*zones, *kept]))
    except Exception as again:
        why = limits.shown(str(again), 200)
        raise ObjectError(f"{where}: not a readable iCalendar object: {why}") from again


def _uid(block: str) -> str:
    uid = re.search(r"^UID[;:](.*?)\r?$", block, re.M)
    return repr(limits.shown(uid.group(1))) if uid else "without UID"


def _some(names: list[str], what: str) -> str:
    """``VEVENT 'a'``, or ``3 VEVENTs: 'a', 'b', 'c'``, or ``... and 7 more``."""
    if len(names) == 1:
        return f"{what} {names[0]}"
    shown = ", ".join(names[:NAMED])
    more = f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    return f"{len(names)} {what}s: {shown}{more}"


def _lines(text: str) -> Iterator[tuple[str, str]]:
    """Each line of ``text`` (split at LF only) with its LF, and the line without its LF
    and one CR before it."""
    at = 0
    while at < len(text):
        stop = text.find("\n", at) + 1 or len(text)
        line = text[at:stop]
        bare = line[:-1] if line.endswith("\n") else line
        yield line, (bare[:-1] if bare.endswith("\r") else bare)
        at = stop


def _blocks(text: str, name: str) -> Iterator[str]:
    """Each ``BEGIN:name`` ... ``END:name`` block, from a BEGIN to the first END after it
    (any case); a block that never ends is no block. One pass over the lines."""
    begin, end = f"begin:{name}".casefold(), f"end:{name}".casefold()
    block: list[str] | None = None
    for line, bare in _lines(text):
        if block is None:
            if line.endswith("\n") and bare.casefold() == begin:
                block = [line]
        else:
            block.append(line)
            if bare.casefold() == end:
                yield "".join(block)
                block = None


def _without(block: str, name: str) -> Iterator[str]:
    """The lines of ``block`` outside its ``name`` components (a component that never
    ends is kept). One pass over the lines."""
    begin, end = f"begin:{name}".casefold(), f"end:{name}".casefold()
    inside: list[str] | None = None
    for line, bare in _lines(block):
        if inside is None:
            if bare.casefold() == begin:
                inside = [line]
            else:
                yield line
        else:
            inside.append(line)
            if bare.casefold() == end and line.endswith("\n"):
                inside = None
    if inside is not None:
        yield from inside


def _wrap(header: str, blocks: list[str]) -> str:
    body = "".join(b if b.endswith("\n") else b + "\r\n" for b in blocks)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{_PRODID}\r\n{header}{body}END:VCALENDAR\r\n"


def _parses(text: str) -> bool:
    try:
        _from_ical(text)
    except Exception:
        return False
    return True
