# Two entry points: `make demo` runs the main job, `make test` the whole suite.
# Both build the virtualenv in .venv/ first (once, and again when pyproject.toml
# changes), which also compiles the comparator's hot loop; it is compiled again
# when its source changes, so a stale compiled copy never shadows the source.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test services lint bench stack

$(STAMP): pyproject.toml setup.py comparator/walk.py
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	rm -f comparator/walk.*.so  # a failed build must not leave the old one in use
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/shadowdiff demo

# Installs the real services the integration tests use (Kafka jars and Apicurio
# Registry from Maven Central; PostgreSQL, promtool and Chromium from Debian's
# packages); the tests start and stop them.
services: $(STAMP)
	$(BIN)/python -m services install

test: services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	cd clients/go && go vet ./... && go test ./...

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The whole story: a monolith, its Go rewrite, the proxy, traffic, the report.
stack: services
	$(BIN)/python -m examples.stack

bench: $(STAMP)
	$(BIN)/python -m benchmarks all
