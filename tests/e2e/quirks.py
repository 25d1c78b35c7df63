"""Deviations of CalDAV servers that cannot run here, played by the counting proxy
(tests/e2e/proxy.py) in front of Radicale.

Each is a server's behaviour as the caldav library's measured compatibility hints
describe it (``caldav/compatibility_hints.py``, caldav 3.6): the proxy changes a
request on its way, answers it itself, or changes the answer, and Radicale does
the rest. docs/servers.md lists them, with the servers and what syncd does.
"""

from __future__ import annotations

import hashlib
import urllib.parse

from lxml import etree
from proxy import CountingProxy, Exchange

DAV, CALDAV = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_WRITES = ("PUT", "DELETE")


def _root(data: bytes | None) -> etree._Element | None:
    try:
        return etree.fromstring(data or b"", _PARSER)
    except etree.XMLSyntaxError:
        return None


def _sync_collection(exchange: Exchange) -> etree._Element | None:
    """The body of a sync-collection REPORT, else None."""
    root = _root(exchange.body) if exchange.method == "REPORT" else None
    return root if root is not None and root.tag == DAV + "sync-collection" else None


class ForgetsTokens:
    """SOGo, Stalwart, Purelymail, OX (``sync-token.invalid-token``: broken): a sync token
    the server no longer knows gets a 207 listing the whole calendar, no deletion, and no
    ``valid-sync-token`` error. From ``forget()`` on, every token is such a token."""

    def __init__(self, proxy: CountingProxy) -> None:
        self.forgetting = False
        self.answered = 0  # sync-collections answered as to no token
        proxy.before.append(self._request)

    def forget(self) -> None:
        self.forgetting = True

    def _request(self, exchange: Exchange) -> None:
        root = _sync_collection(exchange)
        token = root.find(DAV + "sync-token") if root is not None else None
        if not self.forgetting or token is None or not (token.text or "").strip():
            return
        token.text = ""  # what the server answers: the listing of no token
        exchange.body = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        self.answered += 1


class IfMatchStarBackwards:
    """iCloud, Bedework, Yahoo (``save-load.mutable.if-match-wildcard``: broken):
    ``If-Match: *`` holds backwards, 412 on an object that exists, and a missing one is
    created. Records the conditions of every write it sees."""

    def __init__(self, proxy: CountingProxy) -> None:
        self.proxy = proxy
        self.writes: list[tuple[str, str, str]] = []  # (method, If-Match, If-None-Match)
        proxy.before.append(self._request)

    def _request(self, exchange: Exchange) -> None:
        if exchange.method not in _WRITES:
            return
        condition = exchange.header("If-Match")
        self.writes.append((exchange.method, condition, exchange.header("If-None-Match")))
        if condition.strip() != "*":
            return
        probe = Exchange("GET", exchange.path, dict(exchange.headers), None)
        probe.headers = {k: v for k, v in probe.headers.items() if k.lower() != "if-match"}
        status = self.proxy.forward(probe)[0]
        if status == 200:
            exchange.status, exchange.reason = 412, "Precondition Failed"
        else:
            exchange.headers = probe.headers  # created, as if no condition were there


class EtagOnPut:
    """The ETag a PUT is answered with, as some servers send it:

    - ``weak``: GMX (``save.etag``: weak on PUT, strong on GET): ``W/"..."``, which
      ``If-Match`` never matches (RFC 9110 13.1.1: strong comparison): 412;
    - ``encoded``: Bedework 5 (``save.etag``: percent-encoded): ``%22...%22``, refused
      so in ``If-Match`` with 412;
    - ``none``: no ETag at all (RFC 4791 5.3.4 allows it when the server changed the
      data it stores).
    """

    def __init__(self, proxy: CountingProxy, how: str) -> None:
        self.how = how
        self.refused = 0  # writes answered 412 for the etag's shape
        proxy.before.append(self._request)
        proxy.after.append(self._answer)

    def _request(self, exchange: Exchange) -> None:
        condition = exchange.header("If-Match")
        if exchange.method in _WRITES and (condition.startswith("W/") or "%22" in condition):
            exchange.status, exchange.reason = 412, "Precondition Failed"
            self.refused += 1

    def _answer(self, exchange: Exchange) -> None:
        etag = exchange.answer_header("ETag")
        if exchange.method != "PUT" or not etag:
            return
        shaped = {"weak": f"W/{etag}", "encoded": urllib.parse.quote(etag, safe=""), "none": None}
        exchange.set_answer_header("ETag", shaped[self.how])


