"""lifecycle.entry.run: the one shape every entry script has (banner, exit code, clean failure)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from lifecycle.entry import StageFailed, run


def _exits(code: int) -> Callable[[list[str] | None], int]:
    def main(argv: list[str] | None) -> int:
        print("working")
        return code

    return main


def _fails(argv: list[str] | None) -> int:
    raise StageFailed("the window has no rows; check data.as_of")


def test_a_stage_says_start_and_done_around_its_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("ingest", _exits(0)) == 0
    assert capsys.readouterr().out == "[ingest] start\nworking\n[ingest] done\n"


def test_a_nonzero_exit_code_passes_through_without_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run("monitor", _exits(10)) == 10  # e.g. monitoring's "retrain"
    assert "done" not in capsys.readouterr().out


def test_an_expected_error_is_a_message_and_exit_code_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run("split", _fails) == 1
    captured = capsys.readouterr()
    assert captured.err == "[split] FAILED: the window has no rows; check data.as_of\n"
    assert "Traceback" not in captured.err


def test_without_the_banner_stdout_holds_only_the_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("monitor", _exits(0), banner=False) == 0
    assert run("monitor", _fails, banner=False) == 1
    captured = capsys.readouterr()
    assert captured.out == "working\n"
    assert captured.err == "monitor: the window has no rows; check data.as_of\n"


def test_argv_reaches_main_and_argparse_exits_pass_through() -> None:
    def main(argv: list[str] | None) -> int:
        parser = argparse.ArgumentParser()
        parser.add_argument("--days", type=int, required=True)
        return parser.parse_args(argv).days

    assert run("x", main, ["--days", "7"], banner=False) == 7
    with pytest.raises(SystemExit) as bad:
        run("x", main, ["--days", "seven"], banner=False)
    assert bad.value.code == 2


def test_an_unexpected_error_is_not_hidden() -> None:
    def main(argv: list[str] | None) -> int:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        run("x", main)
