"""What the Google fake keeps: calendars, and events as Google's JSON resources."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class StoredEvent:
    """An event (or an exception of a series) as kept, with its last change number."""

    resource: dict[str, Any]
    change: int

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"

    @property
    def is_exception(self) -> bool:
        return "recurringEventId" in self.resource

    @property
    def is_series(self) -> bool:
        return bool(self.resource.get("recurrence")) and not self.is_exception


@dataclass
class Calendar:
    """One calendar of the account, owning its events in insertion order."""

    id: str
    summary: str
    time_zone: str
    primary: bool
    change: int
    etag: str
    description: str = ""
    events: dict[str, StoredEvent] = field(default_factory=dict)
    access_role: str = "owner"  # the account's: google_accounts says what each allows
    hidden: bool = False  # hidden from the user's calendar list
    summary_override: str = ""  # the user's own name for a calendar shared with them
    # Items listed as they are, checked by nothing (add_raw_event): what a broken or
    # hostile server could send. Only listings show them.
    raw: dict[str, StoredEvent] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def random_id() -> str:
    """An id as Google makes them: 26 base32hex characters."""
    return base64.b32hexencode(os.urandom(16)).decode("ascii").rstrip("=").lower()


def new_token() -> str:
    """An opaque random token (page tokens)."""
    return secrets.token_urlsafe(18)
