"""WebDAV/CalDAV request bodies and multistatus parsing for the CalDAV provider.

Pure: text in, values out, no I/O. Covers the sync-collection REPORT (RFC 6578),
the calendar-multiget REPORT (RFC 4791 section 7.9), the calendar-query REPORT
and the PROPFINDs of the ctag/etag fallback; ``providers.caldav.homexml`` those
of discovery and of the calendar list, with this module's parsing.
Hrefs are kept as the server wrote them (``href``, what a request body must
carry) beside a normalised ``resource`` (the decoded path, what the provider
reports), so one object always has one resource string.

The server's XML is untrusted: no DTD is read (an answer declaring one is
refused: entity bombs, external entities), no entity is expanded, nothing is
fetched. Text nodes may be long (lxml's ``huge_tree``): every answer is capped
at ``syncd.limits.ANSWER_BYTES`` before it gets here, and one object's data at
``syncd.limits.OBJECT_BYTES`` here. A multistatus lxml cannot read whole (a
character XML cannot carry in one object's data) raises ``PartlyUnreadable``:
its objects may be read in smaller pieces.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from lxml import etree

from syncd import limits
from syncd.errors import ProviderError, one_line

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"
XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}

# No entities, no network, no DTD. Long text nodes are read (10 MB of description in
# one object would fail the whole answer otherwise): the answer is capped before.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
# What may come before the root element: a byte order mark, the XML declaration,
# processing instructions, comments, white space.
_PROLOG = rb"(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*"
_DOCTYPE = re.compile(_PROLOG + rb"<!DOCTYPE", re.DOTALL)
_MULTISTATUS = re.compile(_PROLOG + rb"<(?:[A-Za-z_][\w.-]*:)?multistatus[\s/>]", re.DOTALL)
_NO_DTD = "the answer declares a document type (DTD), which syncd does not read"


class MalformedResponse(ProviderError, ValueError):
    """The server's answer is not the multistatus XML asked for."""


class PartlyUnreadable(MalformedResponse):
    """A multistatus lxml cannot read whole: one object's data may be to blame (a
    character XML cannot carry), so its objects may be read in smaller pieces."""


def resource_of(href: str) -> str:
    """The normalised resource for an href: its path, percent-decoded (absolute URLs too)."""
    path = urllib.parse.urlsplit(href.strip()).path
    return urllib.parse.unquote(path)


def href_of(resource: str) -> str:
    """The percent-encoded path to send for a resource (the inverse of ``resource_of``)."""
    return urllib.parse.quote(resource, safe="/@:!$&'()*+,;=~")


# --- request bodies


def sync_collection_body(token: str) -> bytes:
    """A sync-collection REPORT (sync-level 1) asking for etags; ``""`` is the initial sync."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{escape(token)}</D:sync-token>"
        "<D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop>"
        "</D:sync-collection>"
    ).encode()


def multiget_body(hrefs: Iterable[str]) -> bytes:
    """A calendar-multiget REPORT for the etag and data of each href (as the server wrote it)."""
    refs = "".join(f"<D:href>{escape(href)}</D:href>" for href in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f"<D:prop><D:getetag/><C:calendar-data/></D:prop>{refs}"
        "</C:calendar-multiget>"
    ).encode()


def calendar_query_body(start: dt.datetime, end: dt.datetime) -> bytes:
    """A calendar-query REPORT (RFC 4791 7.8) for the etag and data of every object holding
    a VEVENT (or an instance of one) that overlaps [start, end)."""
    stamp = "%Y%m%dT%H%M%SZ"
    span = f'start="{start.astimezone(dt.UTC):{stamp}}" end="{end.astimezone(dt.UTC):{stamp}}"'
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f"<C:time-range {span}/>"
        "</C:comp-filter></C:comp-filter></C:filter>"
        "</C:calendar-query>"
    ).encode()


# A calendar-query REPORT for the etag and data of every object whose VEVENT has an RRULE
# (RFC 4791 9.7.2: an empty prop-filter asks that the property be there).
SERIES_QUERY_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    b"<D:prop><D:getetag/><C:calendar-data/></D:prop>"
    b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
    b'<C:prop-filter name="RRULE"/>'
    b"</C:comp-filter></C:comp-filter></C:filter>"
    b"</C:calendar-query>"
)


def property_tag(name: str) -> str:
    """The Clark name of a property ``propfind_body`` asks for: CS:getctag, else DAV:."""
    return (CS if name == "getctag" else DAV) + name


def propfind_body(*props: str) -> bytes:
    """A PROPFIND body for DAV: ``getetag``, ``resourcetype``, ``sync-token`` or CS: ``getctag``."""
    names = "".join(f"<CS:{p}/>" if property_tag(p).startswith(CS) else f"<D:{p}/>" for p in props)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
        f"<D:prop>{names}</D:prop></D:propfind>"
    ).encode()


# --- parsing


@dataclasses.dataclass(frozen=True)
class Member:
    """One object of a collection: the server's href, its normalised resource, its etag."""

    href: str
    resource: str
    etag: str


@dataclasses.dataclass(frozen=True)
class SyncPage:
    """One sync-collection answer: changed members, deleted resources, the new token."""

    changed: tuple[Member, ...]
    deleted: tuple[str, ...]
    token: str
    truncated: bool  # RFC 6578 section 3.6: ask again with ``token`` for the rest


@dataclasses.dataclass(frozen=True)
class Fetched:
    """One object from a calendar-multiget: ``gone`` when the server said 404.

    ``data`` is None when the server listed the object without its data, or sent
    data syncd does not read (``problem`` says why).
    """

    member: Member
    data: str | None
    gone: bool = False
    problem: str = ""  # why ``data`` is None when the server sent it: too large to read


