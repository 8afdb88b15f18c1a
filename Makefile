# Two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint install install-dev clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --organiser
	scripts/run-embedded

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks (docs/performance.md; not part of CI): needs PostgreSQL, Redis, wrk
# (`apt-get install wrk`) and pgbench. Uses its own databases (BENCH_DATABASE_URL + _<size>).
#   make bench                       # 10k, 100k and 1M papers (the 1M load takes ~10 minutes once)
#   make bench SIZES=10000           # a quick run
#   make bench BENCH_ARGS="--fresh --only list_first,detail"
SIZES ?= 10000,100000,1000000
BENCH_ARGS ?=
bench: install-dev
	$(PY) -m bench.run --sizes $(SIZES) $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var/db.sqlite3* var/celery var/cache var/static
