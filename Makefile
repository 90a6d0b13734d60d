# Each target creates its own virtual environment (.venv) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := out/demo

.PHONY: run test lint typecheck pytest demo browser java clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

## run: demo corpus -> train (department, platform, unit) -> evaluate -> predict on example tickets -> weekly digest -> knowledge base -> serve the demo bundle and knowledge base
run: demo
	$(BIN)/hotline serve --model models/demo --kb-index models/demo-kb --prediction-log $(DEMO)/predictions.sqlite3

## demo: everything `run` does before serving
demo: $(STAMP)
	mkdir -p $(DEMO)
	$(BIN)/hotline demo-data --n 6000 --weeks 12 --seed 0 --out $(DEMO)/tickets.csv
	$(BIN)/hotline train --tickets $(DEMO)/tickets.csv --out models/demo
	$(BIN)/hotline demo-data --n 600 --weeks 2 --seed 1 --out $(DEMO)/unseen.csv
	$(BIN)/hotline evaluate --model models/demo --input $(DEMO)/unseen.csv --json $(DEMO)/evaluation.json
	$(BIN)/hotline predict --model models/demo --input examples/tickets.csv --output $(DEMO)/predictions.csv
	$(BIN)/python -c "import pandas as pd; pd.set_option('display.width', 200); print(pd.read_csv('$(DEMO)/predictions.csv')[['id','consultation','covid','department','platform','unit','unit_proba','route']].to_string(index=False))"
	$(BIN)/hotline digest --tickets $(DEMO)/tickets.csv --week 2022-W15 --model models/demo --out $(DEMO)/digest
	$(BIN)/hotline demo-kb --out $(DEMO)/kb.csv --queries $(DEMO)/kb_queries.csv --calibration $(DEMO)/kb_calibration.csv
	$(BIN)/hotline kb build --entries $(DEMO)/kb.csv --queries $(DEMO)/kb_calibration.csv --out models/demo-kb
	$(BIN)/hotline kb suggest --index models/demo-kb --input $(DEMO)/kb_queries.csv --output $(DEMO)/kb_suggestions.csv
	@echo "weekly hot-issue digest of 2022-W15 (two injected emerging topics): open $(DEMO)/digest/digest.html"

## test: lint, type-check and the whole test suite (installs Chromium for the digest's browser test, Java for Spark's)
test: lint typecheck browser java pytest

## browser: Debian's chromium and a CJK font for the browser test, when missing and apt-get can install them
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium and fonts-wqy-microhei for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else echo "note: cannot install Chromium here; the browser test will be skipped"; fi

## java: a Java runtime for the Spark tests (local mode), when missing and apt-get can install it
java:
	@if command -v java >/dev/null 2>&1 || [ -n "$$JAVA_HOME" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing openjdk-17-jre-headless for the Spark tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	else echo "note: cannot install Java here; the Spark tests will be skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy nlp training serve trends bench cli demo kb batch

pytest: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) out models/demo models/demo-kb .pytest_cache .mypy_cache .ruff_cache
