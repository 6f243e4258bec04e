# EmbedScope: two commands.
#   make run   installs what is missing, fetches GPT-2's tokenizer files, builds, opens the program
#   make test  the same set-up, then every test through CTest; then the whole suite again under
#              ASan + UBSan (build-asan) and a short run of each fuzz target (build-fuzz)
#   make fuzz  each libFuzzer target for FUZZ_SECONDS (default 60)
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
FUZZ_SECONDS ?= 60

.PHONY: all setup deps tokenizer configure build run test test-sanitize fuzz bench clean

all: build

deps:
	@bash scripts/install_deps.sh

tokenizer: deps
	@bash scripts/fetch_tokenizer.sh

setup: deps tokenizer

configure: setup
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/app/embedscope

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@JOBS=$(JOBS) bash scripts/sanitize_test.sh

# Only the sanitizer half of `make test` (scripts/sanitize_test.sh).
test-sanitize: setup
	@JOBS=$(JOBS) bash scripts/sanitize_test.sh

fuzz: setup
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

bench: build
	./$(BUILD)/bench/embedscope-bench

clean:
	rm -rf $(BUILD) build-asan build-fuzz
