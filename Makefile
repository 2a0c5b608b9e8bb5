# The command index. `make help` lists every target; each is one line calling a real tool.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

# Tools from the venv come first; every tool's telemetry is off in the project's commands.
export PATH := $(BIN):$(PATH)
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export BENTOML_DO_NOT_TRACK := true
export DVC_NO_ANALYTICS := 1
export ITERATIVE_DO_NOT_TRACK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup demo test test-fast repro summary push pull ui rollback lint fmt typecheck clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml .ci/constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0 -c .ci/constraints.txt
	$(BIN)/pip install -q -c .ci/constraints.txt -e ".[dev]"
	touch $@

setup: $(STAMP) ## Create .venv with the pinned set (idempotent; seconds when done)

demo: setup ## Set-up, run the pipeline, print the candidates and the gate's decision
	dvc repro
	lifecycle summary

test: setup ## Run every test, slow ones included, with coverage
	pytest --cov --cov-report=term:skip-covered

test-fast: setup ## Run the fast tests only
	pytest -m "not slow"

repro: setup ## Run the DVC pipeline (only the stages whose inputs changed)
	dvc repro

summary: setup ## Print the candidates' metrics and the last gate decision
	lifecycle summary

push: setup ## Push DVC-tracked data and outputs to the default remote
	dvc push

pull: setup ## Pull DVC-tracked data and outputs from the default remote
	dvc pull

ui: setup ## Start the MLflow UI on http://127.0.0.1:5000 (runs, models, aliases)
	mlflow ui --backend-store-uri sqlite:///state/mlflow.db --host 127.0.0.1 --port 5000

rollback: setup ## Move the champion alias back to the previous champion
	lifecycle rollback

lint: setup ## Ruff lint and format check, then mypy
	ruff check . && ruff format --check . && mypy

fmt: setup ## Format and auto-fix with ruff
	ruff format . && ruff check --fix .

typecheck: setup ## Type-check with mypy
	mypy

clean: ## Remove runtime state and reports (keeps .venv and the DVC cache)
	rm -rf state reports data/interim data/processed
