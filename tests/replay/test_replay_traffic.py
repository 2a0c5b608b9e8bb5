"""The replay's HTTP client: retries an overloaded service until a deadline, never hides a loss.

A tiny real HTTP server on 127.0.0.1 plays the service: it answers 503 a given number of times
per request body, then 200 (or always one fixed status).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from lifecycle.replay.traffic import post_with_retry


class Flaky:
    """Behaviour of the fake service: 503 `busy` times per request id, then `status`."""

    def __init__(self, busy: int, status: int = 200) -> None:
        self.busy, self.status = busy, status
        self.seen: Counter[int] = Counter()  # tries per request id (its first record)


def handler(flaky: Flaky) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = body["records"][0]
            flaky.seen[key] += 1
            status = 503 if flaky.seen[key] <= flaky.busy else flaky.status
            answer = json.dumps([{"prediction": 1.5}]).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

    return Handler


Serve = Callable[[Flaky], httpx.Client]


@pytest.fixture
def serve() -> Iterator[Serve]:
    servers: list[ThreadingHTTPServer] = []

    def start(flaky: Flaky) -> httpx.Client:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler(flaky))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=5)

    yield start
    for server in servers:
        server.shutdown()


def test_overloaded_answers_are_retried_until_one_succeeds(serve: Serve) -> None:
    flaky = Flaky(busy=5)
    with serve(flaky) as http:
        assert post_with_retry(http, {"records": [1]}) == [{"prediction": 1.5}]
    assert flaky.seen[1] == 6  # five 503s, then the answer


def test_a_request_still_overloaded_at_the_deadline_is_reported_lost(serve: Serve) -> None:
    flaky = Flaky(busy=10_000)
    with serve(flaky) as http:
        assert post_with_retry(http, {"records": [2]}, deadline=0.5) is None
    assert flaky.seen[2] > 1  # it did retry before giving up


def test_a_client_error_is_not_retried(serve: Serve) -> None:
    flaky = Flaky(busy=0, status=400)
    with serve(flaky) as http:
        assert post_with_retry(http, {"records": [3]}) is None
    assert flaky.seen[3] == 1
