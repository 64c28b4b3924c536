# Thin wrapper over CMake for the common commands. `make` builds build/ferry; `make test` runs every
# test through ctest; `make sanitize` runs the whole suite under ASan+UBSan; `make run` serves the
# example repository on port 8000; `make fuzz FUZZ_SECONDS=600` fuzzes the ONNX loader (clang);
# `make fuzz-json` fuzzes the REST JSON decoders, fast path against general.
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
PORT ?= 8000
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
SHARED ?= ../shared

.PHONY: all test sanitize fuzz fuzz-json run deps format format-check clean bench

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

# libFuzzer on the REST JSON request decoders (tests/fuzz/oip_json.c): the fast path must decline
# or decode exactly what the general decoder does. Seeded with small requests of every datatype
# and the shared models' test rows; crashes land in $(FUZZ_BUILD)/artifacts-json/.
fuzz-json:
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFERRY_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_oip_json
	@mkdir -p $(FUZZ_BUILD)/corpus-json $(FUZZ_BUILD)/artifacts-json
	@i=0; for t in BOOL:true,false UINT8:0,255 INT8:-128,127 UINT16:1,2 INT16:-1,1 UINT32:1,2 \
		INT32:-5,6 INT64:-9223372036854775808,1 UINT64:0,7 FP32:1.5,-0.0 FP64:1e-310,\"NaN\"; do \
		i=$$((i+1)); printf '{"id":"s","inputs":[{"name":"x","datatype":"%s","shape":[1,2],"data":[[%s]]}],"outputs":[{"name":"y"}]}' \
			"$${t%%:*}" "$${t#*:}" > $(FUZZ_BUILD)/corpus-json/seed-$$i.json; \
	done
	@for f in $(SHARED)/models/*/test_inputs.json; do \
		[ -f "$$f" ] || continue; \
		python3 -c 'import json,math,sys; t=json.load(open(sys.argv[1])); n=math.prod(t["shape"][1:]); print(json.dumps({"inputs":[{"name":t["name"],"datatype":t["datatype"],"shape":[1]+t["shape"][1:],"data":t["data"][:n]}]}))' \
			"$$f" > "$(FUZZ_BUILD)/corpus-json/seed-$$(basename $$(dirname $$f)).json" || true; \
	done
	cd $(FUZZ_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		./fuzz_oip_json -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -artifact_prefix=artifacts-json/ corpus-json

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