class ListsItself:
    """iCloud (``sync-token.limit``: "lists the collection itself as a member"): every
    sync-collection answer lists the calendar itself among the changes."""

    def __init__(self, proxy: CountingProxy) -> None:
        proxy.after.append(self._answer)

    def _answer(self, exchange: Exchange) -> None:
        root = _root(exchange.data) if _sync_collection(exchange) is not None else None
        if root is None or exchange.status != 207:
            return
        itself = etree.SubElement(root, DAV + "response")
        etree.SubElement(itself, DAV + "href").text = urllib.parse.urlsplit(exchange.path).path
        propstat = etree.SubElement(itself, DAV + "propstat")
        etree.SubElement(etree.SubElement(propstat, DAV + "prop"), DAV + "getetag").text = '"c"'
        etree.SubElement(propstat, DAV + "status").text = "HTTP/1.1 200 OK"
        root.remove(itself)
        root.insert(0, itself)
        exchange.data = etree.tostring(root, xml_declaration=True, encoding="utf-8")


class EncodesAt:
    """Nextcloud and Stalwart (``url.encode-at``): a login like ``ann@example.com`` is in
    every path, and the server's hrefs spell its ``@`` the other way than the request
    did (``%40`` for ``@``, ``@`` for ``%40``)."""

    def __init__(self, proxy: CountingProxy) -> None:
        proxy.after.append(self._answer)

    def _answer(self, exchange: Exchange) -> None:
        root = _root(exchange.data) if exchange.status == 207 else None
        if root is None:
            return
        for href in root.iter(DAV + "href"):
            swapped = (href.text or "").replace("%40", "\0").replace("@", "%40")
            href.text = swapped.replace("\0", "@")
        exchange.data = etree.tostring(root, xml_declaration=True, encoding="utf-8")


class RelocatesNewCalendars:
    """Zimbra, OX, Yahoo (``create-calendar.stable-url``: unsupported): a calendar made
    by MKCALENDAR lands at a URL of the server's choosing, not the one asked; the one
    asked serves no objects."""

    def __init__(self, proxy: CountingProxy) -> None:
        self.moved: dict[str, str] = {}  # path asked -> path given
        proxy.before.append(self._request)

    def _request(self, exchange: Exchange) -> None:
        if exchange.method != "MKCALENDAR":
            return
        path = exchange.path.rstrip("/")
        folder, _, name = path.rpartition("/")
        given = f"{folder}/cal-{hashlib.blake2b(name.encode(), digest_size=4).hexdigest()}/"
        self.moved[exchange.path] = given
        exchange.path = given


class TimeRangeSkipsSeries:
    """SOGo, Yahoo (``search.recurrences.includes-implicit``: unsupported), Stalwart for
    all-day events: a calendar-query's time-range is tested against a series' first
    instance only, so a series begun before the range is not in the answer."""

    def __init__(self, proxy: CountingProxy) -> None:
        self.dropped = 0  # series left out of time-range answers
        proxy.after.append(self._answer)

    def _answer(self, exchange: Exchange) -> None:
        asked = _root(exchange.body) if exchange.method == "REPORT" else None
        if asked is None or next(asked.iter(CALDAV + "time-range"), None) is None:
            return
        root = _root(exchange.data)
        if root is None:
            return
        for response in list(root.iter(DAV + "response")):
            data = next(response.iter(CALDAV + "calendar-data"), None)
            if data is not None and "RRULE" in (data.text or ""):
                response.getparent().remove(response)
                self.dropped += 1
        exchange.data = etree.tostring(root, xml_declaration=True, encoding="utf-8")


class NoMkcalendar:
    """Posteo (``create-calendar``: unsupported), GMX at times: MKCALENDAR is refused; a
    calendar is made in the provider's web app only."""

    def __init__(self, proxy: CountingProxy, status: int = 405) -> None:
        self.status = status
        proxy.before.append(self._request)

    def _request(self, exchange: Exchange) -> None:
        if exchange.method == "MKCALENDAR":
            exchange.status, exchange.reason = self.status, "Method Not Allowed"


class RootIsNotDav:
    """Nextcloud (``/remote.php/dav``), Baikal (``/dav.php``), Zimbra (``/dav/``), GMX
    (``auto-connect.url``): CalDAV lives below the host, whose own URL answers no
    PROPFIND (405); ``/.well-known/caldav`` redirects (301) to the CalDAV root, here the
    principal ``root``."""

    def __init__(self, proxy: CountingProxy, root: str) -> None:
        self.root = root
        self.redirected = 0
        proxy.before.append(self._request)

    def _request(self, exchange: Exchange) -> None:
        path = urllib.parse.urlsplit(exchange.path).path
        if path == "/.well-known/caldav":
            exchange.status, exchange.reason = 301, "Moved Permanently"
            exchange.answer_headers = [("Location", self.root)]
            self.redirected += 1
        elif path == "/" and exchange.method == "PROPFIND":
            exchange.status, exchange.reason = 405, "Method Not Allowed"
            exchange.answer_headers = [("Content-Type", "text/html")]
            exchange.data = b"<html><body>Nextcloud</body></html>"
