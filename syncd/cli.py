"""The command line: parses arguments, calls the rest, turns errors into exit codes.

Exit codes: 0 success, 1 failure at run time, 2 usage or config error. Errors
become one line on stderr in one place, ``SyncdGroup.invoke``; a command simply
raises ``syncd.errors`` types.

Adding a command: a function decorated with ``@main.command()`` (or a group's),
taking ``click.Context`` with ``@click.pass_context`` and calling
``load_from_context(ctx)`` for the config; add ``@config_option`` so that
``syncd CMD --config PATH`` works as well as ``syncd --config PATH CMD``. Import
providers, the engine or the daemon inside the function, never at module level:
``syncd --help`` must not load the Google client, caldav or icalendar.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from syncd import __version__
from syncd.config import Config, describe, load_config, resolve_config_path
from syncd.errors import ConfigError, SyncdError
from syncd.logs import setup_logging

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
QUOTA_WARNING_INTERVAL = 30  # seconds; SPEC section 8

F = TypeVar("F", bound=Callable[..., Any])


def _fail(error: SyncdError, code: int) -> NoReturn:
    # One line whatever the message holds: a log scraper or a user reads one line.
    click.echo(" ".join(str(error).split("\n")), err=True)
    raise click.exceptions.Exit(code)


class SyncdGroup(click.Group):
    """A click group that reports syncd's errors as one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            _fail(error, EXIT_USAGE)
        except SyncdError as error:
            _fail(error, EXIT_FAILURE)


SyncdGroup.group_class = type  # subgroups are SyncdGroups too


@dataclasses.dataclass
class CliState:
    """What the group options decided, shared by every command of one invocation."""

    config_option: str | None = None
    verbose: int = 0
    config: Config | None = None


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        state = ctx.ensure_object(CliState)
        state.config_option, state.config = value, None


def config_option(function: F) -> F:
    """``--config PATH``, on the group and on any command that wants it too."""
    option = click.option(
        "--config",
        metavar="PATH",
        expose_value=False,
        callback=_remember_config,
        help="Config file [default: $SYNCD_CONFIG, else $XDG_CONFIG_HOME/syncd/config.toml].",
    )
    return option(function)


def load_from_context(ctx: click.Context) -> Config:
    """The config this invocation names, loaded once; ConfigError when it is wrong."""
    state = ctx.ensure_object(CliState)
    if state.config is None:
        state.config = load_config(resolve_config_path(state.config_option))
    return state.config


@click.group(cls=SyncdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@config_option
@click.option("-v", "--verbose", count=True, help="More log detail (-vv: libraries too).")
@click.version_option(__version__, prog_name="syncd", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Write interview follow-ups (thank-you letter, decision-day calls) into your calendars."""
    ctx.ensure_object(CliState).verbose = verbose
    setup_logging(verbose)


@main.group("config")
def config_group() -> None:
    """Inspect the config file."""


@config_group.command("check")
@config_option
@click.pass_context
def config_check(ctx: click.Context) -> None:
    """Validate the config and print the resolved values (exit 2 when it is wrong)."""
    config = load_from_context(ctx)
    click.echo(describe(config), nl=False)
    for note in config_notes(config):
        click.echo(f"note: {note}", err=True)


def config_notes(config: Config) -> list[str]:
    """What is valid but will not work yet on this machine (files, variables)."""
    notes = []
    if not config.sources:
        notes.append("no [[sources]]: syncd has nothing to watch")
    if config.interval.total_seconds() < QUOTA_WARNING_INTERVAL:
        notes.append("interval: under 30s spends API quota")
    for number, source in enumerate(config.sources, 1):
        where = f"[sources.{number}]"
        if source.password_env and source.password_env not in os.environ:
            notes.append(f"{where} password_env: {source.password_env} is not set here")
        if source.client_secrets and not source.client_secrets.exists():
            notes.append(f"{where} client_secrets: {source.client_secrets} does not exist yet")
        if source.token_file and not source.token_file.exists():
            command = f"syncd auth google {shlex.quote(source.name)}"
            notes.append(f"{where} token_file: not authorized yet; run: {command}")
    return notes
