# native/: the Salesforce connector (libcurl) and the engine; linked into crmsync.
NATIVE_PART_SRC := $(sort $(wildcard native/sf/*.c native/engine/*.c))
CLI_OBJ += $(patsubst native/%.c,$(BUILD)/obj/native/%.o,$(NATIVE_PART_SRC))
NATIVE_LIBS += -lcurl
