"""The provider protocol, and the registry of kinds: one line per kind of source.

A provider translates between one calendar service and the neutral model of
``syncd.model``; it holds no business rule. Errors it raises are the typed ones
of ``syncd.errors``: TransientError, AuthError, ConflictError, GoneError,
NotFoundError.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from syncd.config_schema import Section
from syncd.model import CalendarEvent, CalendarInfo, ChangeSet, FollowUp, ReadScope

if TYPE_CHECKING:
    import click

    from syncd.config import Config, SourceConfig

__all__ = [
    "CalendarInfo",
    "ChangeSet",
    "Provider",
    "ProviderKind",
    "ReadScope",
    "config_sections",
    "get_kind",
    "kinds",
    "open_provider",
]


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


# --- the registry ---

# One line per kind: the config's ``kind`` -> the package whose ``KIND`` describes it.
_REGISTRY = {
    "caldav": "providers.caldav",
    "google": "providers.google",
}

SourceFinder = Callable[["click.Context", str], "SourceConfig"]
"""How a kind's command finds the source the user named: the CLI's, given the context."""


def _no_notes(_source: SourceConfig) -> list[str]:
    return []


def _no_paths(_source: SourceConfig) -> list[Path]:
    return []


@dataclasses.dataclass(frozen=True)
class ProviderKind:
    """One kind of source, as the rest of syncd sees it before its provider is imported.

    A kind's package exports one as ``KIND`` from a light ``__init__.py``: no
    client library is imported until ``open`` (or its command) runs.
    """

    name: str  # the config's ``kind``
    title: str  # how a message names the service: "CalDAV", "Google"
    config: Section  # its own keys; ``config.cls`` is the frozen dataclass in SourceConfig.settings
    open: Callable[[SourceConfig, Config], Provider]  # imports the provider module, then opens
    # What ``syncd config check`` notes (valid, but will not work yet here): "key: why" lines.
    notes: Callable[[SourceConfig], list[str]] = _no_notes
    # Folders the daemon writes besides its state folder (the systemd unit makes them writable).
    writable: Callable[[SourceConfig], list[Path]] = _no_paths
    # ``syncd auth <name>``: the command, given how to find the named source; None: no auth step.
    auth: Callable[[SourceFinder], click.Command] | None = None


def get_kind(name: str) -> ProviderKind:
    """The kind registered as ``name``; LookupError naming the known kinds otherwise."""
    if name not in _REGISTRY:
        raise LookupError(f'unknown kind "{name}"; known kinds: {", ".join(_REGISTRY)}')
    kind: ProviderKind = importlib.import_module(_REGISTRY[name]).KIND
    return kind


def kinds() -> dict[str, ProviderKind]:
    """Every registered kind, by name, in registry order."""
    return {name: get_kind(name) for name in _REGISTRY}


def config_sections() -> dict[str, Section]:
    """Each kind's own config keys, as the config loader takes them."""
    return {name: kind.config for name, kind in kinds().items()}


def open_provider(source: SourceConfig, config: Config) -> Provider:
    """A provider for ``source``: its kind imports its module (only now) and opens it."""
    return get_kind(source.kind).open(source, config)
