# Two commands on a fresh machine:
#   make demo   installs everything into .venv and materializes the whole graph on the sample
#   make test   installs everything into .venv and runs the test suite (what CI runs)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
# CPU build of torch; on this project's machines pip finds it as a local file.
TORCH ?= torch==2.13.0

.PHONY: setup demo test bench bench-quality bench-product dev clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q "$(TORCH)"
	$(VENV)/bin/python -m pip install -q -e ".[dev]"
	touch $@

demo: setup
	$(VENV)/bin/newsclust run

test: setup
	$(VENV)/bin/python -m pytest -q newsclust_assets_tests

dev: setup
	DAGSTER_HOME=$(CURDIR)/newsclust_data/dagster_home $(VENV)/bin/python -c "from newsclust_assets.cli import dagster_home; dagster_home()"
	DAGSTER_HOME=$(CURDIR)/newsclust_data/dagster_home $(VENV)/bin/dagster dev -w workspace.yaml

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
# UI-style backfill of the whole history through dagster dev: about 30 minutes on 2 cores; results in benchmarks/results/product_path.{md,json}.
bench-product: setup
	$(VENV)/bin/python -m benchmarks.product_path
	$(VENV)/bin/python -m benchmarks.ui_backfill
