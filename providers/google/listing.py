"""Following a listing's pages, within PAGES_PER_LISTING and never round in a circle.

Google sends ``nextPageToken`` on every page but the last, and may send short
pages, even empty ones, with a token. A server that sends a token it sent
before would be paged for ever (at once: the listing stops on the page that
repeats it), and one that makes up a new token every time too (it stops at
PAGES_PER_LISTING). Either way the listing is incomplete, and fails: a calendar
read from part of a listing would have its other events look deleted.

An events listing whose answer is larger than syncd reads (a page of 2,500
events with long descriptions and guest lists can be) is read again in pages of
SMALL_PAGE events, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from providers.google.answers import NotAnAnswer, page_of
from providers.google.retry import AnswerTooLargeError, broken
from syncd import limits
from syncd.errors import ProviderError

log = logging.getLogger(__name__)

# Google's own default page: a tenth of the largest one syncd asks for.
SMALL_PAGE = 250

Execute = Callable[[Any, str], Any]  # (request, what it does) -> its answer


class Listing(NamedTuple):
    items: list[Any]  # as Google sent them: reading.change_set checks each
    token: str  # the last page's nextSyncToken
    busy_only: bool  # the account sees busy times only (freeBusyReader)


def pages(
    execute: Execute, make: Callable[[str | None], Any], what: str
) -> Iterator[dict[str, Any]]:
    """Every page of a listing, each checked (``answers.page_of``); ``make(page_token)``
    builds one page's request. Raises ProviderError when a page is not what the API
    promises, when a page token comes again, or past PAGES_PER_LISTING pages."""
    seen: set[str] = set()
    token: str | None = None
    for _ in range(limits.PAGES_PER_LISTING):
        try:
            page = page_of(execute(make(token), what))
        except NotAnAnswer as error:
            raise broken(what, error) from None
        yield page
        token = page.get("nextPageToken") or None
        if token is None:
            return
        if token in seen:
            raise ProviderError(
                f"{what}: Google sent a page token it had sent before, so the listing would"
                " never end; syncd stopped there"
            )
        seen.add(token)
    raise ProviderError(
        f"{what}: Google had more after {limits.PAGES_PER_LISTING} pages, the most syncd"
        " follows (syncd.limits.PAGES_PER_LISTING); syncd stopped there"
    )


def list_events(
    execute: Execute, events: Any, calendar: str, page_size: int, where: str, **params: Any
) -> Listing:
    """Every item of an events.list over all pages (``events`` is the service's
    ``events()``), the last page's nextSyncToken, and whether the account sees busy
    times only there (accessRole freeBusyReader, whatever the calendar list said).

    An answer larger than syncd reads: the listing is read again at SMALL_PAGE events
    a page, once (``where`` names the calendar in the line that says so); then
    AnswerTooLargeError. Raises ProviderError as ``pages`` does, and Retrier's errors.
    """
    try:
        return _list_events(execute, events, calendar, page_size, params)
    except AnswerTooLargeError as error:
        if page_size <= SMALL_PAGE:
            raise
        log.info("%s: %s; reading it again at %d events a page", where, error, SMALL_PAGE)
    try:
        return _list_events(execute, events, calendar, SMALL_PAGE, params)
    except AnswerTooLargeError as error:
        raise AnswerTooLargeError(f"{error}, even at {SMALL_PAGE} events a page") from None


def _list_events(
    execute: Execute, events: Any, calendar: str, page_size: int, params: dict[str, Any]
) -> Listing:
    items: list[Any] = []
    last: dict[str, Any] = {}

    def make(token: str | None) -> Any:
        return events.list(
            calendarId=calendar,
            singleEvents=True,
            showDeleted=True,
            maxResults=page_size,
            pageToken=token,
            **params,
        )

    for last in pages(execute, make, "listing events"):
        items.extend(last.get("items", ()))
    busy_only = last.get("accessRole") == "freeBusyReader"
    return Listing(items, last.get("nextSyncToken", ""), busy_only)
