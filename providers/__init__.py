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
    """One source's calendars. Every write is conditional."""

    def list_calendars(self) -> list[CalendarInfo]:
        """The calendars this source can watch (what ``calendars`` in the config picks from)."""
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
        """Changes since ``token``; None, or a refused token, gives a full read of the scope's
        window [start, end).

        ``known`` maps resources to the etags the caller holds (syncd's own
        writes): one whose etag is unchanged may be listed in ``unchanged``
        instead of being fetched, so the pass after a write costs no extra read.

        Raises GoneError only when the caller must drop its token and call again
        with None (providers that can re-read on their own do so and set ``full``).
        """
        ...

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        """The follow-up stored under that identity, or None."""
        ...

    def create(self, followup: FollowUp) -> CalendarEvent:
        """Create it; ConflictError when an object of that identity exists already."""
        ...

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        """Replace our follow-up if its etag is still ``etag``; ConflictError otherwise."""
        ...

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        """Delete if its etag is still ``etag``; ConflictError otherwise, NotFoundError if gone."""
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
