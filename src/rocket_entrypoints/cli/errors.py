"""How the command line reports what went wrong: one line on stderr and exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError

from rocket_core.errors import RocketError
from rocket_entrypoints.settings import SettingsError

#: Exit code for bad configuration, an unreachable database or a refused command.
EXIT_ERROR = 2


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``rocket: <message>`` on stderr, on one line, and exit with ``code``."""
    typer.echo(f"rocket: {one_line(message)}", err=True)
    raise typer.Exit(code)


def one_line(text: object) -> str:
    """The text with its line breaks and runs of spaces folded into single spaces."""
    return " ".join(str(text).split())


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn configuration, database and domain errors into a one-line message and exit
    code 2."""
    try:
        yield
    except SettingsError as error:
        fail(str(error))
    except DBAPIError as error:
        # the driver's own message, without SQLAlchemy's statement and background link
        fail(f"database error: {error.orig if error.orig is not None else error}")
    except CommandError as error:
        fail(f"migration refused: {error}")
    except RocketError as error:  # bad input, not found, not allowed, a conflict
        fail(str(error))
