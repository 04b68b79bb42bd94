# SpaceTime: the two commands are `make run` and `make test`. Both install what is missing
# (scripts/setup), build, and then run; nothing waits for input.
#   make run     build (release) and serve the simulator on http://127.0.0.1:8080
#   make test    every C++ test (release, ASan+UBSan, TSan for the lock-free parts), every web
#                test, bounded fuzzing
#   make bench   benchmarks, printed as tables (numbers go to docs/PERFORMANCE.md)
#   make clean   remove build output
#   make mutate  mutation check of the indicator rules (long; not part of make test)
# Extra arguments for `spacetime serve`: make run ARGS="--symbols 10 --rate 50000"

SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
ASAN := build/asan
BIN := $(RELEASE)/bin/spacetime

.PHONY: run test bench clean setup build build-asan web test-cpp test-asan test-tsan test-web fuzz format mutate

setup:
	@scripts/setup

build: setup
	@[ -f $(RELEASE)/build.ninja ] || cmake --preset release
	cmake --build --preset release -j $(JOBS)

build-asan: setup
	@[ -f $(ASAN)/build.ninja ] || cmake --preset asan
	cmake --build --preset asan -j $(JOBS)

web: setup
	cd web && npm run build

run: build web
	$(BIN) serve $(ARGS)

# Tests labelled `services` need real servers: scripts/services starts them, exports
# SPACETIME_TEST_*_URL and stops them after, also when a test fails.
test-cpp: build
	ctest --preset release -j $(JOBS) -LE services
	scripts/services run postgres influxdb redis oidc -- ctest --preset release -j $(JOBS) -L services

# The same tests under AddressSanitizer and UBSan: memory errors and undefined behaviour fail.
test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --preset asan -j $(JOBS) -LE services

# The lock-free parts (SPSC rings, latency stamps, the bus, the engine's shards) under
# ThreadSanitizer: only their tests are built (the tsan preset lists them).
TSAN := build/tsan
test-tsan: setup
	@[ -f $(TSAN)/build.ninja ] || cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --preset tsan -j $(JOBS)

# The browser tests run with the OIDC provider (e2e/auth.test.ts logs in through it);
# scripts/services stops it after, also when a test fails.
test-web: build web
	cd web && npm test
	scripts/services run oidc -- bash -c 'cd web && SPACETIME_BIN=$(abspath $(BIN)) SPACETIME_ARTIFACTS=$(abspath $(RELEASE))/artifacts npm run e2e'

# Bounded libFuzzer runs of every parser of outside input (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 30
fuzz: setup
	scripts/fuzz $(FUZZ_SECONDS)

test: test-cpp test-web test-asan test-tsan fuzz
	@echo "make test: all C++ (release, ASan/UBSan, TSan for the lock-free parts), web and fuzz tests passed"

# Flips each comparison and boundary in src/indicators one at a time, rebuilds and runs the
# indicator tests on a copy of the tree, and lists the survivors (docs/INDICATORS.md § 12).
# MUTATE_FILES limits it to some files.
mutate: setup
	scripts/mutate $(MUTATE_FILES)

bench: build
	$(RELEASE)/bin/candles_bench --benchmark_min_time=0.5
	$(RELEASE)/bin/indicators_bench --benchmark_min_time=0.5
	node tests/oracle/talib_bench.mjs
	$(RELEASE)/bin/tick_files_bench --benchmark_min_time=0.5
	$(RELEASE)/bin/iqfeed_parse_bench --benchmark_min_time=0.5
	$(RELEASE)/bin/pipeline_bench 5000000 50 3
	$(RELEASE)/bin/bus_bench 20000000 5
	$(RELEASE)/bin/signal_rates 8 10 20
	scripts/services run postgres influxdb -- $(RELEASE)/bin/store_bench
	scripts/services run redis -- $(RELEASE)/bin/redis_bench
	$(RELEASE)/bin/fanout_bench $(abspath $(BIN)) 6

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build web/dist
