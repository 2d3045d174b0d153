# Beffroi: `make run` starts the demo, `make test` runs the whole suite.
# Both install what they need themselves (a virtual environment and Python packages;
# the PostgreSQL server for the tests, with apt-get when run as root).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DATA ?= demo-data
LISTEN ?= 127.0.0.1:8080

FRONT := frontend
FRONT_DEPS := $(FRONT)/node_modules/.installed-stamp
FRONT_BUILD := $(FRONT)/dist/index.html
FRONT_SRC := $(shell find $(FRONT)/src $(FRONT)/public -type f 2>/dev/null) \
	$(FRONT)/index.html $(FRONT)/vite.config.ts $(FRONT)/tsconfig.json

.PHONY: install run test test-fast lint bench clean system-deps frontend screenshots lock schema-doc api-types

# Python packages: exactly the versions of requirements.lock, each checked against its
# hashes (a package replaced on the registry does not install), then Beffroi itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# After changing the dependencies of pyproject.toml: pin them again, with their hashes.
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

# After changing a table: write docs/ref/schema.md again (a test compares it).
schema-doc: install
	$(BIN)/python -m beffroi.db.schema_doc > docs/ref/schema.md

# After changing a route or a response model: write the API's description for the console
# (frontend/openapi.json, a test compares it) and the console's types generated from it.
api-types: install $(FRONT_DEPS)
	$(BIN)/python -m beffroi.web.openapi_dump > $(FRONT)/openapi.json
	cd $(FRONT) && npm run --silent api-types

# The console (TypeScript, Vite): npm packages from the registry, built files not committed.
$(FRONT_DEPS): $(FRONT)/package.json $(FRONT)/package-lock.json $(FRONT)/tools/api-types/package.json
	@./scripts/node-check.sh
	cd $(FRONT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(FRONT_BUILD): $(FRONT_DEPS) $(FRONT_SRC)
	cd $(FRONT) && npm run --silent build -- --logLevel warn

frontend: $(FRONT_BUILD)

run: install frontend
	$(BIN)/beffroi demo --data $(DEMO_DATA) --listen $(LISTEN)

system-deps:
	@./scripts/system-deps.sh

test: install system-deps frontend
	cd $(FRONT) && npm run --silent typecheck && npm run --silent lint && npm test --silent
	BEFFROI_TEST_PG_URL="$$(./scripts/test-postgres.sh)" $(BIN)/pytest -q
	$(MAKE) --no-print-directory lint

# A few minutes: SQLite only, no browser, no third-party camera stacks, no slow test.
test-fast: install
	BEFFROI_TEST_BACKENDS=sqlite $(BIN)/pytest -q -x -m "not slow" \
		--ignore=tests/console --ignore=tests/peers

# The guide's screenshots (docs/guide/img), taken by the console's end-to-end tests.
screenshots: install system-deps frontend
	BEFFROI_SCREENSHOTS=1 BEFFROI_TEST_BACKENDS=sqlite $(BIN)/pytest -q tests/console

lint: install $(FRONT_DEPS)
	cd $(FRONT) && npm run --silent lint
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/beffroi

bench: install
	@command -v ffmpeg >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq ffmpeg >/dev/null; } \
	  || { echo "the ingest baseline needs ffmpeg: run 'sudo apt-get install -y ffmpeg'"; exit 1; }
	$(BIN)/python -m bench.timeline
	$(BIN)/python -m bench.seek
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.journal
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.export
	$(BIN)/python -m bench.alarms

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(FRONT)/node_modules $(FRONT)/dist \
		$(FRONT)/tools/api-types/node_modules
