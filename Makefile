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

# The PDF tests render documents with a Unicode TrueType font.
/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:
	(apt-get update -q && apt-get install -y -q fonts-dejavu-core) >/dev/null || \
	  (sudo apt-get update -q && sudo apt-get install -y -q fonts-dejavu-core) >/dev/null

# The replica tests run a throwaway PostgreSQL cluster with Debian's binaries.
/usr/lib/postgresql/15/bin/initdb:
	(apt-get update -q && apt-get install -y -q postgresql) >/dev/null || \
	  (sudo apt-get update -q && sudo apt-get install -y -q postgresql) >/dev/null

run: $(STAMP)
	$(PY) app.py

test: $(DEVSTAMP) /usr/bin/chromium /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/lib/postgresql/15/bin/initdb
	$(PY) -m pytest -q

ingest: $(STAMP)
	$(PY) -m ingest

SETS := cgs.dev cgs.test scenarios.dev scenarios.test scenarios-more.dev scenarios-extra.dev scenarios-fresh.dev scenarios-new.dev scenarios-blind.dev scenarios-next.dev scenarios-hard.dev scenarios-field.dev scenarios-floor.dev tos-en.dev

# Each run moves the one before it to evals/runs/<set>.previous.json and prints what changed since.
eval: $(STAMP)
	for s in $(SETS); do \
	  $(PY) -m evals run --set evals/sets/$$s.jsonl --out evals/runs/$$s.json --keep-previous || exit 1; \
	done

bench: $(DEVSTAMP)
	$(PY) bench/load.py

compare: $(DEVSTAMP)
	$(PY) -m evals compare
