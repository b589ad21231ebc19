# The two commands a newcomer needs: `make run` and `make test` (see README).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# Tests run on the real services by default (override to point elsewhere).
TEST_DATABASE_URL ?= mysql://root@127.0.0.1:3306/catalog
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672//
TEST_RABBITMQ_MANAGEMENT_URL ?= http://guest:guest@127.0.0.1:15672
PYTEST_ARGS ?=

# Markers of the tests that need MariaDB or RabbitMQ themselves (see setup.cfg).
NEEDS_SERVICES := integration or mariadb or rabbitmq

.PHONY: run test test-browser test-cluster test-ops-stack test-embedded-backlog test-outside test-sqlite test-fast test-mutation lint typecheck format install clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	scripts/system-deps.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Quiet: each step says in a line what it did (errors print in full); CATALOG_VERBOSE=1
# brings back Celery's banners and every access line (docs/operations.md, "Logs").
run: $(STAMP)
	@$(PY) manage.py migrate --noinput --verbosity 0 && echo "Database migrated."
	@$(PY) manage.py seed_catalog --products $${SEED_PRODUCTS:-2000}
	@# A baseline history record per seeded row, so an editor's first save shows a diff
	@# (nothing to do, silently, once any history exists).
	@$(PY) manage.py history_baseline
	@# Figures for the demo catalog before the workers start (current ones are only read).
	@$(PY) manage.py recompute_stats --all --in-process
	@$(PY) manage.py create_demo_admin
	@echo "Admin: http://127.0.0.1:$${WEB_PORT:-8000}/admin/  (Ctrl-C stops every process)"
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m config.process_manager

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy over the apps, not tests (pyproject.toml); settings load with no services.
typecheck: $(STAMP)
	DJANGO_ENV=test $(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# promtool (Debian's prometheus package, the tool only: no server is started) for
# tests/ops/test_promtool.py, only if missing. The browser tests (about 5 minutes on 2 cores)
# have their own lane, test-browser, which keeps this one under 20 minutes.
test: $(STAMP) lint typecheck
	scripts/system-deps.sh promtool
	RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) scripts/rabbitmq-management.sh
	DJANGO_ENV=test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) \
		$(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS)

# The browser tests: headless Debian chromium (installed if missing) through Playwright.
test-browser: $(STAMP)
	scripts/system-deps.sh browser
	DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) \
		$(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

# Issue 14's acceptance at full length (about 8 minutes): every Procfile process on a fresh
# RabbitMQ vhost and on the embedded broker, 300 status snapshots under a save load, a
# SIGKILL of each worker. `make test` runs the same test with 15 snapshots. Prints the
# figures (also in var/test-ops-stack/figures.json).
test-ops-stack: $(STAMP)
	RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) scripts/rabbitmq-management.sh
	OPS_STACK_SNAPSHOTS=$${OPS_STACK_SNAPSHOTS:-300} DJANGO_ENV=test \
		DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) \
		$(VENV)/bin/pytest -rP tests/ops/test_procfile_stack.py $(PYTEST_ARGS)

# Issue 22's acceptance at full length (about 3 minutes): on the embedded default (SQLite and
# the embedded broker, no service), 50,000 save requests, one per product, drained while
# publishers and the Procfile's workers are SIGKILLed at random; every product's statistics
# checked against the reference. `make test` runs it with 5,000 (docs/operations.md).
test-embedded-backlog: $(STAMP)
	EMBEDDED_BACKLOG=$${EMBEDDED_BACKLOG:-50000} DJANGO_ENV=test \
		CATALOG_VAR_DIR=$(CURDIR)/var/test-embedded-backlog DATABASE_URL= CELERY_BROKER_URL= \
		RABBITMQ_MANAGEMENT_URL= $(VENV)/bin/pytest -rP -s tests/ops/test_embedded_backlog.py $(PYTEST_ARGS)

# Issue 26: tools this project did not write, against RabbitMQ with make test's settings:
# celery-exporter's queue figures held against ours beside the Procfile's processes
# (tests/ops/test_outside_exporter.py) and celery-batches' own cases against LeanBatches
# (tests/stats/batch/test_upstream_cases.py). scripts/outside-tools.sh first installs the
# exporter, pinned, into a virtualenv of its own (its prometheus-client pin is not ours);
# the tests never download anything, and under CI=true a missing tool fails them.
OUTSIDE_TOOLS_VENV ?= $(CURDIR)/var/outside-venv
test-outside: $(STAMP)
	OUTSIDE_TOOLS_VENV=$(OUTSIDE_TOOLS_VENV) scripts/outside-tools.sh
	RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) scripts/rabbitmq-management.sh
	OUTSIDE_TOOLS_VENV=$(OUTSIDE_TOOLS_VENV) DJANGO_ENV=test \
		DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		RABBITMQ_MANAGEMENT_URL=$(TEST_RABBITMQ_MANAGEMENT_URL) $(VENV)/bin/pytest -rP \
		tests/ops/test_outside_exporter.py tests/stats/batch/test_upstream_cases.py $(PYTEST_ARGS)

