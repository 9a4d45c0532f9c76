# PropDesk — the two set-up commands are `make dev` and `make test`; each builds .venv itself.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# checkov in a virtualenv of its own (its pins would downgrade boto3/botocore in .venv): the
# [project.optional-dependencies] scan list of pyproject.toml; bench/checkov.py reads CHECKOV.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
export CHECKOV ?= $(CURDIR)/$(CHECKOV_VENV)/bin/checkov
export PATH := $(BIN):$(PATH)
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: dev test chromium bench mutation synth lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "PropDesk needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip>=23,<26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,infra]"
	@touch $@

$(CHECKOV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  $$($(PYTHON) -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["scan"]))')
	@touch $@

## dev: run PropDesk locally — moto as AWS, the API, scheduled jobs, a demo firm (Ctrl-C stops it)
dev: $(STAMP)
	$(BIN)/python -m infra.local $(ARGS)

## test: the whole suite — unit, store (moto), routes, pages and console in Chromium, the local stack, CDK + cfn-lint + checkov (2 workers, one file per worker at a time)
test: $(STAMP) $(CHECKOV_STAMP) chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=40 $(ARGS)

# The residents' pages are tested in Debian's chromium (tests/pages, Playwright without its own browser download).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "tests/pages need /usr/bin/chromium: run 'sudo apt-get update && sudo apt-get install -y chromium' (Debian), then make test again" >&2; exit 1; fi; \
	fi

## bench: DynamoDB calls per route, cold start, the escalation sweep at 50,000 tickets; writes bench/results.json
bench: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/python -m bench.run $(ARGS)

## mutation: mutmut over chalicelib/domain/ against tests/unit/, one module at a time; prints killed % per module, writes bench/mutation.json (slow: hours for all; ARGS="clock scores" for some)
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[mutation]"
	nice $(BIN)/python -m bench.mutation $(ARGS)

## synth: the CloudFormation template for AWS (infra/cdk.out/)
synth: $(STAMP)
	$(BIN)/python infra/synth.py $(ARGS)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) infra/cdk.out .pytest_cache
