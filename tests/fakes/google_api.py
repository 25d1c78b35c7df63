"""Routing of ``/calendar/v3/...`` requests to the store and the lister.

Each route names its discovery method, whose parameters the query is checked
against before the method runs.
"""

from __future__ import annotations

import re
import urllib.parse
from email.message import Message
from typing import Any

from .google_accounts import (
    calendar_list_entry,
    calendar_resource,
    check_deletable,
    check_writer,
)
from .google_errors import ApiError, not_found
from .google_http import Answer, json_answer, json_body
from .google_listing import Lister, Params
from .google_model import StoredEvent
from .google_params import check_query, method_scopes
from .google_recurrence import zone_named
from .google_store import CalendarStore

_CAL = r"calendars/(?P<calendarId>[^/]+)"
_EVENT = _CAL + r"/events/(?P<eventId>[^/]+)"
_LIST_ENTRY = r"users/me/calendarList/(?P<calendarId>[^/]+)"

# (HTTP method, path below /calendar/v3/, discovery method id, CalendarApi method)
ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    (verb, re.compile(pattern + "$"), method_id, handler)
    for verb, pattern, method_id, handler in [
        ("GET", r"users/me/calendarList", "calendar.calendarList.list", "calendar_list"),
        ("GET", _LIST_ENTRY, "calendar.calendarList.get", "calendar_list_get"),
        ("POST", r"calendars", "calendar.calendars.insert", "calendar_insert"),
        ("GET", _CAL, "calendar.calendars.get", "calendar_get"),
        ("DELETE", _CAL, "calendar.calendars.delete", "calendar_delete"),
        ("GET", _CAL + "/events", "calendar.events.list", "events_list"),
        ("POST", _CAL + "/events", "calendar.events.insert", "events_insert"),
        ("GET", _EVENT, "calendar.events.get", "events_get"),
        ("PATCH", _EVENT, "calendar.events.patch", "events_patch"),
        ("PUT", _EVENT, "calendar.events.update", "events_update"),
        ("DELETE", _EVENT, "calendar.events.delete", "events_delete"),
        ("GET", _EVENT + "/instances", "calendar.events.instances", "events_instances"),
    ]
]


class CalendarApi:
    """The Calendar v3 methods the fake serves, over one store."""

    def __init__(self, store: CalendarStore, lister: Lister) -> None:
        self.store = store
        self.lister = lister

    def dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Message,
        body: bytes,
        granted: frozenset[str],
    ) -> Answer:
        """Answer ``method`` on ``path`` (below /calendar/v3/) for a token holding the
        scopes ``granted``; raises ApiError (403 ``insufficientPermissions`` when none
        of them allows the method, as the discovery document lists them)."""
        for verb, pattern, method_id, handler in ROUTES:
            match = pattern.match(path)
            if match and verb == method:
                if not granted & method_scopes(method_id):
                    message = "Request had insufficient authentication scopes."
                    raise ApiError(403, "insufficientPermissions", message)
                ids = {name: urllib.parse.unquote(v) for name, v in match.groupdict().items()}
                request = _Request(ids, check_query(method_id, query), headers, body)
                answer: Answer = getattr(self, handler)(request)
                return answer
        raise not_found()

    def calendar_list(self, request: _Request) -> Answer:
        return json_answer(200, self.lister.calendar_list(request.params))

    def calendar_list_get(self, request: _Request) -> Answer:
        cal = self.store.calendar(request.calendar_id)
        return json_answer(200, calendar_list_entry(cal))

    def calendar_insert(self, request: _Request) -> Answer:
        body = request.json()
        cal = self.store.add_calendar(str(body.get("summary", "")), time_zone=body.get("timeZone"))
        return json_answer(200, calendar_resource(cal))

    def calendar_get(self, request: _Request) -> Answer:
        cal = self.store.calendar(request.calendar_id)
        return json_answer(200, calendar_resource(cal))

    def calendar_delete(self, request: _Request) -> Answer:
        check_deletable(self.store.calendar(request.calendar_id))
        self.store.remove_calendar(request.calendar_id)
        return 204, {}, b""

    def events_list(self, request: _Request) -> Answer:
        return json_answer(200, self.lister.list_events(request.calendar_id, request.params))

    def events_instances(self, request: _Request) -> Answer:
        listing = self.lister.instances(request.calendar_id, request.event_id, request.params)
        return json_answer(200, listing)

    def events_insert(self, request: _Request) -> Answer:
        self._check_writer(request)
        stored = self.store.insert(
            request.calendar_id, request.json(), conference=request.conference
        )
        return self._event_answer(request, stored)

    def events_get(self, request: _Request) -> Answer:
        stored = self.store.get(request.calendar_id, request.event_id)
        if request.headers.get("If-None-Match") == stored.resource["etag"]:
            return 304, {"ETag": stored.resource["etag"]}, b""
        return self._event_answer(request, stored)

    def events_patch(self, request: _Request) -> Answer:
        self._check_writer(request)
        stored = self.store.patch(
            request.calendar_id,
            request.event_id,
            request.json(),
            if_match=request.headers.get("If-Match"),
            conference=request.conference,
        )
        return self._event_answer(request, stored)

    def events_update(self, request: _Request) -> Answer:
        self._check_writer(request)
        stored = self.store.update(
            request.calendar_id,
            request.event_id,
            request.json(),
            if_match=request.headers.get("If-Match"),
            conference=request.conference,
        )
        return self._event_answer(request, stored)

    def events_delete(self, request: _Request) -> Answer:
        self._check_writer(request)
        if_match = request.headers.get("If-Match")
        self.store.delete(request.calendar_id, request.event_id, if_match=if_match)
        return 204, {}, b""

    def _check_writer(self, request: _Request) -> None:
        check_writer(self.store.calendar(request.calendar_id))

    def _event_answer(self, request: _Request, stored: StoredEvent) -> Answer:
        cal = self.store.calendar(request.calendar_id)
        zone_name = request.params.get("timeZone")
        zone = zone_named(str(zone_name), field="timeZone") if zone_name else cal.zone
        status, headers, payload = json_answer(200, self.lister.render(cal, stored.resource, zone))
        return status, {**headers, "ETag": stored.resource["etag"]}, payload


class _Request:
    """One routed API request: path ids, checked query, headers, raw body."""

    def __init__(self, ids: dict[str, str], params: Params, headers: Message, body: bytes):
        self.ids = ids
        self.params = params
        self.headers = headers
        self.body = body

    @property
    def calendar_id(self) -> str:
        return self.ids["calendarId"]

    @property
    def event_id(self) -> str:
        return self.ids["eventId"]

    @property
    def conference(self) -> bool:
        """Whether conferenceData in the body counts (conferenceDataVersion >= 1)."""
        version = self.params.get("conferenceDataVersion", 0)
        return isinstance(version, int) and version >= 1

    def json(self) -> dict[str, Any]:
        return json_body(self.body)
