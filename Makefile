# Two commands do all set-up on a fresh machine:  `make serve`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.facegate-installed

.PHONY: serve test lint format bench clean

serve: $(STAMP)  ## run the service on its embedded defaults (SQLite, ./data, in-process worker)
	$(BIN)/facegate serve

test: $(STAMP)  ## lint, then the whole test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench

bench: $(STAMP)
	$(BIN)/python bench/api_overhead.py
	$(BIN)/python bench/swap_speed.py
	$(BIN)/python bench/swap_quality.py

# mediapipe 0.10.21 is the last release that ships its face models in the wheel; its declared
# needs (numpy<2, jax, opencv-contrib) are not needed, so it goes in without dependencies.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,nudenet]"
	$(BIN)/python -m pip install -q --no-deps "mediapipe==0.10.21"
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
