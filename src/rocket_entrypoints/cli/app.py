"""`rocket`: the command line for staff and batch jobs."""

from __future__ import annotations

import typer

import rocket_core
from rocket_entrypoints.cli.db import db_app
from rocket_entrypoints.cli.demo import demo
from rocket_entrypoints.cli.serve import serve
from rocket_entrypoints.cli.staff import staff_app

app = typer.Typer(
    name="rocket",
    help="Rocket: classroom management for children's coding schools.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rocket {rocket_core.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Rocket: classroom management for children's coding schools."""


app.command()(demo)
app.command()(serve)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")


def main() -> None:
    """Console-script entry point."""
    app()
