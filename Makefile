# The two set-up commands of the README: `make run` and `make test`. Both install what is
# missing (scripts/install-deps.sh) and build first.
BUILD   ?= build
JOBS    ?= $(shell nproc)
CONFIG  ?= config/ibd-cds.yaml
CMAKE_FLAGS ?=

# ccache (installed by scripts/install-deps.sh) makes rebuilds and the second (ASan) tree cheap.
# Paths are made relative to this checkout so a fresh clone elsewhere hits the same cache.
ifneq ($(shell command -v ccache 2>/dev/null),)
LAUNCHER := -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
endif

.PHONY: all deps configure build run fhir-servers test test-asan bench docs clean fuzz

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(LAUNCHER) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Builds Release and serves on 127.0.0.1:8080 (config/ibd-cds.yaml); Ctrl-C stops it.
run: build
	$(BUILD)/bin/ibd-cds serve --config $(CONFIG) --profile development

# The test FHIR servers' npm packages (Medplum, pinned by package-lock.json).
fhir-servers: deps
	@tests/fhir-servers/install.sh

test: build fhir-servers
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The whole suite once more under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps fhir-servers
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIBD_SANITIZE=ON $(LAUNCHER) $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# Benchmarks against a Release build (measurements, not tests; bench/README.md): the wrk load
# benchmark, FHIR Bundle -> IbdModel throughput and memory, hook latency with missing prefetch
# keys against a slow FHIR server.
bench: build
	BIN=$(BUILD)/bin/ibd-cds bench/run.sh
	MODEL_BENCH=$(BUILD)/bin/model_bench CONFIG=$(CONFIG) bench/model_bench.sh
	BIN=$(BUILD)/bin/ibd-cds bench/fetch_latency.sh

# Fuzzes each target (tests/fuzz) for FUZZ_SECONDS (default 600) with clang 19, libFuzzer,
# ASan and UBSan in build-fuzz/, and merges inputs that reach new code into tests/fuzz/corpus/.
# The normal build replays those corpora as ctests (fuzz.replay.*).
fuzz: deps
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),600) JOBS=$(JOBS) tests/fuzz/run-fuzzers.sh

# Regenerates docs/rules.md from the configuration (a test fails when it is out of date).
docs: build
	$(BUILD)/bin/ibd-cds rules-doc --config $(CONFIG) > docs/rules.md

clean:
	rm -rf $(BUILD) build-asan
