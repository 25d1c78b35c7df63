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
from syncd.config_schema import Key, Section, format_duration
from syncd.config_values import absolute_path, duration_within, optional_http_url


@dataclasses.dataclass(frozen=True)
class GoogleSettings:
    client_secrets: Path  # the OAuth client (Desktop app) file from the Google Cloud console
    token_file: Path  # written by ``syncd auth google SOURCE``, refreshed by the daemon
    api_endpoint: str = ""  # "" = Google's; another for a test double
    # The longest one request may take, whole (syncd.limits.REQUEST_TIME says why).
    request_timeout: dt.timedelta = limits.REQUEST_TIME


SECTION = Section(
    {
        "client_secrets": Key(absolute_path),
        "token_file": Key(absolute_path),
        "api_endpoint": Key(optional_http_url, "", empty_means="Google's"),
        "request_timeout": Key(
            duration_within(dt.timedelta(seconds=1), limits.REQUEST_TIME_MAX),
            format_duration(limits.REQUEST_TIME),
        ),
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
