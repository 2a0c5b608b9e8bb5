"""The pipeline stages (lifecycle.stages) and their models, up to `dvc repro` end to end."""
