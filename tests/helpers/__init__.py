"""Helpers the tests import as `from tests.helpers.x import y` (fixtures stay in conftest.py)."""
