# Rule vectors (tests/vectors/README.md, docs/testing.md).
#
#   make test-vectors    every tests/vectors/*.json case through crm_eval, and through
#                        `build/crmsync eval` (exit code + identical output)
#   make test-coverage   every rule id of the sections in COVERAGE_SECTIONS has a vector;
#                        spec/rules.md and tests/vectors/rule-ids.txt agree
#
# COVERAGE_SECTIONS: the spec sections whose every rule id must be named by a vector's
# "rules". It lists the sections that are complete today; raise it as vectors land, e.g.
#   make test-coverage COVERAGE_SECTIONS="A B M E T S N F K C D G"     (try it)
# then edit the default below. `node tools/check-coverage.mjs --sections all` shows every
# section's state without failing on what is not listed here.
COVERAGE_SECTIONS ?= A B M E T S N F K C D G
VECTOR_DIR    := tests/vectors
VECTOR_RUNNER := $(BUILD)/tests/vector-runner
# Every Nth case also goes through the CLI (1 = all; the ASan run uses a sample).
VECTOR_CLI_EVERY ?= 1
NODE ?= node

TEST_TARGETS += test-vectors test-coverage

$(VECTOR_RUNNER): tests/vectors/runner.c $(BUILD)/libcrmcore.a $(wildcard core/include/crm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcrmcore.a $(NATIVE_LIBS)

.PHONY: test-vectors test-coverage
test-vectors: $(VECTOR_RUNNER) $(BUILD)/crmsync
	$(VECTOR_RUNNER) --cli $(BUILD)/crmsync --cli-every $(VECTOR_CLI_EVERY) $(VECTOR_DIR)

test-coverage:
	$(NODE) tools/check-coverage.mjs --sections "$(COVERAGE_SECTIONS)"
