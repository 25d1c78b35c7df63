"""Reading one calendar: a calendarView delta round, its token, and the change set.

A *round* is Graph's delta over one window of time, fixed by its first request
(``startDateTime``, ``endDateTime``) and carried by every ``@odata.nextLink``
after it; its last page brings the ``@odata.deltaLink``: the sync token. syncd's
token holds that link with the round's window. A round is begun again (a full
read) when the core's window no longer lies in the round's, or has moved on a
day (``stale``): Graph never widens a round, so an event that only the moved
window reaches would go unseen.

The delta gives events without extended properties (Graph expands none in a
delta), so syncd's markers come from one listing of the calendar's events that
carry syncd's id property, made only when the delta brought an event the caller
does not already hold unchanged. ``@removed`` entries are deletions (or an
event that left the window). Pages are followed within PAGES_PER_LISTING, and a
link that comes again stops the listing at once: an incomplete listing would
make the rest look deleted.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from providers.outlook.events import EXPAND, ID_PROPERTY, event_of, graph_time, properties_of
from syncd import limits
from syncd.errors import ProviderError
from syncd.model import CalendarEvent, CalendarInfo, ChangeSet, ReadScope

log = logging.getLogger(__name__)

# Events a delta page is asked to hold (Graph may send fewer).
PAGE_SIZE = 200
# How far past the core's window a round reaches, and how far the window may move on
# before the round is begun again.
SLACK = dt.timedelta(days=1)
TOKEN_PREFIX = "graph-delta:"

Fetch = Callable[[str, str, Mapping[str, str]], dict[str, Any]]  # (url, what, headers) -> JSON


@dataclasses.dataclass(frozen=True)
class Round:
    """A delta round: its window and the link that goes on with it."""

    start: dt.datetime
    end: dt.datetime
    link: str

    def token(self) -> str:
        data = {"start": graph_time(self.start), "end": graph_time(self.end), "link": self.link}
        packed = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
        return TOKEN_PREFIX + packed

    @staticmethod
    def of(token: str) -> Round | None:
        """The round a token of ours holds; None for anything else."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :]))
            start = dt.datetime.fromisoformat(data["start"])
            end = dt.datetime.fromisoformat(data["end"])
            link = data["link"]
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(link, str) or start.tzinfo is None or end.tzinfo is None:
            return None
        return Round(start, end, link)

    def stale(self, scope: ReadScope) -> bool:
        """Whether the core's window has left this round's, or moved on a day or more."""
        return scope.start < self.start or scope.end > self.end or scope.start - self.start >= SLACK


def window(scope: ReadScope) -> tuple[dt.datetime, dt.datetime]:
    """The window of a new round for ``scope``: the core's, reaching SLACK further."""
    return scope.start, scope.end + SLACK


def pages(
    fetch: Fetch, first: str, what: str, ours: Callable[[str], bool]
) -> Iterator[dict[str, Any]]:
    """Every page from ``first`` on, each checked; the last one holds no nextLink.

    Raises ProviderError when a page is not what Graph promises, a link is not
    Graph's (the token never goes elsewhere), a link comes again, or past
    PAGES_PER_LISTING pages.
    """
    seen: set[str] = set()
    url = first
    for _ in range(limits.PAGES_PER_LISTING):
        page = fetch(url, what, {"Prefer": f"odata.maxpagesize={PAGE_SIZE}"})
        if not isinstance(page.get("value", []), list):
            raise ProviderError(f"{what}: Microsoft sent a page whose value is not a list")
        yield page
        following = page.get("@odata.nextLink")
        if following is None:
            return
        if not isinstance(following, str) or not ours(following):
            raise ProviderError(f"{what}: Microsoft sent a next page link that is not Graph's")
        if following in seen:
            raise ProviderError(
                f"{what}: Microsoft sent a page link it had sent before, so the listing would"
                " never end; syncd stopped there"
            )
        seen.add(following)
        url = following
    raise ProviderError(
        f"{what}: Microsoft had more after {limits.PAGES_PER_LISTING} pages, the most syncd"
        " follows (syncd.limits.PAGES_PER_LISTING); syncd stopped there"
    )


def delta(fetch: Fetch, first: str, ours: Callable[[str], bool]) -> tuple[list[Any], str]:
    """Every item of a delta round from ``first`` on, and its deltaLink."""
    items: list[Any] = []
    last: dict[str, Any] = {}
    for last in pages(fetch, first, "reading changes", ours):
        items.extend(last.get("value", ()))
    link = last.get("@odata.deltaLink")
    if not isinstance(link, str) or not ours(link):
        raise ProviderError("reading changes: Microsoft ended the listing without a delta link")
    return items, link


