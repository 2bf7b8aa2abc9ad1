# WebAssembly build of the rules core (docs/wasm.md), with Debian's emscripten 3.1.6.
#
#   make wasm          build/wasm/crmcore.mjs + crmcore.wasm (+ crmsync-eval.mjs, the CLI twin)
#   make test-wasm     JS API tests + every tests/vectors case through the WASM build
#   make test-parity   native vs WASM response bytes on every vector and fuzz-corpus file
#   make test-chromium the module in headless Chromium, from localhost, under a strict CSP
#   make check-exports wasm/exports.json vs the native library's and the .wasm's exports
#   make bench-wasm    sizes, instantiate times (Node, Chromium), WASM/native throughput
#
# The WASM build compiles exactly the native library's sources: CORE_SRC and GEN_SRC from
# the Makefile (so new core files and the generated domain tables are picked up without
# touching this file), plus the shim wasm/crmcore_wasm.c and cJSON.c from Debian's cjson
# source package (tools/fetch-cjson-src: same version and patches as libcjson-dev).

EMCC       ?= emcc
# Debian's emcc runs node tools (acorn) that live in /usr/share/nodejs.
EMCC_ENV   := NODE_PATH=/usr/share/nodejs
WASM_DIR   := $(BUILD)/wasm
CJSON_DIR  := $(WASM_DIR)/cjson
# -Os measured against -O2 (docs/wasm.md "Flags"): 30% smaller .wasm for a throughput
# within the noise on decide_email, so the sidebar gets the smaller file. Override with
# `make wasm WASM_OPT=-O2`.
WASM_OPT   ?= -Os

# The same warnings as native (emcc is clang, so clang's extra check too), minus
# -fstack-protector-strong: wasm has no return addresses on the linear-memory stack to smash.
WASM_CFLAGS := $(filter-out -fstack-protector-strong,$(WARN)) -Wmissing-variable-declarations \
  $(WASM_OPT) $(CORE_DEFS) \
  -Icore/include -I$(BUILD)/gen -I$(CJSON_DIR)/include
# wasm32 has a 32-bit `long` (native: 64-bit); clang's -Wconstant-conversion (in -Wall,
# an error here) stops any long constant that would not fit, a native/WASM parity bug.
# cJSON is third-party code: compiled as Debian compiles it (C89, ENABLE_LOCALES defined
# by its CMakeLists.txt option, on by default), without our -Werror list.
CJSON_CFLAGS := -std=c89 $(WASM_OPT) -DENABLE_LOCALES -fvisibility=hidden

WASM_CORE_OBJ := $(patsubst core/src/%.c,$(WASM_DIR)/obj/core/%.o,$(CORE_SRC)) \
                 $(patsubst $(BUILD)/gen/%.c,$(WASM_DIR)/obj/gen/%.o,$(GEN_SRC))
WASM_OBJ := $(WASM_CORE_OBJ) $(WASM_DIR)/obj/cJSON.o $(WASM_DIR)/obj/crmcore_wasm.o

# Link flags, one per line with its reason (docs/wasm.md "Flags").
WASM_LDFLAGS := \
  $(WASM_OPT) \
  -sMODULARIZE \
  -sEXPORT_ES6 \
  -sEXPORT_NAME=crmCoreFactory \
  -sENVIRONMENT=web,worker,node \
  -sALLOW_MEMORY_GROWTH \
  -sFILESYSTEM=0 \
  -sDYNAMIC_EXECUTION=0 \
  -sERROR_ON_UNDEFINED_SYMBOLS=1 \
  -sEXPORTED_FUNCTIONS=@wasm/exports.json \
  -sEXPORTED_RUNTIME_METHODS=[] \
  -sINCOMING_MODULE_JS_API=[wasmBinary,instantiateWasm,locateFile,print,printErr] \
  -sNODEJS_CATCH_EXIT=0 \
  -sNODEJS_CATCH_REJECTION=0 \
  -sTOTAL_STACK=1048576 \
  -sTEXTDECODER=2 \
  --extern-post-js wasm/crmcore.mjs
