# hostiso: `make hosts` builds every host's Ignition config and ISO; `make test` tests.
# Each host's inputs come from the depfile the tool writes (build/<host>.d),
# so a change to one overlay rebuilds exactly the hosts that use it.

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed
HOSTISO := $(VENV)/bin/hostiso
SOURCES := pyproject.toml $(wildcard src/hostiso/*.py src/hostiso/*/*.py src/hostiso/*/*/*.py src/hostiso/*/*/*/*.py)
CONFIGS := $(sort $(wildcard configs/*.yaml))
# sorted as hostiso sorts build/.hosts (configs/a-b.yaml sorts before configs/a.yaml)
HOSTS := $(sort $(patsubst configs/%.yaml,%,$(CONFIGS)))
ISOS := $(HOSTS:%=out/%.iso)
QUEUE := build/.queue

.PHONY: help hosts test check lint lint-code golden corpus clean bench
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z%\/._-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@touch $@

# The venv stamp is order-only: reinstalling must not rebuild every host;
# the host rules list the sources themselves.
build/.dir:
	@mkdir -p build out && touch $@

# A host removed from configs/ can change others (etcd members, templates):
# build/.hosts lists the stems hostiso has built (`hostiso build HOST` only
# adds to it); when it differs from configs/, `make hosts` runs a whole-fleet
# build, which re-checks every host, removes the outputs (build/<host>.ign, .d,
# out/<host>.iso) of recorded hosts gone and rewrites the list.
ifneq ($(strip $(file <build/.hosts)),$(strip $(HOSTS)))
FLEET_CHANGED := 1
endif

hosts: ## build out/<host>.iso and build/<host>.ign for every configs/<host>.yaml
hosts: BATCH := 1
hosts: $(ISOS)
	@if [ -s $(QUEUE) ] || [ -n "$(FLEET_CHANGED)" ]; then $(HOSTISO) build --queue $(QUEUE); fi

# Under `make hosts` each stale host only joins the queue (no process is
# started), and one hostiso process builds the whole queue; `make out/x.iso`
# builds just that host.
out/%.iso build/%.ign: configs/%.yaml $(SOURCES) | build/.dir $(VENV_STAMP)
	$(if $(BATCH),$(file >>$(QUEUE),$*),$(HOSTISO) build $*)

-include $(wildcard build/*.d)

lint: $(VENV_STAMP) ## check every host and the fleet, build nothing
	$(HOSTISO) lint

test: $(VENV_STAMP) ## run the test suite
	$(VENV)/bin/python -m pytest

lint-code: $(VENV_STAMP) ## ruff and mypy on the code
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: test lint-code ## everything CI runs

golden: $(VENV_STAMP) ## regenerate tests/golden/*/expected
	$(VENV)/bin/python tests/golden_regen.py

corpus: $(VENV_STAMP) ## regenerate tests/fleets/*/expected*
	$(VENV)/bin/python tests/regen_corpus.py

bench: $(VENV_STAMP) ## run the benchmarks (1,000-host fleet)
	$(VENV)/bin/python bench/bench_build.py

clean: ## remove build/ and out/
	rm -rf build out
