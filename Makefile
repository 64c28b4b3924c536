# Thin wrapper over CMake for the common commands. `make` builds build/ferry; `make test` runs every
# test through ctest; `make sanitize` runs the whole suite under ASan+UBSan; `make run` serves the
# example repository on port 8000; `make fuzz FUZZ_SECONDS=600` fuzzes the ONNX loader (clang).
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
PORT ?= 8000
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
SHARED ?= ../shared

.PHONY: all test sanitize fuzz run deps format format-check clean bench

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

# libFuzzer on the ONNX loader (tests/fuzz/onnx_loader.c, clang + ASan/UBSan), seeded with copies of
# the shared conformance and example models; crashes and leaks land in $(FUZZ_BUILD)/artifacts/.
fuzz:
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFERRY_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_onnx_loader
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/artifacts
	@for f in $(SHARED)/conformance/onnx/node/*/model.onnx $(SHARED)/models/*/model.onnx; do \
		[ -f "$$f" ] || continue; \
		cp "$$f" "$(FUZZ_BUILD)/corpus/seed-$$(echo "$$f" | sed 's|^$(SHARED)/||; s|/|_|g')"; \
	done
	cd $(FUZZ_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		./fuzz_onnx_loader -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=artifacts/ corpus

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
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
