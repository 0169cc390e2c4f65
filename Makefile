# Two commands set this project up on a fresh machine: `make run` and `make test`.
# Everything else here is a named step either of them, CI or the docs refer to.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
TRIVY_VENV := .venv-trivy
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test ARGS="-m 'not emulator'"`.
ARGS ?=

.PHONY: help run test lint check fmt scan bench bench-load tune up down image image-test promote pin lock clean rehearse preflight

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

# Every Python set is hash-locked (requirements*.txt, from pyproject.toml and requirements-*.in by
# `make lock`) and installed alone with --require-hashes; requirements-ops.in describes the sets.
# .venv holds the dev set (runtime, ops and bench included, at the same pins) and pip itself.
$(VENV)/.installed: requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $@

# A set with pins of its own gets its own environment from its own lock: .venv-checkov (Checkov pins
# packaging and boto3 versions the test tools cannot share), .venv-trivy; also .venv-ops, .venv-bench.
.venv-%/.installed: requirements-%.txt
	@test -x .venv-$*/bin/python || $(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet --require-hashes -r $<
	@touch $@

run: $(VENV)/.installed ## Serve the API on http://127.0.0.1:8000 (uvicorn, reload off)
	$(PY) -m app --host $(HOST) --port $(PORT)

# Coverage floor of each measured package (pyproject.toml's [tool.coverage.run] source), in percent:
# checked after every run that measured coverage (ARGS="... --no-cov" skips them, for narrow runs).
COVERAGE_FLOORS := app=95 shared=90 ops=90 tools=90 ci=90

# pytest exits 5 when a marker in ARGS selects nothing: that is not a failure of the suite.
test: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(TRIVY_VENV)/.installed ## Run the whole test suite (installs what it needs)
	@rc=0; PATH="$(CURDIR)/$(VENV)/bin:$(CURDIR)/$(CHECKOV_VENV)/bin:$(CURDIR)/$(TRIVY_VENV)/bin:$$PATH" \
	  $(PY) -m pytest --cov --cov-report=term $(ARGS) || rc=$$?; \
	  if [ $$rc -eq 5 ] && [ -n "$(ARGS)" ]; then echo "no tests selected by: $(ARGS)"; exit 0; fi; \
	  if [ $$rc -eq 0 ] && [[ "$(ARGS)" != *--no-cov* ]]; then \
	    for floor in $(COVERAGE_FLOORS); do \
	      package=$${floor%%=*}; minimum=$${floor#*=}; \
	      total=$$($(VENV)/bin/coverage report --include="$$package/*" --fail-under=0 --format=total); \
	      if [ "$$total" -lt "$$minimum" ]; then echo "coverage of $$package/ is $$total %, under its floor of $$minimum %"; rc=1; \
	      else echo "coverage of $$package/: $$total % (floor $$minimum %)"; fi; \
	    done; \
	  fi; \
	  exit $$rc

lint: $(VENV)/.installed ## ruff check, ruff format --check, mypy --strict, the import layers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

check: $(VENV)/.installed ## Every pre-commit hook over every file, as CI's lint job runs them
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

fmt: $(VENV)/.installed ## Format Python and Terraform in place
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	terraform fmt -recursive modules examples
	@# terraform fmt formats HCL on stdin but refuses .hcl files by name: feed Terragrunt's files through it.
	$(PY) -m tools.terraform fmt root.hcl $$(find live -name '*.hcl' -not -name '.terraform.lock.hcl' \
	  -not -path '*/.terragrunt-cache/*')

# The pipeline's scan job runs the same two commands (ci/scan.py holds the flags of both scanners).
scan: $(CHECKOV_VENV)/.installed $(TRIVY_VENV)/.installed ## Checkov and Trivy as the pipeline runs them, then its gate
	$(PYTHON) -m ci.scan --output results --checkov $(CHECKOV_VENV)/bin/checkov --trivy $(TRIVY_VENV)/bin/trivy
	$(PYTHON) -m ci.scan_report --checkov results/checkov/results_json.json \
	  --trivy-config results/trivy-config.json --output results/scan.md --gate

bench: $(VENV)/.installed ## Cold start (under the runtime client), cold import, warm calls, load on this machine; image size
	$(PY) -m bench

bench-load: $(VENV)/.installed ## Only the load benchmark: ops load against uvicorn and the Lambda handler
	$(PY) -m bench.load

# The function of an environment is <project name>-<env> (live/project.hcl); FUNCTION overrides it.
FUNCTION ?= lambda-api-$(ENV)
tune: $(VENV)/.installed ## Measure a deployed function at several memory sizes: make tune ENV=dev [MEMORY=128,512] [N=10] [STRATEGY=cost] [PIN=1]
	@test -n "$(ENV)" || { echo "make tune: name the environment, e.g. make tune ENV=dev" >&2; exit 2; }
	@mkdir -p .local
	$(PY) -m ops tune --function "$(FUNCTION)" $(if $(MEMORY),--memory "$(MEMORY)") $(if $(N),--invocations "$(N)") \
	  $(if $(STRATEGY),--strategy "$(STRATEGY)") --json ".local/tune-$(FUNCTION).json" --svg ".local/tune-$(FUNCTION).svg" \
	  $(if $(PIN),--pin "$(ENV)")

up: $(VENV)/.installed ## Local stack: moto + examples/complete (or EXAMPLE=custom-domain) applied + API through the Lambda handler
	$(PY) -m tools.stack up $(if $(EXAMPLE),--example $(EXAMPLE))

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

rehearse: $(VENV)/.installed ## The deploy path on a two-account emulator, every AWS call judged as IAM would
	$(PY) -m tools.rehearse

preflight: $(VENV)/.installed ## Read-only checks before an environment's first deploy: make preflight ENV=dev
	$(PY) -m ops preflight --env "$(ENV)"

# pip-compile keeps the current pins where they still fit: LOCK_ARGS=--upgrade (or
# "--upgrade-package NAME") moves them. The dev set comes last: it is constrained to the others' pins.
# Then the .terraform.lock.hcl of examples/complete and each live unit, for TF_PLATFORMS (with registry
# access: e.g. TF_PLATFORMS="linux_amd64 linux_arm64 darwin_arm64"; see live/README.md).
TF_PLATFORMS ?= linux_amd64
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes \
  --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: $(VENV)/.installed ## Re-lock every requirements*.txt (hashes) and the committed .terraform.lock.hcl files
	$(PIP_COMPILE) -o requirements.txt pyproject.toml
	$(PIP_COMPILE) -o requirements-ops.txt requirements-ops.in
	$(PIP_COMPILE) -o requirements-bench.txt requirements-bench.in
	$(PIP_COMPILE) -o requirements-checkov.txt requirements-checkov.in
	$(PIP_COMPILE) -o requirements-trivy.txt requirements-trivy.in
	$(PIP_COMPILE) -o requirements-dev.txt pyproject.toml requirements-dev.in
	$(PY) -m tools.terraform lock $(foreach platform,$(TF_PLATFORMS),--platform $(platform))

clean: ## Remove environments, caches and local stack state
	-$(MAKE) down
	rm -rf $(VENV) $(CHECKOV_VENV) $(TRIVY_VENV) results .pytest_cache .ruff_cache .coverage .hypothesis .local
