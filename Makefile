# The command index. `make help` lists every target; each is one line calling a real tool.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# Optional dependency groups of pyproject.toml that `make setup` installs (tools for each job).
EXTRAS := test,lint,docs,bench,stack
PORT ?= 3000
# The tests run on two workers (pytest-xdist), each test file on one of them, so a file's
# fixtures (a pipeline run, a served model) are paid once; WORKERS=1 runs them in this process.
WORKERS ?= 2
PARALLEL := $(if $(filter 1,$(WORKERS)),,-n $(WORKERS) --dist loadfile)

# Tools from the venv come first; every tool's telemetry is off in the project's commands.
export PATH := $(BIN):$(PATH)
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export BENTOML_DO_NOT_TRACK := true
export DVC_NO_ANALYTICS := 1
export ITERATIVE_DO_NOT_TRACK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# BentoML's model and Bento stores live in the project (BentoML's default is ~/bentoml).
export BENTOML_HOME ?= $(CURDIR)/state/bentoml

.PHONY: help lab screenshots setup stack-deps stack stack-serve stack-stop stack-status demo test test-fast repro summary push pull ui rollback replay lint fmt typecheck docs docs-serve docs-outputs clean monitor monitor-ui calibrate feedback simulate serve bento bench bench-deps

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --8<-- [start:setup]
# torch's CPU build, never the CUDA one: only PyTorch's CPU index (or a local wheel folder) has a
# file with the `+cpu` label, so PyPI alone finds nothing rather than several GB of CUDA wheels.
TORCH := torch==2.13.0+cpu
TORCH_INDEX := https://download.pytorch.org/whl/cpu

$(STAMP): pyproject.toml .ci/constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q "$(TORCH)" 2>/dev/null || { echo "no $(TORCH) here: from $(TORCH_INDEX)"; $(BIN)/pip install -q --index-url $(TORCH_INDEX) "$(TORCH)"; }
	$(BIN)/pip install -q -c .ci/constraints.txt -e ".[$(EXTRAS)]"
	touch $@
# --8<-- [end:setup]

setup: $(STAMP) ## Create .venv with the pinned set (idempotent; seconds when done)

demo: setup ## Set-up, the pipeline and its gate, then the closed-loop replay (serve, monitor, retrain)
	dvc repro && lifecycle summary && python pipelines/replay.py

test: setup stack-deps ## Run every test, slow ones included, with coverage
	pytest $(PARALLEL) --cov --cov-report=term:skip-covered

test-fast: setup ## Run the fast tests only
	pytest $(PARALLEL) -m "not slow"

repro: setup ## Run the DVC pipeline (only the stages whose inputs changed)
	dvc repro

summary: setup ## Print the candidates' metrics and the last gate decision
	lifecycle summary

push: setup ## Push DVC-tracked data and outputs to the default remote
	dvc push

pull: setup ## Pull DVC-tracked data and outputs from the default remote
	dvc pull

# The state `make ui`, `make monitor-ui` and `make monitor` read: the project's own (state/), or
# with STATE=replay the last replay's (after `make demo`: every version it registered, every
# month it monitored). Any other folder laid out like state/ works too.
STATE ?= state
STATE_DIR = $(if $(filter replay,$(STATE)),state/replay/$(shell cat state/replay/last 2>/dev/null || echo drift)/state,$(STATE))

ui: setup ## Start the MLflow UI on http://127.0.0.1:5000 (runs, models, aliases; STATE=replay: the last replay's)
	mlflow ui --backend-store-uri sqlite:///$(STATE_DIR)/mlflow.db --host 127.0.0.1 --port 5000

rollback: setup ## Move the champion alias back to the previous champion
	lifecycle rollback

serve: setup ## Serve the champion on http://127.0.0.1:3000 (PORT=… to change); follows the alias
	bentoml serve serving.service:ChampionService --host 127.0.0.1 --port $(PORT)

bento: setup ## Build a self-contained Bento of the champion, with a non-root Dockerfile
	python serving/import_champion.py && LIFECYCLE_MODEL_SOURCE=bento bentoml build -f serving/bentofile.yaml .

bench: setup ## Benchmarks as ratios (pipeline, stage start-up, last replay, event table, serving vs mlflow serve and Starlette, replicas on PostgreSQL, monitoring); needs hey: bench-deps
	python -m benchmarks.pipeline_repro && python -m benchmarks.stage_startup && python -m benchmarks.replay_timings && python -m benchmarks.event_table && python -m benchmarks.serving_load && python -m benchmarks.monitoring_window

bench-deps: ## Install hey, the load generator of `make bench` (Debian/Ubuntu, apt-get)
	command -v hey >/dev/null || $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y hey

