# ASan + UBSan (docs/testing.md "Sanitizers").
#
#   make asan   builds the core, the unit tests, the vector runner, the limits test, the CLI
#               and the fuzz replay drivers with clang -fsanitize=address,undefined in
#               $(ASAN_BUILD), then runs every unit test, every vector (every 10th also
#               through the sanitized CLI) and the limits test with leak checking.
#
# The sanitized tree is a second build of the same sources: the Makefile's own rules with
# BUILD=$(ASAN_BUILD) CC=clang and the flags below, so new core files and tests are picked
# up without touching this file. mk/fuzz.mk's test-fuzz-replay uses the same tree.
ASAN_BUILD  ?= $(BUILD)/asan
ASAN_CC     ?= clang
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS ?= -O1 -g $(SAN_FLAGS)
# abort_on_error: a finding kills the process with SIGABRT, so the runners see it.
ASAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:check_initialization_order=1:strict_string_checks=1:detect_stack_use_after_return=1 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=report_objects=1

# What the sanitized tree holds, named as this make sees them (deferred: the lists are
# completed by fragments read after this one).
asan_path    = $(patsubst $(BUILD)/%,$(ASAN_BUILD)/%,$(1))
ASAN_UNIT    = $(call asan_path,$(UNIT_BINS))
ASAN_RUNNER  = $(call asan_path,$(VECTOR_RUNNER))
ASAN_CLI     = $(call asan_path,$(BUILD)/crmsync)
ASAN_LIMITS  = $(call asan_path,$(LIMITS_TEST))
ASAN_REPLAY  = $(call asan_path,$(FUZZ_REPLAY_BINS))
ASAN_ALL     = $(ASAN_UNIT) $(ASAN_RUNNER) $(ASAN_CLI) $(ASAN_LIMITS) $(ASAN_REPLAY)

TEST_TARGETS += asan

.PHONY: asan asan-build
# One recursive make builds the whole sanitized tree, so `make -j test` (asan and
# test-fuzz-replay both need it) never builds it twice at once.
asan-build:
	+$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC=$(ASAN_CC) CFLAGS="$(ASAN_CFLAGS)" ASAN_TREE="$(ASAN_ALL)" asan-tree

# In the recursive make, ASAN_TREE (given on its command line) lists the files to build.
.PHONY: asan-tree
asan-tree: $(ASAN_TREE)

asan: asan-build
	@set -e; for t in $(ASAN_UNIT); do echo "asan: $$t"; $(ASAN_ENV) $$t; done
	$(ASAN_ENV) $(ASAN_RUNNER) --cli $(ASAN_CLI) --cli-every 10 $(VECTOR_DIR)
	$(ASAN_ENV) $(ASAN_LIMITS)
	@echo "asan: unit tests, vectors and limits passed under ASan+UBSan with leak checking"
