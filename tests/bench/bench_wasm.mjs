// tests/bench/bench_wasm.mjs: figures of the WebAssembly build (make bench-wasm). Prints, does
// not assert (speed is not a test):
//   - size of crmcore.wasm + crmcore.mjs, raw and gzip -9 (aim: < 150 KB gzipped);
//   - instantiate time: Node (compile + instantiate from bytes) and headless Chromium (fetch
//     from localhost + compile + instantiate, the sidebar's path), medians;
//   - decide_email throughput of WASM (evalBytes, and eval() with JS objects) against native
//     crm_eval in the same run on the same request bytes (aim: ratio >= 0.4).
// The decide_email workload: tests/vectors decide_email cases answering ok in both builds,
// plus the bench's own requests below. If none answers ok, the ops that do are measured
// instead, and the output says so.
//   node tests/bench/bench_wasm.mjs [--native-batch build/wasm/native_batch] [--seconds 1.5]
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WASM_DIR, loadVectors, loadWasmCore, nativeBatch, bytesEqual } from '../wasm/lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const nativeBin = opt('--native-batch', join(WASM_DIR, 'native_batch'));
const seconds = Number(opt('--seconds', '1.5'));
const enc = new TextEncoder();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// ---- sizes ----
const wasmBytes = readFileSync(join(WASM_DIR, 'crmcore.wasm'));
const mjsBytes = readFileSync(join(WASM_DIR, 'crmcore.mjs'));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const total = gz(wasmBytes) + gz(mjsBytes);
console.log(`size: crmcore.wasm ${kb(wasmBytes.length)} (gzip ${kb(gz(wasmBytes))}), crmcore.mjs ${kb(mjsBytes.length)} ` +
  `(gzip ${kb(gz(mjsBytes))}); gzipped total ${kb(total)} (aim < 150 KB: ${total < 150 * 1024 ? 'met' : 'NOT met'})`);

// ---- instantiate: Node ----
const { loadCore } = await import(join(WASM_DIR, 'crmcore.mjs'));
const nodeTimes = [];
for (let i = 0; i < 15; i++) {
  const t0 = performance.now();
  const c = await loadCore({ wasmBinary: wasmBytes });
  nodeTimes.push(performance.now() - t0);
  c.close();
}
console.log(`instantiate, Node ${process.versions.node}: median ${median(nodeTimes).toFixed(2)} ms ` +
  `(first ${nodeTimes[0].toFixed(2)} ms; compile + instantiate from bytes, 15 runs)`);

// ---- instantiate: Chromium ----
try {
  const { startServer, launchChromium } = await import('../wasm/serve.mjs');
  const server = await startServer();
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.crmTest && window.crmTest.done, null, { timeout: 60000 });
    const first = await page.evaluate(() => window.crmTest.instantiateMs);
    const times = await page.evaluate(async () => {
      const mod = await import('./crmcore.mjs');
      const out = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        const c = await mod.loadCore(); // fetch (no-store) + streaming compile + instantiate
        out.push(performance.now() - t0);
        c.close();
      }
      return out;
    });
    const ver = browser.context.browser()?.version() ?? 'chromium';
    console.log(`instantiate, headless Chromium ${ver}: median ${median(times).toFixed(2)} ms ` +
      `(page's first load ${first.toFixed(2)} ms; fetch from localhost + compile + instantiate, 15 runs)`);
  } finally {
    await browser.close();
    await server.close();
  }
} catch (e) {
  console.log(`instantiate, headless Chromium: not measured (${String(e.message || e).split('\n')[0]})`);
}

