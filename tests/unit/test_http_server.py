"""``rocket serve``'s connections: TCP_NODELAY on TCP sockets, other sockets left alone."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from rocket_entrypoints.http.server import no_delay


class FakeTransport:
    """Just enough of an asyncio transport: the socket under ``get_extra_info("socket")``."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.asked: list[str] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        self.asked.append(name)
        return self.sock if name == "socket" else default


class SpySocket:
    """A socket whose option changes are recorded (and still made)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.set: list[tuple[int, int, int]] = []

    @property
    def family(self) -> socket.AddressFamily:
        return self.sock.family

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.set.append((level, option, value))
        self.sock.setsockopt(level, option, value)


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def _connected_pair(family: socket.AddressFamily, host: str) -> tuple[socket.socket, ...]:
    """(listener, client, accepted) on ``host``. The listener is made the way uvicorn makes
    it with several workers, without naming the protocol (proto 0)."""
    listener = socket.socket(family)
    try:
        listener.bind((host, 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname()[:2], timeout=5)
        accepted, _ = listener.accept()
    except OSError:
        listener.close()
        raise
    return listener, client, accepted


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected TCP pair on 127.0.0.1: (accepted by the server, the client's)."""
    sockets = _connected_pair(socket.AF_INET, "127.0.0.1")
    try:
        yield sockets[2], sockets[1]
    finally:
        for sock in sockets:
            sock.close()


def test_no_delay_sets_tcp_nodelay_on_an_accepted_connection(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    accepted, client = tcp_pair
    assert accepted.proto == 0  # asyncio would skip TCP_NODELAY on it
    assert _nodelay(accepted) == 0
    transport = FakeTransport(accepted)
    no_delay(transport)  # type: ignore[arg-type]
    assert _nodelay(accepted) != 0
    assert transport.asked == ["socket"]
    assert _nodelay(client) == 0  # only the connection it was given
    # The connection still carries data both ways.
    client.sendall(b"ping")
    assert accepted.recv(4) == b"ping"
    accepted.sendall(b"pong")
    assert client.recv(4) == b"pong"


def test_no_delay_sets_tcp_nodelay_over_ipv6() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this Python")
    try:
        sockets = _connected_pair(socket.AF_INET6, "::1")
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    try:
        accepted = sockets[2]
        assert _nodelay(accepted) == 0
        no_delay(FakeTransport(accepted))  # type: ignore[arg-type]
        assert _nodelay(accepted) != 0
    finally:
        for sock in sockets:
            sock.close()


def test_no_delay_sets_the_option_once_through_the_socket(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    spy = SpySocket(tcp_pair[0])
    no_delay(FakeTransport(spy))  # type: ignore[arg-type]
    assert spy.set == [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def test_no_delay_leaves_a_unix_socket_alone() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        spy = SpySocket(left)
        no_delay(FakeTransport(spy))  # type: ignore[arg-type]
        no_delay(FakeTransport(left))  # type: ignore[arg-type]  # no error either
        assert spy.set == []
        left.sendall(b"still open")
        assert right.recv(10) == b"still open"
    finally:
        left.close()
        right.close()


def test_no_delay_without_a_socket_does_nothing() -> None:
    transport = FakeTransport(None)
    no_delay(transport)  # type: ignore[arg-type]
    assert transport.asked == ["socket"]
