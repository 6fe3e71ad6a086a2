"""What the commands print: Rich text and tables for people, or JSON for scripts (``--json``).

The root options ``--json`` and ``--debug`` are kept in a ``CliState`` that the root callback sets
for the invocation (``state()`` finds it from anywhere in a command). With ``--json`` a command
writes JSON on stdout and nothing else: the long jobs one object per line as they go (``{"event":
"batch", ...}`` after each committed batch, ``{"event": "organisation", ...}`` per organisation,
``{"event": "done", ...}`` at the end), the other commands one document. Each line is flushed at
once, so a script (or a test) reading the pipe sees a batch as soon as it is committed. Without
``--json`` results go to stdout as text and tables, progress bars to stderr. Failures are one line
on stderr either way (``errors.py``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from rocket_core.services.export import jsonable


@attrs.define
class CliState:
    """The root options of this invocation."""

    json: bool = False
    debug: bool = False


_STATE: ContextVar[CliState | None] = ContextVar("rocket_cli_state", default=None)


def set_state(cli: CliState) -> None:
    """Record the root options of this invocation (the root callback does)."""
    _STATE.set(cli)


def state() -> CliState:
    """The root options of the running command (the defaults before the root callback)."""
    return _STATE.get() or CliState()


def dumps(document: object) -> str:
    """``document`` as one line of JSON: ids, dates and money as strings."""
    return json.dumps(jsonable(document), ensure_ascii=False, separators=(",", ":"))


class Output:
    """Prints a command's results the way the root options ask."""

    def __init__(self, cli: CliState | None = None) -> None:
        self.state = cli or state()
        self.json = self.state.json
        #: Results for people (stdout) and progress (stderr); Rich works out whether each
        #: is a terminal.
        self.console = Console(highlight=False)
        self.progress_console = Console(stderr=True, highlight=False)

    def event(self, event: str, **fields: Any) -> None:
        """With ``--json``: one line ``{"event": event, ...fields}`` on stdout, flushed."""
        if self.json:
            sys.stdout.write(dumps({"event": event, **fields}) + "\n")
            sys.stdout.flush()

    def document(self, document: object) -> None:
        """With ``--json``: the whole result as one JSON document on stdout."""
        if self.json:
            sys.stdout.write(dumps(document) + "\n")
            sys.stdout.flush()

    def say(self, text: str) -> None:
        """Without ``--json``: a line of text on stdout, as it is (not wrapped)."""
        if not self.json:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Without ``--json``: a table on stdout (numbers right-aligned)."""
        if self.json:
            return
        table = Table(title=title)
        numeric = [
            bool(rows) and all(isinstance(row[i], int) for row in rows) for i in range(len(columns))
        ]
        for column, right in zip(columns, numeric, strict=True):
            table.add_column(column, justify="right" if right else "left")
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        self.console.print(table)

    def pairs(self, title: str, values: Mapping[str, object], caption: str | None = None) -> None:
        """Without ``--json``: a two-column table of names and values."""
        if self.json:
            return
        table = Table(title=title, caption=caption, show_header=False)
        table.add_column()
        table.add_column(justify="right")
        for name, value in values.items():
            table.add_row(name, str(value))
        self.console.print(table)

    @contextmanager
    def progress(self) -> Iterator[Progress | None]:
        """A Rich progress display on stderr (None with ``--json``: the lines are the
        progress)."""
        if self.json:
            yield None
            return
        with Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=self.progress_console,
            transient=False,
        ) as progress:
            yield progress
