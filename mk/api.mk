# crmsyncd's HTTP API for the sidebar (native/api, `crmsync api`; docs/api.md):
# libmicrohttpd + the store + the Salesforce connector + the engine + the mailbox connector
# (for the dev host's sample items; $(MBX_LIB) is linked by mk/native.mk), in crmsync.
#   make test-api   a real server on a loopback port against a throwaway sandbox org and store
API_SRC := $(sort $(wildcard native/api/*.c))
API_OBJ := $(patsubst native/%.c,$(BUILD)/obj/native/%.o,$(API_SRC))
CLI_OBJ += $(API_OBJ)
NATIVE_LIBS += -lmicrohttpd -lpthread

$(API_OBJ) $(BUILD)/obj/native/cli/cmd_api.o: $(wildcard native/api/*.h)

TEST_TARGETS += test-api
.PHONY: test-api
test-api: $(BUILD)/crmsync
	node tests/integration/api/test_api.mjs $(BUILD)/crmsync
