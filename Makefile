# Two commands a newcomer needs: `make run` and `make test`. Prerequisites: docs/install.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Every install checks the lock file's hashes: what runs is what was reviewed.
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check -q --require-hashes

.PHONY: run test lint install install-dev install-bench clean bench lock

# scripts/check-python says what to install when there is no Python 3.11+ or its venv module
# is missing. A venv that fails half-way is removed: the next `make` starts again instead of
# finding a .venv without pip.
$(VENV)/bin/python:
	@scripts/check-python "$(PYTHON)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "make: '$(PYTHON) -m venv $(VENV)' failed (see above); $(VENV) was removed." >&2; exit 1; }

# Reinstall only when a lock file changed. requirements-dev.txt holds the runtime pins too.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: requirements-bench.txt $(VENV)/.installed-dev
	$(PIP_INSTALL) -r requirements-bench.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-bench: $(VENV)/.installed-bench

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
#   make bench SIZES=10000 BENCH_ARGS="--only thread_api,thread_page,post"   # discussions only
SIZES ?= 10000,100000,1000000
BENCH_ARGS ?=
bench: install-bench
	$(PY) -m bench.run --sizes $(SIZES) $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Recompile the lock files after editing a requirements*.in (docs/install.md). Every pin that
# still satisfies the .in files is kept; LOCK_ARGS=--upgrade raises them all,
# LOCK_ARGS="--upgrade-package Django" one. The dev and bench files are compiled against the
# runtime pins, so the three agree on every shared version.
PIP_TOOLS_VERSION := 7.6.2
LOCK_ARGS ?=
PIP_COMPILE := .venv-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
.venv-tools/bin/pip-compile:
	@scripts/check-python "$(PYTHON)"
	@$(PYTHON) -m venv .venv-tools || { rm -rf .venv-tools; exit 1; }
	.venv-tools/bin/pip install --disable-pip-version-check -q pip-tools==$(PIP_TOOLS_VERSION)

lock: .venv-tools/bin/pip-compile
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in
	$(PIP_COMPILE) -o requirements-bench.txt requirements-bench.in

clean:
	rm -rf var/db.sqlite3* var/celery var/cache var/static
