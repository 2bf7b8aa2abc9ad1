# Unit tests: every tests/unit/test_*.c is a program linked with the core; each prints
# "N passed, N failed" and exits non-zero on a failure.
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_TARGETS += test-unit

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcrmcore.a tests/unit/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icore/src -o $@ $< $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

.PHONY: test-unit
test-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done
