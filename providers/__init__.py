"""The provider protocol and a registry that imports a provider only when used.

A provider translates between one calendar service and the neutral model of
``syncd.model``; it holds no business rule. Errors it raises are the typed ones
of ``syncd.errors``: TransientError, AuthError, ConflictError, GoneError,
NotFoundError.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from syncd.model import CalendarEvent, CalendarInfo, ChangeSet, FollowUp, ReadScope

if TYPE_CHECKING:
    from syncd.config import Config, SourceConfig

__all__ = ["CalendarInfo", "ChangeSet", "Provider", "ReadScope", "open_provider"]


class Provider(Protocol):
    """One source's calendars. Every write is conditional; ids are opaque strings.

    The contract (docs/providers.md) in brief: a provider fills ``series`` (the
    resource of the series an instance belongs to) and ``slot`` (the follow-up
    identity its place stands for) on every event it returns, writes only at a
    follow-up's slot, and updates or deletes only the resource it is given.
    Errors: TransientError, AuthError, NotFoundError, ConflictError,
    RefusedError, ProviderError; never a library's exception. The suite in
    tests/contract checks every provider against it.
    """

    def list_calendars(self) -> list[CalendarInfo]:
        """Every calendar the account can see (what ``calendars`` in the config picks from),
        with its name, aliases and whether the account may write to it."""
        ...

    def ensure_calendar(self, name: str) -> CalendarInfo:
        """The calendar of that display name or id, created when missing."""
        ...

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token``; None, or a token the server refuses, gives a full read
        (``full``): the provider re-reads on its own, GoneError never leaves here.

        A full read returns exactly the events overlapping the scope's window
        [start, end) (``scope.overlaps``), a series as its instances there. An
        incremental read returns every changed object's events in the window
        (all of a series' instances there) and lists in ``deleted`` the
        resources removed, or changed so that nothing of them is in the window.
        An object ``scope.may_matter`` rules out (and that carries no syncd
        marker) may be left out unparsed; incrementally it is then ``deleted``.
        ``known`` maps resources to the etags the caller holds: one whose etag
        is unchanged goes to ``unchanged``, not fetched again. The token is the
        server's state before the content was read. Raises TransientError,
        AuthError, NotFoundError (the calendar is gone), ProviderError.
        """
        ...

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The event at that follow-up's slot, or None (nothing there, or deleted)."""
        ...

    def create(self, followup: FollowUp) -> CalendarEvent:
        """Write it at the slot of ``followup.id`` in ``followup.target``; the event as stored.

        Raises ConflictError when something is there already, NotFoundError when
        the target calendar is gone, RefusedError when the server refuses the write.
        """
        ...

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """Replace our follow-up at ``resource`` if its etag is still ``etag``.

        Raises ConflictError when it changed since, NotFoundError when it is no
        longer there (deleted), RefusedError when the server refuses the write.
        """
        ...

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """Delete if its etag is still ``etag``: ConflictError when it changed since,
        NotFoundError when it is gone, RefusedError when the server refuses it."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


_MODULES = {"caldav": "providers.caldav.provider", "google": "providers.google.provider"}

KINDS = tuple(_MODULES)


def open_provider(source: SourceConfig, config: Config) -> Provider:
    """Import the module for ``source.kind`` (only now) and open a provider for the source."""
    module = importlib.import_module(_MODULES[source.kind])
    provider: Provider = module.open_source(source, config)
    return provider
