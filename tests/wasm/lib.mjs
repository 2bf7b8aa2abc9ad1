// tests/wasm/lib.mjs: what the WASM tests share: where things are, the vector files, the
// request bytes of a case, the subset matcher, and a client for tests/wasm/native_batch.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD = process.env.BUILD ? join(ROOT, process.env.BUILD) : join(ROOT, 'build');
// CRM_WASM_DIR: another build of the module (e.g. the -O2 one of docs/wasm.md's measurement).
export const WASM_DIR = process.env.CRM_WASM_DIR ? join(ROOT, process.env.CRM_WASM_DIR) : join(BUILD, 'wasm');
export const VECTOR_DIR = join(ROOT, 'tests', 'vectors');
export const CORPUS_DIR = join(ROOT, 'tests', 'fuzz', 'corpus');
export const EXTRA_DIR = join(ROOT, 'tests', 'wasm', 'parity-cases');

export async function loadWasmCore(opts) {
  const { loadCore } = await import(join(WASM_DIR, 'crmcore.mjs'));
  return loadCore(opts);
}

const encoder = new TextEncoder();

/**
 * The cases of tests/vectors/*.json (format: tests/vectors/README.md; runner: runner.c). A
 * file holds an array of cases; a case has "name", "rules", "request" (a JSON object, sent
 * as its compact serialisation) or "request_text" (sent as its UTF-8 bytes), "expect" (a
 * subset of the response) and optionally "exit" (0, 1 or 2) and "note".
 * Returns [{file, index, name, bytes, expect, exit}].
 */
export function loadVectors(dir = VECTOR_DIR) {
  if (!existsSync(dir)) return [];
  const out = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  for (const f of files) {
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const cases = Array.isArray(doc) ? doc : Array.isArray(doc.cases) ? doc.cases : null;
    if (cases === null) throw new Error(`${f}: expected an array of cases`);
    cases.forEach((c, index) => {
      const name = c.name ?? `#${index}`;
      let bytes;
      if (typeof c.request_text === 'string') bytes = encoder.encode(c.request_text);
      else if (Object.hasOwn(c, 'request')) bytes = encoder.encode(JSON.stringify(c.request));
      else throw new Error(`${f} case ${index} (${name}): no "request" or "request_text"`);
      out.push({ file: f, index, name: String(name), bytes, expect: c.expect, exit: c.exit });
    });
  }
  return out;
}

/** The exit code `crmsync eval` gives for a parsed response (core-api.md). */
export function exitCodeOf(response) {
  if (response && response.ok === true) return 0;
  return response && response.error && response.error.code === 'E_JSON' ? 2 : 1;
}

/** The envelope of core-api.md, keys in order: ok, result, trace | ok, error{code, message[, path]}.
 * Returns null when well formed, else what is wrong. */
export function envelopeProblem(r) {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'the response is not a JSON object';
  const keys = Object.keys(r).join(',');
  if (r.ok === true) {
    if (keys !== 'ok,result,trace') return `envelope keys ${keys}, want ok,result,trace`;
    if (r.result === null || typeof r.result !== 'object' || Array.isArray(r.result) || !Array.isArray(r.trace)) {
      return 'result must be an object and trace an array';
    }
    for (const t of r.trace) {
      if (t === null || typeof t !== 'object' || Object.keys(t).join(',') !== 'rule,note' ||
          typeof t.rule !== 'string' || typeof t.note !== 'string') return 'a trace entry is not {"rule": string, "note": string}';
    }
    return null;
  }
  if (r.ok !== false) return 'the response does not start with a boolean "ok"';
  if (keys !== 'ok,error') return `envelope keys ${keys}, want ok,error`;
  const e = r.error;
  const ek = e && typeof e === 'object' ? Object.keys(e).join(',') : '';
  if (!(ek === 'code,message' || ek === 'code,message,path') || typeof e.code !== 'string' || !e.code.startsWith('E_') ||
      typeof e.message !== 'string' || e.message === '' || (ek.endsWith('path') && typeof e.path !== 'string')) {
    return `error must be {code: "E_...", message[, path]}, got ${JSON.stringify(e)}`;
  }
  return null;
}

/** "trace" in expect: the expected rule ids must appear, in order, among the response's. */
export function traceMismatch(want, response) {
  if (!Array.isArray(want)) return 'expect.trace must be an array of rule ids';
  if (!Array.isArray(response.trace)) return '$.trace: the response has no trace';
  const rules = response.trace.map((t) => (t && typeof t.rule === 'string' ? t.rule : '?'));
  let i = 0;
  for (const w of want) {
    while (i < rules.length && rules[i] !== w) i++;
    if (i === rules.length) return `$.trace: rule ${w} missing (or out of order); got ${JSON.stringify(rules)}`;
    i++;
  }
  return null;
}

/** The whole expectation of a vector case, as tests/vectors/runner.c checks it (checks 2-4):
 * envelope, subset match with "trace" as a subsequence, and "exit". null when it matches. */
