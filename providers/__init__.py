"""The provider protocol, and the registry of kinds: one line per kind of source.

A provider translates between one calendar service and the neutral model of
``syncd.model``; it holds no business rule. Errors it raises are the typed ones
of ``syncd.errors``: TransientError, AuthError, ConflictError, RefusedError,
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


# --- the registry ---

# One line per kind: the config's ``kind`` -> the package whose ``KIND`` describes it.
_REGISTRY = {
    "caldav": "providers.caldav",
    "google": "providers.google",
    "outlook": "providers.outlook",
}

SourceFinder = Callable[["click.Context", str], "SourceConfig"]
"""How a kind's command finds the source the user named: the CLI's, given the context."""


def _no_notes(_source: SourceConfig) -> list[str]:
    return []


def _no_config_notes(_source: SourceConfig, _config: Config) -> list[str]:
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
    # The same about the source with the rest of the config (what the service cannot hold).
    config_notes: Callable[[SourceConfig, Config], list[str]] = _no_config_notes
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
