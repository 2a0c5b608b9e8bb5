"""The tests, grouped by the part of the project they test (each folder's __init__.py says which).

A package, so that pytest imports every test module by its full name (`tests.core.test_gate`):
test files in different folders may share a basename, and helpers are `tests.helpers.*`.
"""

import pytest

# Asserts in the helpers explain a failure as asserts in tests do; this must run before
# tests.helpers is first imported, hence here in the parent package.
pytest.register_assert_rewrite("tests.helpers")