def parse(body: bytes) -> etree._Element:
    """The root element of an XML body.

    Raises PartlyUnreadable for a multistatus lxml cannot read whole, else
    MalformedResponse when it is not XML or declares a DTD.
    """
    if _DOCTYPE.match(body):
        raise MalformedResponse(_NO_DTD)
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        why = "not XML: " + one_line(str(getattr(error, "msg", "") or error))
        if _MULTISTATUS.match(body):
            raise PartlyUnreadable(why) from None
        raise MalformedResponse(why) from None
    if root is None:
        raise MalformedResponse("empty XML document")
    if root.getroottree().docinfo.doctype:
        raise MalformedResponse(_NO_DTD)
    return root


def error_conditions(body: bytes) -> set[str]:
    """The local names of the preconditions in a ``DAV:error`` body (e.g. ``valid-sync-token``)."""
    try:
        root = parse(body)
    except MalformedResponse:
        return set()
    if root.tag != DAV + "error":
        return set()
    return {etree.QName(child).localname for child in root if isinstance(child.tag, str)}


def _status_code(text: str | None) -> int:
    """200 from ``HTTP/1.1 200 OK``; 0 when absent or unreadable."""
    parts = (text or "").split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0


def responses(root: etree._Element) -> Iterator[tuple[str, int, dict[str, etree._Element]]]:
    """(href, response status, {property tag: element} of the 200 propstats) per response."""
    if root.tag != DAV + "multistatus":
        raise MalformedResponse(f"expected a DAV:multistatus, got {root.tag}")
    for response in root.iterfind(DAV + "response"):
        href = (response.findtext(DAV + "href") or "").strip()
        status = _status_code(response.findtext(DAV + "status"))
        props: dict[str, etree._Element] = {}
        for propstat in response.iterfind(DAV + "propstat"):
            if _status_code(propstat.findtext(DAV + "status")) in (200, 0):
                for prop in propstat.iterfind(DAV + "prop"):
                    props.update((child.tag, child) for child in prop if isinstance(child.tag, str))
        yield href, status, props


def text_of(props: dict[str, etree._Element], tag: str) -> str:
    element = props.get(tag)
    return (element.text or "").strip() if element is not None else ""


def _is_collection(props: dict[str, etree._Element], resource: str, base: str) -> bool:
    resourcetype = props.get(DAV + "resourcetype")
    if resourcetype is not None and resourcetype.find(DAV + "collection") is not None:
        return True
    return resource.endswith("/") or resource.rstrip("/") == base.rstrip("/")


def parse_sync(body: bytes, collection: str) -> SyncPage:
    """A sync-collection multistatus: members with etags, 404s as deleted, the new token.

    ``collection`` is the collection's resource: it (and any other collection)
    is never reported as a member (iCloud lists it among the changes).
    """
    root = parse(body)
    changed: list[Member] = []
    deleted: list[str] = []
    truncated = False
    for href, status, props in responses(root):
        resource = resource_of(href)
        if status == 507:
            truncated = True
        elif status == 404:
            deleted.append(resource)
        elif not _is_collection(props, resource, collection):
            changed.append(Member(href, resource, text_of(props, DAV + "getetag")))
    token = (root.findtext(DAV + "sync-token") or "").strip()
    if not token:
        raise MalformedResponse("sync-collection answer without a sync-token")
    return SyncPage(tuple(changed), tuple(deleted), token, truncated)


def parse_multiget(body: bytes) -> list[Fetched]:
    """A calendar-multiget or calendar-query multistatus: each object's etag and data; 404s
    come back ``gone``."""
    found = []
    for href, status, props in responses(parse(body)):
        member = Member(href, resource_of(href), text_of(props, DAV + "getetag"))
        data = props.get(CALDAV + "calendar-data")
        text = None if data is None else data.text or ""
        if status == 404:
            found.append(Fetched(member, None, gone=True))
        elif text is not None and _longer(text, limits.OBJECT_BYTES):
            found.append(Fetched(member, None, problem=TOO_LARGE))
        else:
            found.append(Fetched(member, text))
    return found


TOO_LARGE = (
    f"its data is larger than {limits.OBJECT_BYTES / 2**20:g} MiB,"
    " the most syncd reads of one object"
)


def _longer(text: str, size: int) -> bool:
    """Whether ``text`` takes more than ``size`` bytes in UTF-8."""
    return len(text) > size or (
        len(text) * 4 > size and not text.isascii() and len(text.encode("utf-8", "replace")) > size
    )


def parse_members(body: bytes, collection: str) -> list[Member]:
    """A depth-1 PROPFIND for getetag/resourcetype: the collection's objects with their etags."""
    members = []
    for href, status, props in responses(parse(body)):
        resource = resource_of(href)
        if status in (200, 0) and not _is_collection(props, resource, collection):
            members.append(Member(href, resource, text_of(props, DAV + "getetag")))
    return members


def parse_property(body: bytes, tag: str) -> str | None:
    """The text of one property of a depth-0 PROPFIND answer; None when the server lacks it."""
    for _href, _status, props in responses(parse(body)):
        if tag in props:
            return text_of(props, tag)
    return None


def found(body: bytes) -> bool:
    """Whether a depth-0 PROPFIND answer describes its resource (Xandikos answers a
    missing one with 207 holding a 404 response)."""
    try:
        return any(status != 404 for _href, status, _props in responses(parse(body)))
    except MalformedResponse:
        return True  # a server that answers is taken at its 207
