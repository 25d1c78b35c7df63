"""The Graph v1.0 side of the fake: calendars and events, as syncd uses them.

Each request is checked against Graph's rules that syncd relies on, and answered
in Graph's JSON shapes (errors as ``{"error": {"code", "message"}}``):

- every request carries a valid bearer token (else 401
  ``InvalidAuthenticationToken``);
- ``Prefer``: ``outlook.timezone`` gives times in that zone (default UTC),
  ``outlook.body-content-type="text"`` bodies as text (default HTML, as Graph
  sends them), ``odata.maxpagesize`` the page size; several preferences in one
  header, comma-separated, or in several headers;
- ``calendarView/delta``: a first request needs ``startDateTime`` and
  ``endDateTime`` and takes no ``$select``, ``$filter``, ``$expand`` or
  ``$orderby`` (400); pages follow ``@odata.nextLink`` (``$skiptoken``) to an
  ``@odata.deltaLink`` (``$deltatoken``); a token the fake does not hold (or
  expired by a test) is 410 ``syncStateNotFound``; events leaving the window or
  deleted come as ``{"id", "@removed": {"reason"}}``; a delta never carries
  extended properties;
- ``events`` listings take ``$filter`` on syncd-style single-value extended
  properties (``any(ep: ep/id eq '...' and ep/value eq|ne '...')``),
  ``$expand=singleValueExtendedProperties($filter=id eq '...' [or id eq
  '...'])``, ``$select`` and ``$top`` (with ``$skip`` in the nextLink);
- writes: a known set of event fields (an unknown one is 400, as Graph says
  "Property X does not exist"), times as dateTimeTimeZone with an end not
  before the start, extended property ids ``String {GUID} Name X``;
  ``transactionId`` only on create, and a second create with the same one gives
  back the event it made when the body is the same, else 400
  ``ErrorDuplicateTransactionId``; ``If-Match`` with another etag is 412
  ``ErrorIrresolvableConflict``; a calendar without ``canEdit`` answers writes
  with 403 ``ErrorAccessDenied``; a missing event or calendar is 404
  ``ErrorItemNotFound``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import secrets
import urllib.parse
from typing import Any
from zoneinfo import ZoneInfo

from .graph_store import Calendar, DeltaState, Store, Stored, parse_time, utc_text

Answer = tuple[int, dict[str, str], bytes]

WRITABLE = frozenset({
    "subject", "body", "start", "end", "isReminderOn", "reminderMinutesBeforeStart", "showAs",
    "singleValueExtendedProperties", "transactionId", "location", "attendees", "isAllDay",
    "isOnlineMeeting", "onlineMeetingProvider", "categories", "importance", "sensitivity",
})  # fmt: skip
SHOW_AS = frozenset({"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"})
PROPERTY_ID = re.compile(
    r"String \{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\} Name [A-Za-z0-9_-]+"
)
FILTER = re.compile(
    r"singleValueExtendedProperties/any\(ep: ep/id eq '([^']+)' and ep/value (eq|ne) '([^']*)'\)"
)
EXPAND = re.compile(r"singleValueExtendedProperties\(\$filter=(.+)\)")
NOT_IN_DELTA = ("$select", "$filter", "$expand", "$orderby")


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message or code


def error_answer(error: GraphError) -> Answer:
    body = {"error": {"code": error.code, "message": error.message}}
    return error.status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _json(status: int, body: dict[str, Any]) -> Answer:
    return (
        status,
        {"Content-Type": "application/json; odata.metadata=minimal"},
        json.dumps(body).encode(),
    )


def preferences(values: list[str]) -> dict[str, str]:
    """The ``Prefer`` preferences sent, by name (quotes taken off)."""
    found = {}
    for value in values:
        for part in value.split(","):
            name, _, setting = part.strip().partition("=")
            if name:
                found[name.strip().lower()] = setting.strip().strip('"')
    return found


class GraphApi:
    """The routes of ``/v1.0``; ``base`` is the fake's https root."""

    def __init__(self, store: Store, base: str) -> None:
        self.store, self.base = store, base
        self.pending: dict[str, tuple[list[dict[str, Any]], str]] = {}  # skiptoken -> rest, final

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        prefer: dict[str, str],
        body: bytes,
        if_match: str,
    ) -> Answer:
        parts = [urllib.parse.unquote(p) for p in path.split("/")[2:]]  # after /v1.0
        with self.store.lock:
            if parts == ["me", "calendars"]:
                return (
                    self._calendars(query) if method == "GET" else self._new_calendar(_body(body))
                )
            if (
                len(parts) == 5
                and parts[:2] == ["me", "calendars"]
                and parts[3:] == ["calendarView", "delta"]
            ):
                return self._delta(self._calendar(parts[2]), query, prefer)
            if len(parts) == 4 and parts[:2] == ["me", "calendars"] and parts[3] == "events":
                calendar = self._calendar(parts[2])
                if method == "POST":
                    return self._create(calendar, _body(body), prefer)
                return self._list(calendar, query, prefer)
            if len(parts) == 3 and parts[:2] == ["me", "events"]:
                found = self.store.find(parts[2])
                if found is None:
                    raise GraphError(
                        404, "ErrorItemNotFound", "The specified object was not found in the store."
                    )
                calendar, stored = found
                if if_match and if_match not in (self.etag(stored), "*"):
                    raise GraphError(
                        412,
                        "ErrorIrresolvableConflict",
                        "The send or update operation could not be performed because the change"
                        " key passed in the request does not match the current change key for"
                        " the item.",
                    )
                if method == "GET":
                    return _json(
                        200, self.render(calendar, stored.id, stored, stored.fields, prefer, query)
                    )
                if not calendar.can_edit:
                    raise GraphError(
                        403,
                        "ErrorAccessDenied",
                        "Access is denied. Check credentials and try again.",
                    )
                if method == "DELETE":
                    del calendar.events[stored.id]
                    self.store.next_change()
                    return 204, {}, b""
                if method == "PATCH":
                    return self._update(calendar, stored, _body(body), prefer)
        raise GraphError(400, "BadRequest", f"Unsupported request: {method} {path}")

    # -- calendars

    def _calendar(self, key: str) -> Calendar:
        calendar = self.store.calendars.get(key)
        if calendar is None:
            raise GraphError(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        return calendar

    def _calendars(self, query: dict[str, str]) -> Answer:
        entries = [{
            "@odata.etag": f'W/"cal{c.id[-8:]}"', "id": c.id, "name": c.name, "color": "auto",
            "isDefaultCalendar": c.default, "canEdit": c.can_edit, "canShare": c.can_edit,
            "canViewPrivateItems": c.can_edit, "isRemovable": not c.default,
            "owner": {"name": "Jo Seeker", "address": "jo@example.com"},
        } for c in self.store.calendars.values()]  # fmt: skip
        return _json(200, self._page(entries, query, "/me/calendars"))

    def _new_calendar(self, body: dict[str, Any]) -> Answer:
        name = body.get("name")
        if not isinstance(name, str) or not name or set(body) - {"name", "color"}:
            raise GraphError(400, "ErrorInvalidRequest", "A calendar needs a name")
        if any(c.name.casefold() == name.casefold() for c in self.store.calendars.values()):
            raise GraphError(
                409, "ErrorFolderExists", "A folder with the specified name already exists."
            )
        calendar = self.store.add_calendar(name)
        return _json(
            201, {"id": calendar.id, "name": name, "canEdit": True, "isDefaultCalendar": False}
        )

    # -- reading

    def _page(
        self, entries: list[dict[str, Any]], query: dict[str, str], path: str
    ) -> dict[str, Any]:
        top, skip = int(query.get("$top", "10")), int(query.get("$skip", "0"))
        page: dict[str, Any] = {"value": entries[skip : skip + top]}
        if skip + top < len(entries):
            rest = {k: v for k, v in query.items() if k != "$skip"} | {"$skip": str(skip + top)}
            page["@odata.nextLink"] = f"{self.base}/v1.0{path}?" + urllib.parse.urlencode(
                rest, quote_via=urllib.parse.quote
            )
        return page

    def _delta(self, calendar: Calendar, query: dict[str, str], prefer: dict[str, str]) -> Answer:
        refused = [name for name in NOT_IN_DELTA if name in query]
        if refused:
            raise GraphError(
                400,
                "ErrorInvalidUrlQuery",
                "The following parameters are not supported with change tracking over the"
                f" 'Events' resource: {', '.join(refused)}",
            )
        size = int(prefer.get("odata.maxpagesize", "10") or 10)
        path = f"/me/calendars/{urllib.parse.quote(calendar.id, safe='')}/calendarView/delta"
        if "$skiptoken" in query:
            rest, final = self.pending.pop(query["$skiptoken"], (None, ""))
            if rest is None:
                raise GraphError(410, "syncStateNotFound", "The sync state is not found.")
            return _json(200, self._delta_page(rest, final, size, path))
        if "$deltatoken" in query:
            state = self.store.rounds.get(query["$deltatoken"])
            if state is None or state.calendar != calendar.id:
                raise GraphError(
                    410, "syncStateNotFound", "The sync state generation is not found."
                )
            start, end, since, seen = state.start, state.end, state.change, state.seen
        else:
            try:
                start = _instant(query["startDateTime"])
                end = _instant(query["endDateTime"])
            except (KeyError, ValueError):
                raise GraphError(
                    400, "ErrorInvalidParameter", "startDateTime and endDateTime are required"
                ) from None
            since, seen = -1, frozenset()
        view = self.store.view(calendar, start, end)
        items: list[dict[str, Any]] = [
            self.render(calendar, key, stored, fields, prefer, {})
            for key, stored, fields in view
            if stored.change > since or key not in seen
        ]
        now_ids = {key for key, _, _ in view}
        items += [{"id": key, "@removed": {"reason": "deleted"}} for key in sorted(seen - now_ids)]
        token = secrets.token_urlsafe(12)
        self.store.rounds[token] = DeltaState(
            calendar.id, start, end, self.store.change, frozenset(now_ids)
        )
        return _json(200, self._delta_page(items, token, size, path))

    def _delta_page(
        self, items: list[dict[str, Any]], final: str, size: int, path: str
    ) -> dict[str, Any]:
        page: dict[str, Any] = {"value": items[:size]}
        if len(items) > size:
            skip = secrets.token_urlsafe(12)
            self.pending[skip] = (items[size:], final)
            page["@odata.nextLink"] = f"{self.base}/v1.0{path}?$skiptoken={skip}"
        else:
            page["@odata.deltaLink"] = f"{self.base}/v1.0{path}?$deltatoken={final}"
        return page

    def _list(self, calendar: Calendar, query: dict[str, str], prefer: dict[str, str]) -> Answer:
        stored_all = list(calendar.events.values())
        if "$filter" in query:
            found = FILTER.fullmatch(query["$filter"])
            if found is None:
                raise GraphError(400, "ErrorInvalidUrlQueryFilter", "The filter is not supported")
            prop, op, value = found.groups()

            def keep(stored: Stored) -> bool:
                have = stored.fields.get("singleValueExtendedProperties", {}).get(prop)
                if have is None:
                    return False
                return (
                    (have.lower() == value.lower())
                    if op == "eq"
                    else (have.lower() != value.lower())
                )

            stored_all = [s for s in stored_all if keep(s)]
        entries = [
            self.render(
                calendar,
                s.id,
                s,
                {**s.fields, "type": "seriesMaster" if s.count else "singleInstance"},
                prefer,
                query,
            )
            for s in stored_all
        ]
        path = f"/me/calendars/{urllib.parse.quote(calendar.id, safe='')}/events"
        return _json(200, self._page(entries, query, path))

    def etag(self, stored: Stored, index: str = "") -> str:
        return f'W/"{stored.change_key}{index}"'

    def render(
        self,
        calendar: Calendar,
        key: str,
        stored: Stored,
        fields: dict[str, Any],
        prefer: dict[str, str],
        query: dict[str, str],
    ) -> dict[str, Any]:
        """An event as Graph answers it, in the zone and body type the Prefer header asks."""
        zone = prefer.get("outlook.timezone", "UTC") or "UTC"
        index = "" if key == stored.id else key[-12:]
        out: dict[str, Any] = {
            "@odata.etag": self.etag(stored, index),
            "id": key,
            "changeKey": f"{stored.change_key}{index}",
            "subject": fields.get("subject", ""),
            "isAllDay": bool(fields.get("isAllDay")),
            "isCancelled": bool(fields.get("isCancelled")),
            "isReminderOn": bool(fields.get("isReminderOn", True)),
            "reminderMinutesBeforeStart": fields.get("reminderMinutesBeforeStart", 15),
            "showAs": fields.get("showAs", "busy"),
            "type": fields.get("type", "singleInstance"),
            "location": {"displayName": fields.get("location", {}).get("displayName", "")},
            "attendees": fields.get("attendees", []),
            "organizer": fields.get(
                "organizer", {"emailAddress": {"name": "Jo Seeker", "address": "jo@example.com"}}
            ),
            "responseStatus": fields.get("responseStatus", {"response": "organizer"}),
            "isOnlineMeeting": bool(fields.get("isOnlineMeeting")),
            "onlineMeetingProvider": fields.get("onlineMeetingProvider", "unknown"),
            "onlineMeeting": fields.get("onlineMeeting"),
        }
        for side in ("start", "end"):
            moment = parse_time(fields[side])
            if out["isAllDay"]:
                out[side] = {
                    "dateTime": moment.strftime("%Y-%m-%dT00:00:00.0000000"),
                    "timeZone": zone,
                }
            else:
                shown = moment.astimezone(ZoneInfo(zone)) if zone != "UTC" else moment
                out[side] = {
                    "dateTime": shown.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                    "timeZone": zone,
                }
        text = fields.get("body", {}).get("content", "")
        if prefer.get("outlook.body-content-type") == "text":
            out["body"] = {"contentType": "text", "content": text}
        else:
            escaped = html.escape(text).replace("\n", "<br>")
            out["body"] = {"contentType": "html", "content": f"<html><body>{escaped}</body></html>"}
        if fields.get("seriesMasterId"):
            out["seriesMasterId"] = fields["seriesMasterId"]
        if fields.get("transactionId"):
            out["transactionId"] = fields["transactionId"]
        expand = query.get("$expand", "")
        if expand:
            found = EXPAND.fullmatch(expand)
            if found is None:
                raise GraphError(400, "BadRequest", "Parsing OData Select and Expand failed")
            wanted = re.findall(r"id eq '([^']+)'", found.group(1))
            props = fields.get("singleValueExtendedProperties", {})
            out["singleValueExtendedProperties"] = [
                {"id": p, "value": props[p]} for p in wanted if p in props
            ]
        if "$select" in query:
            keep = set(query["$select"].split(",")) | {"id", "@odata.etag"}
            if "$expand" in query:
                keep.add("singleValueExtendedProperties")
            out = {k: v for k, v in out.items() if k in keep}
        return out

    # -- writing

    def _create(self, calendar: Calendar, body: dict[str, Any], prefer: dict[str, str]) -> Answer:
        fields = _checked(body, creating=True)
        transaction = fields.get("transactionId")
        if transaction:
            made = self.store.transactions.get(transaction)
            if made is not None:
                event_id, sent = made
                found = self.store.find(event_id)
                if found is not None:
                    if sent != json.dumps(body, sort_keys=True):
                        raise GraphError(
                            400,
                            "ErrorDuplicateTransactionId",
                            "Your request can't be completed. The TransactionId specified in the"
                            " request has already been used to create a different event.",
                        )
                    return _json(
                        201, self.render(found[0], event_id, found[1], found[1].fields, prefer, {})
                    )
        if not calendar.can_edit:
            raise GraphError(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        stored = self.store.put(calendar, fields)
        if transaction:
            self.store.transactions[transaction] = (stored.id, json.dumps(body, sort_keys=True))
        return _json(201, self.render(calendar, stored.id, stored, stored.fields, prefer, {}))

    def _update(
        self, calendar: Calendar, stored: Stored, body: dict[str, Any], prefer: dict[str, str]
    ) -> Answer:
        if "transactionId" in body:
            raise GraphError(
                400,
                "ErrorInvalidPropertyUpdate",
                "transactionId cannot be changed after the event is created",
            )
        changes = _checked(body, creating=False)
        props = {
            **stored.fields.get("singleValueExtendedProperties", {}),
            **changes.pop("singleValueExtendedProperties", {}),
        }
        merged = {**stored.fields, **changes, "singleValueExtendedProperties": props}
        if parse_time(merged["end"]) < parse_time(merged["start"]):
            raise GraphError(400, "ErrorInvalidRequest", "The end of the event is before its start")
        stored.fields = merged
        self.store.touch(stored)
        return _json(200, self.render(calendar, stored.id, stored, stored.fields, prefer, {}))


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.") from None
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "A JSON object is expected")
    return body


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _checked(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """An event body as Graph checks it; the fields to store (extended properties by id)."""
    unknown = sorted(set(body) - WRITABLE)
    if unknown:
        raise GraphError(
            400,
            "RequestBodyRead",
            f"The property '{unknown[0]}' does not exist on type 'microsoft.graph.event'.",
        )
    fields = dict(body)
    if creating and ("start" not in body or "end" not in body):
        raise GraphError(400, "ErrorInvalidRequest", "An event needs a start and an end")
    for side in ("start", "end"):
        if side in body:
            try:
                moment = parse_time(body[side])
            except (ValueError, KeyError):
                raise GraphError(400, "ErrorInvalidRequest", f"Cannot read {side}") from None
            fields[side] = {"dateTime": utc_text(moment), "timeZone": "UTC"}
    if (
        "start" in fields
        and "end" in fields
        and parse_time(fields["end"]) < parse_time(fields["start"])
    ):
        raise GraphError(400, "ErrorInvalidRequest", "The end of the event is before its start")
    if "subject" in body and not isinstance(body["subject"], str):
        raise GraphError(400, "BadRequest", "subject must be a string")
    if "body" in body and (
        not isinstance(body["body"], dict)
        or body["body"].get("contentType") not in ("text", "html")
    ):
        raise GraphError(400, "BadRequest", "body must have contentType text or html")
    if "showAs" in body and body["showAs"] not in SHOW_AS:
        raise GraphError(400, "BadRequest", "showAs is not one of Graph's values")
    minutes = body.get("reminderMinutesBeforeStart", 0)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        raise GraphError(400, "BadRequest", "reminderMinutesBeforeStart must be a whole number")
    if "transactionId" in body and not isinstance(body["transactionId"], str):
        raise GraphError(400, "BadRequest", "transactionId must be a string")
    props: dict[str, str] = {}
    for entry in body.get("singleValueExtendedProperties", []):
        if (
            not isinstance(entry, dict)
            or not PROPERTY_ID.fullmatch(str(entry.get("id")))
            or not isinstance(entry.get("value"), str)
        ):
            raise GraphError(
                400,
                "ErrorInvalidExtendedPropertyValue",
                "An extended property needs an id 'String {GUID} Name X' and a string value",
            )
        props[entry["id"]] = entry["value"]
    if "singleValueExtendedProperties" in body:
        fields["singleValueExtendedProperties"] = props
    return fields
