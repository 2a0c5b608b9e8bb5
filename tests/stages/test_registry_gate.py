"""The registry and its gate on a real (temporary) SQLite MLflow: promote, refuse, roll back."""

import json
from pathlib import Path

import pytest

from lifecycle.dataset import DatasetSpec, model_frame
from lifecycle.entry import StageFailed
from lifecycle.files import write_frame
from lifecycle.registry import CHALLENGER, current, rollback
from lifecycle.stages.promote import promote_best, score_champion
from lifecycle.stages.split import Splits
from lifecycle.stages.train import fit_all
from lifecycle.tracking import LoggedModel, configure, log_candidate
from tests.helpers.params import make_params
from tests.helpers.registry import Registry, state_env


@pytest.mark.ml_test_score("I7")
@pytest.mark.ml_test_score("I4")
def test_better_promoted_worse_refused_rollback_restores(
    tmp_path: Path, spec: DatasetSpec, splits: Splits
) -> None:
    # Floors low enough that the linear baseline may become the first champion.
    params = make_params(
        gate={"min_r2": 0.0, "max_mae": 1000.0}, train={"candidates": ["ridge", "hgb"]}
    )
    reference = tmp_path / "train.parquet"
    write_frame(splits.train, reference)
    with state_env(tmp_path / "state") as settings:
        client = configure(settings)
        fitted = {f.name: f for f in fit_all(spec, params, splits.train, splits.val)}

        def log(name: str) -> list[LoggedModel]:
            f = fitted[name]
            return [
                log_candidate(
                    name,
                    f.model,
                    model_frame(splits.val, spec),
                    {},
                    f.val,
                    {"git_commit": "test"},
                    reference,
                )
            ]

        def gate(name: str) -> str:
            return promote_best(
                client, log(name), splits.test, spec, params, settings, {"git_commit": "test"}
            ).action

        name = params.registry.model_name
        assert gate("ridge") == "promote"  # v1: first champion
        assert gate("hgb") == "promote"  # v2: much better
        assert gate("ridge") == "refuse"  # v3: worse than v2
        assert current(client, name).version == 2
        assert current(client, name, CHALLENGER) is None  # refused: it never meets traffic
        refused = client.get_model_version(name, "3").tags
        assert refused["gate.action"] == "refuse" and "does not beat" in refused["gate.reason"]
        assert float(refused["gate.champion.mae"]) < float(refused["gate.challenger.mae"])
        card = client.get_model_version(name, "3").description  # the model card, for people
        for part in (
            "candidate `ridge`",
            "### Data",
            "| mae |",
            "champion v2 on test",
            "| hour_band |",
        ):
            assert part in card, f"{part!r} not in the card:\n{card}"
        assert "(offline): **refuse**, ridge: " in card and "- git_commit: `test`" in card
        assert "champion" in client.get_registered_model(name).description

        back = rollback(client, name, settings.promotion_log, "test")
        assert back.version == "1" and current(client, name).version == 1
        lines = client.get_model_version(name, "1").description.splitlines()
        assert "(offline): **promote**" in lines[-2]  # every decision about v1, in order
        assert "(manual): **rollback**, manual rollback from v2 to v1" in lines[-1]
        log_lines = [json.loads(x) for x in settings.promotion_log.read_text().splitlines()]
        assert [d["action"] for d in log_lines] == ["promote", "promote", "refuse", "rollback"]
        assert all(d["git_commit"] == "test" and d["time"] for d in log_lines)

        with pytest.raises(LookupError, match="no previous champion"):
            rollback(client, name, settings.promotion_log)  # v1 was the first champion


def test_a_champion_of_another_table_is_refused_before_anything_is_registered(
    registry: Registry, class_spec: DatasetSpec, class_splits: Splits
) -> None:
    # A fork that forgets its own registry.model_name: the bike regressor is the champion, the
    # new table is a classification one. The stage must stop with a clear message, not crash.
    from lifecycle.tracking import configure

    client = configure(registry.settings)
    before = len(client.search_model_versions(f"name='{registry.model_name}'"))
    with pytest.raises(StageFailed, match=r"give each table its own registry\.model_name"):
        score_champion(
            registry.model_name, registry.champion_version, class_splits.test, class_spec
        )
    assert len(client.search_model_versions(f"name='{registry.model_name}'")) == before


def test_a_champion_fitted_on_a_removed_feature_is_refused_by_name(
    registry: Registry, spec: DatasetSpec, splits: Splits
) -> None:
    # The definition dropped a feature after the champion was trained (say, a leak): the message
    # names the column and the way out, instead of blaming another table.
    narrower = spec.model_copy(
        update={"columns": {k: c for k, c in spec.columns.items() if k != "windspeed"}}
    )
    assert "windspeed" in spec.features and "windspeed" not in narrower.features
    with pytest.raises(StageFailed, match=r"fitted on windspeed, which the dataset definition"):
        score_champion(registry.model_name, registry.champion_version, splits.test, narrower)


def test_with_a_live_stage_a_winner_waits_in_shadow_and_every_decision_has_evidence(
    tmp_path: Path, spec: DatasetSpec, splits: Splits
) -> None:
    params = make_params(
        gate={"min_r2": 0.0, "max_mae": 1000.0, "live": {"required": True}},
        rollout={"shadow": True},
        train={"candidates": ["ridge", "hgb"]},
    )
    reference = tmp_path / "train.parquet"
    write_frame(splits.train, reference)
    fitted = {f.name: f for f in fit_all(spec, params, splits.train, splits.val)}
    with state_env(tmp_path / "state") as settings:
        client = configure(settings)

        def gate(name: str) -> dict:
            f = fitted[name]
            logged = log_candidate(
                name, f.model, model_frame(splits.val, spec), {}, f.val, {}, reference
            )
            return promote_best(client, [logged], splits.test, spec, params, settings, {}).as_dict()

        first, second = gate("ridge"), gate("hgb")
        assert first["action"] == "promote" and first["evidence"] is None  # nothing to compare
        assert second["action"] == "shadow" and "waits as challenger" in second["reason"]
        name = params.registry.model_name
        assert current(client, name).version == 1 and current(client, name, CHALLENGER).version == 2
        evidence = second["evidence"]
        assert evidence["rows"] == len(splits.test) and evidence["days"] == params.split.test_days
        assert evidence["low"] <= evidence["improvement"] <= evidence["high"]
        tags = client.get_model_version(name, "2").tags
        assert tags["gate.action"] == "shadow" and float(tags["gate.evidence.rows"]) == len(
            splits.test
        )

        third = gate("hgb")  # a newer winner before v2's live evidence came in
        assert third["action"] == "shadow" and current(client, name, CHALLENGER).version == 3
        superseded = client.get_model_version(name, "2").tags
        assert superseded["gate.action"] == "refuse"
        assert "superseded by v3" in superseded["gate.reason"]
        assert current(client, name).version == 1  # the champion never moved
