# CareSlot developer commands. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python backend/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/careslot
PYTEST_ARGS ?=
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/careslot_bench
BENCH_SCALE ?= 1
BENCH_DURATION ?= 20
BENCH_ARGS ?=
BACKUP_CHECK_SERVER ?= postgres://postgres@127.0.0.1:5432
# The replica tests' own databases: test_careslot_replica on the primary, streamed to the replica.
REPLICA_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/careslot_replica
REPLICA_TEST_PORT ?= 5434

.PHONY: help install run serve fault-test test fuzz lint format schema lock check-db deploy-check clean bench explain \
	backup-check scale-up scale-down scale-status replica-test bench-scale contract-lint contract-typecheck contract-journeys contract-newman mutate

help:
	@echo "make run      set up .venv, migrate SQLite, load demo data, serve on $(HOST):$(PORT)"
	@echo "              with a task worker beside it (supervisord.conf); Ctrl-C stops both"
	@echo "make test     ruff + the whole pytest suite against PostgreSQL"
	@echo "make serve    gunicorn (production-like) on $(HOST):$(PORT), with a task worker"
	@echo "make fault-test  make serve on its own PostgreSQL and Redis under database, Redis and"
	@echo "              process faults; prints its figures (docs/operations.md)"
	@echo "make fuzz     schemathesis over the live API (PostgreSQL, gunicorn), one run per role"
	@echo "make schema   regenerate api_schema/openapi.yaml and the Postman collection"
	@echo "make lint     ruff format --check, ruff check, import-linter (layers)"
	@echo "make contract-lint       Spectral over api_schema/openapi.yaml (.spectral.yaml)"
	@echo "make contract-typecheck  tsc --noEmit of the TypeScript client (clients/typescript)"
	@echo "make contract-journeys CARESLOT_URL=... CARESLOT_MAIL=...  its journeys, live"
	@echo "make contract-newman CARESLOT_URL=...  the Postman collection with newman, live"
	@echo "make lock     recompile requirements*.lock from pyproject.toml"
	@echo "make mutate  mutmut on the rule-bearing modules (MODULE=loyalty/services.py for one)"
	@echo "make bench    seed careslot_bench at platform scale, load it, print req/s and latencies"
	@echo "              (quick: make bench BENCH_SCALE=0.05 BENCH_DURATION=5)"
	@echo "make backup-check  back up a seeded database, restore it into a fresh one, prove"
	@echo "              nothing was lost (tables, ledgers, schema, API answers); docs/operations.md"
	@echo "make scale-up     a streaming replica (:5433), PgBouncer (:6432), two APIs (:8101, :8102)"
	@echo "              and two task workers on careslot_scale; make scale-down removes it all"
	@echo "make replica-test the tests/scaling suite against a real streaming replica"
	@echo "make bench-scale  1 vs 2 API instances, reports on the replica vs the primary under"
	@echo "              booking load, connections with and without PgBouncer (docs/scaling.md)"
	@echo "make explain  EXPLAIN (ANALYZE, BUFFERS) of slot search and each report on careslot_bench"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

# supervisord (supervisord.conf) runs the processes and starts again any that exits; its pid file
# and control socket live per port, so two `make run`s on different ports stay apart.
# `exec`: supervisord takes make's place in the shell, so Ctrl-C and SIGTERM reach it.
SUPERVISOR_DIR := $(CURDIR)/var/supervisor-$(PORT)
SUPERVISE = mkdir -p $(SUPERVISOR_DIR) && $(1) CARESLOT_SUPERVISOR_DIR=$(SUPERVISOR_DIR) \
	CARESLOT_BIND=$(HOST):$(PORT) WEB_CONCURRENCY=$${WEB_CONCURRENCY:-3} \
	exec $(BIN)/supervisord --configuration supervisord.conf

run: install
	@mkdir -p var/static
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo ""
	@echo "  CareSlot API:  http://$(HOST):$(PORT)/api/v1/"
	@echo "  Swagger UI:    http://$(HOST):$(PORT)/api/docs/"
	@echo "  Redoc:         http://$(HOST):$(PORT)/api/redoc/"
	@echo ""
	$(call SUPERVISE,CARESLOT_DEV=true CARESLOT_WEB=false)

serve: install
	@mkdir -p var/static
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0
	@rm -rf var/metrics && mkdir -p var/metrics
	$(call SUPERVISE,DEBUG=$${DEBUG:-false} PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/metrics \
		CARESLOT_DEV=false CARESLOT_WEB=true)

# The whole process set under faults (docs/operations.md, "Processes and faults"): its own
# PostgreSQL cluster and Redis (restarted and stopped), `make serve`, 10 clients for 30 s.
fault-test: install
	CARESLOT_FAULT_TEST=1 $(BIN)/pytest tests/faults -p no:randomly -p no:cacheprovider -s $(PYTEST_ARGS)

