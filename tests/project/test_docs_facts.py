"""A number the docs quote in several places is the same number everywhere.

When a run changes a result, the passage next to the new output gets updated and the same
number three chapters away does not. Each fact below is found by its pattern in every page;
all its occurrences must agree (and it must occur at least twice, or there is nothing to
compare). The numbers themselves come from real runs, quoted where their output is pasted.
"""

import re

import pytest

from tests.helpers.params import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "tutorial").rglob("*.md"))]
DRIFT_ROW = r"^\| drift \| 21 \| ([\d.]+) \| ([\d.]+) \|"  # online evaluation's policy table
FACTS = {  # name -> a pattern whose groups are the fact's values
    "replay: served MAE vs never retrained": (
        r"MAE of served predictions: \**([\d.]+)\** vs never retraining: \**([\d.]+)"
        r"|on the bike table MAE ([\d.]+) vs ([\d.]+)|" + DRIFT_ROW
    ),
    "replay: retrains and promotions": (
        r"^- retrains: (\d+), promotions: (\d+),"
        r"|^\| drift \| 21 \| [\d.]+ \| [\d.]+ \| (\d+) \| (\d+) \|"
    ),
    "make demo on a fresh clone": r"`make demo`(?: on a fresh clone)? took (\d+ min \d+ s)",
}


def occurrences(pattern: str) -> list[tuple[str, tuple[str, ...]]]:
    """(where, values) for every match of `pattern` in the docs."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for m in re.finditer(pattern, text, re.MULTILINE):
            values = tuple(v for v in m.groups() if v is not None)
            where = f"{doc.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
            found.append((where, values))
    return found


@pytest.mark.parametrize("fact", FACTS)
def test_a_quoted_fact_agrees_everywhere(fact: str) -> None:
    found = occurrences(FACTS[fact])
    assert len(found) >= 2, f"{fact}: quoted {len(found)} time(s), nothing to compare: {found}"
    values = {values for _, values in found}
    assert len(values) == 1, f"{fact} differs between pages: " + "; ".join(
        f"{where} {', '.join(v)}" for where, v in found
    )


def test_a_changed_number_in_one_place_is_caught() -> None:
    page = "- MAE of served predictions: 54.45 vs never retraining: 131.23\n"
    page += "| drift | 21 | 54.46 | 131.23 |"  # one table cell not updated
    values = {
        tuple(v for v in m.groups() if v)
        for m in re.finditer(FACTS["replay: served MAE vs never retrained"], page, re.MULTILINE)
    }
    assert values == {("54.45", "131.23"), ("54.46", "131.23")}
