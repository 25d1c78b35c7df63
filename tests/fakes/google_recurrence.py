"""Event times and recurrence expansion for the Google fake.

A series is expanded in its ``start.timeZone`` (Google requires one for recurring
timed events), so a weekly 10:00 stays 10:00 local across DST. Instance ids follow
Google: ``{seriesId}_{YYYYMMDDTHHMMSSZ}`` (original start in UTC) for timed series,
``{seriesId}_{YYYYMMDD}`` for all-day ones. Supported lines: RRULE (through
python-dateutil), EXDATE and RDATE (DATE or DATE-TIME, with TZID, UTC or floating).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rruleset, rrulestr

from .google_errors import ApiError, bad_request
from .google_params import parse_rfc3339

# Google caps the expansion of an open-ended series; the fake stops here.
MAX_INSTANCES = 1000

# Whatever the series id looks like (base32hex, an Outlook-originated ``_...``, a
# split-off ``..._R...``), the occurrence's original start follows the last "_".
_INSTANCE_ID = re.compile(r"^(?P<series>.+)_(?P<stamp>\d{8}(T\d{6}Z)?)$")


@dataclass(frozen=True)
class When:
    """One end of an event: an instant (timed) or a calendar day (all-day)."""

    instant: datetime | None = None  # aware, UTC
    day: date | None = None
    zone: str | None = None  # the event's own timeZone, when it gave one

    @property
    def all_day(self) -> bool:
        return self.day is not None

    def utc(self, calendar_zone: tzinfo) -> datetime:
        """The instant this starts; an all-day date starts at midnight in the calendar's zone."""
        if self.instant is not None:
            return self.instant
        assert self.day is not None
        return datetime.combine(self.day, time(), calendar_zone).astimezone(UTC)

    def stored(self) -> dict[str, str]:
        """The resource form the fake keeps (UTC dateTime plus the event's timeZone)."""
        if self.day is not None:
            return {"date": self.day.isoformat()}
        assert self.instant is not None
        value = {"dateTime": self.instant.isoformat().replace("+00:00", "Z")}
        if self.zone:
            value["timeZone"] = self.zone
        return value

    def rendered(self, out_zone: tzinfo) -> dict[str, str]:
        """The form Google answers with: dateTime in the requested or calendar zone."""
        if self.day is not None:
            return {"date": self.day.isoformat()}
        assert self.instant is not None
        local = self.instant.astimezone(out_zone)
        text = local.isoformat(timespec="seconds")
        in_utc = out_zone is UTC or getattr(out_zone, "key", None) in ("UTC", "Etc/UTC")
        value = {"dateTime": text.replace("+00:00", "Z") if in_utc else text}
        if self.zone:
            value["timeZone"] = self.zone
        return value

    def shifted(self, delta: timedelta) -> When:
        if self.day is not None:
            return When(day=self.day + delta, zone=self.zone)
        assert self.instant is not None
        return When(instant=self.instant + delta, zone=self.zone)


def zone_named(name: str, *, field: str) -> ZoneInfo:
    """Return the IANA zone ``name``; raise ApiError 400 naming ``field`` when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"Invalid time zone definition for {field}.") from None


def parse_when(value: Any, field: str) -> When:
    """Parse an EventDateTime (``{"date"}`` or ``{"dateTime", "timeZone"?}``)."""
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise ApiError(400, "required", f"Missing {field}.")
    zone_name = value.get("timeZone")
    zone = zone_named(zone_name, field=field) if zone_name else None
    if value.get("date") and value.get("dateTime"):
        raise bad_request(f"Invalid {field}: only one of date and dateTime may be set.")
    if value.get("date"):
        try:
            return When(day=date.fromisoformat(value["date"]), zone=zone_name)
        except (TypeError, ValueError):
            raise bad_request(f"Invalid {field}.") from None
    text = value["dateTime"]
    instant = parse_rfc3339(text) if isinstance(text, str) else None
    if instant is None and isinstance(text, str) and zone is not None:
        try:
            instant = datetime.fromisoformat(text).replace(tzinfo=zone)
        except ValueError:
            instant = None
    if instant is None:
        if zone is None and isinstance(text, str) and _is_floating(text):
            raise bad_request(f"Missing time zone definition for {field}.", reason="required")
        raise bad_request(f"Invalid {field}.")
    return When(instant=instant.astimezone(UTC), zone=zone_name)


def _is_floating(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is None
    except ValueError:
        return False


# -- instance ids -----------------------------------------------------------------------


def instance_id(series_id: str, original: When) -> str:
    """Google's id for the occurrence of ``series_id`` originally starting at ``original``."""
    if original.day is not None:
        return f"{series_id}_{original.day:%Y%m%d}"
    assert original.instant is not None
    return f"{series_id}_{original.instant:%Y%m%dT%H%M%SZ}"


