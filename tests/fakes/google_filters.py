"""Query helpers of the Google fake's listings: parameters, time ranges, filters.

``timeMin`` bounds an event's end and ``timeMax`` its start, both exclusive; a
series overlaps from its first start on. ``q`` searches summary, description,
location and the people's names and addresses; ``privateExtendedProperty`` and
``sharedExtendedProperty`` must all match; ``eventTypes`` keeps the types named.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from .google_errors import ApiError, bad_request
from .google_model import Calendar
from .google_params import QueryValue
from .google_recurrence import parse_when, zone_named

Params = dict[str, QueryValue]
# Parameters that do not change what a listing contains.
COSMETIC = frozenset({"pageToken", "alt", "fields", "prettyPrint", "quotaUser", "userIp", "key"})


def int_param(params: Params, name: str, default: int) -> int:
    value = params.get(name, default)
    return value if isinstance(value, int) else default


def query_key(scope: tuple[str, ...], params: Params) -> str:
    kept = {name: str(value) for name, value in params.items() if name not in COSMETIC}
    return json.dumps([scope, sorted(kept.items())])


def out_zone(cal: Calendar, params: Params) -> tzinfo:
    name = params.get("timeZone")
    return zone_named(str(name), field="timeZone") if name else cal.zone


def time_range(params: Params) -> tuple[datetime | None, datetime | None]:
    time_min, time_max = params.get("timeMin"), params.get("timeMax")
    low = time_min if isinstance(time_min, datetime) else None
    high = time_max if isinstance(time_max, datetime) else None
    if low is not None and high is not None and high <= low:
        raise ApiError(400, "timeRangeEmpty", location="timeMax")
    return low, high


def when_in(value: dict[str, Any], out_zone: tzinfo) -> dict[str, str]:
    return parse_when(value, "time").rendered(out_zone)


def start_of(resource: dict[str, Any], cal: Calendar) -> datetime:
    return parse_when(resource["start"], "start time").utc(cal.zone)


def overlaps(
    resource: dict[str, Any], cal: Calendar, low: datetime | None, high: datetime | None
) -> bool:
    # timeMin bounds the end (exclusive), timeMax the start (exclusive).
    if low is None and high is None:
        return True
    start = start_of(resource, cal)
    end = parse_when(resource["end"], "end time").utc(cal.zone)
    if resource.get("recurrence") and "recurringEventId" not in resource:
        return high is None or start < high  # a series overlaps from its first start on
    return (low is None or end > low) and (high is None or start < high)


def series_alive(cal: Calendar, resource: dict[str, Any]) -> bool:
    series = cal.events.get(resource.get("recurringEventId", ""))
    return series is not None and not series.cancelled


def original_start_is(resource: dict[str, Any], wanted: QueryValue | None) -> bool:
    if wanted is None:
        return True
    original = resource.get("originalStartTime", {})
    return wanted in (original.get("dateTime"), original.get("date"))


def matches_filters(resource: dict[str, Any], params: Params) -> bool:
    properties = resource.get("extendedProperties", {})
    for name, scope in (
        ("privateExtendedProperty", "private"),
        ("sharedExtendedProperty", "shared"),
    ):
        for constraint in params.get(name, []):  # type: ignore[union-attr]
            key, sep, value = str(constraint).partition("=")
            if not sep:
                raise bad_request(f"Invalid value for {name}: '{constraint}'.", location=name)
            if properties.get(scope, {}).get(key) != value:
                return False
    if "iCalUID" in params and resource.get("iCalUID") != params["iCalUID"]:
        return False
    event_types = params.get("eventTypes")
    if event_types and resource.get("eventType", "default") not in event_types:  # type: ignore[operator]
        return False
    if "q" in params:
        return all(term in searchable(resource) for term in str(params["q"]).lower().split())
    return True


def searchable(resource: dict[str, Any]) -> str:
    people = [*resource.get("attendees", []), resource.get("organizer", {})]
    texts = [resource.get(name, "") for name in ("summary", "description", "location")]
    texts += [person.get(name, "") for person in people for name in ("displayName", "email")]
    return " ".join(texts).lower()


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def latest_update(cal: Calendar) -> str:
    updates = [stored.resource["updated"] for stored in cal.events.values()]
    return max(updates, default="1970-01-01T00:00:00.000Z")
