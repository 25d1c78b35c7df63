"""Reads of the Google fake: events.list (full and incremental), instances, calendarList.

Behaviour follows the Events reference and the sync guide:

- ``nextPageToken`` on every page but the last, ``nextSyncToken`` only on the last.
  A listing is a snapshot taken at its first page, so a page token replays the same
  page (a retried request sees what it saw) and the sync token covers changes made
  while paging.
- ``syncToken`` returns what changed since, deleted events included even with
  ``showDeleted=false`` (then as ``{kind, etag, id, status}``; a cancelled instance
  also keeps ``recurringEventId`` and ``originalStartTime``). It cannot go with
  timeMin, timeMax, q, orderBy, iCalUID, updatedMin or the extended-property filters
  (400); an expired token is 410 ``fullSyncRequired``.
- With ``showDeleted`` a deleted event keeps its fields, extendedProperties
  included (on the organizer's calendar Google keeps them "so that they can be
  restored"); a cancelled instance of a live series shows only what Google
  guarantees: ``id``, ``recurringEventId``, ``originalStartTime``.
- ``singleEvents`` expands series; a changed series comes back as all its instances,
  a deleted one (incrementally, without showDeleted) as its one cancelled id.
- Times come back in the ``timeZone`` parameter's zone, else the calendar's;
  attendees and organizer carry ``self`` for the calendar's own address. Each
  event is shown as the account's role lets it see it (google_accounts), and
  the listing states that ``accessRole``.
- calendarList: hidden entries with ``showHidden``, lost calendars with
  ``showDeleted`` (``deleted: true``); an incremental read has both.
- Items kept raw (``add_raw_event``: what a broken or hostile server could send)
  come last in every full listing, and in an incremental one after they were added,
  as they are: no window, filter or expansion applies to them.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from . import google_filters as filters
from .google_accounts import (
    DEFAULT_REMINDERS,
    ROLES,
    as_seen,
    calendar_list_entry,
    deleted_entry,
)
from .google_errors import ApiError, bad_request, not_found
from .google_filters import Params
from .google_model import Calendar, StoredEvent, new_token
from .google_store import CalendarStore

DEFAULT_PAGE = 250
MAX_PAGE = 2500
CALENDAR_LIST_PAGE = 100
CALENDAR_LIST_MAX_PAGE = 250
KEPT_SNAPSHOTS = 256  # paged listings a client may still be walking
SYNC_INCOMPATIBLE = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
LEADING_FIELDS = ("kind", "etag", "id", "status", "htmlLink", "created", "updated")


@dataclass(frozen=True)
class _Snapshot:
    query: str
    items: list[dict[str, Any]]
    sync_token: str | None


class Lister:
    """Answers the list methods over a CalendarStore; snapshots back the page tokens."""

    def __init__(self, store: CalendarStore) -> None:
        self.store = store
        self.instance = new_token()  # tokens of another fake (or run) are expired here
        self._snapshots: OrderedDict[str, _Snapshot] = OrderedDict()

    # -- events.list ---------------------------------------------------------------------

    def list_events(self, calendar_id: str, params: Params) -> dict[str, Any]:
        """Answer events.list for ``calendar_id`` with the checked query ``params``."""
        with self.store.lock:
            cal = self.store.calendar(calendar_id)
            key = filters.query_key(("events", cal.id), params)
            page_size = min(filters.int_param(params, "maxResults", DEFAULT_PAGE), MAX_PAGE)

            def snapshot() -> _Snapshot:
                if "syncToken" in params:
                    items = self._changed(cal, params)
                else:
                    items = self._full(cal, params)
                return _Snapshot(key, items, self._sync_token(cal.id))

            page = self._page(key, params, page_size, snapshot)
            return {
                "kind": "calendar#events",
                "etag": f'"p{self.store.change:x}"',
                "summary": cal.summary,
                "description": cal.description,
                "updated": filters.latest_update(cal),
                "timeZone": cal.time_zone,
                "accessRole": cal.access_role,
                "defaultReminders": copy.deepcopy(DEFAULT_REMINDERS),
                **page,
            }

    def instances(self, calendar_id: str, event_id: str, params: Params) -> dict[str, Any]:
        """Answer events.instances: the occurrences of one series, paged, no sync token."""
        with self.store.lock:
            cal = self.store.calendar(calendar_id)
            series = cal.events.get(event_id)
            if series is None or not series.is_series:
                raise not_found()
            key = filters.query_key(("instances", cal.id, event_id), params)
            page_size = min(filters.int_param(params, "maxResults", DEFAULT_PAGE), MAX_PAGE)
            out_zone = filters.out_zone(cal, params)
            time_min, time_max = filters.time_range(params)
            show_deleted = bool(params.get("showDeleted", False))

            def snapshot() -> _Snapshot:
                items = [
                    self.render(cal, instance.resource, out_zone)
                    for instance in self.store.instances(cal, series, before=time_max)
                    if (show_deleted or not instance.cancelled)
                    and filters.overlaps(instance.resource, cal, time_min, time_max)
                    and filters.original_start_is(instance.resource, params.get("originalStart"))
                ]
                return _Snapshot(key, items, None)

            page = self._page(key, params, page_size, snapshot)
            return {
                "kind": "calendar#events",
                "etag": series.resource["etag"],
                "summary": cal.summary,
                "updated": series.resource["updated"],
                "timeZone": cal.time_zone,
                "accessRole": cal.access_role,
                "defaultReminders": copy.deepcopy(DEFAULT_REMINDERS),
                **page,
            }

    def calendar_list(self, params: Params) -> dict[str, Any]:
        """Answer calendarList.list, paged, with its own sync token.

        Hidden entries only with ``showHidden``, entries of calendars the account
        lost (``deleted: true``) only with ``showDeleted``; an incremental read
        (``syncToken``) has both, and cannot go with ``minAccessRole``.
        """
        with self.store.lock:
            key = filters.query_key(("calendarList",), params)
            limit = filters.int_param(params, "maxResults", CALENDAR_LIST_PAGE)
            page_size = min(limit, CALENDAR_LIST_MAX_PAGE)
            token = params.get("syncToken")
            if token is not None and "minAccessRole" in params:
                message = "Sync token cannot be combined with the minAccessRole parameter."
                raise bad_request(message, location="minAccessRole")
            least = ROLES.index(str(params.get("minAccessRole", ROLES[0])))
            hidden = token is not None or bool(params.get("showHidden", False))
            deleted = token is not None or bool(params.get("showDeleted", False))

            def snapshot() -> _Snapshot:
                since = self._since(str(token), "") if token is not None else 0
                items = [
                    calendar_list_entry(cal)
                    for cal in self.store.calendars.values()
                    if cal.change > since
                    and (hidden or not cal.hidden)
                    and ROLES.index(cal.access_role) >= least
                ]
                if deleted:
                    gone = self.store.removed.values()
                    items += [deleted_entry(cal) for cal in gone if cal.change > since]
                return _Snapshot(key, items, self._sync_token(""))

            page = self._page(key, params, page_size, snapshot)
            return {"kind": "calendar#calendarList", "etag": f'"c{self.store.change:x}"', **page}

    def expire_sync_tokens(self) -> None:
        """Make every sync token handed out so far answer 410 fullSyncRequired."""
        with self.store.lock:
            self.store.token_generation += 1

    # -- rendering -------------------------------------------------------------------

    def render(
        self, cal: Calendar, resource: dict[str, Any], out_zone: tzinfo, *, minimal: bool = False
    ) -> dict[str, Any]:
        """The event as this account sees it (google_accounts); ``minimal`` is the form
        of a deleted event, and always that of a cancelled instance of a live series
        (Google guarantees only its id, recurringEventId and originalStartTime)."""
        cancelled = resource.get("status") == "cancelled"
        if cancelled and "recurringEventId" in resource and filters.series_alive(cal, resource):
            minimal = True
        if minimal:
            out: dict[str, Any] = {
                "kind": "calendar#event",
                "etag": resource["etag"],
                "id": resource["id"],
                "status": "cancelled",
            }
            if "recurringEventId" in resource:
                out["recurringEventId"] = resource["recurringEventId"]
                out["originalStartTime"] = filters.when_in(resource["originalStartTime"], out_zone)
            return out
        out = copy.deepcopy(as_seen(cal, resource))
        for name in ("start", "end", "originalStartTime"):
            if name in out:
                out[name] = filters.when_in(out[name], out_zone)
        own = cal.id.lower()
        for attendee in out.get("attendees", []):
            if attendee.get("email", "").lower() == own:
                attendee["self"] = True
        for person, address in (("organizer", own), ("creator", self.store.account.lower())):
            if out.get(person, {}).get("email", "").lower() == address:
                out[person]["self"] = True
        reminders = out.get("reminders", {})
        if not reminders.get("overrides"):
            reminders.pop("overrides", None)
        # Google leaves empty repeated fields out of its JSON; its own fields come first.
        ordered = {name: out[name] for name in LEADING_FIELDS if name in out}
        ordered.update(out)
        return {name: value for name, value in ordered.items() if value != []}

    # -- full and incremental reads ---------------------------------------------------------

    def _full(self, cal: Calendar, params: Params) -> list[dict[str, Any]]:
        single = bool(params.get("singleEvents", False))
        show_deleted = bool(params.get("showDeleted", False))
        order = params.get("orderBy")
        if order == "startTime" and not single:
            raise ApiError(
                400,
                "badRequest",
                "The requested ordering is not available for the particular query.",
            )
        time_min, time_max = filters.time_range(params)
        updated_min = params.get("updatedMin")
        out_zone = filters.out_zone(cal, params)
        chosen: list[tuple[dict[str, Any], bool]] = []  # (resource, minimal)
        for stored in list(cal.events.values()):
            for resource, cancelled in self._candidates(cal, stored, single, time_max):
                recently_deleted = (
                    isinstance(updated_min, datetime)
                    and cancelled
                    and filters.parse_time(resource["updated"]) >= updated_min
                )
                # Cancelled instances of a live series stay in a listing of series.
                listed_anyway = not single and filters.series_alive(cal, resource)
                if cancelled and not (show_deleted or recently_deleted or listed_anyway):
                    continue
                if not filters.overlaps(resource, cal, time_min, time_max):
                    continue
                if not filters.matches_filters(resource, params):
                    continue
                chosen.append((resource, cancelled and not show_deleted))
        if order == "startTime":
            chosen.sort(key=lambda pair: (filters.start_of(pair[0], cal), pair[0]["id"]))
        elif order == "updated":
            chosen.sort(key=lambda pair: (pair[0]["updated"], pair[0]["id"]))
        rendered = [self.render(cal, resource, out_zone, minimal=m) for resource, m in chosen]
        return rendered + [copy.deepcopy(raw.resource) for raw in cal.raw.values()]

    def _candidates(
        self, cal: Calendar, stored: StoredEvent, single: bool, time_max: datetime | None
    ) -> Iterator[tuple[dict[str, Any], bool]]:
        if stored.is_exception:
            if not single:  # in single mode they come with their series
                yield stored.resource, stored.cancelled
            return
        if single and stored.is_series:
            for instance in self.store.instances(cal, stored, before=time_max):
                yield instance.resource, instance.cancelled
            return
        yield stored.resource, stored.cancelled

    def _changed(self, cal: Calendar, params: Params) -> list[dict[str, Any]]:
        refused = [name for name in SYNC_INCOMPATIBLE if name in params]
        if refused:
            raise bad_request(
                f"Sync token cannot be combined with the {refused[0]} parameter.",
                location=refused[0],
            )
        since = self._since(str(params["syncToken"]), cal.id)
        single = bool(params.get("singleEvents", False))
        show_deleted = bool(params.get("showDeleted", False))
        out_zone = filters.out_zone(cal, params)
        changed = sorted(
            (stored for stored in cal.events.values() if stored.change > since),
            key=lambda stored: stored.change,
        )
        changed_ids = {stored.resource["id"] for stored in changed}
        items = []
        for stored in changed:
            resource = stored.resource
            if single and stored.is_exception and resource["recurringEventId"] in changed_ids:
                continue  # reported with its series below
            if single and stored.is_series:
                if stored.cancelled and not show_deleted:
                    items.append(self.render(cal, resource, out_zone, minimal=True))
                    continue
                members: Iterable[StoredEvent] = self.store.instances(cal, stored, before=None)
            else:
                members = [stored]
            for member in members:
                minimal = member.cancelled and not show_deleted
                if filters.matches_filters(member.resource, params):
                    items.append(self.render(cal, member.resource, out_zone, minimal=minimal))
        items += [copy.deepcopy(raw.resource) for raw in cal.raw.values() if raw.change > since]
        return items

    # -- tokens and pages ------------------------------------------------------------------

    def _sync_token(self, scope: str) -> str:
        payload = {
            "c": scope,
            "n": self.store.change,
            "g": self.store.token_generation,
            "i": self.instance,
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii")

    def _since(self, token: str, scope: str) -> int:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            change, generation = int(payload["n"]), int(payload["g"])
            token_scope, instance = str(payload["c"]), str(payload["i"])
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            raise bad_request("Invalid sync token value.", location="syncToken") from None
        if token_scope != scope:
            raise bad_request("Invalid sync token value.", location="syncToken")
        stale = instance != self.instance or generation != self.store.token_generation
        if stale or change > self.store.change:
            raise ApiError(410, "fullSyncRequired", location="syncToken")
        return change

    def _page(
        self, key: str, params: Params, page_size: int, snapshot: Callable[[], _Snapshot]
    ) -> dict[str, Any]:
        token = params.get("pageToken")
        if token is None:
            snapshot_id, offset, taken = new_token(), 0, snapshot()
        else:
            snapshot_id, _, offset_text = str(token).rpartition(".")
            known = self._snapshots.get(snapshot_id)
            if known is None or known.query != key or not offset_text.isdigit():
                raise bad_request("Invalid page token.", location="pageToken")
            offset, taken = int(offset_text), known
        end = offset + page_size
        page: dict[str, Any] = {}
        if end < len(taken.items):
            page["nextPageToken"] = f"{snapshot_id}.{end}"
            self._snapshots[snapshot_id] = taken
            while len(self._snapshots) > KEPT_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        elif taken.sync_token is not None:
            page["nextSyncToken"] = taken.sync_token
        page["items"] = taken.items[offset:end]
        return page
