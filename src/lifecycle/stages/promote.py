"""The promote step: register the best candidate, judge it against the champion, record it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from lifecycle.dataset import EVENT_TIME, DatasetSpec
from lifecycle.entry import StageFailed
from lifecycle.evidence import Comparison, paired
from lifecycle.gate import best_candidate, judge
from lifecycle.metrics import AnyScores, score_slices, score_task
from lifecycle.model_card import CardFacts, model_description, version_card
from lifecycle.params import Params
from lifecycle.predictions import check_model_task, predict_frame
from lifecycle.registry import CHALLENGER, Decision, current, reconcile, record, register
from lifecycle.settings import Settings
from lifecycle.tracking import LoggedModel, load_model

if TYPE_CHECKING:
    from mlflow import MlflowClient


def score_champion(
    name: str, version: str, frame: pd.DataFrame, spec: DatasetSpec
) -> tuple[AnyScores, pd.Series]:
    """Score the current champion on the same window (and keep its predictions); refuse one
    made for another table or task."""
    model = load_model(f"models:/{name}/{version}")
    try:
        check_model_task(model, spec, version)
        check_fitted_features(model, spec, f"the champion of '{name}' (v{version})")
        predicted = predict_frame(model, frame, spec)
        return score_task(spec.task, frame[spec.target], predicted), predicted
    except (ValueError, KeyError) as err:  # another task, or columns this table does not have
        raise StageFailed(
            f"the champion of '{name}' (v{version}) cannot be scored on '{spec.name}': {err}. "
            "It was trained on another table or task: give each table its own "
            "registry.model_name in params.yaml"
        ) from err


def check_fitted_features(model: Any, spec: DatasetSpec, what: str) -> None:
    """Refuse a model fitted on columns the dataset definition no longer gives it, by name."""
    fitted = [str(c) for c in getattr(model, "feature_names_in_", ())]
    missing = [c for c in fitted if c not in spec.model_inputs]
    if missing:
        # Not the generic "another table" advice: the usual cause is a feature removed on
        # purpose (a leak, a column not known at serving time), which makes a new model.
        raise StageFailed(
            f"{what} was fitted on {', '.join(missing)}, which the dataset definition "
            f"'{spec.name}' does not list as features, so both models cannot be scored on the "
            "same inputs. If you removed them on purpose, move the champion back to a version "
            "fitted without them (make rollback) or give the new definition its own "
            "registry.model_name in params.yaml; if the champion was trained on another table, "
            "give each table its own registry.model_name"
        )


def compare_on(
    test: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    champion_p: pd.Series | None,
    challenger_p: pd.Series,
) -> Comparison:
    """Both models on the same test rows: the gate metric's error cut, with its interval."""
    assert champion_p is not None
    return paired(
        params.gate.metric,
        test[spec.target].to_numpy(float),
        champion_p.to_numpy(float),
        challenger_p.to_numpy(float),
        test[EVENT_TIME].to_numpy(),
        params.gate.confidence,
        seed=params.seed,
    )


def supersede(client: MlflowClient, name: str, by: str, settings: Settings, commit: str) -> None:
    """A challenger still waiting for live evidence is refused: a newer one takes its place."""
    held = current(client, name, CHALLENGER)
    if held is None or str(held.version) == by:
        return
    champion = current(client, name)
    kept = str(champion.version) if champion else None
    reason = f"superseded by v{by} before its live evidence decided"
    record(client, Decision("refuse", name, str(held.version), reason, kept, kept,
                            git_commit=commit, stage="live"), settings.promotion_log)  # fmt: skip


def _window(frame: pd.DataFrame) -> dict[str, str]:
    times = frame[EVENT_TIME]
    return {
        "start": f"{times.min():%Y-%m-%d %H:%M}",
        "end": f"{times.max():%Y-%m-%d %H:%M}",
        "rows": str(len(frame)),
    }


def promote_best(
    client: MlflowClient,
    candidates: list[LoggedModel],
    test: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    settings: Settings,
    lineage: dict[str, str],
) -> Decision:
    """Register the best candidate; make it champion only if the gate says so (with
    gate.live.required: the `challenger`, waiting for live evidence).

    Both models are scored on the same, most recent labelled window (the test split), which
    neither of them was fitted or selected on.
    """
    name = params.registry.model_name
    best = best_candidate(candidates, params)
    reconcile(client, name, settings.promotion_log)  # finish a decision a kill interrupted
    champion = current(client, name)  # read before registering: the new version never counts
    # The champion is scored first: if it belongs to another table, nothing gets registered.
    theirs, theirs_p = (
        score_champion(name, str(champion.version), test, spec) if champion else (None, None)
    )
    version = register(client, name, best.model_uri, {"candidate": best.name, **lineage})
    ours_p = predict_frame(load_model(best.model_uri), test, spec)
    ours = score_task(spec.task, test[spec.target], ours_p)
    evidence = None
    if champion is not None:
        evidence = compare_on(test, spec, params, champion_p=theirs_p, challenger_p=ours_p)
    verdict = judge(ours, theirs, params.gate, evidence)
    before = str(champion.version) if champion else None
    action = "promote" if verdict.promote else "refuse"
    reason = f"{best.name}: {verdict.reason}"
    if verdict.promote and champion is not None and params.gate.live.required:
        action = "shadow"  # the live stage decides (lifecycle.rollout.decide_live)
        reason += (
            f"; passed offline, waits as challenger until {params.gate.live.min_rows} labelled "
            "live rows decide (gate.live)"
        )
        supersede(client, name, version, settings, lineage.get("git_commit", ""))
    decision = Decision(
        action=action,
        model_name=name,
        version=version,
        reason=reason,
        champion_before=before,
        champion_after=version if action == "promote" else before,
        challenger_metrics=ours.as_dict(),
        champion_metrics=theirs.as_dict() if theirs else None,
        window=_window(test),
        git_commit=lineage.get("git_commit", ""),
        evidence=evidence.as_dict() if evidence else None,
    )
    write_cards(client, decision, card_facts(best, test, spec, params, ours_p, lineage))
    record(client, decision, settings.promotion_log)
    return decision


def card_facts(
    best: LoggedModel,
    test: pd.DataFrame,
    spec: DatasetSpec,
    params: Params,
    predicted: pd.Series,
    lineage: dict[str, str],
) -> CardFacts:
    """What the registered version's model card reports besides the gate's decision."""
    by_slice = score_slices(test, spec, test[spec.target].to_numpy(), predicted.to_numpy())
    return CardFacts(
        dataset=spec.name,
        task=spec.task,
        target=spec.target,
        candidate=best.name,
        run_id=best.run_id,
        gate_metric=params.gate.metric,
        validation=best.val,
        slices=by_slice,
        lineage=lineage,
    )


def write_cards(client: MlflowClient, decision: Decision, facts: CardFacts) -> None:
    """Write the version's model card and the registered model's description (MLflow UI)."""
    name, card = decision.model_name, version_card(facts, decision.as_dict())
    client.update_model_version(name, decision.version, description=card)
    about = model_description(facts.dataset, facts.task, facts.target, facts.gate_metric)
    client.update_registered_model(name, description=about)
