"""An Outlook source's own config keys: the app registration, the tenant, the token file,
and (for tests and national clouds) where Microsoft's sign-in and Graph answer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shlex
from pathlib import Path

from syncd import limits
from syncd.config import Config, SourceConfig
from syncd.config_schema import Key, Section
from syncd.config_values import (
    Invalid,
    absolute_path,
    duration_within,
    nonempty_text,
    optional_http_url,
    show,
    text,
)

# Microsoft's sign-in for a tenant, and Graph's v1.0 root.
LOGIN = "https://login.microsoftonline.com"
GRAPH = "https://graph.microsoft.com/v1.0"
_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# "common", "organizations", "consumers", a tenant's GUID or one of its domain names.
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")


@dataclasses.dataclass(frozen=True)
class OutlookSettings:
    client_id: str  # the app registration's "Application (client) ID"
    token_file: Path  # MSAL's token cache, written by ``syncd auth outlook SOURCE`` (0600)
    tenant: str = "common"  # personal and work accounts alike
    authority: str = ""  # "" = LOGIN/tenant; another (https) for a national cloud or a test
    api_endpoint: str = ""  # "" = GRAPH; another for a national cloud or a test
    # One request, from connecting to the answer's last byte (syncd.limits.REQUEST_SECONDS).
    timeout: dt.timedelta = dt.timedelta(seconds=limits.REQUEST_SECONDS)

    @property
    def authority_url(self) -> str:
        """Where MSAL signs in and refreshes tokens."""
        return self.authority.rstrip("/") or f"{LOGIN}/{self.tenant}"

    @property
    def graph_url(self) -> str:
        """Graph's root, without a trailing slash."""
        return (self.api_endpoint or GRAPH).rstrip("/")


def client_id(value: object) -> str:
    """The app registration's Application (client) ID: a GUID."""
    found = nonempty_text(value).strip()
    if not _GUID.fullmatch(found):
        raise Invalid(
            "expected the app registration's Application (client) ID, a GUID such as"
            f' "00000000-0000-0000-0000-000000000000", got {show(found)}'
        )
    return found.lower()


def tenant(value: object) -> str:
    """``common``, ``organizations``, ``consumers``, a tenant id or a tenant's domain."""
    found = nonempty_text(value).strip()
    if not _TENANT.fullmatch(found):
        raise Invalid(
            'expected "common", "organizations", "consumers", a tenant id or a domain'
            f" name, got {show(found)}"
        )
    return found


def https_url(value: object) -> str:
    """ "" or an https:// URL (MSAL signs in over https only)."""
    url = optional_http_url(text(value))
    if url and not url.lower().startswith("https://"):
        raise Invalid(f"expected an https:// URL, got {show(url)}")
    return url


SECTION = Section(
    {
        "client_id": Key(client_id),
        "token_file": Key(absolute_path),
        "tenant": Key(tenant, "common"),
        "authority": Key(https_url, "", empty_means="Microsoft's sign-in for the tenant"),
        "api_endpoint": Key(optional_http_url, "", empty_means="Microsoft Graph"),
        "timeout": Key(
            duration_within(limits.TIMEOUT_MIN, limits.TIMEOUT_MAX), f"{limits.REQUEST_SECONDS}s"
        ),
    },
    OutlookSettings,
)


def auth_command(source: str) -> str:
    """The command that (re)authorizes ``source``, quoted for a shell."""
    return f"syncd auth outlook {shlex.quote(source)}"


def notes(source: SourceConfig) -> list[str]:
    """What is valid but will not work yet: no token file (not authorized yet)."""
    settings: OutlookSettings = source.settings
    if not settings.token_file.exists():
        return [f"token_file: not authorized yet; run: {auth_command(source.name)}"]
    return []


def reminder_notes(source: SourceConfig, config: Config) -> list[str]:
    """Graph holds one reminder per event: say which one is used where more are set."""
    found = []
    for section, minutes in (
        ("thank_you", config.thank_you.reminders),
        ("calls", config.calls.reminders),
    ):
        if len(minutes) > 1:
            shown = ", ".join(str(m) for m in minutes)
            found.append(
                f"[{section}] reminders: Outlook holds one reminder per event; syncd sets the"
                f" first, {minutes[0]} minutes (of {shown})"
            )
    return found


def writable(source: SourceConfig) -> list[Path]:
    """The token file's folder: MSAL's refreshed tokens are written back there."""
    settings: OutlookSettings = source.settings
    return [settings.token_file.parent]
