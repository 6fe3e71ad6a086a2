"""Serving the app with uvicorn (``rocket serve``; the HTTP benchmark starts it the same way).

One thing is set here that uvicorn leaves out: ``TCP_NODELAY`` on every accepted connection.
With ``--workers`` above one, uvicorn binds the listening socket itself without naming the
protocol (``socket.socket(family)``: proto 0), and asyncio then skips ``TCP_NODELAY`` on the
connections it accepts (it sets it only when ``proto == IPPROTO_TCP``). A response written in
two parts (headers, then body) then waits for the client's delayed ACK: about 40 ms added to
every request (measured: a roll answered in 52 ms with two workers, 9 ms with one).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

APP = "rocket_entrypoints.http.asgi:app"
#: How long an idle keep-alive connection stays open (uvicorn's default is 5 seconds, shorter
#: than a reverse proxy's or a script's pause: a request sent as the server closes the
#: connection fails with "server disconnected").
KEEP_ALIVE_SECONDS = 75

try:  # uvicorn's faster parser when installed (it is a dependency of Rocket)
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - httptools missing
    _Base = H11Protocol  # type: ignore[assignment, misc]


class NoDelayProtocol(_Base):
    """uvicorn's HTTP protocol with ``TCP_NODELAY`` set on the connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once on a TCP connection (no Nagle delay)."""
    sock: Any = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def run(
    host: str,
    port: int,
    *,
    workers: int,
    access_log: bool = True,
    forwarded_allow_ips: str | None = None,
) -> None:
    """Serve the API on ``host:port`` with ``workers`` processes until stopped; with
    ``forwarded_allow_ips`` (a reverse proxy's addresses) the client address comes from the
    proxy's ``X-Forwarded-For``."""
    uvicorn.run(
        APP,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayProtocol,
        log_level="info",
        access_log=access_log,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
