# cxr — the whole set-up is `make test` (builds and runs every test) and
# `make run` (builds and serves the app). Each target installs and builds what
# it needs first, incrementally, into build/.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD := build
NATIVE := $(BUILD)/native
WASM := $(BUILD)/wasm
ASAN := $(BUILD)/asan
FUZZ := $(BUILD)/fuzz
FIXTURES := $(BUILD)/fixtures
WEB := $(BUILD)/web
# The model the app ships with; the browser tests build their own copy of the
# app with a random-weight fixture instead (the page then says TEST MODEL).
MODEL ?= models/pneumonia.cxrm
DATA ?= $(abspath ../shared/data)
PRETRAINED ?= $(abspath ../shared/pretrained/mobilenet_v2_0.35_imagenet)
export NODE_PATH := /usr/share/nodejs

# Debian 12 packages: toolchains and the libraries the core builds on.
DEB_PACKAGES := cmake g++ make pkg-config libgtest-dev libhwy-dev libxnnpack-dev libpthreadpool-dev \
                libstb-dev emscripten binaryen chromium libtorch-dev libopenblas0 libsvm-dev \
                python3-pydicom python3-numpy python3-pil clang libclang-rt-14-dev clang-format

.PHONY: all deps native wasm asan check lint test test-native test-asan test-wasm test-web test-fuzz web model bench run clean fixtures

all: native wasm

deps: $(BUILD)/.deps
$(BUILD)/.deps: Makefile $(wildcard package-lock.json)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if ! command -v node >/dev/null; then missing="$$missing nodejs"; fi; \
	if ! command -v npm >/dev/null; then missing="$$missing npm"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; fi
	@mkdir -p $(BUILD) && touch $@

native: deps
	@[ -f $(NATIVE)/CMakeCache.txt ] || cmake -S . -B $(NATIVE) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(NATIVE) -j $(JOBS)

wasm: deps
	@[ -f $(WASM)/CMakeCache.txt ] || emcmake cmake -S . -B $(WASM) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(WASM) -j $(JOBS)

asan: deps
	@[ -f $(ASAN)/CMakeCache.txt ] || cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCXR_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS) --target cxr_tests cxr

# Random-weight models and the native CLI's answers on real films: the wasm
# tests must agree with them. With cxr-train (LibTorch) and the pretrained
# folder, also MobileNetV2-0.35 with the shared ImageNet weights and a random
# head (issue 13), answered with --ood warn (probabilities even for a film the
# gate would withhold).
fixtures: native
	@mkdir -p $(FIXTURES)
	$(NATIVE)/tests/cxr_make_test_model resnet18 11 $(FIXTURES)/resnet18.cxrm
	$(NATIVE)/tests/cxr_make_test_model tiny 5 $(FIXTURES)/tiny.cxrm
	$(NATIVE)/tests/cxr_make_test_model study_cnn 3 $(FIXTURES)/study_cnn.cxrm
	@if [ -d $(DATA)/chest_xray_224 ]; then \
	  $(NATIVE)/cli/cxr classify --json --model $(FIXTURES)/resnet18.cxrm \
	    $(DATA)/chest_xray_fullres_samples $(DATA)/chest_xray_224/val > $(FIXTURES)/golden-resnet18.jsonl; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
	else echo "$(DATA) not found: the wasm golden comparison will be skipped"; rm -f $(FIXTURES)/golden-resnet18.jsonl; fi
	@rm -f $(FIXTURES)/mobilenet_v2_035.cxrm $(FIXTURES)/golden-mobilenet_v2_035.jsonl; \
	if [ ! -x $(NATIVE)/trainer/cxr-train ] || [ ! -d $(PRETRAINED) ]; then \
	  echo "MobileNetV2 fixture skipped: it needs $(NATIVE)/trainer/cxr-train (built where LibTorch is) and $(PRETRAINED)"; \
	else \
	  $(NATIVE)/trainer/cxr-train pretrained-model --pretrained $(PRETRAINED) --size 224 --seed 1 \
	    --out $(FIXTURES)/mobilenet_v2_035.cxrm || exit 1; \
	  if [ -d $(DATA)/chest_xray_224 ]; then \
	    $(NATIVE)/cli/cxr classify --json --ood warn --model $(FIXTURES)/mobilenet_v2_035.cxrm \
	      $(DATA)/chest_xray_fullres_samples $(DATA)/chest_xray_224/val > $(FIXTURES)/golden-mobilenet_v2_035.jsonl; \
	    rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
	  fi; \
	fi

test-native: native
	cd $(NATIVE) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

test-wasm: wasm fixtures
	cd $(WASM) && ctest --output-on-failure
	CXR_WASM=$(WASM)/wasm/cxr.mjs CXR_FIXTURES=$(FIXTURES) CXR_DATA_DIR=$(DATA) node --test tests/wasm/

# libFuzzer targets (clang, ASan+UBSan; tests/fuzz): each runs FUZZ_SECONDS
# and any crash fails the build. Seeds come from code and, after test-native,
# from its DICOM fixtures.
FUZZ_SECONDS ?= 60
test-fuzz: deps
	@[ -f $(FUZZ)/CMakeCache.txt ] || CC=clang CXX=clang++ cmake -S . -B $(FUZZ) -DCXR_FUZZ=ON -DCXR_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ) -j $(JOBS)
	tests/fuzz/run_fuzzers.sh $(FUZZ) $(FUZZ_SECONDS) $(NATIVE)/tests/dicom-fixtures