# Issue 17: quorum queues on a three-node RabbitMQ cluster on this machine, started beside
# the system node by scripts/rabbitmq-cluster.sh (left running; `... stop` or `... clean`).
# Runs the tests marked quorum or cluster, which make test deselects (docs/operations.md).
CLUSTER_VHOST ?= catalog
CLUSTER_NODE_URL = amqp://guest:guest@127.0.0.1:$(1)/$(CLUSTER_VHOST)
CLUSTER_BROKER_URL = $(call CLUSTER_NODE_URL,5701);$(call CLUSTER_NODE_URL,5702);$(call CLUSTER_NODE_URL,5703)
test-cluster: $(STAMP)
	scripts/rabbitmq-cluster.sh start
	scripts/rabbitmq-cluster.sh ctl 1 -q add_vhost $(CLUSTER_VHOST) 2>/dev/null || true
	scripts/rabbitmq-cluster.sh ctl 1 -q set_permissions -p $(CLUSTER_VHOST) guest '.*' '.*' '.*'
	DJANGO_ENV=test CELERY_QUEUE_TYPE=quorum DATABASE_URL=$(TEST_DATABASE_URL) \
		CELERY_BROKER_URL='$(CLUSTER_BROKER_URL)' \
		RABBITMQ_MANAGEMENT_URL=http://guest:guest@127.0.0.1:15701 RABBITMQ_VHOST=$(CLUSTER_VHOST) \
		$(VENV)/bin/pytest -rP -m "quorum or cluster" $(PYTEST_ARGS)

# Optional second target: the suite on SQLite and the embedded broker, less the tests
# that need MariaDB or RabbitMQ themselves (deselected, not skipped: see tests/conftest.py).
test-sqlite: $(STAMP)
	DJANGO_ENV=test CATALOG_VAR_DIR=$(CURDIR)/var/test DATABASE_URL= CELERY_BROKER_URL= \
		RABBITMQ_MANAGEMENT_URL= $(VENV)/bin/pytest -m "not ($(NEEDS_SERVICES))" $(PYTEST_ARGS)

# Unit tests in under a minute: no MariaDB, RabbitMQ, worker processes, browser, promtool
# or slow test (SQLite and the embedded broker, in a var directory of its own).
test-fast: $(STAMP)
	DJANGO_ENV=test CATALOG_VAR_DIR=$(CURDIR)/var/test-fast DATABASE_URL= CELERY_BROKER_URL= \
		RABBITMQ_MANAGEMENT_URL= \
		$(VENV)/bin/pytest -m "not ($(NEEDS_SERVICES) or browser or promtool or slow)" $(PYTEST_ARGS)

# Issue 27's scale benchmark (bench/scale.py, figures in bench/README.md): seeds the catalog
# in SCALE_DB if it is smaller (timed), computes the statistics of 95 % of it, and measures
# every product list path against its goal and the list before #27, a product's change form
# and its save, and the background paths (category refresh, sweep, snapshot, a bulk chunk)
# against the shapes they replaced, in the same run. The demo seed stops at 999,999
# products (catalog.demo.SEED_MAX_PRODUCTS).
# Options: SCALE_ARGS='--products 200000 --repeat 20 --parts list,form,background'.
SCALE_DB ?= catalog_scale
SCALE_ARGS ?= --products 999999
SCALE_ENV = DJANGO_ENV=test DATABASE_URL=mysql://root@127.0.0.1:3306/$(SCALE_DB) CELERY_BROKER_URL=
.PHONY: bench-scale
bench-scale: $(STAMP)
	mariadb -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS $(SCALE_DB) CHARACTER SET utf8mb4'
	$(SCALE_ENV) $(PY) manage.py migrate -v0
	$(SCALE_ENV) $(PY) bench/scale.py $(SCALE_ARGS)