# -sMODULARIZE            the glue is a factory returning a Promise of a fresh instance, so a
#                         page may hold several cores and nothing lands in the global scope.
# -sEXPORT_ES6            an ES module (import.meta.url locates the .wasm), as the sidebar uses.
# -sEXPORT_NAME           the factory's name, called by the wrapper appended by --extern-post-js.
# -sENVIRONMENT           browsers (pages, extension pages), workers, and node for tests/CLI.
# -sALLOW_MEMORY_GROWTH   requests up to 16 MiB must fit; the heap grows instead of aborting.
# -sFILESYSTEM=0          the core does no I/O; drops the FS emulation (size).
# -sDYNAMIC_EXECUTION=0   no eval()/new Function() in the glue: Manifest V3 extension pages
#                         and Office add-ins forbid 'unsafe-eval' ('wasm-unsafe-eval' only).
# -sERROR_ON_UNDEFINED_SYMBOLS=1  a missing core symbol fails the link, not the first call.
# -sEXPORTED_FUNCTIONS    the checked-in list, compared with native by tools/check-exports.
# -sEXPORTED_RUNTIME_METHODS=[]  the wrapper reads memory through Module.HEAPU8 (always
#                         exported in 3.1.6) and decodes with TextDecoder itself.
# -sINCOMING_MODULE_JS_API  only the Module options the wrapper passes (smaller glue).
# -sNODEJS_CATCH_EXIT/REJECTION=0  the glue must not install process-wide handlers in node.
# -sTOTAL_STACK           1 MiB (the 3.1.6 default is 5 MiB): the core is not recursive
#                         beyond cJSON's 64-deep nesting limit; this keeps memory small.
# -sTEXTDECODER=2         always use TextDecoder (every target has it): no JS fallback decoder.
# --extern-post-js        appends wasm/crmcore.mjs (loadCore, CrmError) after the factory,
#                         so build/wasm/crmcore.mjs is one self-contained module.

TEST_TARGETS  += test-wasm test-parity test-chromium
BENCH_TARGETS += bench-wasm

.PHONY: wasm test-wasm test-parity test-chromium check-exports bench-wasm
wasm: $(WASM_DIR)/crmcore.mjs $(WASM_DIR)/crmsync-eval.mjs

$(CJSON_DIR)/.version: tools/fetch-cjson-src
	tools/fetch-cjson-src $(CJSON_DIR)
	@touch $@

$(WASM_DIR)/obj/core/%.o: core/src/%.c $(wildcard core/include/crm/*.h core/src/*.h) $(CJSON_DIR)/.version mk/wasm.mk | $(GEN_SRC)
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) -fvisibility=hidden -c $< -o $@

# The generated tables include core/src/domain_data.h (as in mk/data.mk).
$(WASM_DIR)/obj/gen/%.o: $(BUILD)/gen/%.c $(wildcard core/src/*.h) mk/wasm.mk
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) -Icore/src -fvisibility=hidden -c $< -o $@

$(WASM_DIR)/obj/cJSON.o: $(CJSON_DIR)/.version mk/wasm.mk
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(CJSON_CFLAGS) -c $(CJSON_DIR)/cJSON.c -o $@

$(WASM_DIR)/obj/crmcore_wasm.o: wasm/crmcore_wasm.c $(wildcard core/include/crm/*.h) $(CJSON_DIR)/.version mk/wasm.mk
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) -c $< -o $@

$(WASM_DIR)/crmcore.mjs: $(WASM_OBJ) wasm/exports.json wasm/crmcore.mjs mk/wasm.mk
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_OBJ) $(WASM_LDFLAGS) -o $@
	@test -f $(WASM_DIR)/crmcore.wasm

$(WASM_DIR)/crmsync-eval.mjs: wasm/crmsync-eval.mjs $(WASM_DIR)/crmcore.mjs
	cp wasm/crmsync-eval.mjs $@
	chmod +x $@

# ---- checks and tests ----
NODE ?= node
# playwright-core comes from package-lock.json (npm ci, via mk/data.mk's stamp when present);
# it drives Debian's /usr/bin/chromium and never downloads a browser.
PLAYWRIGHT_STAMP := node_modules/playwright-core/package.json
$(PLAYWRIGHT_STAMP): | $(NPM_STAMP)
	@test -f $@ || npm ci --no-audit --no-fund --loglevel=error

check-exports: $(BUILD)/libcrmcore.a $(WASM_DIR)/crmcore.mjs
	tools/check-exports $(BUILD)/libcrmcore.a $(WASM_DIR)/crmcore.wasm

$(WASM_DIR)/native_batch: tests/wasm/native_batch.c $(BUILD)/libcrmcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

test-wasm: wasm check-exports $(BUILD)/crmsync
	$(NODE) --test --test-reporter=./tests/wasm/reporter.mjs tests/wasm/api.test.mjs tests/wasm/cli.test.mjs
	$(NODE) tests/wasm/run-vectors.mjs

test-parity: wasm $(BUILD)/crmsync $(WASM_DIR)/native_batch
	$(NODE) tests/wasm/parity.mjs --native-batch $(WASM_DIR)/native_batch --crmsync $(BUILD)/crmsync

test-chromium: wasm $(PLAYWRIGHT_STAMP)
	$(NODE) tests/wasm/chromium.test.mjs

bench-wasm: wasm $(WASM_DIR)/native_batch $(PLAYWRIGHT_STAMP)
	$(NODE) tests/bench/bench_wasm.mjs --native-batch $(WASM_DIR)/native_batch
