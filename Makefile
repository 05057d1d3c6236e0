# veritee: the two commands are `make demo` and `make test`.
# Everything else: make (build), make install, make bench, make fuzz, make chaos, make soak, make tsan,
# make clean.

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
BUILD     ?= build
ASAN      ?= build-asan
FUZZB     ?= build-fuzz
TSANB     ?= build-tsan
FUZZ_SECS ?= 60
CMAKE_FLAGS ?=

.PHONY: all deps build install test test-release test-asan demo bench fuzz chaos soak tsan clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The program, libveritee.so (the verify-only core), headers and veritee.pc
# under $(DESTDIR)$(PREFIX) (docs/embedding.md).
PREFIX ?= /usr/local
install: build
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# The whole suite twice: an optimized -Werror build, then ASan+UBSan.
test: test-release test-asan

test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DVT_SANITIZE=ON -DVT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)
	@cd $(ASAN) && ctest --output-on-failure -j $(JOBS)

demo: build
	@VERITEE_BIN=$(BUILD)/veritee scripts/demo.sh

bench: build
	@scripts/bench.sh $(BUILD)

fuzz: deps
	@CC=clang cmake -S . -B $(FUZZB) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVT_FUZZ=ON -DVT_SANITIZE=ON \
	  -DVT_TESTS=OFF -DVT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZB) -j $(JOBS) --target fuzz_all
	@scripts/fuzz.sh $(FUZZB) $(FUZZ_SECS)

# Faults and endurance (not part of make test): scripts/chaos.sh, scripts/soak.sh.
chaos: build
	@scripts/chaos.sh $(BUILD)

soak: build
	@scripts/soak.sh $(BUILD)

# The whole suite under ThreadSanitizer (not part of make test: a data race is reported
# with both stacks and fails its test; tests/tsan.supp says what is suppressed and why).
TSAN_TESTS ?= .
tsan: deps
	@cmake -S . -B $(TSANB) -DCMAKE_BUILD_TYPE=Debug -DVT_TSAN=ON -DVT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSANB) -j $(JOBS)
	@cd $(TSANB) && TSAN_OPTIONS="halt_on_error=1 report_signal_unsafe=0 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZB) $(TSANB)
