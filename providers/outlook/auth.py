"""``syncd auth outlook SOURCE``: MSAL's public-client flows for an Outlook source.

With a browser at hand, the loopback flow: the user signs in in the browser,
Microsoft redirects to a one-shot server on ``http://localhost:PORT`` (the
redirect URI registered for the app), and MSAL exchanges the code. On a
headless machine, the device-code flow: syncd prints a code that the user
enters at Microsoft's page on any other device, and waits for the sign-in.
Either way MSAL's token cache is written to the source's token file (0600,
atomically). The daemon never runs these flows: under systemd nothing could
answer them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from providers.outlook.credentials import SCOPES, public_app, write_private
from providers.outlook.settings import OutlookSettings
from syncd import limits
from syncd.config import SourceConfig
from syncd.errors import AuthError, TransientError, network_reason

# How long a flow waits for the user to sign in.
CONSENT_TIMEOUT = 600  # seconds
_SUCCESS = "syncd is authorized. You may close this window and go back to the terminal."


def authorize_outlook(
    source: SourceConfig,
    *,
    device_code: bool,
    port: int,
    echo: Callable[[str], None],
    timeout: float = CONSENT_TIMEOUT,
) -> Path:
    """Run a flow for ``source`` and write its token file; returns the file's path.

    Raises AuthError (one line) when Microsoft refuses the app or the sign-in,
    nobody signs in within ``timeout`` seconds, or the grant lacks
    Calendars.ReadWrite.
    """
    import msal
    import requests

    settings: OutlookSettings = source.settings
    cache = msal.SerializableTokenCache()
    try:
        app = public_app(settings, cache)
        if device_code:
            result = _device_code(app, echo, timeout)
        else:
            result = app.acquire_token_interactive(
                list(SCOPES),
                prompt="select_account",
                port=port or None,
                timeout=timeout,
                success_template=_SUCCESS,
                auth_uri_callback=lambda uri: echo(_instructions(uri)),
            )
    except TransientError as error:
        raise AuthError(str(error)) from None
    except requests.RequestException as error:
        raise AuthError(f"cannot reach Microsoft's sign-in ({network_reason(error)})") from None
    if not isinstance(result, dict) or "access_token" not in result:
        raise AuthError(f"authorization failed: {_reason(result)}")
    granted = {scope.lower() for scope in str(result.get("scope", "")).split()}
    lacking = [s for s in SCOPES if s.lower() not in granted and not _full(s, granted)]
    if lacking:
        raise AuthError(
            f"Microsoft granted less than syncd needs (missing: {', '.join(lacking)});"
            " run the command again and allow every permission asked"
        )
    write_private(settings.token_file, cache.serialize())
    return settings.token_file


def _device_code(app: Any, echo: Callable[[str], None], timeout: float) -> Any:
    flow = app.initiate_device_flow(scopes=list(SCOPES))
    if "user_code" not in flow:
        raise AuthError(f"Microsoft refused to start a device sign-in: {_reason(flow)}")
    uri = limits.shown(str(flow.get("verification_uri", "")), 200)
    code = limits.shown(str(flow["user_code"]), 40)
    minutes = max(1, int(flow.get("expires_in", 900)) // 60)
    echo(
        f"On any device, open {uri} and enter the code\n\n  {code}\n\n"
        f"then sign in and allow syncd access (the code works for {minutes} minutes)."
    )
    flow["expires_at"] = min(float(flow.get("expires_at", 0)), _now() + timeout)
    return app.acquire_token_by_device_flow(flow)


def _instructions(uri: str) -> str:
    return (
        f"Open this link in a browser on this machine and sign in:\n\n  {uri}\n\n"
        "No browser here? Press Ctrl+C and run the command again with --device-code."
    )


def _reason(result: object) -> str:
    if not isinstance(result, dict):
        return "no answer"
    error = limits.shown(str(result.get("error", "")), 60)
    description = str(result.get("error_description", "")).split("\n")[0]
    shown = limits.shown(description, 200)
    return f"{error}: {shown}" if error and shown else (error or shown or "no token")


def _full(scope: str, granted: set[str]) -> bool:
    """Whether ``granted`` names ``scope`` with Graph's resource in front."""
    return f"https://graph.microsoft.com/{scope}".lower() in granted


def _now() -> float:
    import time

    return time.time()