replay: setup ## Play Apr 2011..Dec 2012 month by month: serve, monitor, retrain, promote (POLICY=drift|scheduled|shadow|never|all)
	python pipelines/replay.py --policy $(or $(POLICY),params)

monitor: setup ## Drift + performance of a window of the prediction log, and the decision (START= END= STATE=; exit 0 ok, 10 retrain, 20 insufficient data)
	LIFECYCLE_STATE_DIR=$(STATE_DIR) python monitoring/monitor.py $(if $(START),--start $(START)) $(if $(END),--end $(END))

screenshots: setup ## Look at the Swagger page, MLflow UI, Evidently UI, a monitoring report and the tutorial in headless Chromium, offline: PNGs in reports/screenshots/ (STATE=replay after make demo)
	python docs/screenshots.py --state $(STATE_DIR)

monitor-ui: setup ## Start the Evidently UI on http://127.0.0.1:8080 (every monitored window; STATE=replay: the last replay's)
	evidently ui --workspace $(STATE_DIR)/evidently --host 127.0.0.1 --port 8080

calibrate: setup ## Replay the drift rule on every labelled monitored window: false alarms per threshold (WINDOWS=reports/replay/monitoring, after make demo)
	python monitoring/calibrate.py $(if $(WINDOWS),--windows $(WINDOWS))

feedback: setup ## Deliver ground truth for START..END from the source table (labels arrive late)
	python monitoring/feedback.py --start $(START) --end $(END)

traffic: setup ## Send START..END of the source table to the service on PORT, one request per row (or URL=)
	python serving/traffic.py --start $(START) --end $(END) --url $(or $(URL),http://127.0.0.1:$(PORT))

simulate: setup ## Log the champion's predictions for START..END of the source table, without the server
	python monitoring/simulate.py --start $(START) --end $(END)

lab: setup ## Run a break-it lab's check (LAB=worse-model; STEP=break|fix, or cycle: every step, edits the workspace)
	python docs/labs.py $(or $(STEP),check) $(or $(LAB),$(error LAB= names a page of docs/tutorial/labs/, e.g. LAB=worse-model))

lint: setup ## Ruff lint and format check, mypy, then actionlint on .github/workflows
	ruff check . && ruff format --check . && mypy && actionlint

fmt: setup ## Format and auto-fix with ruff
	ruff format . && ruff check --fix .

typecheck: setup ## Type-check with mypy
	mypy

docs: setup ## Build the tutorial into site/ (offline, strict: any warning fails)
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict -f docs/mkdocs.yml

docs-serve: setup ## Serve the tutorial on http://127.0.0.1:8000 with live reload
	NO_MKDOCS_2_WARNING=1 mkdocs serve -f docs/mkdocs.yml -a 127.0.0.1:8000

docs-outputs: setup ## Rewrite the command outputs pasted in the docs with what each command prints now
	python docs/outputs.py

clean: ## Remove runtime state and reports (keeps .venv, the DVC cache and the DVC remote)
	find state -mindepth 1 -maxdepth 1 ! -name dvc-remote -exec rm -rf {} + 2>/dev/null; rm -rf reports data/interim data/processed

# The team stack on localhost (chapter 8): its processes, logs and state live in STACK_DIR.
STACK_DIR ?= state/stack

stack: setup stack-deps ## Start a team's stack here: PostgreSQL, S3 (moto), MLflow server, Prometheus, Pushgateway, Evidently UI
	python stack/stack.py --dir $(STACK_DIR) up

stack-serve: setup ## Start REPLICAS=2 service replicas on the stack (after `source state/stack/env.sh && make repro`)
	python stack/stack.py --dir $(STACK_DIR) serve --replicas $(or $(REPLICAS),2)

stack-stop: ## Stop every process of the stack (replicas first, PostgreSQL last) and delete its data
	python stack/stack.py --dir $(STACK_DIR) down

stack-status: ## One line per stack process: URL, pid, healthy or down (exit 1 if any is down)
	python stack/stack.py --dir $(STACK_DIR) status

stack-deps: ## Install Prometheus, promtool, the Pushgateway and Chromium (Debian's packages; as root, or says what to install)
	@if command -v prometheus >/dev/null && command -v promtool >/dev/null && command -v prometheus-pushgateway >/dev/null && command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  pkgs="prometheus prometheus-pushgateway chromium"; export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends $$pkgs >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$pkgs >/dev/null; }; \
	else echo "stack-deps: install Debian/Ubuntu's packages prometheus, prometheus-pushgateway and chromium (sudo apt-get install prometheus prometheus-pushgateway chromium), or put prometheus, promtool, prometheus-pushgateway and chromium on PATH; the alerting and screenshot tests need them"; fi
