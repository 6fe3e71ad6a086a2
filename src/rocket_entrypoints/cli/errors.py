"""How the command line reports what went wrong: one line on stderr and an exit code that
means something (``EXIT_CODES``, shown by ``rocket --help``). With ``rocket --debug`` the
traceback is printed first."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError

from rocket_core.errors import RocketError
from rocket_entrypoints.cli.output import state
from rocket_entrypoints.settings import SettingsError

#: A check found a problem (``rocket db check``, ``rocket doctor``), or the demo school
#: could not be loaded.
EXIT_CHECK_FAILED = 1
#: Bad configuration, an unreachable database, a wrong option, or a command the rules
#: refuse (invalid input, not found, not allowed, a conflict).
EXIT_ERROR = 2
#: A job that runs in every organisation failed in some of them (each named on stderr);
#: the others were done. Running it again finishes the job.
EXIT_PARTLY_DONE = 3
#: An unexpected error (a bug): ``rocket --debug ...`` shows where.
EXIT_INTERNAL = 70
#: Interrupted (Ctrl-C): the batches committed stay; run the same command again to finish.
EXIT_INTERRUPTED = 130
#: Whoever read the output stopped reading (``rocket ... | head``): 128 + SIGPIPE, as a shell.
EXIT_BROKEN_PIPE = 141

#: What the exit codes mean, as ``rocket --help`` shows them.
EXIT_CODES = {
    0: "done",
    EXIT_CHECK_FAILED: "a check found a problem (db check, doctor) or the demo could not load",
    EXIT_ERROR: "bad option, configuration or database, or refused by the rules",
    EXIT_PARTLY_DONE: "a job failed in some organisations (named on stderr): run it again",
    EXIT_INTERNAL: "unexpected error (a bug): run with --debug for the traceback",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C): committed batches stay, run it again to finish",
    EXIT_BROKEN_PIPE: "the output's reader stopped reading (a pipe into head)",
}


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``rocket: <message>`` on stderr, on one line, and exit with ``code``."""
    typer.echo(f"rocket: {one_line(message)}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``rocket: <message>`` on stderr, on one line, and carry on."""
    typer.echo(f"rocket: {one_line(message)}", err=True)


def one_line(text: object) -> str:
    """The text with its line breaks and runs of spaces folded into single spaces."""
    return " ".join(str(text).split())


def describe(error: BaseException) -> str | None:
    """The one-line message for a configuration, database or domain error; None for any
    other (unexpected) error."""
    if isinstance(error, SettingsError):
        return str(error)
    if isinstance(error, DBAPIError):
        # the driver's own message, without SQLAlchemy's statement and background link
        return f"database error: {error.orig if error.orig is not None else error}"
    if isinstance(error, CommandError):
        return f"migration refused: {error}"
    if isinstance(error, RocketError):  # bad input, not found, not allowed, a conflict
        return str(error)
    return None


def show_traceback(error: BaseException) -> None:
    """With ``--debug``: the traceback on stderr."""
    if state().debug:
        typer.echo("".join(traceback.format_exception(error)).rstrip(), err=True)


@contextmanager
def reported_errors(*, unexpected: bool = False) -> Iterator[None]:
    """Turn configuration, database and domain errors into a one-line message and exit
    code 2; with ``unexpected``, any other error too (exit code 70) and Ctrl-C (130)."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors, exits
        raise
    except BrokenPipeError:
        if not unexpected:
            raise
        _silence_stdout()
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except KeyboardInterrupt as error:
        if not unexpected:
            raise
        show_traceback(error)
        fail("interrupted", code=EXIT_INTERRUPTED)
    except Exception as error:
        message = describe(error)
        if message is None and not unexpected:
            raise
        show_traceback(error)
        if message is None:
            fail(f"unexpected error: {type(error).__name__}: {error}", code=EXIT_INTERNAL)
        fail(message)


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null, so that flushing it at exit does not
    fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test runner's): nothing to silence
        pass


def interrupted(count: int, unit: str = "batch") -> NoReturn:
    """Ctrl-C (or SIGTERM) during a long job: say how far it got (``count`` committed
    batches, or rounds), exit 130."""
    noun = unit if count == 1 else f"{unit}es" if unit.endswith("ch") else f"{unit}s"
    fail(
        f"interrupted after {count} {noun}: run the same command again to finish",
        code=EXIT_INTERRUPTED,
    )
