# Generated domain data (docs/internals/domain-data.md): the public suffix list (Debian
# `publicsuffix`) and the free-mail list (npm `email-providers`, pinned in package.json)
# become C tables in $(BUILD)/gen, compiled into the core like any source.
PSL_DAT       ?= /usr/share/publicsuffix/public_suffix_list.dat
FREEMAIL_JSON := node_modules/email-providers/all.json
NPM_STAMP     := node_modules/.package-lock.json
DOMAIN_GEN    := $(BUILD)/gen/crm_psl_data.c $(BUILD)/gen/crm_freemail_data.c

# node_modules: installed from the lock file when missing or older than it. The stamp is
# node_modules/.package-lock.json, which npm writes on every install (package files' own
# mtimes are not reliable: some npm versions keep the tarball's fixed 1985 date).
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@
$(FREEMAIL_JSON): | $(NPM_STAMP)
	@test -f $@ || { echo "$@ missing after npm ci" >&2; exit 1; }

$(DOMAIN_GEN) &: tools/gen-domain-data.mjs $(PSL_DAT) $(FREEMAIL_JSON) $(NPM_STAMP)
	@mkdir -p $(BUILD)/gen
	node tools/gen-domain-data.mjs --psl $(PSL_DAT) --freemail $(FREEMAIL_JSON) --out $(BUILD)/gen

# The generated files include core/src/domain_data.h.
$(BUILD)/obj/gen/crm_psl_data.o $(BUILD)/obj/gen/crm_freemail_data.o: override CFLAGS += -Icore/src
$(BUILD)/obj/gen/crm_psl_data.o $(BUILD)/obj/gen/crm_freemail_data.o: core/src/domain_data.h

.PHONY: domain-data
domain-data: $(DOMAIN_GEN)