# The web app: unit tests, then end-to-end in Debian's Chromium against a copy
# of the app built with the random-weight fixture model (and, once there is
# one, a smoke test of the app built with the shipped model).
test-web: wasm fixtures
	node web/build.mjs --wasm $(WASM)/wasm --model $(FIXTURES)/resnet18.cxrm --out $(BUILD)/web-test
	$(if $(wildcard models/pneumonia.cxrm),node web/build.mjs --wasm $(WASM)/wasm --model models/pneumonia.cxrm --out $(BUILD)/web-shipped)
	CXR_WEB_DIR=$(BUILD)/web-test $(if $(wildcard models/pneumonia.cxrm),CXR_SHIPPED_WEB_DIR=$(BUILD)/web-shipped) \
	  CXR_DATA_DIR=$(DATA) node --test tests/web/

test: test-native test-wasm test-asan test-web test-fuzz

# The quick loop (a few minutes from scratch, seconds after a change): the
# native build and its tests — kernels against the reference, model file,
# decode, DICOM, gate, CLI, trainer — after `make lint` (about 15 s). CI runs
# it before the full `make test`, so a broken build, unit test or style fails fast.
check: lint test-native

# Style (issue 17): clang-format (.clang-format, Debian's clang-format 14) on
# the repository's own C++, ESLint (eslint.config.mjs) on the app and its
# tests, and jscpd's duplication threshold (.jscpd.json) over the code. The
# npm tools come from package-lock.json (npm ci in deps).
LINT_CXX = $(shell git ls-files '*.cpp' '*.h')
lint: deps
	@echo "clang-format --dry-run --Werror: $(words $(LINT_CXX)) files (git ls-files '*.cpp' '*.h')"
	@clang-format --dry-run --Werror $(LINT_CXX)
	npx eslint web tests/web
	npx jscpd -c .jscpd.json core cli wasm web/app trainer tests

# The benchmarks: native backends and LibTorch, the wasm module in Node, the
# app in Chromium, then the shipped model side by side with TF.js (wasm) and
# ONNX Runtime Web (issue 6). The peers are npm devDependencies of bench/ only.
# Then MobileNetV2-0.35 with the shared ImageNet weights (issue 13) at 224 px
# and at the input size the shipped model will use, one RESULT_MOBILENET line each.
MOBILENET_SHIPPED_SIZE ?= 192
PRETRAINED ?= $(abspath ../shared/pretrained/mobilenet_v2_0.35_imagenet)
bench: native wasm fixtures $(BUILD)/.bench-npm
	cmake --build $(NATIVE) -j $(JOBS) --target cxr_bench
	cmake --build $(WASM) -j $(JOBS) --target cxr_bench_wasm
	$(NATIVE)/bench/cxr_bench 50 $(MODEL)
	CXR_WASM=$(WASM)/wasm/cxr.mjs CXR_FIXTURES=$(FIXTURES) CXR_DATA_DIR=$(DATA) node bench/wasm_bench.mjs
	node web/build.mjs --wasm $(WASM)/wasm --model $(if $(wildcard $(MODEL)),$(MODEL),$(FIXTURES)/resnet18.cxrm) --out $(BUILD)/web-bench
	CXR_WEB_DIR=$(BUILD)/web-bench CXR_DATA_DIR=$(DATA) node bench/web_bench.mjs
	CXR_WASM=$(WASM)/wasm/cxr.mjs CXR_BENCH_WASM=$(WASM)/bench/cxr_bench.mjs CXR_MODEL=$(MODEL) CXR_ONNX=$(BUILD)/bench/model.onnx \
	  CXR_WEB_DIR=$(BUILD)/web-bench CXR_DATA_DIR=$(DATA) node bench/peers_bench.mjs 50
	@if [ -x $(NATIVE)/trainer/cxr-train ] && [ -d $(PRETRAINED) ]; then \
	  for size in 224 $(filter-out 224,$(MOBILENET_SHIPPED_SIZE)); do \
	    $(NATIVE)/trainer/cxr-train pretrained-model --pretrained $(PRETRAINED) --size $$size \
	      --out $(BUILD)/bench/mobilenet$$size.cxrm || exit 1; \
	    CXR_WASM=$(WASM)/wasm/cxr.mjs CXR_BENCH_WASM=$(WASM)/bench/cxr_bench.mjs CXR_NATIVE_BENCH=$(NATIVE)/bench/cxr_bench \
	      CXR_MODEL=$(BUILD)/bench/mobilenet$$size.cxrm CXR_ONNX=$(BUILD)/bench/mobilenet$$size.onnx CXR_DATA_DIR=$(DATA) \
	      node bench/mobilenet_bench.mjs 50 || exit 1; \
	  done; \
	else echo "MobileNetV2 bench skipped: it needs $(NATIVE)/trainer/cxr-train (built where LibTorch is) and $(PRETRAINED)"; fi

$(BUILD)/.bench-npm: bench/package-lock.json | deps
	npm ci --prefix bench --no-audit --no-fund
	@touch $@

# Never serve a random model to clinicians: no shipped model, no app.
model:
	@if [ ! -f "$(MODEL)" ]; then \
	  echo "cxr: no model at $(MODEL), so there is no app to serve."; \
	  echo "     The trained model arrives with the trainer issue (models/pneumonia.cxrm);"; \
	  echo "     to try the app with another model file: make run MODEL=path/to/model.cxrm"; \
	  exit 1; fi

# The app as a static folder ($(WEB)) that any server with the headers in
# README.md can host.
web: model wasm
	node web/build.mjs --wasm $(WASM)/wasm --model $(MODEL) --out $(WEB)

run: web
	node web/serve.mjs $(WEB)

clean:
	rm -rf $(BUILD)
