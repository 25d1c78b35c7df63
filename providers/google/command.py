"""``syncd auth google SOURCE [--no-browser] [--port N]``: the command; the flow is in ``auth``."""

from __future__ import annotations

import click

from providers import SourceFinder
from syncd.errors import AuthError


def auth_google(find_source: SourceFinder) -> click.Command:
    """The ``google`` subcommand of ``syncd auth``; ``find_source`` resolves SOURCE."""

    @click.command("google")
    @click.argument("source_name", metavar="SOURCE")
    @click.option(
        "--no-browser",
        is_flag=True,
        help="Print the link (and the SSH tunnel to use) instead of opening a browser.",
    )
    @click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        help="Loopback port Google redirects to (0: any free one).",
    )
    @click.pass_context
    def auth_google_command(
        ctx: click.Context, source_name: str, no_browser: bool, port: int
    ) -> None:
        """Authorize a Google source in the browser; its token file is written (0600)."""
        from providers.google.auth import authorize_google

        source = find_source(ctx, source_name)
        try:
            path = authorize_google(source, open_browser=not no_browser, port=port, echo=click.echo)
        except AuthError as error:  # one line, naming the source as every error line does
            raise AuthError(f"{source.name}: {error}") from None
        click.echo(f"{source.name}: authorized; the token is saved in {path}")

    return auth_google_command
