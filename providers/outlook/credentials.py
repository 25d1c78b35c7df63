"""The token file: MSAL's token cache, read, refreshed and written back safely.

The file is MSAL's own serialised cache (``SerializableTokenCache``): the
account, its refresh token and the current access token. ``Tokens`` hands out
an access token for Graph (MSAL refreshes it at the source's authority when it
is near expiry, or when Graph refused it: ``access_token(refresh=True)``) and
writes the cache back whenever MSAL changed it: atomically, mode 0600. No token
ever appears in a log line or an exception's text.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from providers.outlook.settings import OutlookSettings, auth_command
from syncd import limits
from syncd.errors import AuthError, TransientError, network_reason, one_line

log = logging.getLogger(__name__)

# What syncd asks for: read the user's calendars and write follow-ups, nothing more.
# MSAL adds offline_access (the refresh token), openid and profile (the account) itself.
SCOPES = ("Calendars.ReadWrite",)
# The token endpoint's answers that mean the grant itself is refused: authorize again.
GRANT_REFUSED = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "interaction_required"}
)


def public_app(settings: OutlookSettings, cache: Any) -> Any:
    """MSAL's public client for ``settings``, holding ``cache``.

    MSAL reads the authority's OpenID configuration here (one request). No
    instance discovery: a known Microsoft host needs none, and another one (a
    national cloud, a test) is the user's own choice. Raises AuthError for an
    authority that is not one, TransientError when it cannot be reached.
    """
    import msal
    import requests

    try:
        return msal.PublicClientApplication(
            settings.client_id,
            authority=settings.authority_url,
            token_cache=cache,
            instance_discovery=False,
            timeout=settings.timeout.total_seconds(),
        )
    except requests.RequestException as error:
        raise TransientError(
            f"cannot reach Microsoft's sign-in at {settings.authority_url}"
            f" ({network_reason(error)})"
        ) from None
    except ValueError as error:
        raise AuthError(
            f"{settings.authority_url} is not a sign-in Microsoft answers for"
            f" ({one_line(str(error))[:200]}); check tenant and authority"
        ) from None


class Tokens:
    """Access tokens for one source, from its token file; the file kept up to date."""

    def __init__(self, settings: OutlookSettings, source: str) -> None:
        import msal

        self.settings, self.source = settings, source
        self.command = auth_command(source)
        self.cache = msal.SerializableTokenCache()
        self.cache.deserialize(read_cache(settings.token_file, self.command))
        self._app: Any = None

    def access_token(self, *, refresh: bool = False) -> str:
        """A current access token for Graph; ``refresh``: a new one, whatever MSAL holds.

        Raises AuthError naming ``syncd auth outlook SOURCE`` when the grant is
        missing, revoked or expired, TransientError when Microsoft cannot be
        reached or answers with no token.
        """
        import requests

        try:
            if self._app is None:
                self._app = public_app(self.settings, self.cache)
            accounts = self._app.get_accounts()
            if not accounts:
                raise AuthError(f"no account in the token file; run: {self.command}")
            result = self._app.acquire_token_silent(
                list(SCOPES), account=accounts[0], force_refresh=refresh
            )
        except requests.RequestException as error:
            raise TransientError(
                f"token refresh: network error ({network_reason(error)})"
            ) from None
        except ValueError:  # MSAL read an answer that is no JSON (a proxy's page)
            raise TransientError(
                "token refresh: Microsoft answered with no token; if it lasts, something"
                " between syncd and Microsoft answers in its place"
            ) from None
        finally:
            self.save_if_changed()
        if not result:
            raise AuthError(f"access was revoked or has expired; run: {self.command}")
        if "access_token" in result:
            return str(result["access_token"])
        refused = str(result.get("error", ""))
        if refused in GRANT_REFUSED:
            raise AuthError(f"access was revoked or has expired; run: {self.command}")
        shown = limits.shown(refused, 60) or "no token"
        raise TransientError(f"token refresh: Microsoft refused for now ({shown})")

    def save_if_changed(self) -> None:
        """Write the cache back when MSAL changed it. A failure is one warning: the grant
        still works, and the next run refreshes again."""
        if not self.cache.has_state_changed:
            return
        path = self.settings.token_file
        try:
            write_private(path, self.cache.serialize())
        except OSError as error:
            log.warning(
                "%s: could not save the refreshed token to %s: %s",
                self.source,
                path,
                error.strerror,
            )
            return
        self.cache.has_state_changed = False
        log.debug("%s: saved the refreshed token to %s", self.source, path)


def read_cache(path: Path, command: str) -> str:
    """The serialised cache in ``path``; AuthError naming ``command`` when it is missing,
    unreadable or not MSAL's cache."""
    try:
        data = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(f"not authorized yet; run: {command}") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not text"
        raise AuthError(f"cannot read token file {path} ({reason}); run: {command}") from None
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("RefreshToken", {}), dict):
        raise AuthError(f"token file {path} is not a token cache of syncd's; run: {command}")
    return data


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600; a new folder is made 0700.

    Raises OSError; on failure the old file is left as it was.
    """
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    with contextlib.suppress(OSError):  # the rename itself must reach the disk too
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
