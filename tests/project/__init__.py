"""Checks of the repository as a whole: docs name real things, layers, pipeline deps."""
