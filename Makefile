# Two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)

.PHONY: run test install lint typecheck layers pytest clean

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/arabesque serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy sdk_protocol server/workflow

layers: install
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest

test: lint typecheck layers pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
