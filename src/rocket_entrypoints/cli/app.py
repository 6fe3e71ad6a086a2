"""`rocket`: the command line for staff and batch jobs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

import rocket_core
from rocket_entrypoints.cli.billing import billing_app
from rocket_entrypoints.cli.db import db_app
from rocket_entrypoints.cli.demo import demo
from rocket_entrypoints.cli.doctor import doctor
from rocket_entrypoints.cli.errors import EXIT_CODES, one_line, reported_errors
from rocket_entrypoints.cli.export import export_app
from rocket_entrypoints.cli.jobs import jobs_app
from rocket_entrypoints.cli.notifications import notifications_app
from rocket_entrypoints.cli.output import CliState, set_state
from rocket_entrypoints.cli.serve import serve
from rocket_entrypoints.cli.staff import staff_app

EPILOG = "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())


class RocketGroup(TyperGroup):
    """The root command: a wrong option, and whatever a command lets escape, becomes one line
    on stderr and an exit code (never a traceback, unless --debug asks for it)."""

    def invoke(self, ctx: Any) -> Any:
        with reported_errors(unexpected=True):
            return super().invoke(ctx)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.Abort:
            typer.echo("rocket: aborted", err=True)
            sys.exit(1)
        except typer.TyperException as error:  # a usage error: a wrong option or argument
            if type(error).__name__ == "NoArgsIsHelpError":  # the help is printed already
                sys.exit(getattr(error, "exit_code", 2))
            format_message = getattr(error, "format_message", None)
            message = format_message() if callable(format_message) else str(error)
            context = getattr(error, "ctx", None)
            where = f" (see {context.command_path} --help)" if context is not None else ""
            typer.echo(f"rocket: {one_line(message)}{where}", err=True)
            sys.exit(getattr(error, "exit_code", 2))
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="rocket",
    cls=RocketGroup,
    help=(
        "Rocket: classroom management for children's coding schools.\n\n"
        "The database is ROCKET_DATABASE_URL (default sqlite:///rocket.db); every setting is "
        "a ROCKET_* variable (docs/operations.md). Failures are one line on stderr.\n\n"
        "Example: rocket --json jobs nightly"
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rocket {rocket_core.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    json: bool = typer.Option(
        False,
        "--json",
        help="Machine-readable output on stdout: JSON documents, or for long jobs one JSON "
        "object per line as they go.",
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show the traceback of an error before its one-line message."
    ),
) -> None:
    """Rocket: classroom management for children's coding schools."""
    ctx.obj = CliState(json=json, debug=debug)
    set_state(ctx.obj)


app.command()(demo)
app.command()(serve)
app.command()(doctor)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(jobs_app, name="jobs")
app.add_typer(billing_app, name="billing")
app.add_typer(notifications_app, name="notifications")
app.add_typer(export_app, name="export")


def main() -> None:
    """Console-script entry point."""
    app()
