"""Every lab page has the blocks docs/labs.py runs, and the runner reads them as a reader would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.docs_scripts import docs_script

labs = docs_script("labs")


@pytest.mark.parametrize("lab", labs.lab_names())
def test_every_lab_has_a_break_a_check_and_a_fix(lab: str) -> None:
    steps = [b.step for b in labs.blocks(labs.page_of(lab))]
    assert {"break", "check", "fix"} <= set(steps), steps


def test_every_lab_page_is_in_the_index() -> None:
    pages = {p.stem for p in labs.LABS.glob("*.md")} - {"index"}
    assert pages == set(labs.lab_names())


def test_the_readme_counts_the_labs() -> None:
    words = ["Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve"]
    count = len(labs.lab_names())
    readme = (labs.LABS.parents[2] / "README.md").read_text()
    assert f"{words[count - 7]} break-it labs" in readme, f"README: say {count} break-it labs"


def test_blocks_in_an_admonition_are_dedented_and_expectations_read(tmp_path: Path) -> None:
    page = tmp_path / "x.md"
    page.write_text(
        "<!-- lab: break fails -->\n```bash\nfalse\n```\n\n"
        '??? success "Solution"\n    <!-- lab: fix exits 2 -->\n    ```bash\n    exit 2\n'
        "      # kept\n    ```\n\n<!-- lab: check -->\n```bash\ntrue\n```\n"
    )
    broken, fix, check = labs.blocks(page)
    assert (broken.step, fix.step, check.step) == ("break", "fix", "check")
    assert fix.code == "exit 2\n  # kept" and fix.line == 7
    assert broken.as_expected(1) and not broken.as_expected(0)
    assert fix.as_expected(2) and not fix.as_expected(0)
    assert check.as_expected(0) and not check.as_expected(1)


def test_an_unknown_step_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "x.md"
    page.write_text("<!-- lab: brake -->\n```bash\ntrue\n```\n")
    with pytest.raises(labs.LabFailed, match="unknown lab step 'brake'"):
        labs.blocks(page)


def test_a_check_that_passes_after_the_break_fails_the_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "x.md"
    page.write_text(
        "<!-- lab: break -->\n```bash\ntouch broken\n```\n"
        "<!-- lab: fix -->\n```bash\nrm broken\n```\n"
        "<!-- lab: check -->\n```bash\ntrue\n```\n"
    )
    monkeypatch.setattr(labs, "page_of", lambda lab: page)
    with pytest.raises(labs.LabFailed, match="the check passed right after the break"):
        labs.cycle("x", tmp_path)
    fixed_check = "```bash\ntest ! -e broken\n```"
    page.write_text(page.read_text().replace("```bash\ntrue\n```", fixed_check))
    assert labs.cycle("x", tmp_path) >= 0
