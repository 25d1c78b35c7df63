"""The rules of Google's event types that the fake enforces (the "Event types" guide).

Every event has an ``eventType``: ``default`` unless set when it is created,
and it never changes afterwards. What the fake checks, each where Google
documents it:

- ``outOfOffice``, ``focusTime`` and ``workingLocation`` exist on primary
  calendars only ("Manage focus time, out of office, and working location
  events"); out-of-office and focus time are timed, never all-day.
- ``birthday``: an all-day event of one day, repeating yearly. One synced
  from Google Contacts (its ``birthdayProperties.contact`` set) is edited in
  Contacts: through the API only its reminders and colour change.
- ``fromGmail``: made by Gmail, never through the API; updates may touch
  reminders, colorId, visibility, status and extendedProperties only (Google
  Workspace updates, 2024-05-30: "The Calendar API now distinguishes events
  created from Gmail").

Test seeding (``trusted``: what Gmail, Contacts or the web UI do) may create
any type and change any field, but never the type. Error reasons are 400
``invalid`` with a message saying which rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .google_errors import bad_request
from .google_validate import READ_ONLY

EVENT_TYPES = ("default", "outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail")
PRIMARY_ONLY = frozenset({"outOfOffice", "focusTime", "workingLocation"})
TIMED_ONLY = frozenset({"outOfOffice", "focusTime"})
# Fields a client may still change in events of a restricted type.
GMAIL_CHANGES = frozenset({"reminders", "colorId", "visibility", "status", "extendedProperties"})
CONTACT_BIRTHDAY_CHANGES = frozenset({"reminders", "colorId"})


def check_type(resource: dict[str, Any], *, primary: bool) -> None:
    """Raise ApiError 400 unless ``resource`` keeps the rules of its event type."""
    kind = resource.get("eventType", "default")
    if kind not in EVENT_TYPES:
        raise bad_request(f"Invalid value for eventType: '{kind}'.", location="eventType")
    all_day = "date" in resource.get("start", {})
    if kind in PRIMARY_ONLY and not primary:
        raise bad_request(f"Events of type {kind} can only be created on primary calendars.")
    if kind in TIMED_ONLY and all_day:
        raise bad_request(f"Events of type {kind} cannot be all-day events.")
    if kind == "birthday":
        _check_birthday(resource)


def check_created(resource: dict[str, Any], *, trusted: bool) -> None:
    """Raise ApiError 400 for a type a client cannot create (fromGmail)."""
    if resource.get("eventType") == "fromGmail" and not trusted:
        raise bad_request("Events of type fromGmail can only be created by Gmail.")


def check_changed(old: dict[str, Any], new: dict[str, Any], *, trusted: bool) -> None:
    """Raise ApiError 400 when a write changes the type, or what its type keeps fixed."""
    kind = old.get("eventType", "default")
    if new.get("eventType", "default") != kind:
        raise bad_request("Event type cannot be changed.", location="eventType")
    if trusted:
        return
    allowed = _changeable(old)
    if allowed is None:
        return
    changed = sorted(
        name
        for name in old.keys() | new.keys()
        if name not in READ_ONLY and name not in allowed and old.get(name) != new.get(name)
    )
    if changed:
        raise bad_request(
            f"Events of type {kind} only allow changes to {', '.join(sorted(allowed))}"
            f" (not {', '.join(changed)})."
        )


def _changeable(resource: dict[str, Any]) -> frozenset[str] | None:
    kind = resource.get("eventType", "default")
    if kind == "fromGmail":
        return GMAIL_CHANGES
    if kind == "birthday" and resource.get("birthdayProperties", {}).get("contact"):
        return CONTACT_BIRTHDAY_CHANGES
    return None


def _check_birthday(resource: dict[str, Any]) -> None:
    start, end = resource.get("start", {}), resource.get("end", {})
    if "date" not in start or "date" not in end:
        raise bad_request("Birthday events must be all-day events.")
    if (date.fromisoformat(end["date"]) - date.fromisoformat(start["date"])).days != 1:
        raise bad_request("Birthday events must last exactly one day.")
    if "recurringEventId" in resource:
        return  # an instance: its series holds the recurrence
    rules = [line.upper() for line in resource.get("recurrence", []) if isinstance(line, str)]
    if not any(line.startswith("RRULE:") and "FREQ=YEARLY" in line for line in rules):
        raise bad_request("Birthday events must repeat yearly.")
