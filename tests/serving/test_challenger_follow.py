"""Following the `challenger` alias: a version that fails to load drops the old challenger and
is retried later, not on every check; every model loaded, at start or hot, is frozen for the
garbage collector like the first (runtime.Refreeze)."""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest

from lifecycle.params import RolloutParams
from lifecycle.serving.challenger import Challenger
from lifecycle.serving.prometheus import serving_metrics
from tests.helpers.serving import Versions
from tests.serving.conftest import Challengers, Start
from tests.serving.fakes import Pair


def test_a_failed_load_drops_the_old_challenger_and_is_retried_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    one, two, three = (Versions().load(v) for v in "123")
    source = Pair(one, **{"2": two, "3": three})
    held = Challenger(source, serving_metrics())
    held.follow(one)
    assert held.current is two
    source.alias, source.failing = "3", {"3"}
    with caplog.at_level(logging.WARNING, logger="lifecycle.serving"):
        held.follow(one)
    assert held.current is None  # v2 is no challenger any more, whatever v3 does
    assert "challenger v3 failed to load" in held.detail and "OSError" in caplog.text
    assert "challenger v2 dropped: the alias moved to v3" in caplog.text
    held.follow(one)
    held.follow(one)
    assert source.loads["3"] == 1  # not retried on every check
    held.retry, source.failing = 0.0, set()
    held.follow(one)
    assert held.current is three and source.loads["3"] == 2
    assert held.detail == "challenger v3"


def frozen(obj: Any) -> bool:
    """Whether `obj` is out of the collector's generations (gc.freeze moved it)."""
    return not any(o is obj for o in gc.get_objects())


def test_every_model_loaded_is_frozen_at_start_and_after_a_hot_load(
    challengers: Challengers, start: Start
) -> None:
    c = challengers
    c.point(c.shift)
    runtime = start(RolloutParams(shadow=True))
    assert runtime.rollout.challenger is not None
    first = runtime.rollout.challenger.current
    assert first is not None and frozen(first.model)  # loaded before gc.freeze()
    c.point(c.sleeping)
    runtime.reload(timeout=10)
    hot = runtime.rollout.challenger.current
    assert hot is not None and hot.info.version == c.sleeping and frozen(hot.model)
    c.point(None, champion=c.shift)  # a new champion, hot-loaded the same way
    try:
        runtime.reload(timeout=10)
        held = runtime.served.current
        assert held.info.version == c.shift and frozen(held.model)
    finally:
        c.point(None)  # the package's registry as the other tests expect it
