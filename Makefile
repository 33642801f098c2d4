# patchtrain — build, test, demo and benchmarks.
# Release code targets a Haswell-class CPU (AVX2, FMA, F16C) when this machine has one: Float16 <-> Float
# conversions then compile to single vcvtph2ps/vcvtps2ph instructions instead of ~10x slower library calls.

SWIFT ?= swift
CPU_FLAGS := $(shell grep -qw f16c /proc/cpuinfo 2>/dev/null && grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo "-Xswiftc -target-cpu -Xswiftc haswell")
RELEASE := -c release $(CPU_FLAGS)
BIN := .build/release
DEBIAN_PACKAGES := libopenblas-dev libzstd-dev zlib1g-dev libpng-dev libopenmpi-dev openmpi-bin
# Only for the tests that check pictures with independent tools (a PNG decoder, a browser's screenshot of the
# report); without them those tests are skipped with a message. `make test-deps` installs them (CI does).
TEST_PACKAGES := chromium pngcheck python3-pil
DEMO_DIR ?= demo-output

.PHONY: all build deps test-deps test fuzz demo bench clean

all: build

build: deps
	$(SWIFT) build $(RELEASE)

# Installs the C libraries with apt-get when any of their packages is missing (once per machine).
deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "make deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || \
	      { echo "make deps: apt-get could not install$$missing" >&2; exit 1; }; \
	  else \
	    echo "make deps: missing$$missing; install them (Debian/Ubuntu: sudo apt-get install$$missing)" >&2; exit 1; \
	  fi; \
	fi

test-deps: deps
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(TEST_PACKAGES)"

test: deps
	python3 scripts/check_layers.py > /dev/null
	python3 scripts/check_function_length.py
	$(SWIFT) test $(RELEASE)

# The long fuzz run: FUZZ_COUNT mutated inputs of each of the ten file kinds through the library's readers
# (make test runs 40 of each). A crash ends the test process; the input being read is then left in .build/fuzz.
FUZZ_COUNT ?= 12000
fuzz: deps
	mkdir -p .build/fuzz
	PATCHTRAIN_FUZZ_COUNT=$(FUZZ_COUNT) PATCHTRAIN_FUZZ_REPRODUCERS=$(CURDIR)/.build/fuzz \
	  $(SWIFT) test $(RELEASE) --filter FuzzTests > .build/fuzz/log.txt 2>&1; status=$$?; \
	grep -E '^fuzz |Test run' .build/fuzz/log.txt; \
	if [ $$status -ne 0 ]; then \
	  echo "make fuzz: failed (see .build/fuzz/log.txt); input being read: $$(cat .build/fuzz/current.txt 2>/dev/null)" >&2; exit 1; \
	fi

demo: build
	bash scripts/demo.sh $(BIN)/patchtrain $(DEMO_DIR)

# PEER_BENCH=1 make bench: also the training step beside PyTorch and Keras; PEER_BENCH=only: just that.
bench: build
	bash scripts/bench.sh $(BIN)

clean:
	rm -rf .build $(DEMO_DIR)
