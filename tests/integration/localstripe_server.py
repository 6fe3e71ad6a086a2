"""localstripe (a stateful fake Stripe server from PyPI) for the integration tests, and a
webhook receiver for it to deliver to.

``running_localstripe(folder)`` serves localstripe's aiohttp app on 127.0.0.1 and a free port
(never every interface, which its own command would do) from a thread with its own event
loop, with its pickled store redirected into ``folder`` (it would write /tmp/localstripe.pickle
on every change). On exit the server stops, the store and the registered webhooks are
cleared and the redirection is undone.

``WebhookReceiver`` is a small HTTP server on 127.0.0.1 that hands each delivery (raw body and
``Stripe-Signature`` header) to a function and answers with the status it returns, as the
application's webhook endpoint would.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import attrs
from aiohttp import web

with warnings.catch_warnings():  # localstripe registers plain functions as aiohttp handlers
    warnings.simplefilter("ignore", DeprecationWarning)
    from localstripe import resources, server, webhooks

#: A key localstripe accepts (any "sk_..." longer than five characters).
API_KEY = "sk_test_rocket_localstripe"


@attrs.frozen
class LocalStripe:
    """A running localstripe: its base address and its configuration endpoints."""

    base_url: str
    store_file: Path

    def register_webhook(
        self, webhook_id: str, url: str, secret: str, events: list[str] | None = None
    ) -> None:
        """Have localstripe deliver events (all, or ``events``) to ``url``, signed with
        ``secret`` (localstripe's own endpoint: it answers 404 to WebhookEndpoint.create)."""
        fields: list[tuple[str, str]] = [("url", url), ("secret", secret)]
        fields += [("events[]", event) for event in events or ()]
        request = Request(
            f"{self.base_url}/_config/webhooks/{webhook_id}",
            data=urlencode(fields).encode(),
            headers={"Authorization": f"Bearer {API_KEY}"},
            method="POST",
        )
        with urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"localstripe refused the webhook: {response.status}")

    def unregister_webhook(self, webhook_id: str) -> None:
        """Stop delivering to a registered webhook (localstripe has no endpoint for that)."""
        webhooks._webhooks.pop(webhook_id, None)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running_localstripe(folder: Path) -> Iterator[LocalStripe]:
    """Serve localstripe on 127.0.0.1 and a free port until the block ends."""
    store_file = folder / "localstripe.pickle"
    original_dump = resources.Store.dump_to_disk
    original_load = resources.Store.try_load_from_disk

    def dump_to_disk(self: resources.Store) -> None:
        with store_file.open("wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    def try_load_from_disk(self: resources.Store) -> None:  # never read another run's store
        pass

    resources.Store.dump_to_disk = dump_to_disk  # type: ignore[method-assign]
    resources.Store.try_load_from_disk = try_load_from_disk  # type: ignore[method-assign]
    sock = _free_socket()
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(server.app, access_log=None)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        started.set()
        loop.run_forever()
        pending = asyncio.all_tasks(loop)  # webhook deliveries still waiting for their second
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="localstripe", daemon=True)
    thread.start()
    try:
        if not started.wait(timeout=30):
            raise RuntimeError("localstripe did not start")
        yield LocalStripe(base_url=f"http://127.0.0.1:{port}", store_file=store_file)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        sock.close()
        webhooks._webhooks.clear()
        resources.store.clear()  # its __setitem__ pickles; clear() does not
        resources.Store.dump_to_disk = original_dump  # type: ignore[method-assign]
        resources.Store.try_load_from_disk = original_load  # type: ignore[method-assign]


@attrs.define
class Delivery:
    """One request the receiver got, and what it answered."""

    body: bytes
    signature: str
    status: int


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 for localstripe's webhooks: each POST's raw body and
    Stripe-Signature go to ``handle``, whose return value is the response status."""

    def __init__(self, handle: Callable[[bytes, str], int]) -> None:
        self.deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get("Stripe-Signature", "")
                try:
                    status = handle(body, signature)
                except Exception:  # the endpoint's 500; the test sees it in deliveries
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._arrived:
                    receiver.deliveries.append(Delivery(body, signature, status))
                    receiver._arrived.notify_all()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/stripe"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=30)

    def event_delivered(
        self,
        event_type: str,
        where: Callable[[dict[str, Any]], bool] = lambda obj: True,
        timeout: float = 15,
    ) -> Delivery:
        """The first delivery of an ``event_type`` event whose object satisfies ``where``,
        waiting for it. (localstripe sends each event about a second after the change, to
        the receivers registered then: a receiver may also get an earlier test's events.)"""

        def found() -> Delivery | None:
            for delivery in self.deliveries:
                event = json.loads(delivery.body)
                if event.get("type") == event_type and where(event["data"]["object"]):
                    return delivery
            return None

        with self._arrived:
            if not self._arrived.wait_for(lambda: found() is not None, timeout=timeout):
                raise AssertionError(f"no {event_type} delivered in {timeout} s")
        delivery = found()
        assert delivery is not None
        return delivery

    def wait_for(self, predicate: Callable[[list[Delivery]], bool], timeout: float = 15) -> None:
        """Block until ``predicate(deliveries)`` holds (localstripe sends ~1 s after a change)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: predicate(self.deliveries), timeout=timeout):
                raise AssertionError(f"webhooks not delivered in {timeout} s: {self.deliveries}")
