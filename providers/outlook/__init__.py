"""Outlook.com and Microsoft 365 sources: ``kind = "outlook"``, through Microsoft Graph.

Authorized once by ``syncd auth outlook SOURCE`` (MSAL, the user's own app
registration). Light on purpose: MSAL and the HTTP client load only when a
source of this kind is opened or authorized.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers import ProviderKind
from providers.outlook.settings import SECTION, notes, reminder_notes, writable

if TYPE_CHECKING:
    import click

    from providers import Provider, SourceFinder
    from syncd.config import Config, SourceConfig


def _open(source: SourceConfig, config: Config) -> Provider:
    from providers.outlook.provider import open_source

    return open_source(source, config)


def _auth(find_source: SourceFinder) -> click.Command:
    from providers.outlook.command import auth_outlook

    return auth_outlook(find_source)


KIND = ProviderKind(
    name="outlook",
    title="Outlook",
    config=SECTION,
    open=_open,
    notes=notes,
    config_notes=reminder_notes,
    writable=writable,
    auth=_auth,
)
