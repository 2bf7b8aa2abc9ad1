// tests/wasm/page/page.mjs: the browser test page (tests/wasm/chromium.test.mjs). Loads the
// core the way the sidebar does, under the server's strict CSP, and publishes what it saw
// on window.crmTest for Playwright to assert.
import { loadCore, CrmError } from './crmcore.mjs';

const status = document.getElementById('status');
const out = document.getElementById('result');
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});

async function run() {
  const t0 = performance.now();
  const core = await loadCore();
  const instantiateMs = performance.now() - t0;
  const version = core.eval({ op: 'version' });
  const address = core.eval({ op: 'normalize_address', input: 'Zoë Doe <Zoe.Doe@EU.Sales.Acme.co.uk>' });
  let typed = null;
  try {
    (await loadCore({ throws: true })).eval({ op: 'no_such_op' });
  } catch (e) {
    typed = { isCrmError: e instanceof CrmError, code: e.code, path: e.path };
  }
  // Proof that the CSP is in force: string evaluation must be refused (no 'unsafe-eval').
  let evalBlocked = false;
  try { (0, globalThis.eval)('1 + 1'); } catch { evalBlocked = true; }
  // Requests sent from the test, answered as hex of the exact response bytes.
  const evalHex = (hexRequests) => hexRequests.map((h) => {
    const bytes = new Uint8Array(h.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(h.substr(i * 2, 2), 16);
    return Array.from(core.evalBytes(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
  });
  // The same module in a module worker (the sidebar may evaluate off the UI thread).
  const worker = await new Promise((resolve) => {
    const w = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    w.onmessage = (e) => { resolve(e.data); w.terminate(); };
    w.onerror = (e) => { resolve({ error: String(e.message || e) }); w.terminate(); };
    w.postMessage({ op: 'normalize_address', input: 'worker@Example.COM' });
  });
  window.crmTest = {
    done: true, version: core.version, instantiateMs, versionResponse: version, address, typed,
    evalBlocked, violations, worker, evalHex, raw: core.evalRaw({ op: 'version' }),
  };
  status.textContent = address.ok ? 'ok' : 'failed';
  out.textContent = JSON.stringify(address, null, 2);
}

run().catch((e) => {
  window.crmTest = { done: true, error: String(e && e.stack ? e.stack : e), violations };
  status.textContent = 'error';
  out.textContent = String(e);
});
