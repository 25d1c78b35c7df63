"""The command line: parses arguments, calls the rest, turns errors into exit codes.

Exit codes: 0 success, 1 failure at run time, 2 usage or config error. Errors
become one line on stderr in one place, ``SyncdGroup.invoke`` (syncd.cli_context,
with ``--config`` and the config's loading); a command simply raises
``syncd.errors`` types.

Adding a command: a function decorated with ``@main.command()`` (or a group's),
taking ``click.Context`` with ``@click.pass_context`` and calling
``load_from_context(ctx)`` for the config; add ``@config_option`` so that
``syncd CMD --config PATH`` works as well as ``syncd --config PATH CMD``. Import
what a command needs inside the function, never at module level: ``syncd --help``
loads click and this module alone (within 0.1 s of a bare Python start:
bench/RESULTS.md), not the config's schema, the provider registry, the Google
client, caldav or icalendar. Kinds of source come from the provider registry
(``providers``), whose packages are light until a source is opened; ``syncd auth
KIND`` lists the kinds that have an auth step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from syncd import __version__, limits
from syncd.cli_context import CliState, SyncdGroup, config_option, load_from_context
from syncd.errors import ConfigError, SourcesFailed

if TYPE_CHECKING:
    from providers import ProviderKind, SourceFinder
    from syncd.config import Config, SourceConfig
    from syncd.runner import SourceOutcome


@click.group(cls=SyncdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@config_option
@click.option("-v", "--verbose", count=True, help="More log detail (-vv: libraries too).")
@click.version_option(__version__, prog_name="syncd", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Write interview follow-ups (thank-you letter, decision-day calls) into your calendars."""
    from syncd.logs import setup_logging

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
    from providers import config_sections
    from syncd.config import describe

    config = load_from_context(ctx)
    click.echo(describe(config, config_sections()), nl=False)
    for note in config_notes(config):
        click.echo(f"note: {note}", err=True)


def config_notes(config: Config) -> list[str]:
    """What is valid but will not work yet on this machine (files, variables)."""
    from providers import get_kind
    from syncd.config import QUOTA_INTERVAL

    notes = []
    if not config.sources:
        notes.append("no [[sources]]: syncd has nothing to watch")
    if config.interval < QUOTA_INTERVAL:
        notes.append("interval: under 30s spends API quota")
    for number, source in enumerate(config.sources, 1):
        kind = get_kind(source.kind)
        found = [*kind.notes(source), *kind.config_notes(source, config)]
        notes += [f"[sources.{number}] {note}" for note in found]
    return notes


@main.command("run")
@click.option("--once", is_flag=True, help="One pass over every source, then exit.")
@click.option("--dry-run", is_flag=True, help="Read and plan, but write nothing.")
@config_option
@click.pass_context
def run_command(ctx: click.Context, once: bool, dry_run: bool) -> None:
    """Keep the follow-ups in your calendars up to date (the daemon)."""
    from syncd.state_files import prepare_state_dir

    config = load_from_context(ctx)
    prepare_state_dir(config.state_dir)  # refused before the lock file is made in it
    if not once:
        from syncd.daemon import run_daemon
        from syncd.machine import resolve_config_path

        # The daemon keeps the path, so that SIGHUP can reload the config from it.
        path = resolve_config_path(ctx.ensure_object(CliState).config_option)
        ctx.exit(run_daemon(path, config, dry_run=dry_run))
    from syncd.lock import acquire
    from syncd.runner import sweep
    from syncd.state import StateStore

    # One writer per state dir: a pass while the daemon runs would race its writes.
    lock = None if dry_run else acquire(config.state_dir)
    store = StateStore(config.state_dir)
    try:
        outcomes = sweep(config, store, dry_run=dry_run)
    finally:
        store.close()
        if lock is not None:
            lock.release()
    for outcome in outcomes:
        if outcome.report is not None:
            done = outcome.report.actions if dry_run else outcome.report.applied
            counts = {
                op: sum(1 for a in done if a.op == op) for op in ("create", "update", "delete")
            }
            verb = "would" if dry_run else "did"
            click.echo(
                f"{outcome.source}: {verb} create {counts['create']}, update {counts['update']},"
                f" delete {counts['delete']}"
            )
    _raise_failures(outcomes)


