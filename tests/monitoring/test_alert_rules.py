"""The alert rules (monitoring/alerts/): valid for Prometheus, and each alert unit-tested by
promtool to fire on the series that should raise it and to stay quiet on a healthy one."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.helpers.imports import ROOT
from tests.helpers.prometheus import tool

ALERTS = ROOT / "monitoring/alerts"
RULES = ALERTS / "lifecycle.rules.yml"
TESTS = sorted(ALERTS.glob("*.test.yml"))
SEVERITIES = {"critical", "warning", "info"}


def rules() -> list[dict[str, Any]]:
    """Every alerting rule of the rule file."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run promtool in the alerts folder (the test files name the rule file relative to it)."""
    return subprocess.run(
        [tool("promtool"), *args], cwd=ALERTS, capture_output=True, text=True, timeout=300
    )


def test_the_rule_file_passes_promtool_check() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


@pytest.mark.slow  # ~10 s: the monitor's alerts are tested over 26 simulated hours
def test_every_promtool_unit_test_passes() -> None:
    tested = promtool("test", "rules", *(path.name for path in TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.count("SUCCESS") == len(TESTS)


def test_every_alert_has_a_case_that_fires_it_and_one_where_it_stays_quiet() -> None:
    fired, quiet = set(), set()
    for path in TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in rules()}
    assert names - fired == set(), "never seen firing"
    assert names - quiet == set(), "never seen quiet"


def test_every_alert_waits_has_a_severity_and_tells_the_on_call_what_to_look_at() -> None:
    for rule in rules():
        assert rule.get("for"), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        notes = rule["annotations"]
        assert notes["summary"].strip() and len(notes["description"]) > 80, rule["alert"]
