"""Shared contracts at the top of src/lifecycle/: params, dataset, features, gate, metrics, log."""