@main.command("plan")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
@click.pass_context
def plan_command(ctx: click.Context, as_json: bool) -> None:
    """Show what a pass would create, update and delete, writing nothing."""
    import json

    from syncd.runner import sweep
    from syncd.state import StateStore

    config = load_from_context(ctx)
    store = StateStore(config.state_dir)
    try:
        outcomes = sweep(config, store, dry_run=True)
    finally:
        store.close()
    rows = []
    for outcome in outcomes:
        for action in outcome.report.actions if outcome.report else []:
            followup = action.followup
            rows.append(
                {
                    "source": outcome.source,
                    "op": str(action.op),
                    "id": action.followup_id,
                    "kind": str(followup.kind) if followup else "",
                    "title": followup.title if followup else "",
                    "start": followup.start.astimezone(config.timezone).isoformat()
                    if followup
                    else "",
                    "calendar": action.target,
                    "reason": action.reason,
                }
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows and all(o.ok for o in outcomes):
        click.echo("nothing to do")
    for row in rows if not as_json else []:
        title = limits.shown(row["title"] or row["id"], limits.LISTED_CHARS)
        reason = limits.shown(row["reason"], limits.LOGGED_CHARS)
        click.echo(f"{row['op']:<7} {row['start'][:16]:<16}  {title}  ({reason})")
    _raise_failures(outcomes)


def _raise_failures(outcomes: list[SourceOutcome]) -> None:
    """SourcesFailed (exit 1) with one line per source whose pass failed, and per
    calendar that failed or vanished in a pass, if any did."""
    failed = [line for o in outcomes for line in o.lines]
    if failed:
        raise SourcesFailed(failed)


@main.command("demo")
@click.option("--keep", is_flag=True, help="Leave the server running (until Ctrl-C) to look.")
@click.option("--timezone", "zone_name", metavar="ZONE", help="Zone of the demo [default: system].")
def demo_command(keep: bool, zone_name: str | None) -> None:
    """Start an embedded CalDAV server, add sample interviews, run one pass, show the follow-ups."""
    from zoneinfo import ZoneInfo

    from syncd.demo import run_demo
    from syncd.machine import system_zone_name

    run_demo(keep=keep, zone=ZoneInfo(zone_name or system_zone_name()))


class KindCommands(SyncdGroup):
    """``syncd auth``: one subcommand per kind of source that has an auth step (the registry's)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from providers import kinds

        return [name for name, kind in kinds().items() if kind.auth is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from providers import kinds

        kind = kinds().get(cmd_name)
        if kind is None or kind.auth is None:
            return None
        return config_option(kind.auth(_finder(kind)))


def _finder(kind: ProviderKind) -> SourceFinder:
    """How a kind's command finds the source named on the command line (a usage error if none)."""

    def find(ctx: click.Context, name: str) -> SourceConfig:
        config = load_from_context(ctx)
        of_kind = [s for s in config.sources if s.kind == kind.name]
        found = next((s for s in of_kind if s.name.casefold() == name.casefold()), None)
        if found is None:
            names = ", ".join(s.name for s in of_kind) or "none"
            raise click.UsageError(
                f"no {kind.title} source named {name!r} in {config.path}"
                f" ({kind.title} sources: {names})"
            )
        return found

    return find


@main.group("auth", cls=KindCommands)
def auth_group() -> None:
    """Give syncd access to an account."""


@main.command("status")
@config_option
@click.pass_context
def status_command(ctx: click.Context) -> None:
    """Sources (last sync, errors, paused) and the follow-ups coming up."""
    import datetime as dt

    from syncd.state import StateStore
    from syncd.status import describe_status

    config = load_from_context(ctx)
    store = StateStore(config.state_dir)
    try:
        click.echo(describe_status(config, store, dt.datetime.now(dt.UTC)))
    finally:
        store.close()


@main.group("state")
def state_group() -> None:
    """The state syncd keeps between passes."""


@state_group.command("reset")
@config_option
@click.pass_context
def state_reset_command(ctx: click.Context) -> None:
    """Move the state file aside (a damaged one, say); the next pass starts afresh."""
    import datetime as dt

    from syncd.lock import acquire
    from syncd.state_files import DB_NAME, prepare_state_dir, reset

    config = load_from_context(ctx)
    prepare_state_dir(config.state_dir)
    lock = acquire(config.state_dir)  # not while a daemon uses it
    try:
        moved = reset(config.state_dir, dt.datetime.now())
    finally:
        lock.release()
    path = config.state_dir / DB_NAME
    if not moved:
        click.echo(f"nothing to reset: {path} does not exist")
        return
    click.echo(
        f"moved {path} aside to {moved[0]}; the next pass starts afresh and finds syncd's"
        " follow-ups again by their markers"
    )


@main.group("service")
def service_group() -> None:
    """Run syncd as a systemd user service."""


@service_group.command("install")
@click.option("--now", "start", is_flag=True, help="Also enable and start it.")
@click.option(
    "--instance",
    metavar="NAME",
    default="",
    help="Install the template unit syncd@.service and enable syncd@NAME, which reads"
    " $XDG_CONFIG_HOME/syncd/NAME.toml (one daemon per config; docs/deploy.md).",
)
@config_option
@click.pass_context
def service_install_command(ctx: click.Context, start: bool, instance: str) -> None:
    """Write the systemd user unit for this syncd, reload systemd, optionally start it."""
    from syncd.service import install, install_instance

    if instance and ctx.ensure_object(CliState).config_option is not None:
        raise ConfigError(
            "service install", "--instance", "it reads NAME.toml: give --config or --instance"
        )
    if instance:
        done = install_instance(instance, start=start)
    else:
        config = load_from_context(ctx)
        done = install(config, config.path.resolve() if config.path else None, start=start)
    for line in done:
        click.echo(line)