export function caseMismatch(c, response) {
  const env = envelopeProblem(response);
  if (env) return env;
  if (c.expect === undefined) return '"expect" is missing';
  if (c.expect !== null && typeof c.expect === 'object' && !Array.isArray(c.expect)) {
    for (const k of Object.keys(c.expect)) {
      const m = k === 'trace' ? traceMismatch(c.expect.trace, response)
        : !Object.hasOwn(response, k) ? `$.${k}: key missing in the response`
          : subsetMismatch(c.expect[k], response[k], `$.${k}`);
      if (m) return m;
    }
  } else {
    const m = subsetMismatch(c.expect, response);
    if (m) return m;
  }
  if (c.exit !== undefined && exitCodeOf(response) !== c.exit) {
    return `the response means CLI exit ${exitCodeOf(response)}, the case says "exit": ${c.exit}`;
  }
  return null;
}

/** JSON string literal of raw bytes: `"`, `\` and controls escaped, every other byte kept
 * as is (so invalid UTF-8 reaches the core, as the fuzzers' wrapping does). */
export function jsonStringOfBytes(buf) {
  const parts = [0x22];
  for (const b of buf) {
    if (b === 0x22) parts.push(0x5c, 0x22);
    else if (b === 0x5c) parts.push(0x5c, 0x5c);
    else if (b < 0x20 || b === 0x7f) for (const c of encoder.encode(`\\u${b.toString(16).padStart(4, '0')}`)) parts.push(c);
    else parts.push(b);
  }
  parts.push(0x22);
  return Uint8Array.from(parts);
}

function concat(...chunks) {
  const n = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(n);
  let p = 0;
  for (const c of chunks) { out.set(c, p); p += c.length; }
  return out;
}

/** The request a corpus file stands for. The address and blocklist corpora hold raw text
 * that their fuzzers wrap into {"op":"normalize_address","input":...} and
 * {"op":"parse_blocklist","text":...}; every other corpus holds whole requests. */
export function corpusRequest(corpusName, buf) {
  if (/address/i.test(corpusName)) {
    return concat(encoder.encode('{"op":"normalize_address","input":'), jsonStringOfBytes(buf), encoder.encode('}'));
  }
  if (/blocklist/i.test(corpusName)) {
    return concat(encoder.encode('{"op":"parse_blocklist","text":'), jsonStringOfBytes(buf), encoder.encode('}'));
  }
  return new Uint8Array(buf);
}

/** Every file of tests/fuzz/corpus/<name>/ as [{label, bytes}] (empty while none exist). */
export function loadCorpora(dir = CORPUS_DIR) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (!statSync(sub).isDirectory()) continue;
    for (const f of readdirSync(sub).sort()) {
      const p = join(sub, f);
      if (!statSync(p).isFile()) continue;
      out.push({ label: `corpus/${name}/${f}`, bytes: corpusRequest(name, readFileSync(p)) });
    }
  }
  return out;
}

/** tests/wasm/parity-cases/*.json: each file one request, sent byte for byte. */
export function loadExtraCases(dir = EXTRA_DIR) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => ({ label: `parity-cases/${basename(f)}`, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

/**
 * Subset match, as tests/vectors/runner.c match(): every key of an expected object must be
 * present in the actual object with a matching value (extra actual keys are allowed); an
 * expected array matches an array of the same length whose elements match pairwise;
 * scalars (strings, numbers by value, booleans, null) must be equal and of the same type. Returns null on a match, else
 * the path and reason of the first difference.
 */
export function subsetMismatch(expect, actual, path = '$') {
  if (expect === null || typeof expect !== 'object') {
    return typeof expect === typeof actual && expect === actual ? null
      : `${path}: value differs: expected ${JSON.stringify(expect)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expect)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expect.length) return `${path}: expected ${expect.length} elements, got ${actual.length}`;
    for (let i = 0; i < expect.length; i++) {
      const m = subsetMismatch(expect[i], actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
    return `${path}: expected an object, got ${JSON.stringify(actual)}`;
  }
  for (const k of Object.keys(expect)) {
    if (!Object.hasOwn(actual, k)) return `${path}.${k}: missing`;
    const m = subsetMismatch(expect[k], actual[k], `${path}.${k}`);
    if (m) return m;
  }
  return null;
}

/** Runs requests through tests/wasm/native_batch (crm_eval in one native process);
 * resolves to the response bytes in order. */
export function nativeBatch(bin, requests) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`${bin} exited ${code}`)); return; }
      const out = Buffer.concat(chunks);
      const res = [];
      let p = 0;
      while (p < out.length) {
        const nl = out.indexOf(0x0a, p);
        const n = Number(out.subarray(p, nl).toString('latin1'));
        res.push(new Uint8Array(out.subarray(nl + 1, nl + 1 + n)));
        p = nl + 1 + n;
      }
      if (res.length !== requests.length) reject(new Error(`${bin}: ${res.length} responses for ${requests.length} requests`));
      else resolve(res);
    });
    child.stdin.on('error', reject);
    for (const r of requests) {
      child.stdin.write(`${r.length}\n`);
      child.stdin.write(r);
    }
    child.stdin.end();
  });
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first differing byte offset, with a little context from both sides. */
export function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const ctx = (x) => Buffer.from(x.subarray(Math.max(0, i - 30), i + 30)).toString('utf8');
  return `byte ${i}: native …${ctx(a)}… wasm …${ctx(b)}…`;
}
