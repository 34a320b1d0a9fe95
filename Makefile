# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PORT ?= 8000
export PORT

# Production-like environment for `check --deploy` (values are placeholders, never used to serve).
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=fabrique.settings.production \
	DJANGO_SECRET_KEY=ci-deploy-check-7f3k2m9q4x8v1b6n5c0z2l7j4h9g3d8s1a6p0o5i \
	DJANGO_ALLOWED_HOSTS=.fabrique-entreprendre.fr FABRIQUE_NATIONAL_HOSTS=fabrique-entreprendre.fr \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0}

.PHONY: install run test lint bench lock clean-data

$(VENV)/.installed: requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) 2>&1 | grep -v "is ignored" || true
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/dev.txt
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py devstack --port $(PORT)

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --check
	$(BIN)/djlint templates --lint
	$(BIN)/mypy fabrique territories accompaniment
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.qpv_throughput

# Re-pin the dependencies after editing pyproject.toml.
lock: install
	$(BIN)/uv pip compile --quiet --python-version 3.11 pyproject.toml -o requirements/base.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements/dev.txt

# Forget the embedded database and broker data (stop `make run` first).
clean-data:
	rm -rf .data
