// tests/browser/chrome-extension.test.mjs: the Chrome extension (Manifest V3), packaged by
// `make sidebar-chrome`, loaded unpacked in headless Chromium (--load-extension, persistent
// context). Its content script reads tests/browser/fixtures/gmail.html (a Gmail-like page served
// from loopback) and the side panel page shows the sidebar for that message's participants,
// with the core running as WASM under the manifest's CSP and the API on another origin
// (tests/browser/mock-api.mjs: this is a UI test; the end-to-end ones are in sidebar.test.mjs).
// The test's copy of the extension adds the fixture's origin to the content script's matches;
// nothing else differs from the package.
import { cp, mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD, checker, keepScreenshot, launchChromium, serveStatic, WAIT_MS } from './lib.mjs';
import { startMockApi } from './mock-api.mjs';

const { check, summary } = checker('chrome-extension');
const pkg = join(BUILD, 'sidebar', 'chrome');
const manifest = JSON.parse(await readFile(join(pkg, 'manifest.json'), 'utf8'));
check(manifest.manifest_version === 3 && manifest.side_panel?.default_path === 'sidepanel.html', 'the package is a Manifest V3 extension with a side panel');
check(/script-src 'self' 'wasm-unsafe-eval'/.test(manifest.content_security_policy?.extension_pages ?? '') && !/unsafe-eval'/.test((manifest.content_security_policy.extension_pages).replace("'wasm-unsafe-eval'", '')),
  "extension pages run under script-src 'self' 'wasm-unsafe-eval' (no 'unsafe-eval')");

const extDir = await mkdtemp(join(tmpdir(), 'crm-ext-'));
await cp(pkg, extDir, { recursive: true });
manifest.content_scripts[0].matches.push('http://localhost/*');
await writeFile(join(extDir, 'manifest.json'), JSON.stringify(manifest, null, 2));

const fixtures = await serveStatic(join(import.meta.dirname, 'fixtures'));
const api = await startMockApi();
const browser = await launchChromium([`--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`]);
const { context } = browser;
let page = null;
let panel = null;
let nFailed = 1;
const consoleLines = [];
try {
  let [sw] = context.serviceWorkers();
  if (!sw) sw = await context.waitForEvent('serviceworker', { timeout: WAIT_MS });
  const extId = new URL(sw.url()).host;
  check(/^[a-p]{32}$/.test(extId), 'the extension loads and its service worker starts', sw.url());

  page = await context.newPage();
  await page.goto(`${fixtures.url}gmail.html`);
  // The content script publishes the open message; the service worker keeps it for the panel.
  const stored = await sw.evaluate(async (ms) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const { lastItem } = await chrome.storage.session.get('lastItem');
      if (lastItem && lastItem.item) return lastItem.item;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }, WAIT_MS);
  check(stored && stored.subject === 'Renewal next steps' && stored.from.address === 'bob@cust.com' &&
    stored.to.map((p) => p.address).join() === 'alice@acme.com' && stored.cc.map((p) => p.address).join() === 'lena@prospect.com,ann@newco.io' &&
    stored.conversation_id === '18b4c2d3e4f50001' && stored.date === '2026-11-20T10:00:00Z',
  'the content script reads the Gmail page (subject, from, to/cc from the details rows, thread id, date)', JSON.stringify(stored));

  panel = await context.newPage();
  panel.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  panel.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await panel.goto(`chrome-extension://${extId}/sidepanel.html`);
  check(await panel.locator('#connection').evaluate((d) => d.open), 'without a server and token the panel opens its Connection form');
  await panel.fill('#api-base', api.url);
  await panel.fill('#token', api.token);
  await panel.click('#conn-form button[type=submit]');
  await panel.locator('.crm-save').waitFor({ timeout: WAIT_MS });
  const statuses = await panel.$$eval('.crm-person', (els) => els.map((e) => `${e.dataset.address}:${e.dataset.status}`));
  check(statuses.join(' ') === 'bob@cust.com:contact alice@acme.com:self lena@prospect.com:lead ann@newco.io:unresolved',
    'the side panel shows the page\'s participants with their statuses from the core', statuses.join(' '));
  check(await panel.locator('h1').innerText() === 'Renewal next steps', 'the side panel shows the open message');
  const link = await panel.locator('.crm-person[data-address="bob@cust.com"] a.crm-link').getAttribute('href');
  check(link === `${api.url}sf/003000000000001AAA`, 'matched records link to Salesforce (instance_url/id)', link);
  check(await panel.locator('.crm-suggestion[data-address="ann@newco.io"]').count() === 1, 'the unresolved participant is suggested as a new record');
  const stillConfigured = await panel.evaluate(async () => chrome.storage.local.get(['apiBase', 'token']));
  check(stillConfigured.apiBase === api.url.replace(/\/$/, '') && stillConfigured.token === api.token, 'the connection is kept in chrome.storage.local');
  check(!consoleLines.some((l) => l.startsWith('pageerror') || /Content Security Policy/.test(l)), 'no page errors or CSP violations in the panel', consoleLines.join('\n     '));
} catch (e) {
  check(false, 'the extension test ran to the end', e && e.stack ? e.stack : String(e));
} finally {
  nFailed = summary();
  if (nFailed !== 0) {
    if (panel) await keepScreenshot(panel, 'chrome-extension-panel');
    if (page) await keepScreenshot(page, 'chrome-extension-gmail');
    if (consoleLines.length) console.log(`console:\n  ${consoleLines.join('\n  ')}`);
  }
  await browser.close();
  await api.close();
  await fixtures.close();
  await rm(extDir, { recursive: true, force: true });
}
process.exit(nFailed === 0 ? 0 : 1);
