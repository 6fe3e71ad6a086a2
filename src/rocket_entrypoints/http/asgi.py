"""The ASGI application for servers (``uvicorn rocket_entrypoints.http.asgi:app``): the API
over a container built from the environment (ROCKET_*), one per worker process."""

from __future__ import annotations

from rocket_entrypoints.http.app import create_app

app = create_app()
