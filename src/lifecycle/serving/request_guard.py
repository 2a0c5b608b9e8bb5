"""The front door of POST /predict and /predict_columns: content type, body size, and one clear
answer per rejection.

BentoML validates the body against the request model and answers 400 with pydantic's error list.
This ASGI middleware adds what BentoML does not do: it refuses a non-JSON content type (BentoML
would try to parse a form post as JSON) and a body over the limit, rewrites every 4xx/503 into
one message naming the field and the problem, counts it by reason, and logs one line for it.
It also hands the `X-Client-Key` header on to the records (serving.client_key).
BentoML's traceback for those client errors is filtered out (see quiet_client_errors).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from lifecycle.serving import client_key

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("lifecycle.serving")

# pydantic error type -> rejection reason (the `reason` label of the rejection counter)
REASONS = {
    "json_invalid": "malformed_json",
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "too_short": "empty_batch",
    "too_long": "too_many_records",
    "finite_number": "not_finite",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "literal_error": "out_of_range",
    "event_time_conflict": "conflicting_fields",
    "unseen_category": "unseen_category",  # `unseen: refuse` (serving.vocabulary)
    "datetime_out_of_range": "out_of_range",  # a zoned time beyond Python's years, once read
    "columns_length": "unequal_columns",  # /predict_columns: columns of different lengths
}
SHOWN_ERRORS = 3  # the message lists this many problems, then "(+N more)"


def field_path(loc: list[Any]) -> str:
    """pydantic's location as a readable path: ["records", 0, "hr"] -> "records[0].hr"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "body"


def _sent_null(request: Any, loc: list[Any]) -> bool:
    """Did the request hold an explicit null at `loc`? (BentoML's detail omits the input.)"""
    node = request
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return node is None


def _message(error: dict[str, Any], request: Any) -> str:
    msg = str(error.get("msg", ""))
    loc = error.get("loc", [])
    if error.get("type") != "missing" and loc and _sent_null(request, loc):
        msg = f"null is not allowed (this field is never missing): {msg}"
    return f"{field_path(loc)}: {msg}"


def describe_errors(detail: list[dict[str, Any]], request: Any = None) -> tuple[str, str]:
    """(reason, message) for a list of pydantic errors: the first error decides the reason.

    `request`: the parsed request body, to say "null is not allowed" where a null was sent."""
    reason = REASONS.get(detail[0].get("type", ""), "wrong_type")
    parts = [_message(e, request) for e in detail[:SHOWN_ERRORS]]
    more = len(detail) - SHOWN_ERRORS
    return reason, "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _json(text: bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def explain(
    status: int, body: bytes, request: bytes = b""
) -> tuple[str, str, list[dict[str, Any]]]:
    """(reason, message, detail) for an error response BentoML produced to `request`."""
    parsed = _json(body)
    detail = parsed.get("detail") if isinstance(parsed, dict) else None
    if status == 400 and isinstance(detail, list) and detail:
        # only now is the request body parsed again: this is the error path
        return (*describe_errors(detail, _json(request)), detail)
    if status == 503:
        return "overloaded", "the service is overloaded: retry with backoff", []
    return "other", f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}", []


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class RequestGuard:
    """ASGI middleware for the POST routes `paths`; everything else passes through untouched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: tuple[str, ...],
        max_body_bytes: int,
        on_reject: Callable[[str], None],
    ) -> None:
        self.app, self.paths, self.max_body_bytes = app, paths, max_body_bytes
        self.on_reject = on_reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, run the app, and rewrite its error answers."""
        if scope["type"] != "http" or scope["path"] not in self.paths or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        kind = (_header(scope, b"content-type") or "application/json").split(";")[0].strip()
        if kind.lower() != "application/json":
            await self._refuse(
                path,
                send,
                415,
                "wrong_content_type",
                f"content-type is {kind!r}: send application/json",
            )
            return
        body = await self._read_body(receive)
        if body is None:
            await self._refuse(
                path,
                send,
                413,
                "body_too_large",
                f"body over the {self.max_body_bytes}-byte limit: split the records",
            )
            return
        # BentoML parses the body in this same context: the request validator stamps the key
        token = client_key.bind(_header(scope, client_key.HEADER))
        try:
            await self.app(scope, _replay(body, receive), self._rewrite_errors(path, send, body))
        finally:
            client_key.unbind(token)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body, or None as soon as it passes the limit."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app will see an empty body
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body_bytes:
                return None
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _rewrite_errors(self, path: str, send: Send, request: bytes) -> Send:
        """A `send` that holds the answer back: an error goes out as our one-message version,
        a success as one body with its length (BentoML streams it chunked: a write more)."""
        held: dict[str, Any] = {}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                held["start"], held["body"] = message, []
                return
            if "start" not in held or message["type"] != "http.response.body":
                await send(message)
                return
            held["body"].append(message.get("body", b""))
            if message.get("more_body", False):
                return
            start, body = held.pop("start"), b"".join(held.pop("body"))
            if _is_rejection(start["status"]):
                status = start["status"]
                await self._refuse(path, send, status, *explain(status, body, request))
                return
            await send({**start, "headers": _with_length(start.get("headers", []), len(body))})
            await send({"type": "http.response.body", "body": body})

        return wrapped

    async def _refuse(
        self,
        path: str,
        send: Send,
        status: int,
        reason: str,
        message: str,
        detail: list[dict[str, Any]] | None = None,
    ) -> None:
        """Answer with {"error", "reason", "detail"}, count it, and log one line."""
        self.on_reject(reason)
        log.warning("rejected POST %s: %d %s: %s", path, status, reason, message)
        payload = {"error": message, "reason": reason, "detail": detail or []}
        body = json.dumps(payload).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _with_length(headers: list[tuple[bytes, bytes]], size: int) -> list[tuple[bytes, bytes]]:
    """The headers, plus content-length unless the app already set a length or an encoding."""
    known = {key.lower() for key, _ in headers}
    if b"content-length" in known or b"transfer-encoding" in known:
        return list(headers)
    return [*headers, (b"content-length", str(size).encode())]


def _is_rejection(status: int) -> bool:
    return 400 <= status < 500 or status == 503


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body we already read, then defers to the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class _DropClientErrors(logging.Filter):
    """Drop BentoML's traceback for errors that are the client's (we log one line for them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from bentoml.exceptions import BentoMLException
        from pydantic import ValidationError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, ValidationError):
            return False
        code = int(exc.error_code) if isinstance(exc, BentoMLException) else 500
        return code >= 500 and code != 503


def quiet_client_errors() -> None:
    """Install the filter on the logger BentoML reports request errors with (idempotent)."""
    logger = logging.getLogger("bentoml._internal.server.http_app")
    if not any(isinstance(f, _DropClientErrors) for f in logger.filters):
        logger.addFilter(_DropClientErrors())
