"""A Google source's own config keys: the OAuth client file, the token file, the API's
address, and how long one request may take."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shlex
from pathlib import Path

from providers.google import scopes
from syncd import limits
from syncd.config import SourceConfig
from syncd.config_schema import Key, Section
from syncd.config_values import (
    absolute_path,
    boolean,
    duration_within,
    optional_http_url,
    optional_path,
)


@dataclasses.dataclass(frozen=True)
class GoogleSettings:
    client_secrets: Path  # the OAuth client (Desktop app) file from the Google Cloud console
    token_file: Path  # written by ``syncd auth google SOURCE``, refreshed by the daemon
    api_endpoint: str = ""  # "" = Google's; another for a test double
    # One request, from connecting to the answer's last byte (syncd.limits.REQUEST_SECONDS).
    timeout: dt.timedelta = dt.timedelta(seconds=limits.REQUEST_SECONDS)
    # TLS, for an api_endpoint behind a proxy of one's own: the CA certificate(s) (PEM)
    # to trust instead of the bundled ones; ``verify = false`` checks none (a warning
    # every pass).
    ca_file: Path | None = None
    verify: bool = True


SECTION = Section(
    {
        "client_secrets": Key(absolute_path),
        "token_file": Key(absolute_path),
        "api_endpoint": Key(optional_http_url, "", empty_means="Google's"),
        "timeout": Key(
            duration_within(limits.TIMEOUT_MIN, limits.TIMEOUT_MAX), f"{limits.REQUEST_SECONDS}s"
        ),
        "ca_file": Key(optional_path, "", empty_means="the bundled certificates"),
        "verify": Key(boolean, True),
    },
    GoogleSettings,
)


def auth_command(source: str) -> str:
    """The command that (re)authorizes ``source``, quoted for a shell."""
    return f"syncd auth google {shlex.quote(source)}"


def notes(source: SourceConfig) -> list[str]:
    """What is valid but will not work yet: no client file, no token (not authorized
    yet), a token whose scopes lack one the source needs (a target_calendar set since)."""
    settings: GoogleSettings = source.settings
    found = []
    if not settings.client_secrets.exists():
        found.append(f"client_secrets: {settings.client_secrets} does not exist yet")
    command = auth_command(source.name)
    if not settings.token_file.exists():
        found.append(f"token_file: not authorized yet; run: {command}")
    elif problem := scopes.grant_problem(_granted(settings.token_file), source, command):
        found.append(f"token_file: {problem}")
    return found


def _granted(token_file: Path) -> list[str]:
    """The scopes the token file names; none when it cannot be read (opening the source
    says what is wrong with it)."""
    try:
        info = json.loads(token_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    granted = info.get("scopes") if isinstance(info, dict) else None
    return [str(scope) for scope in granted] if isinstance(granted, list) else []


def writable(source: SourceConfig) -> list[Path]:
    """The token file's folder: a refreshed token is written back there (atomically)."""
    settings: GoogleSettings = source.settings
    return [settings.token_file.parent]
