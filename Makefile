# PageOne: `make run` sets up and starts everything; `make test` installs the test extras and tests.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run test bench lint format clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

run: $(VENV)/.installed node_modules/.package-lock.json
	@mkdir -p instance
	@$(FLASK) db upgrade
	@$(FLASK) demo load --if-empty
	@echo
	@echo "  PageOne is starting at http://$(HOST):$(PORT)/"
	@echo "  Demo login: demo@example.com / demo-password   (Ctrl-C stops web and worker)"
	@echo
	@$(PY) -m core.devrun --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(VENV)/.installed-test node_modules/.package-lock.json
	$(PY) -m bench

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
