# EmbedScope: two commands.
#   make run    installs what is missing, fetches GPT-2's tokenizer files, builds, opens the program
#   make test   the same set-up, then every test through CTest; then the whole suite again in one
#               clang build with ASan + UBSan and libFuzzer's hooks (build-sanitize), and a short
#               run of each fuzz target there (scripts/sanitize_test.sh)
# For developers:
#   make check  build and the unit suites only (no program tests, no sanitizers): the quick loop
#   make fuzz   each libFuzzer target for FUZZ_SECONDS (default 60)
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON
FUZZ_SECONDS ?= 60
# Ninja for a new build folder (it schedules both cores better than make); an existing folder
# keeps the generator it was made with.
GENERATOR = $(if $(wildcard $(BUILD)/CMakeCache.txt),,$(if $(shell command -v ninja),-G Ninja,))

.PHONY: all setup deps tokenizer configure build run test check test-sanitize fuzz bench clean

all: build

deps:
	@bash scripts/install_deps.sh

tokenizer: deps
	@bash scripts/fetch_tokenizer.sh

setup: deps tokenizer

configure: setup
	@cmake -S . -B $(BUILD) $(GENERATOR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/app/embedscope

# The release suites and program tests, then the sanitizer build's (scripts/test_all.sh times
# each part).
test: setup
	@BUILD=$(BUILD) JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" bash scripts/test_all.sh

# The quick loop: build, then the unit suites (label "unit") of the release build.
check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# Only the sanitizer half of `make test` (scripts/sanitize_test.sh).
test-sanitize: setup
	@JOBS=$(JOBS) bash scripts/sanitize_test.sh

fuzz: setup
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

bench: build
	./$(BUILD)/bench/embedscope-bench

clean:
	rm -rf $(BUILD) build-sanitize build-asan build-fuzz
