"""The Google token file: google-auth's authorized-user JSON, read and written safely.

google-auth's ``Credentials.from_authorized_user_file`` ignores the file's
``token_uri`` (it always uses Google's); syncd honours it (docs/providers.md), so
the file is read here and the credentials are pointed at its ``token_uri``.
Writes are atomic (temp file in the same folder, fsync, rename) with mode 0600.
No token ever appears in a log line or an exception's text.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials

from providers.google.settings import auth_command
from syncd.errors import AuthError

__all__ = ["auth_command", "load_credentials", "save_credentials", "write_private"]


def load_credentials(path: Path, source: str) -> tuple[Credentials, dict[str, Any]]:
    """Credentials from the token file, and the file's JSON (to keep its other keys).

    Raises AuthError naming ``syncd auth google SOURCE`` when the file is
    missing, unreadable or not an authorized-user file.
    """
    command = auth_command(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(f"not authorized yet; run: {command}") from None
    except OSError as error:
        raise AuthError(
            f"cannot read token file {path} ({error.strerror}); run: {command}"
        ) from None
    try:
        info = json.loads(text)
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        credentials = Credentials.from_authorized_user_info(info)
    except ValueError:
        raise AuthError(
            f"token file {path} is not an authorized-user file; run: {command}"
        ) from None
    token_uri = info.get("token_uri")
    if isinstance(token_uri, str) and token_uri:
        credentials = credentials.with_token_uri(token_uri)
    return credentials, info


def save_credentials(path: Path, credentials: Credentials, info: dict[str, Any]) -> None:
    """Write the credentials back over ``path`` (0600, atomically), keeping unknown keys.

    Raises OSError when the file cannot be written.
    """
    merged = {**info, **json.loads(credentials.to_json())}
    merged.setdefault("type", "authorized_user")
    write_private(path, json.dumps(merged, indent=2) + "\n")


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600; new folders are made 0700
    (the one above it too: ``mkdir(parents=True)`` makes those as the umask says).

    Raises OSError; on failure the old file is left as it was.
    """
    folder = path.parent
    for missing in reversed([p for p in (folder, *folder.parents) if not p.exists()]):
        missing.mkdir(mode=0o700, exist_ok=True)
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
    # The rename itself must reach the disk too.
    with contextlib.suppress(OSError):
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
