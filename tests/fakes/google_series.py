"""Recurring events in the Google fake: instances, exceptions, and a series split in two.

A series is expanded from its stored resource (google_recurrence does the
dates); an instance somebody changed or cancelled is kept as an exception, an
event of its own naming the series in ``recurringEventId``. Instance ids are
``<series id>_<original start>`` whatever the series id looks like: a
base32hex id, an Outlook-originated ``_...`` id, or ``<id>_R<start>``, the id
Google gives the part of a series split off with "this and following events"
(so its instances read ``<id>_R20201130T010000_20201207T010000Z``). Clients
must not parse any of them: ``recurringEventId`` names the series.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from .google_model import Calendar, StoredEvent
from .google_recurrence import When, instance_id, occurrences, parse_when, split_instance_id

# Fields Google computes afresh for the new series of a split.
_COMPUTED = ("kind", "etag", "id", "htmlLink", "created", "updated", "sequence", "iCalUID")


def exceptions_of(cal: Calendar, series_id: str) -> dict[str, StoredEvent]:
    """The stored exceptions (modified or cancelled instances) of a series."""
    return {
        event_id: stored
        for event_id, stored in cal.events.items()
        if stored.resource.get("recurringEventId") == series_id
    }


def instances(
    cal: Calendar, series: StoredEvent, *, before: datetime | None
) -> Iterator[StoredEvent]:
    """Yield the instances of ``series``: generated ones, or its stored exceptions."""
    resource = series.resource
    start = parse_when(resource["start"], "start time")
    length = _length(start, parse_when(resource["end"], "end time"))
    exceptions = exceptions_of(cal, resource["id"])
    lines = resource["recurrence"]
    for original in occurrences(start, lines, before=before, calendar_zone=cal.zone):
        event_id = instance_id(resource["id"], original)
        stored = exceptions.pop(event_id, None)
        yield stored or StoredEvent(_instance(resource, original, length), series.change)
    # Exceptions moved in from beyond the expanded range.
    yield from exceptions.values()


def generated_instance(cal: Calendar, event_id: str) -> StoredEvent | None:
    """The instance of a stored series that ``event_id`` names, as generated; else None."""
    parts = split_instance_id(event_id)
    series = cal.events.get(parts[0]) if parts else None
    if parts is None or series is None or not series.is_series:
        return None
    stamp = parts[1]
    if "T" in stamp:
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    else:
        day = datetime.strptime(stamp, "%Y%m%d").date()
        moment = When(day=day).utc(cal.zone)
    for instance in instances(cal, series, before=moment + timedelta(seconds=1)):
        if instance.resource["id"] == event_id:
            return instance
    return None


def split_parts(
    cal: Calendar, series: StoredEvent, original: When
) -> tuple[list[When], str, dict[str, Any]]:
    """What a split of ``series`` at the occurrence originally at ``original`` makes.

    Returns the original starts of the occurrences from there on (they leave the
    old series), the new series' id and its body: the old series' fields,
    starting at ``original``, its COUNT reduced to what is left.
    """
    resource = series.resource
    start = parse_when(resource["start"], "start time")
    length = _length(start, parse_when(resource["end"], "end time"))
    every = occurrences(start, resource["recurrence"], before=None, calendar_zone=cal.zone)
    later = [o for o in every if o.utc(cal.zone) >= original.utc(cal.zone)]
    if not later or len(later) == len(every):
        raise ValueError("a split needs occurrences before and from the one named")
    stamp = f"{original.day:%Y%m%d}" if original.day else f"{original.instant:%Y%m%dT%H%M%S}"
    body = {k: copy.deepcopy(v) for k, v in resource.items() if k not in _COMPUTED}
    body.update(
        start=later[0].stored(),
        end=later[0].shifted(length).stored(),
        recurrence=[_counted(line, len(later)) for line in resource["recurrence"]],
    )
    return later, f"{resource['id']}_R{stamp}", body


def until_before(series: StoredEvent, original: When) -> list[str]:
    """The series' recurrence lines ending just before ``original``."""
    if original.day is not None:
        until = f"{original.day - timedelta(days=1):%Y%m%d}"
    else:
        assert original.instant is not None
        until = f"{original.instant - timedelta(seconds=1):%Y%m%dT%H%M%SZ}"
    lines = []
    for line in series.resource["recurrence"]:
        if line.upper().startswith("RRULE:"):
            parts = [p for p in line[6:].split(";") if not re.match(r"(?i)(COUNT|UNTIL)=", p)]
            line = "RRULE:" + ";".join([*parts, f"UNTIL={until}"])
        lines.append(line)
    return lines


def _counted(line: str, count: int) -> str:
    if not line.upper().startswith("RRULE:") or not re.search(r"(?i)COUNT=", line):
        return line
    return re.sub(r"(?i)COUNT=\d+", f"COUNT={count}", line)


def _instance(series: dict[str, Any], original: When, length: timedelta) -> dict[str, Any]:
    instance = {k: copy.deepcopy(v) for k, v in series.items() if k != "recurrence"}
    instance.update(
        id=instance_id(series["id"], original),
        recurringEventId=series["id"],
        originalStartTime=original.stored(),
        start=original.stored(),
        end=original.shifted(length).stored(),
    )
    return instance


def _length(start: When, end: When) -> timedelta:
    if start.day is not None and end.day is not None:
        return end.day - start.day
    assert start.instant is not None and end.instant is not None
    return end.instant - start.instant