def split_instance_id(event_id: str) -> tuple[str, str] | None:
    """Return (series id, stamp) for an instance id, None for any other id."""
    match = _INSTANCE_ID.match(event_id)
    return (match["series"], match["stamp"]) if match else None


# -- expansion --------------------------------------------------------------------------


def validate_recurrence(lines: Any, start: When) -> None:
    """Raise ApiError 400 unless ``lines`` is a recurrence this fake can expand for ``start``."""
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise bad_request("Invalid recurrence rule.")
    if start.instant is not None and not start.zone:
        raise bad_request("Missing time zone definition for start time.", reason="required")
    occurrences(start, lines, before=None, limit=1)


def occurrences(
    start: When,
    lines: list[str],
    *,
    before: datetime | None,
    calendar_zone: tzinfo = UTC,
    limit: int = MAX_INSTANCES,
) -> list[When]:
    """Original starts of the series, in order, those starting before ``before`` (UTC).

    All-day starts are placed in ``calendar_zone``. Raises ApiError 400 on a line it
    cannot parse.
    """
    local_zone: tzinfo = ZoneInfo(start.zone) if start.instant is not None and start.zone else UTC
    dtstart = _dtstart(start, local_zone)
    rules = rruleset()
    try:
        for line in lines:
            name, _, _ = line.partition(":")
            kind = name.split(";")[0].upper()
            if kind == "RRULE":
                rules.rrule(_rrule(line, dtstart, local_zone))
            elif kind in ("EXDATE", "RDATE"):
                for moment in _date_list(line, dtstart, local_zone):
                    (rules.exdate if kind == "EXDATE" else rules.rdate)(moment)
            else:
                raise ValueError(kind)
        found: list[When] = []
        for moment in islice(rules, limit):
            when = _when_of(moment, start)
            if before is not None and when.utc(calendar_zone) >= before:
                break
            found.append(when)
        return found
    except (ValueError, TypeError, KeyError):
        raise bad_request("Invalid recurrence rule.") from None


def _dtstart(start: When, local_zone: tzinfo) -> datetime:
    if start.day is not None:
        return datetime.combine(start.day, time())  # naive: all-day series
    assert start.instant is not None
    return start.instant.astimezone(local_zone)


def _when_of(moment: datetime, start: When) -> When:
    if start.day is not None:
        return When(day=moment.date(), zone=start.zone)
    return When(instant=moment.astimezone(UTC), zone=start.zone)


def _rrule(line: str, dtstart: datetime, local_zone: tzinfo) -> rrule:
    # dateutil insists UNTIL's awareness matches DTSTART's; Google is more lenient.
    body = line.split(":", 1)[1]
    parts = [part for part in body.split(";") if part]
    until = next((p.split("=", 1)[1] for p in parts if p.upper().startswith("UNTIL=")), None)
    rest = [p for p in parts if not p.upper().startswith("UNTIL=")]
    if until is not None and any(p.upper().startswith("COUNT=") for p in rest):
        raise ValueError("COUNT and UNTIL")
    rule = rrulestr("RRULE:" + ";".join(rest), dtstart=dtstart)
    if not isinstance(rule, rrule):
        raise ValueError(line)
    if until is not None:
        rule = rule.replace(until=_until(until, dtstart, local_zone))
    return rule


def _until(value: str, dtstart: datetime, local_zone: tzinfo) -> datetime:
    if dtstart.tzinfo is None:  # all-day: compare calendar days
        return datetime.strptime(value[:8], "%Y%m%d")
    if len(value) == 8:
        return datetime.combine(datetime.strptime(value, "%Y%m%d"), time(23, 59, 59), local_zone)
    moment = datetime.strptime(value.rstrip("Zz"), "%Y%m%dT%H%M%S")
    return moment.replace(tzinfo=UTC if value.upper().endswith("Z") else local_zone)


def _date_list(line: str, dtstart: datetime, local_zone: tzinfo) -> list[datetime]:
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    zone: tzinfo = ZoneInfo(params["TZID"]) if "TZID" in params else local_zone
    moments = []
    for value in values.split(","):
        value = value.strip()
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d")
            moment = (
                day if dtstart.tzinfo is None else datetime.combine(day.date(), dtstart.timetz())
            )
        else:
            parsed = datetime.strptime(value.rstrip("Zz"), "%Y%m%dT%H%M%S")
            if dtstart.tzinfo is None:
                moment = datetime.combine(parsed.date(), time())
            else:
                moment = parsed.replace(tzinfo=UTC if value.upper().endswith("Z") else zone)
        moments.append(moment)
    return moments
