# Two entry points: `make demo` runs the main job, `make test` the whole suite.
# Both build the virtualenv in .venv/ first (once, and again when the lock or
# the package changes), installing exactly the versions in requirements.lock,
# each checked against its hash; that also compiles the comparator's hot loop,
# again when its source changes, so a stale compiled copy never shadows the source.
# `make lock` refreshes the lock from pyproject.toml and requirements.in.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV := uv==0.13.8
LOCK_FLAGS := --extra dev --universal --python-version 3.11 --generate-hashes

.PHONY: demo test services lint bench stack lock

$(STAMP): requirements.lock pyproject.toml setup.py comparator/walk.py
	@echo "== virtualenv in $(VENV), and the installer ($(UV)): about 5 s"
	python3 -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar off '$(UV)'
	@echo "== the locked dependencies (requirements.lock): seconds with a warm cache, a minute or two without"
	$(BIN)/uv pip install --python $(BIN)/python --require-hashes -r requirements.lock
	@echo "== shadowdiff itself, compiling the comparator's hot loop: about 10 s"
	rm -f comparator/walk.*.so  # a failed build must not leave the old one in use
	@# No cache: uv keys a local build on pyproject.toml and setup.py, not walk.py.
	$(BIN)/uv pip install --python $(BIN)/python --no-deps --no-build-isolation --no-cache -e .
	touch $(STAMP)

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements.in $(LOCK_FLAGS) -o requirements.lock

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
