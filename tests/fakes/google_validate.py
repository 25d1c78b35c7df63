"""What the Google fake accepts in an event body, and how PATCH merges one.

Patch semantics (Google's "Performance tips: patch"): objects merge key by key, a
``null`` removes a key, arrays are replaced whole. So patching ``reminders`` with only
``{"useDefault": true}`` keeps stored overrides and then fails validation, as Google
does; ``extendedProperties.private`` merges key-wise.
"""

from __future__ import annotations

import copy
from typing import Any

from .google_errors import ApiError, bad_request
from .google_params import event_fields
from .google_recurrence import When, parse_when, validate_recurrence

# Fields the API computes or keeps read-only: a client's values are ignored.
READ_ONLY = frozenset(
    {
        "kind",
        "etag",
        "id",
        "htmlLink",
        "created",
        "updated",
        "creator",
        "organizer",
        "recurringEventId",
        "originalStartTime",
        "hangoutLink",
        "privateCopy",
        "locked",
        "sequence",
    }
)
STATUSES = ("confirmed", "tentative", "cancelled")
RESPONSE_STATUSES = ("needsAction", "declined", "tentative", "accepted")
REMINDER_METHODS = ("email", "popup")
MAX_OVERRIDES = 5
MAX_REMINDER_MINUTES = 40320
# Google's extended-properties guide: longer keys are dropped, longer values truncated.
MAX_PROPERTY_KEY = 44
MAX_PROPERTY_VALUE = 1024


def writable_part(body: dict[str, Any], *, conference: bool, trusted: bool) -> dict[str, Any]:
    """Keep the Event fields a client may set; ``trusted`` (test seeding) keeps read-only ones.

    ``conferenceData`` is kept only when ``conference`` (conferenceDataVersion >= 1).
    """
    known = event_fields()
    kept = {}
    for name, value in body.items():
        if name not in known or (name in READ_ONLY and not trusted):
            continue
        if name == "conferenceData" and not (conference or trusted):
            continue
        kept[name] = copy.deepcopy(value)
    return kept


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``patch`` merged in by Google's patch semantics."""
    merged = copy.deepcopy(base)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        elif isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = merge_patch(merged[name], value)
        else:
            merged[name] = _without_nulls(value)
    return merged


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return copy.deepcopy(value)


def check_event(event: dict[str, Any]) -> tuple[When, When]:
    """Validate a whole event (after any merge) in place; return its (start, end).

    Normalises attendees and extended properties as Google does. Raises ApiError 400.
    """
    if "start" not in event:
        raise ApiError(400, "required", "Missing start time.")
    if "end" not in event:
        raise ApiError(400, "required", "Missing end time.")
    start = parse_when(event["start"], "start time")
    end = parse_when(event["end"], "end time")
    _check_span(start, end)
    if event.get("recurrence"):
        validate_recurrence(event["recurrence"], start)
    status = event.get("status", "confirmed")
    if status not in STATUSES:
        raise bad_request(f"Invalid value for status: '{status}'.", location="status")
    _check_reminders(event.get("reminders"))
    if "attendees" in event:
        event["attendees"] = _checked_attendees(event["attendees"])
    if "extendedProperties" in event:
        event["extendedProperties"] = _checked_properties(event["extendedProperties"])
    return start, end


def _check_span(start: When, end: When) -> None:
    if start.all_day != end.all_day:
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if start.day is not None and end.day is not None:
        empty = end.day <= start.day
    else:
        assert start.instant is not None and end.instant is not None
        empty = end.instant < start.instant
    if empty:
        raise ApiError(400, "timeRangeEmpty")


def _check_reminders(reminders: Any) -> None:
    if reminders is None:
        return
    if not isinstance(reminders, dict):
        raise bad_request("Invalid reminders.", location="reminders")
    overrides = reminders.get("overrides") or []
    if not isinstance(overrides, list):
        raise bad_request("Invalid reminder overrides.", location="reminders.overrides")
    if reminders.get("useDefault") and overrides:
        raise ApiError(400, "cannotUseDefaultRemindersAndSpecifyOverride")
    if len(overrides) > MAX_OVERRIDES:
        raise ApiError(400, "eventRemindersCountExceedsLimit")
    for override in overrides:
        if not isinstance(override, dict) or override.get("method") not in REMINDER_METHODS:
            raise ApiError(400, "required", "Missing or invalid reminder method.")
        minutes = override.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise ApiError(400, "required", "Missing reminder minutes.")
        if not 0 <= minutes <= MAX_REMINDER_MINUTES:
            raise bad_request(
                f"Invalid value for reminder minutes: {minutes}. "
                f"Values must be between 0 and {MAX_REMINDER_MINUTES}.",
                location="reminders.overrides.minutes",
            )


def _checked_attendees(attendees: Any) -> list[dict[str, Any]]:
    if not isinstance(attendees, list):
        raise bad_request("Invalid attendees.", location="attendees")
    checked = []
    for attendee in attendees:
        if not isinstance(attendee, dict) or not attendee.get("email"):
            raise ApiError(400, "required", "Missing attendee email.")
        status = attendee.setdefault("responseStatus", "needsAction")
        if status not in RESPONSE_STATUSES:
            raise bad_request(f"Invalid attendee responseStatus: '{status}'.")
        attendee.pop("self", None)  # computed per calendar when answering
        checked.append(attendee)
    return checked


def _checked_properties(properties: Any) -> dict[str, dict[str, str]]:
    if not isinstance(properties, dict):
        raise bad_request("Invalid extendedProperties.", location="extendedProperties")
    checked: dict[str, dict[str, str]] = {}
    for scope, values in properties.items():
        if scope not in ("private", "shared") or not isinstance(values, dict):
            raise bad_request("Invalid extendedProperties.", location="extendedProperties")
        kept = {}
        for key, value in values.items():
            if not isinstance(value, str):
                raise bad_request(
                    f"Invalid value for extended property '{key}'.",
                    location=f"extendedProperties.{scope}",
                )
            if len(key) <= MAX_PROPERTY_KEY:
                kept[key] = value[:MAX_PROPERTY_VALUE]
        checked[scope] = kept
    return checked
