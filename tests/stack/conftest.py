"""The team stack the stack tests share: started once per session (half a minute here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lifecycle.stack.team import Stack
from tests.helpers.stack import running_stack


@pytest.fixture(scope="session")
def team_stack() -> Iterator[Stack]:
    """Every component on free ports, Prometheus scraping every second; stopped at the end of
    the session, which fails if any of its processes is left."""
    with running_stack() as stack:
        yield stack
