"""`rocket serve`: the staff HTTP API under uvicorn."""

from __future__ import annotations

import typer

from rocket_adapters.sql import migrate
from rocket_entrypoints.cli.errors import fail, reported_errors
from rocket_entrypoints.settings import Settings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (one per core)."),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="Log a line per request."
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="Trust X-Forwarded-For from these proxy addresses (comma-separated), so that"
        " the login throttle counts per client rather than per proxy.",
    ),
) -> None:
    """Serve the staff API (JSON under /api/v1, OpenAPI at /schema) with uvicorn.

    The database (ROCKET_DATABASE_URL) must be migrated to the latest revision first
    (`rocket db upgrade`); an in-memory store (memory://) is served by one worker only.

    Example: rocket serve --port 8080 --workers 2
    """
    from rocket_entrypoints.http import server

    with reported_errors():
        settings = Settings.from_env()
        if settings.in_memory and workers > 1:
            fail("an in-memory store lives in one process: use --workers 1 with memory://")
        if not settings.in_memory:
            current, head = migrate.current(settings.database_url), migrate.head()
            if current != head:
                fail(
                    f"the database is at revision {current or 'none'}, not {head}:"
                    " run `rocket db upgrade` first"
                )
    typer.echo(f"serving the staff API on http://{host}:{port} (OpenAPI at /schema)")
    server.run(
        host,
        port,
        workers=workers,
        access_log=access_log,
        forwarded_allow_ips=forwarded_allow_ips,
    )
