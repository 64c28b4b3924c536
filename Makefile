# Thin wrapper over CMake for the common commands. `make` builds build/ferry; `make test` runs every
# test through ctest; `make sanitize` runs the whole suite under ASan+UBSan; `make run` serves the
# example repository on port 8000.
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
PORT ?= 8000

.PHONY: all test sanitize run deps format format-check clean bench

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

sanitize:
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

deps:
	./scripts/install-deps.sh

run: all
	./$(BUILD)/ferry serve --repo examples/models --http-port $(PORT)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

bench: all
	./bench/http.sh

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
