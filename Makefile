# GuideQA: `make run` (the chat) and `make test` do all the set-up on a fresh machine (offline after install).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared
GUIDEQA_PORT ?= 8501
SAMPLE_QUESTION ?= Are procedures 64635 and 64636 medically indicated for a patient with M47.817 spondylosis without myelopathy or radiculopathy, lumbosacral region, and a history of prior spinal fusion?
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run ask ingest test lint eval bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first: the local CPU build (an unpinned torch would pull several GB of CUDA)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e '.[dev]'
	touch $(STAMP)

ingest: setup
	$(BIN)/guideqa ingest corpus

# The physician chat on 127.0.0.1:$(GUIDEQA_PORT). The first run indexes the starter corpus (its
# documents are approved) with a progress bar in the page; later runs reuse the index.
run: setup
	@echo "GuideQA chat: http://127.0.0.1:$(GUIDEQA_PORT)  (Ctrl-C stops it)"
	$(BIN)/streamlit run ui/app.py --server.port $(GUIDEQA_PORT) --server.address 127.0.0.1 --server.headless true

# Ingest + one CLI answer to SAMPLE_QUESTION (what `make run` did before the chat existed).
ask: ingest
	$(BIN)/guideqa ask "$(SAMPLE_QUESTION)"

lint: setup
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/python -m pytest

eval: setup
	@if [ -d "$(SHARED)/evalsets" ]; then \
	  $(BIN)/guideqa eval $(SHARED)/evalsets/acr-appropriateness --out eval-runs/acr && \
	  $(BIN)/guideqa eval $(SHARED)/evalsets/acr-appropriateness --gold $(SHARED)/evalsets/acr-appropriateness/gold-physician-phrased.jsonl --out eval-runs/acr-physician && \
	  $(BIN)/guideqa eval $(SHARED)/evalsets/pubmedqa --out eval-runs/pubmedqa; \
	else echo "make eval: $(SHARED)/evalsets not found; skipping the shared dev sets."; fi

clean:
	rm -rf $(VENV) .guideqa eval-runs .pytest_cache .ruff_cache

# Ratios against the raw floor, written to benchmarks/results/latest.json (see benchmarks/README.md).
bench: setup
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