def markers_query() -> dict[str, str]:
    """The query of the listing of a calendar's events that carry syncd's id property,
    with syncd's properties expanded."""
    return {
        "$filter": (
            f"singleValueExtendedProperties/any(ep: ep/id eq '{ID_PROPERTY}' and ep/value ne '')"
        ),
        "$expand": EXPAND,
        "$select": "id,transactionId",
        "$top": "100",
    }


def owned(fetch: Fetch, first: str, ours: Callable[[str], bool]) -> dict[str, dict[str, Any]]:
    """The calendar's events that carry syncd's id property: id -> the listed item (its
    transactionId and syncd's properties)."""
    found: dict[str, dict[str, Any]] = {}
    for page in pages(fetch, first, "listing syncd's follow-ups", ours):
        for item in page.get("value", ()):
            if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                found[item["id"]] = dict(item)
    return found


def change_set(
    items: Iterable[Any],
    owned_items: Mapping[str, Mapping[str, Any]],
    calendar: CalendarInfo,
    *,
    token: str,
    full: bool,
    known: Mapping[str, str],
    scope: ReadScope,
    me: frozenset[str],
    zone: Any,
    source: str,
) -> ChangeSet:
    """The change set of one delta round's items read from ``calendar``.

    ``@removed`` items are deleted; items whose etag equals ``known[id]`` are
    unchanged; the rest are read (``owned_items`` gives syncd's properties and the
    transactionId of those that carry them), and those outside the scope's window
    left out of a full read, reported deleted in an incremental one. A later entry
    of an id overrides an earlier one.
    """
    latest: dict[str, Any] = {}
    skipped = Skipped(source, calendar.name)
    for item in items:
        key = item.get("id") if isinstance(item, Mapping) else None
        if not isinstance(key, str) or not key:
            skipped.add(item, "no id" if isinstance(item, Mapping) else "not an object")
            continue
        latest.pop(key, None)
        latest[key] = item
    events: list[CalendarEvent] = []
    deleted: list[str] = []
    unchanged: list[str] = []
    for key, item in latest.items():
        if "@removed" in item:
            deleted.append(key)
            continue
        etag = item.get("@odata.etag")
        if isinstance(etag, str) and etag and known.get(key) == etag:
            unchanged.append(key)
            continue
        listed = owned_items.get(key, {})
        merged = {**item, "transactionId": listed.get("transactionId", item.get("transactionId"))}
        try:
            event = event_of(merged, calendar.id, me, properties_of(listed))
        except ValueError as error:
            skipped.add(item, str(error))
            continue
        if scope.overlaps(event.start, event.end, zone):
            events.append(event)
        elif not full:
            deleted.append(key)
    skipped.say()
    return ChangeSet(tuple(events), tuple(deleted), token, full, tuple(unchanged))


def needs_markers(items: Iterable[Any], known: Mapping[str, str]) -> bool:
    """Whether a round brought an event that is neither removed nor held unchanged."""
    for item in items:
        if not isinstance(item, Mapping) or "@removed" in item:
            continue
        key, etag = item.get("id"), item.get("@odata.etag")
        if not (isinstance(key, str) and isinstance(etag, str) and etag and known.get(key) == etag):
            return True
    return False


def calendar_of(entry: Mapping[str, Any]) -> CalendarInfo | None:
    """A ``/me/calendars`` entry as a CalendarInfo (``canEdit`` is writing; the default
    calendar answers to "calendar"); None for an entry that is no calendar."""
    key, name = entry.get("id"), entry.get("name")
    if not isinstance(key, str) or not key:
        return None
    default = entry.get("isDefaultCalendar") is True
    return CalendarInfo(
        id=key,
        name=name if isinstance(name, str) and name else key,
        aliases=("calendar",) if default else (),
        writable=entry.get("canEdit") is True,
        default=default,
    )


class Skipped:
    """The unreadable items of one read, said in one warning naming the first few."""

    def __init__(self, source: str, where: str) -> None:
        self.prefix = f"{source}: {limits.shown(where, 120)}: skipped"
        self.named: list[str] = []
        self.count = 0

    def add(self, item: object, why: str) -> None:
        self.count += 1
        if len(self.named) < limits.SHOWN_ITEMS:
            self.named.append(f"{_name(item)}: {why}")

    def say(self) -> None:
        if not self.count:
            return
        what = f"{self.count} unreadable events" if self.count > 1 else "an unreadable event"
        more = self.count - len(self.named)
        listed = "; ".join(self.named) + (f"; and {more} more" if more else "")
        log.warning("%s %s: %s", self.prefix, what, listed)


def _name(item: object) -> str:
    if not isinstance(item, Mapping):
        return "not an object"
    title, key = item.get("subject"), item.get("id")
    shown = repr(limits.shown(title)) if isinstance(title, str) and title else "untitled"
    return f"{shown} ({limits.shown(key, 80)})" if isinstance(key, str) and key else shown
