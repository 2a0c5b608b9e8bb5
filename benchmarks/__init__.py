"""Benchmarks of the project, run by hand (`make bench`); the library never imports them.

Each entry module measures one thing and reports it as ratios against a budget or a baseline
measured in the same run, so that numbers from different machines can be compared:

- `pipeline_repro`: cold and no-op `dvc repro` in a fresh copy of the project, against the bare
  start-up of `dvc` -> reports/bench/pipeline.json.
- `event_table`: the same cold `dvc repro`, `validate` and a monitoring decision on a
  100,000-row window, on a ~300,000-row, 15-column event-level table (tickets_wide.yaml, written
  by tests/datasets/make_tickets.py), against its budgets, `dvc` start-up and the same steps on
  the shipped 18,856-row tickets table -> reports/bench/events.json. Supporting modules:
  `event_steps` (the timed commands, in a fresh copy), `event_report` (ratios and the table).
- `serving_load`: this service against `mlflow models serve` and a bare Starlette floor, same
  model version, under `hey` load -> reports/bench/serving.json and docs/serving-benchmark.md.
  Supporting modules: `hey` (runs the load generator, reads its summary), `serving_contenders`
  (starts and measures each server), `starlette_floor` (the floor's app, run under uvicorn),
  `serving_report` (ratios, verdicts and the Markdown page).
- `monitoring_window`: a monitoring decision on a window of a million logged predictions,
  sampled and unsampled, against a bare Evidently DataDriftPreset -> reports/bench/monitoring.json.
  Supporting module: `monitoring_timings` (builds the log and times every part).

Run them from the repository root, in the project's venv (`make setup`):

    make bench                                  # all four; serving needs `hey` (make bench-deps)
    python -m benchmarks.pipeline_repro
    python -m benchmarks.event_table --volume 4  # a smaller big table, for a quick look
    python -m benchmarks.serving_load --seconds 5
    python -m benchmarks.monitoring_window --rows 100000

Serving and monitoring need a champion in the registry (`make repro` first).
"""
