# EmbedScope: two commands.
#   make run   installs what is missing, fetches GPT-2's tokenizer files, builds, opens the program
#   make test  the same set-up, then every test through CTest
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all setup deps tokenizer configure build run test bench clean

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

bench: build
	./$(BUILD)/bench/embedscope-bench

clean:
	rm -rf $(BUILD)
