"""A short replay with the shadow policy, end to end: a retrain that passes the offline gate
serves a month in shadow beside the champion, and the live gate decides on its labelled rows."""

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from lifecycle.project_copy import commit_all, fresh_copy
from tests.helpers.clone import set_params, sh
from tests.helpers.params import ROOT, SHRUNKEN

pytestmark = pytest.mark.slow

MONTHS = {"start": "2011-04-01", "end": "2011-07-01", "policy": "shadow"}  # April to June 2011
Replayed = tuple[Path, dict[str, Any]]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """Run `pipelines/replay.py` with the shadow policy on three months in a fresh copy."""
    repo = fresh_copy(ROOT, tmp_path_factory.mktemp("shadow"))
    # A month holds ~720 labelled rows: 100 let the live gate decide after one shadow month.
    set_params(repo, **SHRUNKEN, replay=MONTHS, gate={"live": {"min_rows": 100}})
    commit_all(repo, "short shadow replay")
    done = sh(repo, sys.executable, "pipelines/replay.py", ok=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return repo, json.loads((repo / "reports/replay/timeline.json").read_text())


def logged(work: Path, table: str, month: str) -> pd.DataFrame:
    """The rows of one table of the working repository's prediction log in `month` (YYYY-MM)."""
    with closing(sqlite3.connect(work / "state/predictions.sqlite")) as conn:
        query = f"SELECT * FROM {table} WHERE substr(event_time, 1, 7) = ?"
        return pd.read_sql_query(query, conn, params=(month,))


@pytest.mark.ml_test_score("I6")
def test_a_retrain_goes_into_shadow_and_the_live_gate_decides(replayed: Replayed) -> None:
    _, timeline = replayed
    april, may, _ = timeline["months"]
    work = Path(timeline["meta"]["work_repo"])
    params = yaml.safe_load((work / "params.yaml").read_text())
    assert params["gate"]["live"]["required"] is True and params["rollout"]["shadow"] is True
    assert april["retrain"]["outcome"] == "shadow", april["retrain"]
    assert april["switched_to"] is None and april["live"] is None  # the champion stays
    live = may["live"]
    assert live["version"] == april["retrain"]["version"] and live["champion"] == "1"
    assert live["action"] == "promote", live["reason"]  # v2 learnt April's higher demand
    evidence = live["evidence"]
    assert evidence["rows"] >= 100 and evidence["low"] <= evidence["improvement"]
    assert evidence["improvement"] <= evidence["high"] and "better" in evidence["verdict"]
    entries = [json.loads(line) for line in (work / "state/promotions.jsonl").open()]
    decided = [e for e in entries if e["stage"] == "live"]
    assert [(e["action"], e["version"]) for e in decided] == [("promote", live["version"])]
    assert decided[0]["evidence"]["improvement"] == pytest.approx(evidence["improvement"])
    assert timeline["headline"]["shadowed"] >= 1 and timeline["headline"]["promotions"] >= 1


def test_the_shadowed_model_never_answered_in_its_shadow_month(replayed: Replayed) -> None:
    _, timeline = replayed
    may = timeline["months"][1]
    work = Path(timeline["meta"]["work_repo"])
    answered, shadow = (
        logged(work, "predictions", "2011-05"),
        logged(work, "shadow_predictions", "2011-05"),
    )
    assert len(answered) == may["rows"] and set(answered["model_version"]) == {"1"}
    assert set(answered["variant"]) == {"champion"}
    assert may["answered_by"] == {"champion v1": may["rows"]}
    assert set(shadow["model_version"]) == {may["live"]["version"]}
    assert len(shadow) == may["live"]["shadow_rows"] > 0.9 * may["rows"]
    assert set(shadow["variant"]) == {"shadow"}
    assert may["failed_requests"] == 0


def test_the_live_promotion_switched_the_server_and_was_judged_next_month(
    replayed: Replayed,
) -> None:
    _, timeline = replayed
    _, may, june = timeline["months"]
    version = may["live"]["version"]
    assert may["switched_to"] == version and june["served_version"] == version
    assert june["answered_by"] == {f"champion v{version}": june["rows"]}
    seen = may["hindsight"]
    assert (seen["month"], seen["promoted"], seen["replaced"], seen["stage"]) == (
        "2011-06",
        version,
        "1",
        "live",
    )
    assert seen["rows"] == june["rows"] and seen["better"] == (seen["improvement"] > 0)
    assert timeline["headline"]["promotions_judged"] >= 1


def test_the_timeline_shows_the_shadow_month_and_the_promotions_count(replayed: Replayed) -> None:
    repo, timeline = replayed
    page = (repo / "reports/replay/timeline.md").read_text()
    version = timeline["months"][1]["live"]["version"]
    assert f"| 2011-05 | v1 (v{version} in shadow) |" in page
    assert f"live gate on v{version}: **promote** (shadow error cut +" in page
    assert "- promotions not better on the next month's labels: **" in page
    assert (repo / "reports/replay/timeline.png").stat().st_size > 5000
