"""The account's calendars: discovery, and the list with what the account may do in each.

Discovery, once per provider: a depth-0 PROPFIND of the URL configured for
current-user-principal, calendar-home-set and schedule-inbox-URL, and, when the
principal is elsewhere, the same PROPFIND of the principal. A URL that is no
DAV resource (404, 405, an HTML page: the bare host of Nextcloud or Baikal) is
followed by the same PROPFIND of the host's ``/.well-known/caldav`` (RFC 6764),
which such servers redirect to their CalDAV root. The caldav
library's ``Principal`` is built from the answer (it makes calendars).

The list: ONE depth-1 PROPFIND of the calendar home (``homexml.CALENDAR_LIST_BODY``)
reads every calendar's name, the account's privileges there (RFC 3744
current-user-privilege-set), its zone (RFC 4791 calendar-timezone, RFC 7809
calendar-timezone-id) and the components it takes. RFC 6638's default calendar
comes in that same answer when the scheduling inbox is inside the home and says
it there; a server whose inbox lies elsewhere (Xandikos), or that states the
default only to a depth-0 PROPFIND of the inbox (Cyrus answers it 404 in the
listing), costs one depth-0 PROPFIND of the inbox, asked again only while the
inbox states a default. A server that withholds calendar-timezone from the
listing but gives it to a depth-0 PROPFIND of the calendar (DAViCal) costs one
such PROPFIND of the main calendar, when the listing lacks its zone; once that
comes back without a zone too, it is not asked again. Never a request per
calendar.

The rules (docs/providers.md, section 4):
- ``writable``: the privilege set holds ``all`` or ``write``, or ``write-content``
  together with ``bind`` (a follow-up is a new object: creating it needs bind;
  a missing ``unbind`` only refuses deletes, which come back as RefusedError),
  and the calendar takes VEVENTs. No privilege set reported: writable.
- ``readable``: ``read`` or ``all`` (``read-free-busy`` alone is not); no
  privilege set reported: readable.
- ``default``: the inbox's schedule-default-calendar-URL when it names a listed
  calendar the account may read and write; else the first such calendar in the
  server's listing order; else none.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from collections.abc import Callable, Sequence
from typing import TypeVar

from caldav.collection import Principal
from caldav.lib.url import URL, normalise_path

from providers import CalendarInfo
from providers.caldav import davxml, homexml, zones
from providers.caldav.bounded import Answer
from providers.caldav.transport import DavHttp
from syncd.errors import ProviderError

log = logging.getLogger(__name__)

T = TypeVar("T")
_LISTING = "listing calendars"  # how errors of discovery and the list begin
_WELL_KNOWN = "/.well-known/caldav"
_NOT_DAV = frozenset({200, 404, 405, 501})  # a URL that is no DAV resource answers so
_WRITE = frozenset({"all", "write"})
_READ = frozenset({"all", "read"})


def may_write(privileges: frozenset[str] | None, components: frozenset[str] | None) -> bool:
    """Whether the account may write follow-ups (VEVENTs at new hrefs) into a calendar."""
    if components is not None and "VEVENT" not in components:
        return False
    if privileges is None:
        return True  # the server does not say: try, and a refusal is a RefusedError
    return bool(privileges & _WRITE) or {"write-content", "bind"} <= privileges


def may_read(privileges: frozenset[str] | None) -> bool:
    """Whether the account may read a calendar's events."""
    return privileges is None or bool(privileges & _READ)


