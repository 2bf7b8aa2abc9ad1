# The store (docs/store.md): SQLite, linked into crmsync; `crmsync issues` reads it.
#   make test-store   migrations, every API, ledger+cursor atomicity, kill -9 crash safety,
#                     concurrent lease claiming, and `crmsync issues` output
STORE_SRC := $(sort $(wildcard native/store/*.c))
STORE_OBJ := $(patsubst native/%.c,$(BUILD)/obj/native/%.o,$(STORE_SRC))
CLI_OBJ += $(STORE_OBJ)
NATIVE_LIBS += -lsqlite3
TEST_TARGETS += test-store

STORE_TEST := $(BUILD)/tests/store/test_store

$(STORE_TEST): tests/integration/store/test_store.c $(STORE_OBJ) native/store/crm_store.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Inative -o $@ $< $(STORE_OBJ) -lsqlite3 -lcjson

.PHONY: test-store
test-store: $(STORE_TEST) $(BUILD)/crmsync
	$(STORE_TEST) --crmsync $(BUILD)/crmsync
