# hostiso: `make hosts` builds every host's Ignition config and ISO; `make test` tests.
# Each host's inputs come from the depfile the tool writes (build/<host>.d),
# so a change to one overlay rebuilds exactly the hosts that use it.

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:
# no built-in rules: make would try them (RCS, SCCS...) for each of the
# 10,000 host files the stamp depends on, half of its no-op time
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed
HOSTISO := $(VENV)/bin/hostiso
SOURCES := pyproject.toml $(wildcard src/hostiso/*.py src/hostiso/*/*.py src/hostiso/*/*/*.py src/hostiso/*/*/*/*.py)
# Host files whose names make and the shell take as they are (letters, digits,
# . _ - + @; not starting with . or -): a space, ':', '#', '%', '$'... would
# break every rule below for the whole fleet.  hostiso refuses the others with
# an error saying why, so their presence forces a whole-fleet build (BAD_NAMES).
NAME_RE := ^[A-Za-z0-9_][A-Za-z0-9._+@-]*[.]yaml$$
CONFIGS := $(sort $(addprefix configs/,$(shell ls -Aq configs 2>/dev/null | LC_ALL=C grep -E '$(NAME_RE)')))
BAD_NAMES := $(shell ls -Aq configs 2>/dev/null | LC_ALL=C grep -E '^[^.].*[.]yaml$$' | LC_ALL=C grep -cvE '$(NAME_RE)')
# sorted as hostiso sorts build/.hosts (configs/a-b.yaml sorts before configs/a.yaml)
HOSTS := $(sort $(patsubst configs/%.yaml,%,$(CONFIGS)))
ISOS := $(HOSTS:%=out/%.iso)

.PHONY: help hosts installer test check lint lint-code golden corpus clean bench fuzz
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z%\/._-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@# bytecode now: with PYTHONDONTWRITEBYTECODE set, every run would compile hostiso again
	$(VENV)/bin/python -m compileall -q src
	@touch $@

# The venv stamp is order-only: reinstalling must not rebuild every host;
# the host rules list the sources themselves.
build/.dir:
	@mkdir -p build out && touch $@

# `make hosts` runs one whole-fleet `hostiso build` when anything it read is
# newer than build/.stamp: every host file and overlay (by wildcard, below),
# and build/.hosts.mk (written by hostiso), which lists every other input of
# every host with an empty rule each (as gcc -MP does), so a removed input
# rebuilds too, and forces the build when an overlay a host used is gone.
# hostiso itself knows which hosts changed (its cache, build/.cache-*): only
# those are built again, and only outputs whose bytes change are rewritten.
# The stamp is dated when the build starts, so a file edited during the build
# is seen next time.  Make reads one short depfile, not one per host, so its
# own no-op stays fast on 10,000 hosts.
# A host added, removed or renamed (configs/ differs from build/.hosts, the
# stems hostiso built), or a missing ISO, also runs the build; a whole-fleet
# build removes the outputs (build/<host>.ign, .d, out/<host>.iso) of recorded
# hosts gone and rewrites the list.
STAMP := build/.stamp
ifneq ($(strip $(file <build/.hosts)),$(strip $(HOSTS)))
FLEET_CHANGED := 1
endif
MISSING := $(filter-out $(wildcard out/*.iso),$(ISOS))
ifneq ($(BAD_NAMES),0)
FLEET_CHANGED := 1
endif

hosts: ## build out/<host>.iso and build/<host>.ign for every configs/<host>.yaml
hosts: $(STAMP)
	@:

$(STAMP): $(CONFIGS) $(wildcard overlays/*.yaml) $(SOURCES) $(if $(FLEET_CHANGED)$(MISSING),FORCE) | build/.dir $(VENV_STAMP)
	@touch $@.new
	$(HOSTISO) build
	@mv $@.new $@

-include build/.hosts.mk

.PHONY: FORCE
FORCE:

# `make out/<host>.iso` builds just that host; make reads only the depfiles of
# the hosts named on its command line (build/<host>.d).
out/%.iso build/%.ign: configs/%.yaml $(SOURCES) | build/.dir $(VENV_STAMP)
	$(HOSTISO) build $*

GOAL_HOSTS := $(patsubst out/%.iso,%,$(filter out/%.iso,$(MAKECMDGOALS))) \
	$(patsubst build/%.ign,%,$(filter build/%.ign,$(MAKECMDGOALS)))
-include $(GOAL_HOSTS:%=build/%.d)

# The unattended installer ISO (README: "Installing"): BASE is the Flatcar live
# ISO, IMAGE its flatcar_production_image.bin.bz2, IMAGE_KEY the signing key
# that checks IMAGE.sig; INSTALLER_HOSTS limits it to some hosts.
INSTALLER ?= out/installer.iso
ifneq ($(filter installer,$(MAKECMDGOALS)),)
ifeq ($(BASE),)
$(error make installer needs BASE=flatcar_production_iso_image.iso (and IMAGE=...bin.bz2))
endif
endif
installer: ## out/installer.iso: BASE=ISO IMAGE=IMAGE [IMAGE_KEY=KEY] [INSTALLER_HOSTS=...]
installer: $(if $(INSTALLER_HOSTS),$(INSTALLER_HOSTS:%=build/%.ign),hosts)
	$(HOSTISO) installer --base "$(BASE)" $(if $(IMAGE),--image "$(IMAGE)") \
	  $(if $(IMAGE_KEY),--image-key "$(IMAGE_KEY)") -o "$(INSTALLER)" $(INSTALLER_HOSTS)

lint: $(VENV_STAMP) ## check every host and the fleet, build nothing
	$(HOSTISO) lint

test: $(VENV_STAMP) ## run the test suite
	$(VENV)/bin/python -m pytest

fuzz: $(VENV_STAMP) ## fuzz build and lint with fresh seeds (HOSTISO_FUZZ_EXAMPLES, default 300)
	$(VENV)/bin/python -m pytest -m fuzz tests/fuzz

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

bench: $(VENV_STAMP) ## run the benchmarks (1,000-host fleet; bench/bench_scale.py: 10,000)
	$(VENV)/bin/python bench/bench_build.py

clean: ## remove build/ and out/
	rm -rf build out
