# Two commands set this project up on a fresh machine: `make run` and `make test`.
# Everything else here is a named step either of them, CI or the docs refer to.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test ARGS="-m 'not emulator'"`.
ARGS ?=

.PHONY: help run test lint fmt bench tune up down image image-test promote pin lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

run: $(VENV)/.installed ## Serve the API on http://127.0.0.1:8000 (uvicorn, reload off)
	$(PY) -m app --host $(HOST) --port $(PORT)

# pytest exits 5 when a marker in ARGS selects nothing: that is not a failure of the suite.
test: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## Run the whole test suite (installs what it needs)
	@rc=0; PATH="$(CURDIR)/$(VENV)/bin:$(CURDIR)/$(CHECKOV_VENV)/bin:$$PATH" \
	  $(PY) -m pytest --cov --cov-report=term $(ARGS) || rc=$$?; \
	  if [ $$rc -eq 5 ] && [ -n "$(ARGS)" ]; then echo "no tests selected by: $(ARGS)"; rc=0; fi; \
	  exit $$rc

lint: $(VENV)/.installed ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(VENV)/.installed ## Format Python and Terraform in place
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	terraform fmt -recursive modules examples
	@# terraform fmt formats HCL on stdin but refuses .hcl files by name: feed Terragrunt's files through it.
	@for f in root.hcl $$(find live -name '*.hcl' -not -path '*/.terragrunt-cache/*'); do \
	  terraform fmt - < "$$f" > "$$f.tmp" && mv "$$f.tmp" "$$f" || { rm -f "$$f.tmp"; exit 1; }; done

bench: $(VENV)/.installed ## Cold start (under the runtime client), cold import, warm calls; image runtime size
	$(PY) -m bench

# The function of an environment is <project name>-<env> (live/project.hcl); FUNCTION overrides it.
FUNCTION ?= lambda-api-$(ENV)
tune: $(VENV)/.installed ## Measure a deployed function at several memory sizes: make tune ENV=dev [MEMORY=128,512] [N=10] [STRATEGY=cost] [PIN=1]
	@test -n "$(ENV)" || { echo "make tune: name the environment, e.g. make tune ENV=dev" >&2; exit 2; }
	@mkdir -p .local
	$(PY) -m ops tune --function "$(FUNCTION)" $(if $(MEMORY),--memory "$(MEMORY)") $(if $(N),--invocations "$(N)") \
	  $(if $(STRATEGY),--strategy "$(STRATEGY)") --json ".local/tune-$(FUNCTION).json" --svg ".local/tune-$(FUNCTION).svg" \
	  $(if $(PIN),--pin "$(ENV)")

up: $(VENV)/.installed ## Local stack: moto + examples/complete applied + API through the Lambda handler
	$(PY) -m tools.stack up

down: $(VENV)/.installed ## Destroy the local stack and stop what `make up` started
	$(PY) -m tools.stack down

image: ## Build the Lambda container image (needs a Docker engine)
	tools/image.sh build

image-test: ## Run the image under the Runtime Interface Emulator and invoke it (needs a Docker engine)
	tools/image.sh test

promote: $(VENV)/.installed ## Carry dev's pinned values into prod: make promote FROM=dev TO=prod
	$(PY) -m tools.promote --from "$(FROM)" --to "$(TO)"

pin: $(VENV)/.installed ## Pin an image digest and/or memory size: make pin ENV=dev IMAGE=<repo>@sha256:... [VERSION=...] [MEMORY=MB]
	$(PY) -m tools.promote --pin "$(ENV)" $(if $(IMAGE),--image "$(IMAGE)") $(if $(VERSION),--app-version "$(VERSION)") $(if $(MEMORY),--memory-size "$(MEMORY)")

lock: $(VENV)/.installed ## Re-resolve requirements.txt (hash-locked) from pyproject.toml
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml

clean: ## Remove environments, caches and local stack state
	-$(MAKE) down
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache .coverage .hypothesis .local
