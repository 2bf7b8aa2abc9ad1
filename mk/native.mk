# native/: the Salesforce connector (libcurl) and, later, the engine; linked into crmsync.
SF_SRC := $(sort $(wildcard native/sf/*.c))
CLI_OBJ += $(patsubst native/%.c,$(BUILD)/obj/native/%.o,$(SF_SRC))
NATIVE_LIBS += -lcurl
