"""Hot statements run on the driver's cursor: compiled by SQLAlchemy once, executed without
its per-execution machinery.

The roll, its marking and authentication (every request) send a handful of small statements
that are built once, with bind parameters (``rolls.py``, ``repositories._signed_in``). For
those, SQLAlchemy's work at each execution (the compiled-cache lookup, the execution
context, parameter and result set-up, the ``Result``) cost about as much Python time as the
driver's own, on a path where the database answers in a fraction of a millisecond
(docs/architecture.md, "Hot statements on the driver"). A ``Direct`` keeps what SQLAlchemy
compiled for a statement and its dialect (the SQL in the driver's parameter style, the
types' bind and result processors) and runs it on the cursor of the unit of work's own
connection, inside its transaction. The processors are SQLAlchemy's: rows come back as
they would through ``Connection.execute`` (UUIDs, enums, aware datetimes, JSON values).

What it does not do, by design: statements with expanding parameters (``IN`` a list bound at
execution) or Python-side column defaults (an INSERT names every column it writes), and
``before_cursor_execute`` events (these statements are not seen by listeners). Driver
errors are raised as SQLAlchemy's ``DBAPIError`` family, so ``errors.domain_errors`` says
them in the domain's words as for any other statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler


class Direct:
    """One statement compiled for one dialect, run on a DBAPI connection."""

    def __init__(self, statement: sa.ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("a direct statement cannot expand parameters at execution")
        if compiled.escaped_bind_names:
            raise ValueError("a direct statement's parameter names must need no escaping")
        # Nothing here refers to the statement (Statements forgets it with its statement).
        self.sql: str = compiled.string
        self._dialect = dialect
        #: Values bound in the statement itself (``literal``); the names a caller must give.
        self._fixed: dict[str, Any] = {}
        self._required: set[str] = set()
        processors = {}  # one per name (a name can be bound at several places)
        for bind, name in compiled.bind_names.items():
            if bind.required:
                self._required.add(name)
            else:
                self._fixed[name] = bind.effective_value
            processors[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
        self._binds = tuple((name, p) for name, p in processors.items() if p is not None)
        self._order: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if dialect.positional else None
        )
        self._types = [column.type for column in getattr(statement, "selected_columns", ())]
        self._results: list[tuple[int, Callable[[Any], Any]]] | None = None

    def _parameters(self, given: dict[str, Any]) -> Any:
        missing = self._required.difference(given)
        if missing:
            raise sa.exc.ArgumentError(f"no value for the parameters {sorted(missing)}")
        values = {**self._fixed, **given}
        for name, processor in self._binds:
            values[name] = processor(values[name])
        if self._order is None:
            return values
        return tuple(values[name] for name in self._order)

    def _processors(self, description: Sequence[Any]) -> list[tuple[int, Callable[[Any], Any]]]:
        """The columns' result processors, made at the first result (as SQLAlchemy does,
        from the types the driver reports) and kept."""
        found = []
        for index, (type_, column) in enumerate(zip(self._types, description, strict=True)):
            impl = type_.dialect_impl(self._dialect)
            processor = impl.result_processor(self._dialect, column[1])
            if processor is not None:
                found.append((index, processor))
        self._results = found
        return found

    def rows(self, connection: sa.Connection, parameters: dict[str, Any]) -> list[Sequence[Any]]:
        """The rows of the statement (a SELECT), processed as SQLAlchemy would."""
        cursor = self._cursor(connection)
        try:
            self._run(cursor.execute, self._parameters(parameters))
            rows: list[Any] = cursor.fetchall()
            processors = self._results
            if processors is None:
                processors = self._processors(cursor.description)
        finally:
            cursor.close()
        if not processors or not rows:
            return rows
        processed: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for index, processor in processors:
                values[index] = processor(values[index])
            processed.append(values)
        return processed

    def run_many(self, connection: sa.Connection, rows: list[dict[str, Any]]) -> int:
        """Execute the statement (an INSERT or UPDATE) for each of ``rows``; the number of
        rows it changed in all."""
        cursor = self._cursor(connection)
        try:
            self._run(cursor.executemany, [self._parameters(row) for row in rows])
            changed: int = cursor.rowcount
        finally:
            cursor.close()
        return changed

    @staticmethod
    def _cursor(connection: sa.Connection) -> Any:
        return connection.connection.cursor()

    def _run(self, execute: Callable[[str, Any], Any], parameters: Any) -> None:
        error_class = self._dialect.loaded_dbapi.Error
        try:
            execute(self.sql, parameters)
        except error_class as error:
            raise sa.exc.DBAPIError.instance(
                self.sql, parameters, error, error_class, dialect=self._dialect
            ) from error


class Statements:
    """The ``Direct`` form of each statement for a dialect, made on its first use and kept
    as long as the statement is (hot statements are built once and kept for good)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._made: WeakKeyDictionary[sa.ClauseElement, Direct] = WeakKeyDictionary()

    def __getitem__(self, statement: sa.ClauseElement) -> Direct:
        found = self._made.get(statement)
        if found is None:
            found = self._made[statement] = Direct(statement, self._dialect)
        return found
