"""How every command of the command line gets its config and reports its errors.

``SyncdGroup`` turns syncd's errors into one line on stderr and an exit code (0
success, 1 failure at run time, 2 usage or config error); ``config_option`` is
``--config PATH`` on the group and on any command; ``load_from_context`` loads
the config a command names, once. The config's schema and the provider registry
load only then: ``syncd --help`` loads neither (syncd.cli).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from syncd import limits
from syncd.errors import ConfigError, SourcesFailed, SyncdError

if TYPE_CHECKING:
    from syncd.config import Config

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


def _fail(error: SyncdError, code: int, config: str | None = None) -> NoReturn:
    # One line whatever the message holds (one per failed source): a log scraper
    # or a user reads one line. Servers' and invitations' text may be in it: no
    # control character reaches the terminal. A command it names to run next
    # carries the ``--config`` this one was given.
    from syncd.log_hygiene import redact

    lines = error.lines if isinstance(error, SourcesFailed) else [str(error)]
    for line in lines:
        if config is not None:
            line = _SUGGESTED.sub(rf"syncd --config {shlex.quote(config)} \1", line)
        click.echo(redact(limits.shown(line, limits.LOG_LINE_CHARS)), err=True)
    raise click.exceptions.Exit(code)


_SUGGESTED = re.compile(r"\bsyncd (auth |state reset\b)")


class SyncdGroup(click.Group):
    """A click group that reports syncd's errors as one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            _fail(error, EXIT_USAGE)
        except SyncdError as error:
            _fail(error, EXIT_FAILURE, ctx.ensure_object(CliState).config_option)
        except Exception as error:
            if (damaged := _state_damage(ctx, error)) is None:
                raise
            _fail(damaged, EXIT_FAILURE, ctx.ensure_object(CliState).config_option)


def _state_damage(ctx: click.Context, error: Exception) -> SyncdError | None:
    """The one line for an SQLite error on the state file met after it was opened (a
    file damaged while syncd ran); None for any other error."""
    sqlite3 = sys.modules.get("sqlite3")  # loaded only by commands that use the state
    config = ctx.ensure_object(CliState).config
    if sqlite3 is None or config is None or not isinstance(error, sqlite3.Error):
        return None
    from syncd.state_files import DB_NAME, database_error

    return database_error(config.state_dir / DB_NAME, error)


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
    from providers import config_sections
    from syncd.config import load_config
    from syncd.machine import resolve_config_path

    state = ctx.ensure_object(CliState)
    if state.config is None:
        path = resolve_config_path(state.config_option)
        state.config = load_config(path, config_sections())
    return state.config
