# Two commands for a fresh clone:
#   make run    install what is needed, ingest the corpus if the index is stale, serve the chat
#   make test   install dev dependencies and a headless Chromium if missing, run every test
PY := .venv/bin/python
STAMP := .venv/.installed
DEVSTAMP := .venv/.installed-dev
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test ingest eval compare bench

$(PY):
	python3 -m venv .venv

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

/usr/bin/chromium:
	(apt-get update -q && apt-get install -y -q chromium) >/dev/null || \
	  (sudo apt-get update -q && sudo apt-get install -y -q chromium) >/dev/null

# The replica tests run a throwaway PostgreSQL cluster with Debian's binaries.
/usr/lib/postgresql/15/bin/initdb:
	(apt-get update -q && apt-get install -y -q postgresql) >/dev/null || \
	  (sudo apt-get update -q && sudo apt-get install -y -q postgresql) >/dev/null

run: $(STAMP)
	$(PY) app.py

test: $(DEVSTAMP) /usr/bin/chromium /usr/lib/postgresql/15/bin/initdb
	$(PY) -m pytest -q

ingest: $(STAMP)
	$(PY) -m ingest

eval: $(STAMP)
	$(PY) -m evals run --set evals/cgs.jsonl --out evals/runs/cgs.json

compare: $(DEVSTAMP)
	$(PY) -m evals compare --set evals/cgs.jsonl
