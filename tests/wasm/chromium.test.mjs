// tests/wasm/chromium.test.mjs: the WASM core in headless Chromium (Debian's chromium, driven
// by playwright-core), from a page served on localhost under a strict CSP (script-src 'self'
// 'wasm-unsafe-eval', no 'unsafe-eval'): it loads, evaluates requests in the page and in a
// module worker, gives typed errors on request, and answers every vector with the same bytes
// as the WASM core in Node (which tests/wasm/parity.mjs ties to native). On a failure the
// page's screenshot is kept in build/test-artifacts/chromium-wasm.png.
// Prints each check and "N passed, N failed"; exits 1 on a failure.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BUILD, loadVectors, loadExtraCases, loadWasmCore, bytesEqual } from './lib.mjs';
import { startServer, launchChromium, CSP } from './serve.mjs';

const VERSION = readFileSync(join(ROOT, 'VERSION'), 'utf8').trim();
let passed = 0;
let failed = 0;
const check = (ok, what, detail = '') => {
  if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what}${detail ? `\n     ${detail}` : ''}`); }
};
const hex = (b) => Buffer.from(b).toString('hex');

const server = await startServer();
const browser = await launchChromium();
const page = await browser.context.newPage();
const consoleLines = [];
page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
try {
  const resp = await page.goto(server.url, { waitUntil: 'load' });
  check(resp.ok() && resp.headers()['content-security-policy'] === CSP, 'the page is served from localhost with the strict CSP');
  await page.waitForFunction(() => window.crmTest && window.crmTest.done, null, { timeout: 60000 });
  const t = await page.evaluate(() => {
    const { evalHex, ...rest } = window.crmTest; // functions do not cross
    return rest;
  });
  check(!t.error, 'loadCore() resolves in the page', t.error);
  check(t.version === VERSION, `core.version is ${VERSION}`, `got ${t.version}`);
  check(t.versionResponse?.ok === true && t.versionResponse.result?.version === VERSION, 'eval({op:"version"}) answers');
  check(t.address?.ok === true && t.address.result.registered_domain === 'acme.co.uk' &&
    t.address.result.display_name === 'Zoë Doe' && t.address.result.address === 'zoe.doe@eu.sales.acme.co.uk',
  'normalize_address evaluates in the page (UTF-8 both ways)', JSON.stringify(t.address));
  check(t.typed?.isCrmError === true && t.typed.code === 'E_UNKNOWN_OP' && t.typed.path === 'op',
    'loadCore({throws: true}) throws a CrmError with code and path', JSON.stringify(t.typed));
  check(t.evalBlocked === true, 'the CSP is in force: eval() of a string is refused in the page');
  const unexpected = (t.violations ?? []).filter((v) => !/^script-src(-elem)? eval$/.test(v));
  check(unexpected.length === 0, 'loading and running the module breaks no CSP directive', unexpected.join('; '));
  check(t.worker?.response && JSON.parse(t.worker.response).result?.address === 'worker@example.com',
    'the module also runs in a module worker', JSON.stringify(t.worker));
  const node = await loadWasmCore();
  check(t.raw === node.evalRaw({ op: 'version' }), 'evalRaw gives the same string in Chromium and Node');

  const requests = [...loadVectors().map((v) => ({ label: v.name, bytes: v.bytes })), ...loadExtraCases()];
  const answers = await page.evaluate((hs) => window.crmTest.evalHex(hs), requests.map((r) => hex(r.bytes)));
  const differing = requests.filter((r, i) => !bytesEqual(Buffer.from(answers[i], 'hex'), node.evalBytes(r.bytes)));
  check(requests.length > 0 && differing.length === 0,
    `${requests.length} vector and parity requests: Chromium and Node answer byte for byte the same`,
    differing.slice(0, 5).map((r) => r.label).join(', '));
  check(!consoleLines.some((l) => l.startsWith('pageerror') || l.startsWith('error')), 'no page errors', consoleLines.join('\n     '));
} catch (e) {
  check(false, 'the browser test ran to the end', e && e.stack ? e.stack : String(e));
} finally {
  if (failed > 0) {
    const dir = join(BUILD, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'chromium-wasm.png'), fullPage: true }).catch(() => {});
    console.log(`screenshot: ${join(dir, 'chromium-wasm.png')}`);
    if (consoleLines.length) console.log(`console:\n  ${consoleLines.join('\n  ')}`);
  }
  await browser.close();
  await server.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
