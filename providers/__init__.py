"""The provider protocol and a registry that imports a provider only when used.

A provider translates between one calendar service and the neutral model of
``syncd.model``; it holds no business rule. Errors it raises are the typed ones
of ``syncd.errors``: TransientError, AuthError, ConflictError, GoneError,
NotFoundError.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from syncd.config import Config, SourceConfig
    from syncd.model import CalendarEvent, FollowUp


@dataclasses.dataclass(frozen=True)
class CalendarInfo:
    """A calendar of a source: ``id`` is the Google calendar id or the CalDAV URL.

    ``aliases`` are other names the config may use for it (Google: ``primary``).
    """

    id: str
    name: str
    aliases: tuple[str, ...] = ()

    def answers_to(self, wanted: str) -> bool:
        """Whether the config's ``wanted`` names this calendar: its id or an alias
        (a trailing "/" aside), or its display name (case aside)."""
        ref = wanted.rstrip("/")
        ids = (self.id.rstrip("/"), *(alias.rstrip("/") for alias in self.aliases))
        return ref in ids or wanted.casefold() == self.name.casefold()


@dataclasses.dataclass(frozen=True)
class ChangeSet:
    """What changed in a calendar since a token.

    ``events``: new or changed events, series expanded into instances (every
    instance of a changed series is listed). ``deleted``: resources that are gone.
    ``full``: a complete read, so anything known of this calendar that is not in
    ``events`` or ``unchanged`` is gone too. ``unchanged``: resources the caller
    said it knows (``known``) whose etag is still the same: not fetched again.
    ``token``: what to pass next time.
    """

    events: tuple[CalendarEvent, ...]
    deleted: tuple[str, ...]  # a deleted series' resource R also stands for instances "R_..."
    token: str
    full: bool
    unchanged: tuple[str, ...] = ()


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
        start: dt.datetime,
        end: dt.datetime,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token``; None, or a refused token, gives a full read of [start, end).

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
