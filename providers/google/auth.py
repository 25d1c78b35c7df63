"""``syncd auth google SOURCE``: the OAuth installed-app flow for a Google source.

The user grants access in a browser; Google redirects to a one-shot server on
``localhost:PORT`` with a code, exchanged for tokens, written to the source's
token file (0600, atomically). On a machine without a browser the URL is
printed with the SSH tunnel that carries the redirect home. The daemon never
runs this flow: under systemd nothing could answer it.
"""

from __future__ import annotations

import json
import urllib.parse
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from providers.google.settings import GoogleSettings
from syncd.config import SourceConfig
from syncd.errors import AuthError

# How long the loopback server waits for the browser's redirect.
CONSENT_TIMEOUT = 600  # seconds
_SUCCESS = "syncd is authorized. You may close this window and go back to the terminal."


def authorize_google(
    source: SourceConfig,
    *,
    open_browser: bool,
    port: int,
    echo: Callable[[str], None],
    timeout: float = CONSENT_TIMEOUT,
) -> Path:
    """Run the OAuth flow for ``source`` and write its token file; returns the file's path.

    The scopes asked for are ``scopes.scopes_for(source)``; the token file's
    ``scopes`` are those Google granted (with granular consent the user may
    untick some). ``port`` 0 takes a free one; the URL and the ``ssh -L`` line
    printed name the port really used. Raises AuthError (one line) when the
    client secrets are missing or wrong, the user denies access or grants less
    than the source needs, no redirect arrives within ``timeout`` seconds, or
    Google refuses the code.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error
    from requests import RequestException

    from providers.google import scopes
    from providers.google.credentials import write_private

    settings: GoogleSettings = source.settings
    if open_browser and not _has_browser():
        echo("No web browser found here: open the link below on a machine that has one.")
        open_browser = False

    class AnnouncingFlow(InstalledAppFlow):
        """Tells the user where to go once the loopback port (and so the URL) is known."""

        def authorization_url(self, **kwargs: Any) -> tuple[str, str]:
            url, state = super().authorization_url(**kwargs)
            echo(_instructions(url, _port_of(self.redirect_uri), open_browser))
            return url, state

        def fetch_token(self, **kwargs: Any) -> Any:
            # oauthlib raises a Warning when Google grants fewer scopes than asked
            # (granular consent); the grant is still good: keep it, check it below.
            try:
                return super().fetch_token(**kwargs)
            except Warning as changed:
                token = getattr(changed, "token", None)
                if not isinstance(token, dict) or "access_token" not in token:
                    raise
                self.oauth2session.token = token
                return token

    asked = scopes.scopes_for(source)
    try:
        flow = AnnouncingFlow.from_client_secrets_file(str(settings.client_secrets), scopes=asked)
    except FileNotFoundError:
        raise AuthError(
            f"client_secrets file {settings.client_secrets} does not exist;"
            " download it from the Google Cloud console (OAuth client ID, Desktop app)"
        ) from None
    except (OSError, ValueError) as error:
        raise AuthError(
            f"client_secrets file {settings.client_secrets} is not"
            f" an OAuth client file for an installed app ({_describe(error)})"
        ) from None
    try:
        credentials = flow.run_local_server(
            host="localhost",
            port=port,
            open_browser=open_browser,
            authorization_prompt_message="",  # announced by AnnouncingFlow instead
            success_message=_SUCCESS,
            timeout_seconds=timeout,
            prompt="consent",  # Google then always hands out a refresh token
        )
    except OAuth2Error as error:
        reason = error.description or error.error
        raise AuthError(f"authorization failed: {reason}") from None
    except WSGITimeoutError:
        raise AuthError(f"no answer from the browser within {timeout:.0f}s; try again") from None
    except (OSError, RequestException) as error:
        raise AuthError(f"authorization failed: {_describe(error)}") from None
    if not credentials.refresh_token:
        raise AuthError(
            "Google returned no refresh token; remove syncd's access at"
            " https://myaccount.google.com/permissions and run the command again"
        )
    granted = list(credentials.granted_scopes or asked)
    lacking = scopes.missing(granted, source)
    if lacking:
        raise AuthError(
            f"Google granted less than syncd needs (missing: {', '.join(lacking)});"
            " run the command again and allow every permission asked"
        )
    token = {"type": "authorized_user", **json.loads(credentials.to_json()), "scopes": granted}
    write_private(settings.token_file, json.dumps(token, indent=2) + "\n")
    return settings.token_file


def _instructions(url: str, port: int, open_browser: bool) -> str:
    if open_browser:
        return f"Opening your browser to authorize syncd. If it does not open, visit:\n\n  {url}\n"
    return (
        f"Open this link in a browser and allow access:\n\n  {url}\n\n"
        f"The browser is sent back to http://localhost:{port}/ on this machine. If the\n"
        f"browser runs on another machine, first forward that port from there:\n\n"
        f"  ssh -L {port}:localhost:{port} <this host>\n"
    )


def _port_of(redirect_uri: str) -> int:
    return urllib.parse.urlsplit(redirect_uri).port or 80


def _has_browser() -> bool:
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