// ---- throughput ----
const core = await loadWasmCore();
function benchRequests() {
  const me = { id: '005U', mailbox: 'me@acme.com', aliases: ['sales@acme.com'] };
  const settings = { org_id: '00D1', user: me, internal_domains: ['acme.com'], email: { mode: 'all' },
    blocklist: { org: ['@noreply.example', '.mailer.example'], user: [] } };
  const records = {
    contacts: [
      { id: '003A', email: 'jane@customer.example', account_id: '001A', owner_id: '005U', created: '2025-01-02T00:00:00Z' },
      { id: '003B', email: 'bob@customer.example', alt_emails: ['bob@gmail.com'], account_id: '001A', owner_id: '005U' },
    ],
    leads: [{ id: '00QA', email: 'lead@prospect.example', company: 'Prospect', owner_id: '005U' }],
    accounts: [{ id: '001A', name: 'Customer', website: 'https://www.customer.example' }],
    opportunities: [{ id: '006A', account_id: '001A', owner_id: '005U', closed: false, close_date: '2026-12-01' }],
  };
  const base = (over) => ({ op: 'decide_email', settings, records, context: { now: '2026-11-20T11:00:00Z' },
    item: { type: 'email', message_id: '<m@x>', subject: 'Quarterly review', body_text: 'Hello,\n\nsee below.\n'.repeat(20),
      date: '2026-11-20T10:00:00Z', folder: 'inbox', from: { name: 'Jane', address: 'jane@customer.example' },
      to: [{ name: 'Me', address: 'me@acme.com' }], cc: [], ...over } });
  return [
    base({}),
    base({ message_id: '<m2@x>', folder: 'sent', from: { name: 'Me', address: 'me@acme.com' },
      to: [{ name: 'Lead', address: 'lead@prospect.example' }, { name: 'Bob', address: 'Bob@GMail.com' }] }),
    base({ message_id: '<m3@x>', cc: [{ address: 'colleague@acme.com' }, { address: 'alerts@noreply.example' }] }),
    base({ message_id: '<m4@x>', from: { name: 'Stranger', address: 'new.person@unknown-corp.example' } }),
    base({ message_id: '<m5@x>', from: { address: 'colleague@acme.com' } }),
  ].map((r) => ({ label: `bench ${r.item.message_id}`, bytes: enc.encode(JSON.stringify(r)), obj: r }));
}
const dec = new TextDecoder();
const okIn = (b) => dec.decode(b).startsWith('{"ok":true');
let pool = [];
for (const v of loadVectors()) {
  try { if (JSON.parse(dec.decode(v.bytes)).op === 'decide_email') pool.push({ label: v.name, bytes: v.bytes, obj: JSON.parse(dec.decode(v.bytes)) }); } catch { /* text case */ }
}
pool.push(...benchRequests());
let native = await nativeBatch(nativeBin, pool.map((r) => r.bytes));
let keep = pool.map((r, i) => okIn(native[i]) && bytesEqual(native[i], core.evalBytes(r.bytes)));
let workload = pool.filter((_, i) => keep[i]);
let what = `decide_email (${workload.length} requests answering ok, identical in both builds)`;
if (workload.length === 0) {
  pool = loadVectors().map((v) => ({ label: v.name, bytes: v.bytes, obj: null }));
  native = await nativeBatch(nativeBin, pool.map((r) => r.bytes));
  keep = pool.map((r, i) => okIn(native[i]) && bytesEqual(native[i], core.evalBytes(r.bytes)));
  workload = pool.filter((_, i) => keep[i]);
  what = `NOT decide_email (no decide_email request answers ok yet): the ${workload.length} vectors answering ok`;
}
if (workload.length === 0) {
  console.log('throughput: nothing answers ok yet; not measured');
  process.exit(0);
}

function nativeRun(rounds) {
  return new Promise((resolve, reject) => {
    const child = spawn(nativeBin, ['--bench', String(rounds)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`native_batch exit ${code}`))));
    for (const r of workload) { child.stdin.write(`${r.bytes.length}\n`); child.stdin.write(r.bytes); }
    child.stdin.end();
  });
}
function wasmRun(rounds, fn) {
  const t0 = performance.now();
  let sink = 0;
  for (let k = 0; k < rounds; k++) for (const r of workload) sink += fn(r);
  return { calls: rounds * workload.length, seconds: (performance.now() - t0) / 1000, sink };
}
// Calibrate on native, then give each side the same number of rounds.
const probe = await nativeRun(20);
const perRound = Math.max(probe.seconds / 20, 1e-6);
const rounds = Math.max(20, Math.round(seconds / perRound));
wasmRun(Math.max(5, Math.round(rounds / 20)), (r) => core.evalBytes(r.bytes).length); // warm-up (JIT tiers)
const n = await nativeRun(rounds);
const wb = wasmRun(rounds, (r) => core.evalBytes(r.bytes).length);
const wo = workload.every((r) => r.obj) ? wasmRun(rounds, (r) => (core.eval(r.obj).ok ? 1 : 0)) : null;
const rate = (x) => x.calls / x.seconds;
const us = (x) => (1e6 * x.seconds / x.calls).toFixed(1);
console.log(`throughput, ${what}, ${rounds} rounds:`);
console.log(`  native crm_eval:        ${rate(n).toFixed(0)} calls/s (${us(n)} us/call)`);
console.log(`  wasm evalBytes:         ${rate(wb).toFixed(0)} calls/s (${us(wb)} us/call); ratio to native ${(rate(wb) / rate(n)).toFixed(2)} (aim >= 0.4)`);
if (wo) console.log(`  wasm eval(object):      ${rate(wo).toFixed(0)} calls/s (${us(wo)} us/call, incl. JSON.stringify + JSON.parse); ratio ${(rate(wo) / rate(n)).toFixed(2)}`);
console.log(`  heap after: ${core.stats().heapUsed} bytes in use, memory ${kb(core.stats().memoryBytes)}`);
