# crmsync: one entry point. `make help` lists the targets.
# User-tunable: CC, CFLAGS, BUILD. Required flags are added with `override`.
CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
VERSION := $(shell cat VERSION)

# Warnings are errors; the list and its reasons: docs/build.md
WARN := -std=c11 -Wall -Wextra -Wpedantic -Werror \
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
  -Wold-style-definition -Wwrite-strings -Wcast-qual -Wcast-align -Wconversion \
  -Wdouble-promotion -Wformat=2 -Wformat-security -Wundef -Wvla -Wswitch-enum \
  -Wimplicit-fallthrough -Wnull-dereference \
  -Werror=implicit-function-declaration -Werror=incompatible-pointer-types \
  -fno-common -fstack-protector-strong
# clang has one more check of the same family
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
WARN += -Wmissing-variable-declarations
endif
# Defines every build of the core uses (native and WebAssembly alike).
CORE_DEFS := -D_POSIX_C_SOURCE=200809L -DCRM_VERSION_STRING='"$(VERSION)"'
override CFLAGS += $(WARN) $(CORE_DEFS) -Icore/include -I$(BUILD)/gen

# `make` alone builds; fragments below must not change that.
.DEFAULT_GOAL := all

# Targets each fragment in mk/ may extend.
TEST_TARGETS  :=
BENCH_TARGETS :=
CLEAN_FILES   :=

CORE_SRC := $(sort $(wildcard core/src/*.c))
GEN_SRC  := $(BUILD)/gen/crm_psl_data.c $(BUILD)/gen/crm_freemail_data.c
CORE_OBJ := $(patsubst core/src/%.c,$(BUILD)/obj/core/%.o,$(CORE_SRC)) \
            $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(GEN_SRC))
CLI_SRC  := $(sort $(wildcard native/cli/*.c))
CLI_OBJ  := $(patsubst native/%.c,$(BUILD)/obj/native/%.o,$(CLI_SRC))
NATIVE_LIBS := -lcjson

# Each part's fragment (mk/*.mk) extends the variables above and adds its targets.
include $(sort $(wildcard mk/*.mk))

.PHONY: all run test bench help clean deps
all: $(BUILD)/libcrmcore.a $(BUILD)/crmsync

help:
	@echo "make run      install what is missing, build, start the demo on the embedded defaults"
	@echo "make test     everything: unit tests, vectors (native + wasm), coverage, ASan, fuzz replay, integration"
	@echo "make deps     install the Debian and npm packages the build and tests need"
	@echo "make all      build build/libcrmcore.a and build/crmsync"
	@echo "make wasm     build build/wasm/crmcore.mjs + crmcore.wasm"
	@echo "make asan     run the unit tests and every vector under ASan+UBSan with leak checking"
	@echo "make fuzz     run each libFuzzer target (FUZZ_SECONDS=600 each by default)"
	@echo "make bench    print speed and memory figures"
	@echo "make clean    remove build/"

deps:
	tools/install-deps

$(BUILD)/obj/core/%.o: core/src/%.c $(wildcard core/include/crm/*.h core/src/*.h) | $(BUILD)/gen/crm_psl_data.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fvisibility=hidden -c $< -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/native/%.o: native/%.c $(wildcard core/include/crm/*.h native/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Inative -c $< -o $@

$(BUILD)/libcrmcore.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/crmsync: $(CLI_OBJ) $(BUILD)/libcrmcore.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

test: deps $(TEST_TARGETS)
	@echo "make test: all parts passed ($(TEST_TARGETS))"

bench: $(BENCH_TARGETS)

run: deps all wasm
	tools/run-demo

clean:
	rm -rf $(BUILD) $(CLEAN_FILES)
