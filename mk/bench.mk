# Benchmarks of the native core (docs/testing.md "Benchmarks"). Figures only, no assertion.
#
#   make bench-core   decide_email per second (best and median of BENCH_RUNS runs of
#                     BENCH_SECONDS), a batch of BENCH_BATCH distinct emails with its peak
#                     RSS, baselines (version round trips, cJSON parse + print) and ratios
BENCH_RUNS    ?= 5
BENCH_SECONDS ?= 1
BENCH_BATCH   ?= 100000
BENCH_CORE    := $(BUILD)/bench/bench_core

BENCH_TARGETS += bench-core

$(BENCH_CORE): tests/bench/bench_core.c $(BUILD)/libcrmcore.a $(wildcard core/include/crm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

.PHONY: bench-core
bench-core: $(BENCH_CORE)
	$(BENCH_CORE) --runs $(BENCH_RUNS) --seconds $(BENCH_SECONDS) --batch $(BENCH_BATCH)
