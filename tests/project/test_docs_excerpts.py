"""Every file excerpt pasted in the docs is still in the file it quotes, line for line."""

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.docs_scripts import docs_script
from tests.helpers.excerpts import Excerpt, excerpts, first_mismatch
from tests.helpers.params import ROOT

pasted_outputs = docs_script("outputs")
DOCS = pasted_outputs.docs()
ALL = [e for doc in DOCS for e in excerpts(doc)]


def test_the_docs_mark_their_excerpts() -> None:
    quoted = {e.path for e in ALL}
    assert {"dvc.lock", "params.yaml"} <= quoted, quoted


def test_every_marker_is_read() -> None:
    # A marker the pattern misses (indented, a blank line before the fence) would go unchecked
    for doc in DOCS:
        text = doc.read_text()
        assert text.count("<!-- excerpt:") == len(excerpts(doc)), f"{doc}: an unread excerpt marker"
        read = len(pasted_outputs.outputs(doc))
        assert text.count("<!-- output:") == read, f"{doc}: an unread output marker"


@pytest.mark.parametrize("excerpt", ALL, ids=lambda e: f"{e.doc.name}:{e.line}")
def test_an_excerpt_matches_its_file(excerpt: Excerpt) -> None:
    source = ROOT / excerpt.path
    assert source.is_file(), (
        f"{excerpt.doc.name}:{excerpt.line} quotes {excerpt.path}: no such file"
    )
    wrong = first_mismatch(excerpt.quoted(), source.read_text())
    where = f"{excerpt.doc.relative_to(ROOT)}:{excerpt.line}"
    assert wrong is None, f"{where}: this line of its excerpt is not in {excerpt.path}: {wrong!r}"


def test_a_changed_value_or_reordered_line_is_caught(tmp_path: Path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text(
        "Intro.\n\n<!-- excerpt: params.yaml -->\n```diff\n-  train_days: 90\n+  train_days: 30\n"
        "...\n   min_train_rows: 500\n```\n"
    )
    (found,) = excerpts(doc)
    assert found.line == 3 and found.quoted() == ["  train_days: 90", "  min_train_rows: 500"]
    assert (
        first_mismatch(found.quoted(), "  train_days: 90\n  x: 1\n  min_train_rows: 500\n") is None
    )
    assert first_mismatch(found.quoted(), "  train_days: null\n  min_train_rows: 500\n") == (
        "  train_days: 90"
    )
    assert first_mismatch(found.quoted(), "  min_train_rows: 500\n  train_days: 90\n") == (
        "  min_train_rows: 500"
    )


OUTPUTS = [o for doc in DOCS for o in pasted_outputs.outputs(doc)]


@pytest.mark.slow  # runs each command (make lint: ruff and mypy over the whole repository)
@pytest.mark.parametrize("pasted", OUTPUTS, ids=lambda o: f"{o.doc.name}:{o.line}")
def test_a_pasted_output_is_what_the_command_prints_now(pasted: Any) -> None:
    printed = pasted_outputs.printed(pasted.command)
    where = f"{pasted.doc.relative_to(ROOT)}:{pasted.line}"
    assert printed == pasted.lines, (
        f"{where}: `{pasted.command}` now prints (`make docs-outputs` rewrites the page):\n"
        + "\n".join(printed)
    )


def test_refreshing_rewrites_a_stale_output_and_keeps_the_rest(tmp_path: Path) -> None:
    doc = tmp_path / "page.md"
    doc.write_text(
        "Before.\n\n<!-- output: echo one; echo two -->\n```console\n$ echo one; echo two\n"
        "one\nthree\n```\n\nAfter.\n"
    )
    assert pasted_outputs.refresh(doc) == 1
    assert doc.read_text() == (
        "Before.\n\n<!-- output: echo one; echo two -->\n```console\n$ echo one; echo two\n"
        "one\ntwo\n```\n\nAfter.\n"
    )
    assert pasted_outputs.refresh(doc) == 0


def test_the_docs_mark_their_pasted_outputs() -> None:
    assert "make lint" in {o.command for o in OUTPUTS}
