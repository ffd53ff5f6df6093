# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint typecheck pytest migrate demo poll screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

migrate: $(VENV)/.installed
	$(BIN)/tracker db upgrade

demo: migrate
	$(BIN)/tracker demo load --if-empty

run: demo
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

test: lint typecheck pytest

poll: $(VENV)/.installed
	$(BIN)/tracker poll --loop

# Refresh docs/screenshot.png from the browser test.
screenshot: $(VENV)/.installed-dev
	TRACKER_SCREENSHOT=1 $(BIN)/python -m pytest tests/e2e -q

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
