"""``syncd auth outlook SOURCE [--device-code] [--port N]``: the command; the flows are in
``auth``."""

from __future__ import annotations

import click

from providers import SourceFinder
from syncd.errors import AuthError


def auth_outlook(find_source: SourceFinder) -> click.Command:
    """The ``outlook`` subcommand of ``syncd auth``; ``find_source`` resolves SOURCE."""

    @click.command("outlook")
    @click.argument("source_name", metavar="SOURCE")
    @click.option(
        "--device-code",
        is_flag=True,
        help="Print a code to enter at Microsoft's page on any other device (no browser here).",
    )
    @click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        help="Loopback port Microsoft redirects to (0: any free one).",
    )
    @click.pass_context
    def auth_outlook_command(
        ctx: click.Context, source_name: str, device_code: bool, port: int
    ) -> None:
        """Authorize an Outlook source; its token file is written (0600)."""
        from providers.outlook.auth import authorize_outlook

        source = find_source(ctx, source_name)
        try:
            path = authorize_outlook(source, device_code=device_code, port=port, echo=click.echo)
        except AuthError as error:  # one line, naming the source as every error line does
            raise AuthError(f"{source.name}: {error}") from None
        click.echo(f"{source.name}: authorized; the token is saved in {path}")

    return auth_outlook_command