class Home:
    """One account's principal and calendar home, found once; its calendars, read anew
    by each ``calendars()`` call."""

    def __init__(self, http: DavHttp) -> None:
        self.http = http
        self._principal: Principal | None = None
        self._home = ""  # the calendar home's URL
        self._inbox = ""  # the inbox's URL while it may state a default calendar
        self._zones_withheld = True  # False once a calendar's own PROPFIND said no zone either

    @property
    def principal(self) -> Principal:
        """The caldav library's principal, for MKCALENDAR (discovered on first use)."""
        if self._principal is None:
            self._discover()
        assert self._principal is not None
        return self._principal

    def calendars(self) -> list[CalendarInfo]:
        """Every calendar of the home, with its capabilities, zone and the default mark."""
        if self._principal is None:
            self._discover()
        listing = self._propfind(self._home, homexml.CALENDAR_LIST_BODY, "1")
        parsed = _parsed(homexml.parse_calendar_list, listing)
        default = parsed.default
        if not default and self._inbox:
            default = self._inbox_default()
        found = [info for info in map(self._info, parsed.calendars) if info is not None]
        return self._main_zone(mark_default(found, default))

    # -- discovery

    def _discover(self) -> None:
        client = self.http.client
        start = str(client.url)
        principal, home, inbox = self._ask(start, well_known=True)
        try:
            principal_url = self._absolute(principal) if principal else start
            if not home and principal_url.rstrip("/") != start.rstrip("/"):
                _principal, home, inbox = self._ask(principal_url)
            found = Principal(client=client, url=principal_url)
            # The setter moves the client to the home's host when it differs (iCloud).
            found.calendar_home_set = _quoted(home) if home else principal_url
            self._home = str(found.calendar_home_set.url)
            self._inbox = self._absolute(inbox) if inbox else ""
        except ValueError as exc:  # an href the caldav library cannot join with the URL
            raise ProviderError(f"{_LISTING}: the server's answer names {exc}") from None
        self._principal = found

    def _ask(self, url: str, *, well_known: bool = False) -> tuple[str, str, str]:
        """The principal, home and inbox ``url`` names. ``well_known``: when ``url`` is no
        DAV resource (404, 405, 501, a page), what the host's ``/.well-known/caldav`` names
        (RFC 6764: Nextcloud's and Baikal's bare hosts redirect it to their CalDAV root)."""
        answer = self._answer(url, homexml.DISCOVERY_BODY, "0")
        if well_known and answer.status_code in _NOT_DAV:
            parts = urllib.parse.urlsplit(url)
            root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, _WELL_KNOWN, "", ""))
            found = self._answer(root, homexml.DISCOVERY_BODY, "0")
            if found.status_code == 207:
                said = _parsed(homexml.parse_discovery, found.content or b"")
                if said[0] or said[1]:
                    log.info("%s: the CalDAV root found by %s", self.http.source.name, root)
                    return said
        return _parsed(homexml.parse_discovery, self._content(answer, url))

    def _inbox_default(self) -> str:
        """The inbox's default calendar; "" when it states none (then it is not asked again)."""
        try:
            answer = self._propfind(self._inbox, homexml.DEFAULT_CALENDAR_BODY, "0")
            default = homexml.parse_default_calendar(answer)
        except (ProviderError, davxml.MalformedResponse) as exc:
            log.info("%s: no default calendar from the inbox (%s)", self.http.source.name, exc)
            return ""
        if not default:
            self._inbox = ""
        return default

    def _main_zone(self, calendars: list[CalendarInfo]) -> list[CalendarInfo]:
        """The calendars, the main one with its zone asked of it at depth 0 when the listing
        lacks it (and the server has not shown that it has none to give)."""
        main = next((c for c in calendars if c.default), None)
        if main is None or main.zone or not self._zones_withheld:
            return calendars
        try:
            answer = self._propfind(main.id, homexml.CALENDAR_ZONE_BODY, "0")
            timezone, timezone_id = homexml.parse_calendar_zone(answer)
        except (ProviderError, davxml.MalformedResponse) as exc:
            log.info("%s: no zone from the main calendar (%s)", self.http.source.name, exc)
            timezone, timezone_id = "", ""
        zone = zones.calendar_zone(timezone, timezone_id)
        if not zone:
            self._zones_withheld = False
            return calendars
        return [dataclasses.replace(c, zone=zone) if c is main else c for c in calendars]

    # -- helpers

    def _propfind(self, url: str, body: bytes, depth: str) -> bytes:
        return self._content(self._answer(url, body, depth), url)

    def _answer(self, url: str, body: bytes, depth: str) -> Answer:
        headers = {**davxml.XML_HEADERS, "Depth": depth}
        return self.http.send("PROPFIND", url, body, headers, what=_LISTING)

    def _content(self, response: Answer, url: str) -> bytes:
        """The body of a 207; the typed error of any other answer."""
        if response.status_code != 207:
            raise self.http.fail(
                response, f"{_LISTING} (PROPFIND {urllib.parse.urlsplit(url).path})"
            )
        return response.content or b""

    def _absolute(self, href: str) -> str:
        """The URL of an href the server wrote, spelled as the caldav library spells it (the
        calendar ids syncd has stored came from there); ValueError for another host."""
        return str(self.http.client.url.join(URL.objectify(_quoted(href))))

    def _info(self, entry: homexml.CalendarEntry) -> CalendarInfo | None:
        try:
            url = self._absolute(entry.href)
        except ValueError:  # an href on another host: not this account's calendar
            log.warning("%s: skipped a calendar at %s", self.http.source.name, entry.href)
            return None
        path = davxml.resource_of(url)
        return CalendarInfo(
            id=url,
            name=entry.name or path.rstrip("/").rsplit("/", 1)[-1],
            aliases=(path,),
            writable=may_write(entry.privileges, entry.components),
            readable=may_read(entry.privileges),
            zone=zones.calendar_zone(entry.timezone, entry.timezone_id),
        )


def _quoted(href: str) -> str:
    """The href with its path re-quoted as the caldav library does (``@`` left as it is)."""
    parsed = urllib.parse.urlparse(href)
    return urllib.parse.urlunparse(parsed._replace(path=normalise_path(parsed.path, safe="/@")))


def _parsed(parse: Callable[[bytes], T], body: bytes) -> T:
    try:
        return parse(body)
    except davxml.MalformedResponse as exc:
        raise ProviderError(f"{_LISTING}: the server's answer is unreadable ({exc})") from None


def mark_default(calendars: Sequence[CalendarInfo], default: str) -> list[CalendarInfo]:
    """The calendars with ``default`` set on one of them (see the module's rules)."""
    usable = [c for c in calendars if c.writable and c.readable]
    wanted = davxml.resource_of(default).rstrip("/") if default else None
    chosen = next((c for c in usable if c.aliases[0].rstrip("/") == wanted), None)
    chosen = chosen or next(iter(usable), None)
    return [dataclasses.replace(c, default=c is chosen) for c in calendars]
