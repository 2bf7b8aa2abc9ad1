# Fuzzing and input limits (docs/testing.md "Fuzzing").
#
#   make test-fuzz-replay  every checked-in input of tests/fuzz/corpus/<target>/ through its
#                          target, built as a plain binary (tests/fuzz/fuzz_main.c) with
#                          ASan+UBSan in $(ASAN_BUILD) (mk/asan.mk)
#   make test-limits       tests/fuzz/limits_test.c: 16 MiB / 4 MiB / depth-64 boundaries and
#                          the peak memory they take (native build)
#   make fuzz              each libFuzzer target for FUZZ_SECONDS (default 600) seconds;
#                          `make -j3 fuzz` runs the three at once. New inputs go to
#                          $(FUZZ_WORK)/<target>/, crashes to tests/fuzz/artifacts/
#   make fuzz-merge        adds to the checked-in corpus only the new inputs that reach new
#                          code edges (tests/fuzz/merge.sh), within its size limits
#   make fuzz-<target>     one target (eval, address, blocklist)
FUZZ_TARGETS   := eval address blocklist
FUZZ_SECONDS   ?= 600
FUZZ_BUILD     ?= $(BUILD)/fuzz
FUZZ_WORK      ?= $(FUZZ_BUILD)/corpus
FUZZ_CC        ?= clang
FUZZ_CFLAGS    ?= -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OPTIONS   ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
# Longest input per target: a whole request; an address line; a list text. Committed
# corpus files stay under 4 KB (the replay runs them all in `make test`).
FUZZ_MAXLEN_eval      := 4000
FUZZ_MAXLEN_address   := 512
FUZZ_MAXLEN_blocklist := 2048
FUZZ_CORPUS_MAX_FILES := 300
FUZZ_CORPUS_MAX_BYTES := 4096

FUZZ_SRC_COMMON  := tests/fuzz/fuzz.h $(wildcard core/include/crm/*.h)
FUZZ_BINS        := $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzzers/$(t)_fuzzer)
FUZZ_REPLAY_BINS := $(foreach t,$(FUZZ_TARGETS),$(BUILD)/fuzzers/$(t)_replay)
LIMITS_TEST      := $(BUILD)/tests/limits-test

TEST_TARGETS += test-limits test-fuzz-replay

# libFuzzer binaries (only meaningful in the fuzz tree: BUILD=$(FUZZ_BUILD) with FUZZ_CFLAGS).
$(BUILD)/fuzzers/%_fuzzer: tests/fuzz/%_fuzzer.c $(FUZZ_SRC_COMMON) $(BUILD)/libcrmcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

# Replay drivers: the same target with fuzz_main.c instead of libFuzzer's main.
$(BUILD)/fuzzers/%_replay: tests/fuzz/%_fuzzer.c tests/fuzz/fuzz_main.c $(FUZZ_SRC_COMMON) $(BUILD)/libcrmcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/fuzz/fuzz_main.c $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

$(LIMITS_TEST): tests/fuzz/limits_test.c $(BUILD)/libcrmcore.a $(wildcard core/include/crm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

.PHONY: test-limits test-fuzz-replay fuzz fuzz-build fuzz-merge $(addprefix fuzz-,$(FUZZ_TARGETS))
test-limits: $(LIMITS_TEST)
	$(LIMITS_TEST)

test-fuzz-replay: asan-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "test-fuzz-replay: $$t (tests/fuzz/corpus/$$t)"; \
	  $(ASAN_ENV) $(ASAN_BUILD)/fuzzers/$${t}_replay -q tests/fuzz/corpus/$$t; done

fuzz-build:
	+$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" \
	  ASAN_TREE="$(foreach t,$(FUZZ_TARGETS),$(FUZZ_BUILD)/fuzzers/$(t)_fuzzer)" asan-tree

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))

# One run: log to $(FUZZ_BUILD)/logs/<t>.log, then print libFuzzer's final figures.
$(addprefix fuzz-,$(FUZZ_TARGETS)): fuzz-%: fuzz-build
	@mkdir -p $(FUZZ_WORK)/$* $(FUZZ_BUILD)/logs tests/fuzz/artifacts
	@echo "fuzz-$*: $(FUZZ_SECONDS) s, -max_len=$(FUZZ_MAXLEN_$*), log $(FUZZ_BUILD)/logs/$*.log"
	@rc=0; $(ASAN_ENV) $(FUZZ_BUILD)/fuzzers/$*_fuzzer $(FUZZ_OPTIONS) -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=$(FUZZ_MAXLEN_$*) -dict=tests/fuzz/$*.dict -artifact_prefix=tests/fuzz/artifacts/$*- \
	  $(FUZZ_WORK)/$* tests/fuzz/corpus/$* > $(FUZZ_BUILD)/logs/$*.log 2>&1 || rc=$$?; \
	  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' $(FUZZ_BUILD)/logs/$*.log | sed 's/^/fuzz-$*: /'; \
	  grep -E '^stat::' $(FUZZ_BUILD)/logs/$*.log | sed 's/^/fuzz-$*: /'; \
	  echo "fuzz-$*: new inputs in $(FUZZ_WORK)/$*: $$(ls $(FUZZ_WORK)/$* | wc -l) (make fuzz-merge adds the useful ones to tests/fuzz/corpus/$*)"; \
	  if [ $$rc -ne 0 ]; then echo "fuzz-$*: FAILED (exit $$rc); the end of the log:"; tail -n 60 $(FUZZ_BUILD)/logs/$*.log; \
	    ls tests/fuzz/artifacts/$*-* 2>/dev/null; exit $$rc; fi

fuzz-merge: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do mkdir -p $(FUZZ_WORK)/$$t; \
	  case $$t in eval) ml=$(FUZZ_MAXLEN_eval);; address) ml=$(FUZZ_MAXLEN_address);; *) ml=$(FUZZ_MAXLEN_blocklist);; esac; \
	  $(ASAN_ENV) tests/fuzz/merge.sh $(FUZZ_BUILD)/fuzzers/$${t}_fuzzer tests/fuzz/corpus/$$t $(FUZZ_WORK)/$$t $$ml \
	    $(FUZZ_CORPUS_MAX_FILES) $(FUZZ_CORPUS_MAX_BYTES); done
	@echo "fuzz-merge: review with git status tests/fuzz/corpus, then commit the new files"
