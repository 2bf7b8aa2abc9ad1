# The sandbox org (tools/sandbox/, `crmsync sandbox ...`): libmicrohttpd + SQLite + cJSON,
# linked into crmsync. Tests: tests/integration/sandbox/ (real server on a loopback port).
SANDBOX_SRC := $(sort $(wildcard tools/sandbox/*.c))
SANDBOX_OBJ := $(patsubst tools/%.c,$(BUILD)/obj/tools/%.o,$(SANDBOX_SRC))
SANDBOX_HDR := $(wildcard tools/sandbox/*.h)
CLI_OBJ += $(SANDBOX_OBJ)
NATIVE_LIBS += -lmicrohttpd -lsqlite3 -lpthread

$(BUILD)/obj/tools/sandbox/%.o: tools/sandbox/%.c $(SANDBOX_HDR) $(wildcard core/include/crm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itools/sandbox -c $< -o $@

$(BUILD)/obj/native/cli/cmd_sandbox.o: $(SANDBOX_HDR)

SANDBOX_TEST_BIN := $(BUILD)/tests/sandbox/test_sandbox
TEST_TARGETS += test-sandbox

$(SANDBOX_TEST_BIN): tests/integration/sandbox/test_sandbox.c $(BUILD)/crmsync
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcrmcore.a -lcurl -lcjson

.PHONY: test-sandbox
test-sandbox: $(SANDBOX_TEST_BIN) $(BUILD)/crmsync
	$(SANDBOX_TEST_BIN) $(BUILD)/crmsync

# Figures: seed time for 200,000 contacts, and lookups by Email IN (200 addresses).
BENCH_TARGETS += bench-sandbox
.PHONY: bench-sandbox
bench-sandbox: $(BUILD)/crmsync
	tests/integration/sandbox/bench.sh $(BUILD)/crmsync