# Issue 27's import at scale (bench/import.py, figures in bench/README.md): a file of exactly
# 1,000,000 rows (333,472 demo products) imported into an emptied IMPORT_SCALE_DB through the
# Procfile's workers, against django-import-export's row-by-row import in the same run, with
# the import worker's peak RSS and CPU, and the statistics checked on a random sample.
# Needs RabbitMQ (a vhost of its own, IMPORT_SCALE_VHOST, made here if missing). About 15 minutes on 2 cores.
# Options: IMPORT_SCALE_ARGS='--rows 100000' (the second size for memory), '--stats-sample 0'.
IMPORT_SCALE_DB ?= catalog_bench_import
IMPORT_SCALE_VHOST ?= bench
IMPORT_SCALE_ARGS ?= --rows 1000000
.PHONY: bench-import-scale
bench-import-scale: $(STAMP)
	mariadb -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS $(IMPORT_SCALE_DB) CHARACTER SET utf8mb4'
	rabbitmqctl -q add_vhost $(IMPORT_SCALE_VHOST) 2>/dev/null || true
	rabbitmqctl -q set_permissions -p $(IMPORT_SCALE_VHOST) guest '.*' '.*' '.*'
	DATABASE_URL=mysql://root@127.0.0.1:3306/$(IMPORT_SCALE_DB) RABBITMQ_VHOST=$(IMPORT_SCALE_VHOST) \
		CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/$(IMPORT_SCALE_VHOST) \
		$(PY) bench/import.py $(IMPORT_SCALE_ARGS)

# Issue 26's mutation lane (about 12 minutes on 2 cores, out of `make test`): mutmut, pinned
# as setup.cfg's `mutation` extra, mutates catalog/concurrency.py, catalog/rules.py,
# stats/figures.py and stats/bulk/ratelimit.py in a copy (mutants/, made afresh) and runs
# the fast unit tests that exercise them (setup.cfg [mutmut]; SQLite and the embedded
# broker, no service), at low priority. Prints the score, killed / (all - the equivalents
# named in docs/architecture.md "Mutation testing"); fails under 90 % or on a stale note.
MUTATION_STAMP := $(VENV)/.mutation-stamp
$(MUTATION_STAMP): $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[test,mutation]'
	touch $(MUTATION_STAMP)

test-mutation: $(MUTATION_STAMP)
	rm -rf mutants && mkdir -p var/test-mutation
	DJANGO_ENV=test CATALOG_VAR_DIR=$(CURDIR)/var/test-mutation DATABASE_URL= CELERY_BROKER_URL= \
		RABBITMQ_MANAGEMENT_URL= nice -n 15 $(VENV)/bin/mutmut run --max-children $${MUTATION_JOBS:-2} \
		> var/test-mutation/mutmut.log 2>&1 || { tail -n 40 var/test-mutation/mutmut.log; exit 1; }
	$(PY) scripts/mutation_score.py

clean:
	rm -rf $(VENV) var mutants .pytest_cache .ruff_cache .mypy_cache *.egg-info

# Issue 17's deployment rehearsal (about 7 minutes; out of `make test`): on the three-node
# cluster (vhost `rehearsal`, recreated each run and deleted after it) and a fresh MariaDB
# database, 4 web processes, 3 batch workers, 2 bulk workers, beat and the import worker
# from the Procfile, 50 editors saving through the admin for 180 s. Prints the figures
# (also var/rehearsal/figures.json); docs/operations.md#deployment-rehearsal.
# Options: REHEARSAL_ARGS='--duration 60 --editors 20 --batch 2 ...'.
REHEARSAL_DB ?= catalog_rehearsal
REHEARSAL_VHOST ?= rehearsal
REHEARSAL_ARGS ?=
REHEARSAL_NODE_URL = amqp://guest:guest@127.0.0.1:$(1)/$(REHEARSAL_VHOST)
REHEARSAL_BROKER_URL = $(call REHEARSAL_NODE_URL,5701);$(call REHEARSAL_NODE_URL,5702);$(call REHEARSAL_NODE_URL,5703)
.PHONY: rehearsal
rehearsal: $(STAMP)
	scripts/rabbitmq-cluster.sh start
	scripts/rabbitmq-cluster.sh ctl 1 -q delete_vhost $(REHEARSAL_VHOST) 2>/dev/null || true
	scripts/rabbitmq-cluster.sh ctl 1 -q add_vhost $(REHEARSAL_VHOST)
	scripts/rabbitmq-cluster.sh ctl 1 -q set_permissions -p $(REHEARSAL_VHOST) guest '.*' '.*' '.*'
	mariadb -uroot -h127.0.0.1 -e 'DROP DATABASE IF EXISTS $(REHEARSAL_DB); CREATE DATABASE $(REHEARSAL_DB) CHARACTER SET utf8mb4'
	DJANGO_ENV=test CELERY_QUEUE_TYPE=quorum \
		DATABASE_URL=mysql://root@127.0.0.1:3306/$(REHEARSAL_DB) \
		CELERY_BROKER_URL='$(REHEARSAL_BROKER_URL)' \
		RABBITMQ_MANAGEMENT_URL=http://guest:guest@127.0.0.1:15701 \
		RABBITMQ_VHOST=$(REHEARSAL_VHOST) \
		$(PY) bench/rehearsal.py $(REHEARSAL_ARGS); \
		status=$$?; scripts/rabbitmq-cluster.sh ctl 1 -q delete_vhost $(REHEARSAL_VHOST); exit $$status
