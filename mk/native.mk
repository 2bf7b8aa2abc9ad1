# native/: the Salesforce connector (libcurl), the engine and sessions; linked into crmsync
# together with the mailbox connectors ($(MBX_LIB) from mk/mailbox.mk).
NATIVE_PART_SRC := $(sort $(wildcard native/sf/*.c native/engine/*.c))
CLI_OBJ += $(patsubst native/%.c,$(BUILD)/obj/native/%.o,$(NATIVE_PART_SRC)) $(MBX_LIB)
NATIVE_LIBS += -lcurl $(MBX_LIBS)
# The connector against a real sandbox org on loopback.
TEST_TARGETS += test-sf
$(BUILD)/tests/engine/test_sf: tests/integration/engine/test_sf.c $(BUILD)/obj/native/sf/crm_sf.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Inative -o $@ $< $(BUILD)/obj/native/sf/crm_sf.o -lcurl -lcjson

.PHONY: test-sf
test-sf: $(BUILD)/tests/engine/test_sf $(BUILD)/crmsync
	tests/integration/engine/run-sf-test $(BUILD)/crmsync $(BUILD)/tests/engine/test_sf

# The engine end to end: sessions, replies, faults, kill -9 (tests/integration/engine).
TEST_TARGETS += test-engine
.PHONY: test-engine
test-engine: $(BUILD)/crmsync
	CRMSYNC=$(BUILD)/crmsync node tests/integration/engine/test-engine.mjs

# make bench: the engine's first sync (figures, no assertions).
BENCH_TARGETS += bench-engine
.PHONY: bench-engine
bench-engine: $(BUILD)/crmsync
	CRMSYNC=$(BUILD)/crmsync node tests/bench/bench_engine.mjs

# The engine over IMAP against a throwaway Dovecot (same harness as the connector's test).
TEST_TARGETS += test-imap-session
.PHONY: test-imap-session
test-imap-session: $(BUILD)/crmsync
	CRMSYNC=$(BUILD)/crmsync tests/integration/mailbox/run-imap-test tests/integration/engine/imap-session-test
