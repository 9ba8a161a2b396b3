# tongzhou — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check-python migrate demo messages clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tongzhou needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo_load

## Set everything up, load the demo (once), start the web server and a worker.
run: demo
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) sh scripts/run.sh

## Set everything up and run the whole suite (DATABASE_URL picks PostgreSQL).
test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate translation catalogues (needs GNU gettext: apt-get install gettext).
messages: $(VENV)/.dev
	$(BIN)/python manage.py makemessages --all --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python scripts/fill_catalogues.py
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var
