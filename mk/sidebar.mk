# The sidebar (docs/sidebar.md): plain ES modules in sidebar/, no build step. Hosts: the dev
# host page and the Outlook task pane are served as they are by `crmsync api` (/sidebar/,
# /wasm/); the Chrome extension is packaged (files copied, nothing transformed).
#
#   make sidebar-chrome  build/sidebar/chrome/: the unpacked extension (load it in
#                        chrome://extensions, "Load unpacked")
#   make test-browser    tests/browser/*.test.mjs in headless Chromium (playwright-core)
SIDEBAR_CHROME := $(BUILD)/sidebar/chrome
SIDEBAR_SHARED := sidebar/api.js sidebar/core.js $(wildcard sidebar/ui/*)
SIDEBAR_CHROME_SRC := $(wildcard sidebar/hosts/chrome/*)
BROWSER_TESTS := tests/browser/outlook-adapter.test.mjs tests/browser/chrome-extension.test.mjs tests/browser/sidebar.test.mjs

# SIDEBAR_BACKEND: mock (tests/browser/mock-api.mjs) or real (sandbox org + `crmsync api`),
# for tests/browser/sidebar.test.mjs (docs/sidebar.md); make test runs it end to end (real).
SIDEBAR_BACKEND ?= real

TEST_TARGETS += test-browser
CLEAN_FILES +=

.PHONY: sidebar-chrome test-browser
sidebar-chrome: $(SIDEBAR_CHROME)/manifest.json

$(SIDEBAR_CHROME)/manifest.json: $(SIDEBAR_CHROME_SRC) $(SIDEBAR_SHARED) $(BUILD)/wasm/crmcore.mjs mk/sidebar.mk
	@rm -rf $(SIDEBAR_CHROME) && mkdir -p $(SIDEBAR_CHROME)/sidebar/ui $(SIDEBAR_CHROME)/wasm
	cp $(SIDEBAR_CHROME_SRC) $(SIDEBAR_CHROME)/
	cp sidebar/api.js sidebar/core.js $(SIDEBAR_CHROME)/sidebar/
	cp sidebar/ui/* $(SIDEBAR_CHROME)/sidebar/ui/
	cp $(BUILD)/wasm/crmcore.mjs $(BUILD)/wasm/crmcore.wasm $(SIDEBAR_CHROME)/wasm/
	@touch $@

test-browser: wasm all sidebar-chrome node_modules/playwright-core/package.json
	@set -e; for t in $(BROWSER_TESTS); do echo "== $$t"; SIDEBAR_BACKEND=$(SIDEBAR_BACKEND) $(NODE) $$t; done
	@echo "test-browser: all passed"
