"""The workflow runner reads expressions and step files as GitHub does (the parts it uses)."""

import pytest

from tests.helpers.workflow_expressions import Job, Step, condition, evaluate, substitute
from tests.helpers.workflows import _pairs


def job(**contexts: object) -> Job:
    """A job state with the given contexts (github, inputs, steps, ...)."""
    return Job({"github": {}, "inputs": {}, "steps": {}, "vars": {}, **contexts})


def test_operators_return_operands_and_compare_like_github() -> None:
    state = job(github={"base_ref": None, "event_name": "workflow_dispatch"}, inputs={"demo": True})
    assert evaluate("github.base_ref || 'main'", state) == "main"
    assert evaluate("github.event_name == 'workflow_dispatch' && inputs.demo", state) is True
    assert substitute("${{ github.event_name == 'push' && inputs.demo }}", state) == "false"
    assert evaluate("github.event_name == 'WORKFLOW_DISPATCH'", state) is True  # case ignored
    assert evaluate("inputs.demo == 'true'", state) is False  # a boolean is not its text
    assert evaluate("steps.none.outputs.code == 0", state) is True  # null is 0 against a number


def test_a_step_runs_on_success_unless_its_if_asks_about_status() -> None:
    state = job(steps={"config": {"outputs": {"mode": "off"}}})
    assert not condition({"if": "steps.config.outputs.mode != 'off'"}, state)
    assert condition({}, state) and condition({"if": True}, state)
    state.steps.append(Step("earlier", "failure"))
    assert not condition({}, state)  # success() is implied
    assert condition({"if": "always()"}, state)


def test_step_files_take_key_value_and_delimited_blocks() -> None:
    assert _pairs("a=1\nnotes<<EOF\nline 1\nline 2\nEOF\nb=x=y\n") == {
        "a": "1",
        "notes": "line 1\nline 2",
        "b": "x=y",
    }
    with pytest.raises(ValueError, match="no closing EOF"):
        _pairs("notes<<EOF\nnever closed\n")
    with pytest.raises(ValueError, match="neither"):
        _pairs("just words\n")
