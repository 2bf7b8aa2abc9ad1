# Mailbox connectors (native/mailbox: Maildir + IMAP via libetpan) and the MIME parser
# (native/mime), docs/mailbox.md.
#
#   make test-mailbox   MIME fixtures, Maildir on a temp tree, the sample generator read back,
#                       IMAP against a throwaway Dovecot
#   make sample-maildir tools/sample-mail/gen-sample-maildir.mjs into build/sample-maildir
#                       (+ build/sample-org.json: the people and accounts the mails refer to)
#   make bench-mailbox  list + parse speed and peak memory on a generated 100,000-email Maildir
#
# libetpan: headers from Debian's libetpan-dev unpacked into $(BUILD)/libetpan (the package
# conflicts with libcurl4-openssl-dev on Debian 12; see native/mailbox/fetch-libetpan-dev),
# linked against the installed runtime libetpan20.
ETPAN_DIR  := $(BUILD)/libetpan
MBX_CFLAGS := -isystem $(ETPAN_DIR)/include -Inative
MBX_SRC    := $(sort $(wildcard native/mime/*.c native/mailbox/*.c))
MBX_OBJ    := $(patsubst native/%.c,$(BUILD)/obj/mbx/%.o,$(MBX_SRC))
MBX_LIB    := $(BUILD)/libcrmmbx.a
# What a program using $(MBX_LIB) links with (after the archive).
MBX_LIBS   := -l:libetpan.so.20 -lgnutls -lcjson
MBX_TESTS  := $(BUILD)/tests/mailbox/test_mime $(BUILD)/tests/mailbox/test_maildir $(BUILD)/tests/mailbox/test_imap \
              $(BUILD)/tests/mailbox/bench_mailbox

TEST_TARGETS  += test-mailbox
BENCH_TARGETS += bench-mailbox

$(ETPAN_DIR)/version: native/mailbox/fetch-libetpan-dev
	native/mailbox/fetch-libetpan-dev $(ETPAN_DIR)

$(BUILD)/obj/mbx/%.o: native/%.c native/mime/crm_mime.h native/mailbox/crm_mailbox.h $(wildcard native/mailbox/*_int.h) | $(ETPAN_DIR)/version
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MBX_CFLAGS) -c $< -o $@

$(MBX_LIB): $(MBX_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/mailbox/%: tests/integration/mailbox/%.c $(MBX_LIB) tests/integration/mailbox/mcheck.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MBX_CFLAGS) -o $@ $< $(MBX_LIB) $(MBX_LIBS)

.PHONY: test-mailbox sample-maildir bench-mailbox mailbox
mailbox: $(MBX_LIB)

test-mailbox: $(MBX_TESTS)
	$(BUILD)/tests/mailbox/test_mime tests/data/mail
	$(BUILD)/tests/mailbox/test_maildir
	tests/integration/mailbox/check-sample $(BUILD)/tests/mailbox/bench_mailbox
	tests/integration/mailbox/run-imap-test $(BUILD)/tests/mailbox/test_imap

# The demo's mailbox (a few hundred emails) and the records they refer to (for seeding).
sample-maildir:
	node tools/sample-mail/gen-sample-maildir.mjs --out $(BUILD)/sample-maildir --org-out $(BUILD)/sample-org.json --force

bench-mailbox: $(BUILD)/tests/mailbox/bench_mailbox $(BUILD)/tests/mailbox/bench_imap
	tests/integration/mailbox/bench-mailbox $(BUILD)/tests/mailbox/bench_mailbox $(BUILD)/bench-maildir 100000
	CRM_SEED_COUNT=5000 tests/integration/mailbox/run-imap-test $(BUILD)/tests/mailbox/bench_imap | sed -n 's/^# /bench-mailbox: /p'

# libFuzzer on the MIME parser (clang), seeded with the fixtures; not part of `make test`.
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/fuzz_mime: tests/integration/mailbox/fuzz_mime.c $(MBX_SRC) native/mime/crm_mime.h | $(ETPAN_DIR)/version
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -D_POSIX_C_SOURCE=200809L $(MBX_CFLAGS) \
	  -o $@ $< native/mime/crm_mime.c -l:libetpan.so.20 -lcjson

.PHONY: fuzz-mailbox
fuzz-mailbox: $(BUILD)/fuzz/fuzz_mime
	@mkdir -p $(BUILD)/fuzz/corpus-mime
	$(BUILD)/fuzz/fuzz_mime -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 $(BUILD)/fuzz/corpus-mime tests/data/mail
