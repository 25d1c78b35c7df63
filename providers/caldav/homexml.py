"""The PROPFINDs of discovery and of the calendar list, and their answers (pure, no I/O).

Discovery asks the URL configured (then the principal) for the principal, the
calendar home and the scheduling inbox; the list asks the home, depth 1, for
each calendar's name, the account's privileges there (RFC 3744), its zone (RFC
4791 calendar-timezone, RFC 7809 calendar-timezone-id), the components it takes,
and RFC 6638's default calendar. Answers are parsed as ``providers.caldav.davxml``
parses every answer (no DTD, no entities).
"""

from __future__ import annotations

import dataclasses

from lxml import etree

from providers.caldav.davxml import CALDAV, DAV, parse, responses, text_of


def _propfind(props: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:" '
        f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>{props}</D:prop></D:propfind>'
    ).encode()


# Depth 0 on the URL configured, then on the principal.
DISCOVERY_BODY = _propfind(
    "<D:current-user-principal/><C:calendar-home-set/><C:schedule-inbox-URL/>"
)
# Depth 1 on the calendar home: every calendar with what ``parse_calendar_list`` reads; an
# inbox inside the home answers the default calendar in the same request.
CALENDAR_LIST_BODY = _propfind(
    "<D:displayname/><D:resourcetype/><D:current-user-privilege-set/><C:calendar-timezone/>"
    "<C:calendar-timezone-id/><C:supported-calendar-component-set/>"
    "<C:schedule-default-calendar-URL/>"
)
# Depth 0 on an inbox outside the home, or one whose default the listing did not give.
DEFAULT_CALENDAR_BODY = _propfind("<C:schedule-default-calendar-URL/>")
# Depth 0 on a calendar whose zone the listing did not give (DAViCal withholds it there).
CALENDAR_ZONE_BODY = _propfind("<C:calendar-timezone/><C:calendar-timezone-id/>")


TIMEZONE_TEXT_MAX = 64 * 1024  # a longer calendar-timezone (a whole VCALENDAR) is not read


@dataclasses.dataclass(frozen=True)
class CalendarEntry:
    """One calendar of a home listing, as the server described it.

    ``privileges``: the local names of the DAV: privileges the account holds
    (``read``, ``write``, ``write-content``, ``bind``, ``all`` ...); None when the
    server did not report them. ``components``: the components it takes (VEVENT
    ...); None when not reported. ``timezone``: the calendar-timezone text (""
    when absent or over TIMEZONE_TEXT_MAX); ``timezone_id``: RFC 7809's TZID.
    """

    href: str
    name: str
    privileges: frozenset[str] | None
    components: frozenset[str] | None
    timezone: str
    timezone_id: str


@dataclasses.dataclass(frozen=True)
class CalendarList:
    """A home listing: its calendars in the server's order; ``default``, the href of RFC
    6638's default calendar an inbox among the members stated ("" when none did), and
    ``inbox_seen``: an inbox was among them (so no other request can tell more)."""

    calendars: tuple[CalendarEntry, ...]
    default: str
    inbox_seen: bool


def _href_in(props: dict[str, etree._Element], tag: str) -> str:
    element = props.get(tag)
    return "" if element is None else (element.findtext(DAV + "href") or "").strip()


def parse_discovery(body: bytes) -> tuple[str, str, str]:
    """(current-user-principal, calendar-home-set, schedule-inbox-URL) hrefs of a depth-0
    PROPFIND, "" for each the server did not state."""
    for _href, _status, props in responses(parse(body)):
        tags = (DAV + "current-user-principal", CALDAV + "calendar-home-set",
                CALDAV + "schedule-inbox-URL")  # fmt: skip
        found = tuple(_href_in(props, tag) for tag in tags)
        if any(found):
            return found  # type: ignore[return-value]
    return "", "", ""


def _privileges(props: dict[str, etree._Element]) -> frozenset[str] | None:
    element = props.get(DAV + "current-user-privilege-set")
    if element is None:
        return None
    return frozenset(
        etree.QName(granted).localname
        for privilege in element.iterfind(DAV + "privilege")
        for granted in privilege
        if isinstance(granted.tag, str) and granted.tag.startswith(DAV)
    )


def _components(props: dict[str, etree._Element]) -> frozenset[str] | None:
    element = props.get(CALDAV + "supported-calendar-component-set")
    if element is None:
        return None
    return frozenset((c.get("name") or "").upper() for c in element.iterfind(CALDAV + "comp"))


def parse_calendar_list(body: bytes) -> CalendarList:
    """A depth-1 PROPFIND of a calendar home (CALENDAR_LIST_BODY): the members whose
    resourcetype says calendar, in the server's order, and the default an inbox stated."""
    calendars = []
    default, inbox_seen = "", False
    for href, status, props in responses(parse(body)):
        kinds = props.get(DAV + "resourcetype")
        types = set() if kinds is None else {c.tag for c in kinds if isinstance(c.tag, str)}
        if status not in (200, 0) or not href:
            continue
        if CALDAV + "schedule-inbox" in types:
            inbox_seen = True
            default = default or _href_in(props, CALDAV + "schedule-default-calendar-URL")
        if CALDAV + "calendar" not in types:
            continue
        timezone = text_of(props, CALDAV + "calendar-timezone")
        calendars.append(
            CalendarEntry(
                href=href,
                name=text_of(props, DAV + "displayname"),
                privileges=_privileges(props),
                components=_components(props),
                timezone=timezone if len(timezone) <= TIMEZONE_TEXT_MAX else "",
                timezone_id=text_of(props, CALDAV + "calendar-timezone-id")[:200],
            )
        )
    return CalendarList(tuple(calendars), default, inbox_seen)


def parse_calendar_zone(body: bytes) -> tuple[str, str]:
    """(calendar-timezone, calendar-timezone-id) of a depth-0 PROPFIND of a calendar;
    "" for each the server does not give (a calendar-timezone past TIMEZONE_TEXT_MAX too)."""
    for _href, _status, props in responses(parse(body)):
        timezone = text_of(props, CALDAV + "calendar-timezone")
        timezone_id = text_of(props, CALDAV + "calendar-timezone-id")[:200]
        if timezone or timezone_id:
            return (timezone if len(timezone) <= TIMEZONE_TEXT_MAX else ""), timezone_id
    return "", ""


def parse_default_calendar(body: bytes) -> str:
    """An inbox's schedule-default-calendar-URL href; "" when the server states none."""
    for _href, _status, props in responses(parse(body)):
        found = _href_in(props, CALDAV + "schedule-default-calendar-URL")
        if found:
            return found
    return ""
