"""The ML Test Score page is scored from the tests' markers, and cannot claim more or less."""

from tests.helpers.ml_test_score import PAGE, marked_tests, problems, scored

TINY = """## Data

| # | test | how it is covered | score |
| --- | --- | --- | --- |
| D1 | Schema | `tests/a.py::test_schema` | auto |
| D2 | Useful | by hand | manual |
| D3 | Cost | **not covered** | 0 |

## The score

old table

**1 of 1 tests are covered; the ML Test Score is 9.0** (the minimum: data).
"""


def test_the_page_agrees_with_the_markers() -> None:
    text, marked = PAGE.read_text(), marked_tests()
    assert problems(text, marked) == []
    assert scored(text, marked) == text, "stale: python -m tests.helpers.ml_test_score --write"


def test_every_auto_item_of_the_page_has_a_marked_test() -> None:
    marked = marked_tests()
    assert {"D1", "M4", "I1", "Mo7"} <= set(marked)
    assert all(
        test.startswith("tests/") and "::test_" in test for t in marked.values() for test in t
    )


def test_a_claim_without_a_test_or_a_test_without_its_claim_is_caught() -> None:
    assert problems(TINY, {"D1": ["tests/a.py::test_schema"]}) == []
    assert problems(TINY, {}) == ["D1: the page says auto, but no test carries ml_test_score('D1')"]
    assert problems(TINY, {"D1": ["tests/a.py::test_schema"], "D2": ["tests/b.py::test_x"]}) == [
        "D2: 1 test(s) automate it, but the page says manual",
        "D2: the row does not name tests/b.py::test_x",
    ]


def test_the_score_follows_from_the_rows() -> None:
    page = scored(TINY, {"D1": ["tests/a.py::test_schema"], "D2": ["tests/b.py::test_x"]})
    assert "| D2 | Useful | by hand | auto |" in page  # a marked test makes its item auto
    assert "| Data | 2 of 3 | 2 | 0 | 2.0 |" in page
    assert "**2 of 3 tests are covered; the ML Test Score is 2.0** (the minimum: data)." in page
    unmarked = scored(TINY, {})  # a lost test is reported, never silently turned into manual
    assert "| D1 | Schema | `tests/a.py::test_schema` | auto |" in unmarked


def test_a_test_is_named_exactly_not_by_a_prefix() -> None:
    longer = TINY.replace("test_schema`", "test_schema_more`")
    assert problems(longer, {"D1": ["tests/a.py::test_schema"]}) == [
        "D1: the row does not name tests/a.py::test_schema"
    ]