check-db: install
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python scripts/check_database.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	PYTHONPATH=backend $(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint check-db
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/pytest $(PYTEST_ARGS)

fuzz: install
	bash scripts/fuzz.sh

schema: install node_modules/.installed
	$(MANAGE) spectacular --validate --fail-on-warn --file api_schema/openapi.yaml
	node scripts/postman_collection.js
	node_modules/.bin/openapi-typescript api_schema/openapi.yaml --default-non-nullable=false \
		-o clients/typescript/src/schema.ts --silent

contract-lint: node_modules/.installed
	node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity=warn \
		--format=text api_schema/openapi.yaml
	@echo "spectral: $$(grep -cE '^      operationId: ' api_schema/openapi.yaml) operations linted, 0 errors, 0 warnings"

# Casts and `any` would let a schema that lies about a shape compile: none in the client.
contract-typecheck: node_modules/.installed
	node_modules/.bin/tsc -p clients/typescript --noEmit
	@if grep -nE '\bany\b|\bas [A-Za-z{(\[]|@ts-(ignore|expect-error|nocheck)' \
		clients/typescript/src/*.mts | grep -vE '^[^:]+:[0-9]+:\s*(//|/\*|\*)'; then \
		echo "clients/typescript: no casts, any or ts-ignore" >&2; exit 1; fi
	@echo "tsc --noEmit: clients/typescript type-checks (strict, no casts, no any)"

contract-journeys: contract-typecheck
	node_modules/.bin/tsc -p clients/typescript
	node clients/typescript/dist/journey.mjs

contract-newman: node_modules/.installed
	node scripts/newman_run.js $(CARESLOT_URL)

deploy-check: install
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$${SECRET_KEY:-deploy-check-$$(date +%s)-not-a-real-secret-key-0123456789} \
		CACHE_URL=$${CACHE_URL:-redis://127.0.0.1:6379/0} $(MANAGE) check --deploy --fail-level WARNING

lock: install
	$(BIN)/uv pip compile pyproject.toml -q -o requirements.lock --generate-hashes --universal --python-version 3.11
	$(BIN)/uv pip compile pyproject.toml -q --extra dev -o requirements-dev.lock --generate-hashes --universal --python-version 3.11

bench: install
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m scripts.bench \
		--scale $(BENCH_SCALE) --duration $(BENCH_DURATION) $(BENCH_ARGS)

backup-check: install
	$(BIN)/python scripts/backup_restore_check.py --server $(BACKUP_CHECK_SERVER)

# docs/scaling.md. PostgreSQL and PgBouncer run as the postgres OS user; everything under var/scale.
scale-up: install
	bash scripts/scale.sh up

scale-down:
	bash scripts/scale.sh down

scale-status:
	bash scripts/scale.sh status

# A replica of the primary streams the test database pytest creates there; the tests read it
# through CARESLOT_TEST_REPLICA_URL. Its own directory and port, so a running scale-up is left
# alone; removed afterwards, pass or fail. Exit 3 of scale.sh: no server binaries or no postgres
# OS user: the group did not run, which fails (exit 3) unless CARESLOT_ALLOW_SKIPPED_GROUPS names
# `replica` (docs/testing.md); either way the line "replica tests skipped: ..." says so.
REPLICA_TEST_SCALE := SCALE_DIR=$(CURDIR)/var/scale-replica-test SCALE_REPLICA_PORT=$(REPLICA_TEST_PORT) \
	SCALE_DATABASE=$(notdir $(REPLICA_TEST_DATABASE_URL))
replica-test: install
	@status=0; $(REPLICA_TEST_SCALE) bash scripts/scale.sh replica-up || status=$$?; \
	if [ $$status -eq 3 ]; then \
		echo "replica tests skipped: no PostgreSQL server binaries or no postgres OS user"; \
		case ",$$CARESLOT_ALLOW_SKIPPED_GROUPS," in *,replica,*) exit 0 ;; esac; \
		echo "a skipped group fails; CARESLOT_ALLOW_SKIPPED_GROUPS=replica allows it" >&2; exit 3; \
	fi; \
	if [ $$status -ne 0 ]; then $(REPLICA_TEST_SCALE) bash scripts/scale.sh down; exit $$status; fi; \
	DATABASE_URL=$(REPLICA_TEST_DATABASE_URL) \
	CARESLOT_TEST_REPLICA_URL=postgres://postgres@127.0.0.1:$(REPLICA_TEST_PORT)/$(notdir $(REPLICA_TEST_DATABASE_URL)) \
		$(BIN)/pytest tests/scaling -p no:randomly $(PYTEST_ARGS) || status=$$?; \
	$(REPLICA_TEST_SCALE) bash scripts/scale.sh down; exit $$status

# The bench's replica and PgBouncer: their own directory and ports; the bench database stays.
# A pool smaller than the API workers: PostgreSQL holds what the cores can run, not a
# connection per worker (docs/scaling.md, "PgBouncer pool sizing").
BENCH_SCALE_ENV := SCALE_DIR=$(CURDIR)/var/scale-bench SCALE_REPLICA_PORT=5435 SCALE_PGBOUNCER_PORT=6435 \
	SCALE_PGBOUNCER_POOL_SIZE=4 SCALE_KEEP_DATABASE=1
bench-scale: install
	@status=0; $(BENCH_SCALE_ENV) bash scripts/scale.sh db-up || status=$$?; \
	if [ $$status -ne 0 ]; then $(BENCH_SCALE_ENV) bash scripts/scale.sh down; exit $$status; fi; \
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m scripts.bench --scale-out \
		--replica-port 5435 --pgbouncer-port 6435 --pgbouncer-pool-size 4 \
		--scale $(BENCH_SCALE) --duration $(BENCH_DURATION) $(BENCH_ARGS) || status=$$?; \
	$(BENCH_SCALE_ENV) bash scripts/scale.sh down; exit $$status

explain: install
	DATABASE_URL=$(BENCH_DATABASE_URL) JWT_ACCESS_MINUTES=60 $(MANAGE) bench_explain

clean:
	rm -rf $(VENV) node_modules var/careslot.sqlite3 .pytest_cache .ruff_cache clients/typescript/dist

# Mutation testing (docs/testing.md): slow, so neither `make test` nor .ci/run runs it.
# `make mutate MODULE=loyalty/services.py` for one module; every rule-bearing module by default.
MODULE ?=
mutate: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python scripts/mutate.py $(MODULE)
