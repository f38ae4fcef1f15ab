# The entry points a newcomer needs: make demo, make test, make lint, make bench.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint core-check format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/intake-bot console --project "Demo project"

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/kubernetes-validate --strict deploy/k8s/*.yaml
	$(BIN)/hadolint deploy/Dockerfile

# The core alone (`pip install .`, no [slack] or [teams]) in a throwaway venv: `decide` prints
# a strategy, and a whole console intake reaches its summary on the embedded Redis (REDIS_URL
# unset, and run from the temp dir so no `.env` here is read). The sources are copied out first
# so pip's in-tree build leaves nothing in the checkout. Needs no .venv.
CORE_DECIDE_INPUT := {"volume": "40 GB a day", "churn": "nightly", "sla": "no SLA", "customer": "file_based", "config": "no"}
CORE_CONSOLE_INPUT := 40 GB a day\n@maria, the fraud team, finance\nnightly\nevery 30 days\n50k calls an hour\nno\nunder 50 ms\npartner apps over the internet\nxgboost\n

core-check:
	@set -eu; unset REDIS_URL PYTHONPATH; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "core-check: installing the core into $$tmp"; \
	mkdir "$$tmp/src"; cp -R bot conversations pyproject.toml README.md "$$tmp/src/"; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	cd "$$tmp/src"; "$$tmp/venv/bin/python" -m pip install --quiet .; \
	cd "$$tmp"; \
	echo '$(CORE_DECIDE_INPUT)' | venv/bin/intake-bot decide > decide.json; \
	venv/bin/python -c 'import json, sys; print("core-check: decide recommends", json.load(sys.stdin)["strategy"])' < decide.json; \
	printf '$(CORE_CONSOLE_INPUT)' | INTAKE_STATE_DIR="$$tmp/state" \
		venv/bin/intake-bot console --project "Core check" --user core-check > console.txt; \
	grep -q "Intake summary" console.txt || { cat console.txt; echo "core-check: the console intake reached no summary" >&2; exit 1; }; \
	echo "core-check: the console intake reached its summary"

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/dialogue.py
	$(BIN)/python bench/slack_load.py
	$(BIN)/python bench/record_size.py
	$(BIN)/python bench/turn_cost.py

clean:
	rm -rf $(VENV) .intake .pytest_cache .mypy_cache .ruff_cache
