"""A registry of the serving tests' own whose aliases move: a champion and altered challengers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from lifecycle.dataset import DatasetSpec
from lifecycle.params import RolloutParams
from lifecycle.serving.client import records_from_frame
from lifecycle.serving.runtime import Runtime
from lifecycle.serving.schemas import record_model, records_type
from lifecycle.settings import Settings
from lifecycle.stages.split import Splits
from tests.helpers.params import make_params
from tests.helpers.registry import WAKE_SLEEPERS, register_altered, state_env, train_and_register
from tests.helpers.serving import aliases

Start = Callable[[RolloutParams], Runtime]


@dataclass(frozen=True)
class Challengers:
    """`champion` on an HGB model, and versions of it altered (tests.helpers.registry.Altered)."""

    settings: Settings
    model_name: str
    champion: str
    shift: str  # answers champion + 1
    raising: str  # every predict raises
    sleeping: str  # sleeps 0.3 s a call
    schema: str  # other input columns: refused

    def point(self, challenger: str | None, champion: str | None = None) -> None:
        """Point `challenger` (None: remove it) and `champion` (None: the original)."""
        aliases(self.settings, self.model_name, champion or self.champion, challenger)


@pytest.fixture(scope="package")
def challengers(
    tmp_path_factory: pytest.TempPathFactory, spec: DatasetSpec, splits: Splits
) -> Iterator[Challengers]:
    params = make_params(train={"candidates": ["hgb"]})
    tmp = tmp_path_factory.mktemp("challengers")
    with state_env(tmp / "state") as settings:
        champion = train_and_register(settings, spec, params, splits, tmp)
        name = params.registry.model_name

        def altered(mode: str, seconds: float = 0.0) -> str:
            return register_altered(settings, name, champion, mode, seconds)

        yield Challengers(
            settings,
            name,
            champion,
            altered("shift"),
            altered("raise"),
            altered("sleep", 0.3),
            altered("schema"),
        )


@pytest.fixture
def start(challengers: Challengers, spec: DatasetSpec, tmp_path: Path) -> Iterator[Start]:
    """Start Runtimes on the challengers' registry, each with its own log; all closed after."""
    from lifecycle.serving.champion import RegistrySource

    started: list[Runtime] = []

    def starting(params: RolloutParams) -> Runtime:
        log = tmp_path / f"log-{len(started)}.sqlite"
        settings = Settings(LIFECYCLE_PREDICTION_LOG=log, LIFECYCLE_RELOAD_SECONDS=0)
        source = RegistrySource(settings, challengers.model_name, spec)
        started.append(Runtime.start(settings, spec, source, params=params))
        return started[-1]

    yield starting
    WAKE_SLEEPERS.set()
    for runtime in started:
        runtime.close()  # again for those a test closed: closing twice is harmless
    WAKE_SLEEPERS.clear()


@pytest.fixture(scope="package")
def parse(spec: DatasetSpec) -> Callable[[Any], Any]:
    """The request validator: a list of record dicts -> stamped records."""
    return TypeAdapter(records_type(record_model(spec), 1000)).validate_python


@pytest.fixture(scope="package")
def records(splits: Splits, spec: DatasetSpec) -> list[dict[str, Any]]:
    """300 distinct test-window records, as a client sends them."""
    return records_from_frame(splits.test.head(300), spec)


@pytest.fixture(scope="package")
def champion(challengers: Challengers, spec: DatasetSpec) -> Any:
    """The registry champion as the service loads it (fast path compiled), to build fakes on."""
    from lifecycle.serving.champion import RegistrySource

    source = RegistrySource(challengers.settings, challengers.model_name, spec)
    return source.load(challengers.champion)


@pytest.fixture
def start_pair(spec: DatasetSpec, tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """Start Runtimes on an in-memory source (tests.serving.fakes.Pair); all closed after."""
    started: list[Runtime] = []

    def starting(source: Any, params: RolloutParams, on: DatasetSpec = spec) -> Runtime:
        log = tmp_path / f"pair-{len(started)}.sqlite"
        settings = Settings(LIFECYCLE_PREDICTION_LOG=log, LIFECYCLE_RELOAD_SECONDS=0)
        started.append(Runtime.start(settings, on, source, params=params))
        return started[-1]

    yield starting
    for runtime in started:
        runtime.close()
