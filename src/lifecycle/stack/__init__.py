"""`make stack`: a team's stack on one machine, without Docker, as real processes on localhost.

PostgreSQL (pgserver's binaries), an S3-compatible object store (moto's server), an MLflow
tracking server on both, Prometheus with a Pushgateway, the Evidently UI, and N replicas of the
service that share one prediction log in PostgreSQL. One small module per component
(`postgres`, `objectstore`, `mlflow_server`, `prometheus_server`, `evidently_ui`, `replicas`);
what they share: `daemon` (start, health wait, stop), `process_groups`, `ports`; `components`
wires them together, `team.Stack` starts, records (`stack_state`) and stops them all, and
`guide` says how to use them. The entry point is `stack/stack.py` (`make stack`, ...).
"""
