"""What the account may do with each calendar, and how calendars look in its calendar list.

Modelled on the CalendarList and Acl references: every entry states the
account's ``accessRole`` on the calendar (``owner``, ``writer``, ``reader``,
``freeBusyReader``), its ``timeZone``, ``primary`` (the account's own calendar
only) and ``hidden`` (only when hidden); ``summaryOverride`` when the user
renamed a calendar shared with them.

- Event writes need ``writer`` or ``owner``: anything else answers 403
  ``requiredAccessLevel``. Deleting a calendar needs ``owner``; the primary
  calendar cannot be deleted (calendars.clear empties it instead).
- A ``freeBusyReader`` sees busy times only: events.list and events.get answer
  200, each event stripped to its id, etag, status and times (no summary, no
  description, no extended properties), as Google answers such a calendar.
  A ``reader`` sees a private event the same way ("Private events will appear
  to users with reader access, but event details will be hidden").
- A calendar deleted by its owner, or no longer shared with the account, is
  gone: every request naming it answers 404 ``notFound``; an incremental
  calendarList read (or one with ``showDeleted``) reports its entry
  ``deleted: true``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .google_errors import ApiError

if TYPE_CHECKING:
    from .google_model import Calendar

ROLES = ("freeBusyReader", "reader", "writer", "owner")
WRITERS = frozenset({"writer", "owner"})
DEFAULT_REMINDERS = [{"method": "popup", "minutes": 10}]
# What an event shows to an account that may only see when its owner is busy.
BUSY_FIELDS = (
    "kind",
    "etag",
    "id",
    "status",
    "htmlLink",
    "updated",
    "start",
    "end",
    "iCalUID",
    "recurringEventId",
    "originalStartTime",
)


def check_role(role: str) -> str:
    """``role`` when it is one of Google's access roles; ValueError otherwise."""
    if role not in ROLES:
        raise ValueError(f"unknown accessRole {role!r}; one of {', '.join(ROLES)}")
    return role


def check_writer(cal: Calendar) -> None:
    """Google's answer to an event write on a calendar the account may not write to."""
    if cal.access_role not in WRITERS:
        message = "You need to have writer access to this calendar."
        raise ApiError(403, "requiredAccessLevel", message)


def check_deletable(cal: Calendar) -> None:
    """calendars.delete: the owner's secondary calendars only."""
    if cal.primary:
        raise ApiError(400, "badRequest", "The primary calendar cannot be deleted; clear it.")
    if cal.access_role != "owner":
        message = "You need to have owner access to this calendar."
        raise ApiError(403, "requiredAccessLevel", message)


def as_seen(cal: Calendar, resource: dict[str, Any]) -> dict[str, Any]:
    """The event as this account may see it: whole, or its busy time only."""
    busy_only = cal.access_role == "freeBusyReader" or (
        cal.access_role == "reader" and resource.get("visibility") in ("private", "confidential")
    )
    if not busy_only:
        return resource
    return {name: resource[name] for name in BUSY_FIELDS if name in resource}


def calendar_resource(cal: Calendar) -> dict[str, Any]:
    """The Calendars resource (calendars.get, calendars.insert)."""
    return {
        "kind": "calendar#calendar",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "description": cal.description,
        "timeZone": cal.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }


def calendar_list_entry(cal: Calendar) -> dict[str, Any]:
    """The CalendarList entry of a calendar the account has."""
    entry: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "colorId": "14",
        "backgroundColor": "#9fe1e7",
        "foregroundColor": "#000000",
        "selected": not cal.hidden,
        "accessRole": cal.access_role,
        "defaultReminders": copy.deepcopy(DEFAULT_REMINDERS),
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.summary_override:
        entry["summaryOverride"] = cal.summary_override
    if cal.hidden:
        entry["hidden"] = True
    if cal.primary:
        entry["primary"] = True
    return entry


def deleted_entry(cal: Calendar) -> dict[str, Any]:
    """The entry of a calendar the account no longer has, as incremental reads show it."""
    return {"kind": "calendar#calendarListEntry", "etag": cal.etag, "id": cal.id, "deleted": True}
