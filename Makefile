# Passerelle — the two commands are `make run` and `make test`; both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests use a separate Redis database and never share the dev cache.
TEST_ENV := PASSERELLE_ENV=test REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} DJANGO_ALLOW_ASYNC_UNSAFE=true
# The application connects as a runtime role that cannot touch the journal (docs/security.md);
# migrations run as DATABASE_URL's owner. DATABASE_APP_USER= (empty) runs all as the owner.
APP_DB_ENV := DATABASE_APP_USER=$${DATABASE_APP_USER-passerelle_app} DATABASE_APP_PASSWORD=$${DATABASE_APP_PASSWORD:-passerelle-app-dev}
# Benchmarks and the load test use their own database (kept between runs: the generated centre
# takes about five minutes to build) so `make test --create-db` never drops it.
BENCH_ENV := $(TEST_ENV) DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/passerelle_bench}

.PHONY: backup restore help install run worker beat test test-fast quality bench faults load system-deps browser-deps compose-deps clean

help:
	@echo "make run      installe, prépare la base, charge la démo et sert http://$(HOST):$(PORT)"
	@echo "make test     installe et lance toute la suite de tests"
	@echo "make quality  format, lint, types, migrations, gabarits, docker-compose.yml"
	@echo "make bench    mesures de performance (tests/bench), voir docs/performance.md"
	@echo "make load     test de charge (gunicorn, 40 personnes simulées, ~2 min)"
	@echo "make faults   tests de panne (PostgreSQL redémarré, Redis coupé, disque plein)"
	@echo "make worker   un worker Celery (avec REDIS_URL)"
	@echo "make backup   sauvegarde chiffrée (pg_dump + gpg) dans var/backups, rétention 30 jours"
	@echo "make restore BACKUP=fichier [RESTORE_DATABASE_URL=…]  restaure dans une base vide"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# With a Redis that answers (REDIS_URL, or one on 127.0.0.1:6379), a Celery worker is started
# beside the server for reports (and stopped with it); without, reports run in the web process.
RUN_REDIS := $${REDIS_URL:-redis://127.0.0.1:6379/0}
run: install
	$(PY) manage.py ensure_database
	DATABASE_AS_OWNER=1 $(PY) manage.py migrate --noinput
	$(APP_DB_ENV) $(PY) manage.py setup_db_roles
	$(APP_DB_ENV) $(PY) manage.py seed_demo
	@echo ""
	@if $(PY) -c "import sys, redis; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()" "$(RUN_REDIS)" 2>/dev/null; then \
	  export REDIS_URL="$(RUN_REDIS)"; \
	  echo "Redis répond ($$REDIS_URL) : un worker Celery démarre pour les rapports (journal : celery-worker.log)."; \
	  $(APP_DB_ENV) $(VENV)/bin/celery -A centre worker --loglevel=INFO --concurrency=2 >celery-worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	else \
	  echo "Redis ne répond pas : pas de worker Celery, les rapports sont produits par le serveur web (avancement affiché)."; \
	fi; \
	echo "Passerelle : http://$(HOST):$(PORT)/  (Ctrl+C pour arrêter)"; \
	$(APP_DB_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(APP_DB_ENV) $(VENV)/bin/celery -A centre worker --loglevel=INFO --concurrency=2

beat: install
	$(APP_DB_ENV) $(VENV)/bin/celery -A centre beat --loglevel=INFO

# Debian packages the suite needs: Chromium for the browser tests.
browser-deps:
	@test -x /usr/bin/chromium || { \
	  echo "Installation de Chromium (Debian) pour les tests navigateur…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# docker-compose (v1, Debian) validates docker-compose.yml without a Docker engine.
compose-deps:
	@command -v docker-compose >/dev/null || { \
	  echo "Installation de docker-compose (Debian) pour valider docker-compose.yml…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }

# axe-core (npm registry) for the automated accessibility checks of the browser tests.
AXE_VERSION := 4.14.1
AXE := tests/e2e/.node/node_modules/axe-core/axe.min.js
$(AXE):
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm install --silent --no-audit --no-fund --prefix tests/e2e/.node axe-core@$(AXE_VERSION)

system-deps: browser-deps $(AXE)

test: install system-deps
	$(TEST_ENV) $(PY) manage.py ensure_database
	$(TEST_ENV) $(PY) -m pytest --create-db $(PYTEST_ARGS)

# Reuses the test database between runs (developer loop).
test-fast: install
	$(TEST_ENV) $(PY) -m pytest -x $(PYTEST_ARGS)

quality: install compose-deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	PASSERELLE_ENV=test $(PY) manage.py makemigrations --check --dry-run
	PASSERELLE_ENV=test $(PY) manage.py validate_templates
	docker-compose -f docker-compose.yml config -q

bench: install
	@echo "(base de bench : $${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/passerelle_bench}, données gardées entre deux runs ; BENCH_FRESH=1 pour régénérer)"
	$(BENCH_ENV) $(PY) manage.py ensure_database
	$(BENCH_ENV) $(PY) -m pytest tests/bench -p no:randomly -s -q $${BENCH_FRESH:+--create-db} --reuse-db -o addopts="" --ds=centre.settings $(PYTEST_ARGS)

# Fault tests, the PostgreSQL restart included (own cluster and gunicorn; not in `make test`).
faults: install
	$(TEST_ENV) $(PY) manage.py ensure_database
	PASSERELLE_FAULTS=all $(TEST_ENV) $(PY) -m pytest tests/faults -p no:randomly -v $(PYTEST_ARGS)

# Load test: gunicorn on loopback against the generated centre (see docs/performance.md).
load: install
	$(BENCH_ENV) $(PY) manage.py ensure_database
	$(BENCH_ENV) $(PY) -m tests.load.run $(LOAD_ARGS)

# Encrypted backups (deploy/backup.sh, deploy/restore.sh; docs/security.md). The passphrase
# comes from BACKUP_PASSPHRASE or BACKUP_PASSPHRASE_FILE; keep it away from the backups.
DB_URL := $${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/passerelle}
backup:
	DATABASE_URL=$(DB_URL) sh deploy/backup.sh

restore: install
	@test -n "$(BACKUP)" || { echo "usage : make restore BACKUP=var/backups/passerelle-….dump.gpg"; exit 2; }
	DATABASE_URL=$(DB_URL) sh deploy/restore.sh "$(BACKUP)"
	DATABASE_URL=$${RESTORE_DATABASE_URL:-$(DB_URL)} $(APP_DB_ENV) $(PY) manage.py setup_db_roles

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache
