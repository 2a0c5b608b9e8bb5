"""lifecycle: an end-to-end MLOps reference project.

The modules at this level are the shared contracts (params, settings, the dataset definition,
features, metrics, the registry and its gate, the prediction log, ...). `lifecycle.stages` is what
the DVC stages run; `lifecycle.serving`, `lifecycle.monitoring` and `lifecycle.replay` are the
service, monitoring and the closed loop. Who may import whom: docs/tutorial/architecture.md.
"""
