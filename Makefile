# Two commands do all set-up on a fresh machine:
#   make run    the situational board on the default scenario
#   make test   lint and the whole test suite
PYTHON ?= python3
CHROMIUM := /usr/bin/chromium
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint validate bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Debian's chromium for the board's end-to-end test (Playwright drives it; no browser download).
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

validate: $(STAMP)
	$(BIN)/python -m contingency validate scenarios/*.yaml scenarios/history/*/scenario.yaml

# This machine only (127.0.0.1:8501). For the HQ network, with a login:
#   make run BOARD_ARGS="--host 0.0.0.0 --users /etc/contingency/users.toml"
run: validate
	$(BIN)/python -m contingency board $(BOARD_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy contingency

test: lint validate $(CHROMIUM)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m contingency bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
