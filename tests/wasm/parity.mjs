// tests/wasm/parity.mjs: native and WebAssembly answer byte for byte the same.
//
// Requests: every tests/vectors case, every file of tests/fuzz/corpus/*/ (address and
// blocklist corpora wrapped as their fuzzers do, tests/wasm/lib.mjs corpusRequest), every
// tests/wasm/parity-cases/*.json, and a few generated edge cases (limits, nesting, bytes).
// Each request's exact bytes go to
//   - native crm_eval, in one process: tests/wasm/native_batch (links build/libcrmcore.a);
//   - `build/crmsync eval` itself, one process per request (stdout = response + "\n");
//   - the WASM core in this process (core.evalBytes);
//   - build/wasm/crmsync-eval.mjs, for a sample (a node start each; PARITY_CLI_SAMPLE, 40).
// and the response bytes (and CLI exit codes) must be identical.
//
// tests/wasm/known-divergences.txt lists requests known to differ (a core bug being fixed,
// with its reason). They are still run: listed ones must still differ (so the list cannot
// go stale), and are reported apart, never counted as passed.
// Prints each failure and "N passed, N failed"; exits 1 on a failure.
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, BUILD, WASM_DIR, loadVectors, loadCorpora, loadExtraCases, loadWasmCore,
  nativeBatch, bytesEqual, firstDifference,
} from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const nativeBatchBin = opt('--native-batch', join(WASM_DIR, 'native_batch'));
const crmsync = opt('--crmsync', join(BUILD, 'crmsync'));
const cliSample = Number(process.env.PARITY_CLI_SAMPLE ?? 40);

const enc = new TextEncoder();
const requests = [];
for (const v of loadVectors()) requests.push({ label: `vectors/${v.name}`, bytes: v.bytes });
const nVectors = requests.length;
for (const c of loadCorpora()) requests.push(c);
const nCorpus = requests.length - nVectors;
for (const c of loadExtraCases()) requests.push(c);
// Generated edge cases: the limits of core-api.md and raw bytes.
const nest = (d) => enc.encode(`{"op":"version","settings":${'['.repeat(d)}${']'.repeat(d)}}`);
requests.push({ label: 'generated: nesting 63', bytes: nest(63) });
requests.push({ label: 'generated: nesting 64', bytes: nest(64) });
requests.push({ label: 'generated: nesting 65', bytes: nest(65) });
requests.push({ label: 'generated: string of 4 MiB - 1', bytes: enc.encode(`{"op":"normalize_address","input":"${'a'.repeat(4 * 1024 * 1024 - 1)}"}`) });
requests.push({ label: 'generated: string of 4 MiB + 1', bytes: enc.encode(`{"op":"normalize_address","input":"${'a'.repeat(4 * 1024 * 1024 + 1)}"}`) });
requests.push({ label: 'generated: request over 16 MiB', bytes: new Uint8Array(16 * 1024 * 1024 + 1).fill(0x20) });
requests.push({ label: 'generated: NUL byte inside', bytes: enc.encode('{"op":"version"}\u0000garbage') });
requests.push({ label: 'generated: every byte value in a string', bytes: (() => {
  const b = [...enc.encode('{"op":"normalize_address","input":"')];
  for (let i = 0x20; i < 0x100; i++) if (i !== 0x22 && i !== 0x5c) b.push(i);
  return Uint8Array.from([...b, ...enc.encode('"}')]);
})() });
requests.push({ label: 'generated: UTF-8 BOM', bytes: Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode('{"op":"version"}')]) });
requests.push({ label: 'generated: empty', bytes: new Uint8Array(0) });

const knownFile = join(ROOT, 'tests', 'wasm', 'known-divergences.txt');
const known = new Map();
if (existsSync(knownFile)) {
  for (const line of readFileSync(knownFile, 'utf8').split('\n')) {
    const m = line.match(/^([^#\s][^\t]*?)\s*\t\s*(.+)$/);
    if (m) known.set(m[1], m[2]);
  }
}

function runCli(cmd, argv, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', () => {});
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: new Uint8Array(Buffer.concat(out)) }));
    child.stdin.on('error', () => {});
    child.stdin.end(Buffer.from(input));
  });
}
async function mapLimit(items, limit, fn) {
  const res = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) { const i = next++; res[i] = await fn(items[i], i); }
  }));
  return res;
}
const withNewline = (b) => { const o = new Uint8Array(b.length + 1); o.set(b); o[b.length] = 0x0a; return o; };

const t0 = Date.now();
const core = await loadWasmCore();
const nativeResp = await nativeBatch(nativeBatchBin, requests.map((r) => r.bytes));
const wasmResp = requests.map((r) => core.evalBytes(r.bytes));
const cliResp = await mapLimit(requests, 4, (r) => runCli(crmsync, ['eval'], r.bytes));
// The WASM CLI on a spread-out sample (every vector first, then the rest), a node start each.
const step = Math.max(1, Math.ceil(requests.length / Math.max(1, cliSample)));
const sampleIdx = requests.map((_, i) => i).filter((i) => i % step === 0).slice(0, cliSample);
const wasmCli = new Map();
await mapLimit(sampleIdx, 2, async (i) => {
  wasmCli.set(i, await runCli(process.execPath, [join(WASM_DIR, 'crmsync-eval.mjs')], requests[i].bytes));
});

let passed = 0;
let failed = 0;
let divergent = 0;
const seenKnown = new Set();
requests.forEach((r, i) => {
  const problems = [];
  if (!bytesEqual(nativeResp[i], wasmResp[i])) problems.push(`native vs wasm: ${firstDifference(nativeResp[i], wasmResp[i])}`);
  if (!bytesEqual(cliResp[i].stdout, withNewline(nativeResp[i]))) problems.push('`crmsync eval` stdout differs from crm_eval');
  const w = wasmCli.get(i);
  if (w) {
    if (!bytesEqual(w.stdout, cliResp[i].stdout)) problems.push(`crmsync-eval.mjs stdout: ${firstDifference(cliResp[i].stdout, w.stdout)}`);
    if (w.code !== cliResp[i].code) problems.push(`crmsync-eval.mjs exit ${w.code}, native ${cliResp[i].code}`);
  }
  if (known.has(r.label)) {
    seenKnown.add(r.label);
    if (problems.length > 0) { divergent++; console.log(`KNOWN ${r.label}: ${known.get(r.label)}\n      ${problems[0]}`); } else {
      failed++;
      console.log(`FAIL ${r.label}: listed in tests/wasm/known-divergences.txt but now identical; remove it from the list`);
    }
    return;
  }
  if (problems.length === 0) passed++;
  else { failed++; console.log(`FAIL ${r.label}\n     ${problems.join('\n     ')}`); }
});
for (const label of known.keys()) {
  if (!seenKnown.has(label)) { failed++; console.log(`FAIL known-divergences.txt names "${label}", which is no request`); }
}
console.log(`parity: ${requests.length} requests (${nVectors} vectors, ${nCorpus} corpus files, ` +
  `${requests.length - nVectors - nCorpus} parity cases) through native crm_eval, \`crmsync eval\`, ` +
  `WASM evalBytes, and crmsync-eval.mjs for ${wasmCli.size}; ${((Date.now() - t0) / 1000).toFixed(1)} s` +
  (divergent ? `; ${divergent} KNOWN divergence(s) not counted as passed` : ''));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
