"""Google Calendar sources: ``kind = "google"``, authorized once by ``syncd auth google SOURCE``.

Light on purpose: the Google API client, google-auth and httplib2 load only
when a source of this kind is opened or authorized.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers import ProviderKind
from providers.google.settings import SECTION, notes, writable
from syncd.errors import ProviderError

if TYPE_CHECKING:
    import click

    from providers import Provider, SourceFinder
    from syncd.config import Config, SourceConfig


def _open(source: SourceConfig, config: Config) -> Provider:
    try:
        from providers.google.provider import open_source
    except RuntimeError as error:  # httplib2 reads $HTTPLIB2_CA_CERTS as it loads
        raise ProviderError(
            f"cannot load the Google client ({error}); set HTTPLIB2_CA_CERTS to a file of CA"
            " certificates (PEM), or unset it"
        ) from None
    return open_source(source, config)


def _auth(find_source: SourceFinder) -> click.Command:
    from providers.google.command import auth_google

    return auth_google(find_source)


KIND = ProviderKind(
    name="google",
    title="Google",
    config=SECTION,
    open=_open,
    notes=notes,
    writable=writable,
    auth=_auth,
)
