"""Which client a request comes from: the key a canary's variant is sticky to.

BentoML's batchable API hands the service a merged list of records, with no request headers.
So the front door (request_guard.RequestGuard, which sees the ASGI headers) binds the
`X-Client-Key` header to the request's context here, and the request validator
(schemas.records_type), which BentoML runs in that same context, stamps it on each record.
POST /predict_columns is not batched: it reads the header from its request context (clean()).

The key a record's variant hangs on, in order: the `X-Client-Key` header when the client sends
one (a user, device or tenant id: the same client always sees the same model), else the
record's row key (dataset.key_text: the same row always gets the same model), else its
request id (sticky for the records of one request only).
"""

from __future__ import annotations

from contextvars import ContextVar, Token

HEADER = b"x-client-key"  # ASGI header names are lower case
MAX_CHARS = 256  # longer keys are cut: a key only has to be stable, not complete
_BOUND: ContextVar[str | None] = ContextVar("lifecycle_client_key", default=None)


def clean(key: str | None) -> str | None:
    """A header's key as the variant hangs on it: stripped, cut to MAX_CHARS; empty: None."""
    return (key or "").strip()[:MAX_CHARS] or None


def bind(key: str | None) -> Token[str | None]:
    """Make `key` (clean()ed) the current request's client key."""
    return _BOUND.set(clean(key))


def unbind(token: Token[str | None]) -> None:
    """Undo bind() once the request is answered."""
    _BOUND.reset(token)


def bound() -> str | None:
    """The client key of the request being parsed now; None when the client sent none."""
    return _BOUND.get()
