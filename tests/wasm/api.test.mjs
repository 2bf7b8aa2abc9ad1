// tests/wasm/api.test.mjs: the JS API of build/wasm/crmcore.mjs (docs/wasm.md): loading,
// request forms, UTF-8, typed errors on request, memory hygiene, big requests, CSP safety.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, WASM_DIR, loadWasmCore } from './lib.mjs';

const { loadCore, CrmError } = await import(join(WASM_DIR, 'crmcore.mjs'));
const VERSION = readFileSync(join(ROOT, 'VERSION'), 'utf8').trim();
const core = await loadWasmCore();
const dec = new TextDecoder();

test('loadCore: version, schema and domain data come from the C core', () => {
  assert.equal(core.version, VERSION);
  assert.equal(core.schema, 1);
  assert.match(core.domainData, /psl/);
});

test('eval({op:"version"}) answers the version operation', () => {
  const r = core.eval({ op: 'version' });
  assert.deepEqual(r.result, { version: VERSION, schema: 1 });
  assert.equal(r.ok, true);
});

test('evalRaw returns the compact response string, keys in core-api order', () => {
  const s = core.evalRaw('{"op":"version"}');
  assert.equal(typeof s, 'string');
  assert.ok(s.startsWith('{"ok":true,"result":{"version":'), s);
  assert.deepEqual(JSON.parse(s), core.eval({ op: 'version' }));
});

test('a request as object, string, Uint8Array, ArrayBuffer and DataView gives the same bytes', () => {
  const obj = { op: 'normalize_address', input: 'Jane Doe <Jane.Doe@EU.Sales.Acme.co.uk>' };
  const text = JSON.stringify(obj);
  const bytes = new TextEncoder().encode(text);
  const ref = core.evalBytes(bytes);
  assert.ok(ref.length > 0);
  assert.deepEqual(core.evalBytes(obj), ref);
  assert.deepEqual(core.evalBytes(text), ref);
  assert.deepEqual(core.evalBytes(bytes.buffer.slice(0)), ref);
  assert.deepEqual(core.evalBytes(new DataView(bytes.buffer)), ref);
  assert.equal(core.evalRaw(obj), dec.decode(ref));
  const r = core.eval(obj);
  assert.equal(r.ok, true);
  assert.equal(r.result.address, 'jane.doe@eu.sales.acme.co.uk');
  assert.equal(r.result.registered_domain, 'acme.co.uk');
});

test('strings are sent as UTF-8 and responses decoded as UTF-8', () => {
  const name = 'Zoë Ångström-Ñúñez 山田';
  const r = core.eval({ op: 'normalize_address', input: `${name} <zoe@example.com>` });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.result.display_name, name);
  const raw = core.evalBytes({ op: 'normalize_address', input: `${name} <zoe@example.com>` });
  assert.equal(dec.decode(raw), core.evalRaw({ op: 'normalize_address', input: `${name} <zoe@example.com>` }));
  assert.ok(Buffer.from(raw).includes(Buffer.from(name, 'utf8')));
});

test('ok:false is returned in-band by default, never thrown', () => {
  const bad = core.eval('this is not json');
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'E_JSON');
  const unknown = core.eval({ op: 'no_such_op' });
  assert.equal(unknown.ok, false);
  assert.equal(unknown.error.code, 'E_UNKNOWN_OP');
  assert.equal(unknown.error.path, 'op');
});

test('evalOrThrow and loadCore({throws:true}) turn ok:false into CrmError(code, message, path)', async () => {
  const req = { op: 'version', bogus: 1 };
  const inBand = core.eval(req);
  assert.equal(inBand.ok, false);
  for (const call of [() => core.evalOrThrow(req), async () => (await loadCore({ throws: true })).eval(req)]) {
    await assert.rejects(async () => call(), (e) => {
      assert.ok(e instanceof CrmError);
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'CrmError');
      assert.equal(e.code, inBand.error.code);
      assert.equal(e.detail, inBand.error.message);
      assert.equal(e.path, inBand.error.path);
      assert.deepEqual(e.response, inBand);
      assert.ok(e.message.includes(inBand.error.code));
      return true;
    });
  }
  const thrower = await loadCore({ throws: true });
  assert.deepEqual(thrower.eval({ op: 'version' }).result.schema, 1);
  assert.equal(core.evalOrThrow({ op: 'version' }).ok, true);
  assert.throws(() => thrower.eval('{'), (e) => e instanceof CrmError && e.code === 'E_JSON' && e.path === undefined);
});

test('heap usage is flat across 10,000 calls, failing ones included', () => {
  const c = core;
  const requests = [
    { op: 'version' },
    { op: 'normalize_address', input: 'Jane <jane@example.com>' },
    { op: 'normalize_address', input: 'not an address' },
    { op: 'parse_blocklist', text: 'a@b.com\n*.example.org\n@@bad@@\n' },
    'not json at all',
    '{"op":"version","x":',
    { op: 'no_such_op' },
    { op: 'version', extra: true },
    '[1,2,3]',
    { op: 'normalize_address' },
  ];
  for (const r of requests) c.evalBytes(r); // warm-up: lazily grown structures settle
  const before = c.stats();
  let failures = 0;
  for (let i = 0; i < 10000; i++) {
    const r = requests[i % requests.length];
    const resp = c.eval(r);
    if (!resp.ok) failures++;
    assert.throws(() => { if (i % 97 === 0) c.evalOrThrow('{bad'); else throw new CrmError('E_X', 'x'); }, CrmError);
  }
  const after = c.stats();
  assert.ok(failures >= 5000, `failing calls exercised (${failures})`);
  assert.equal(after.heapUsed, before.heapUsed, `heap in use before ${before.heapUsed}, after ${after.heapUsed}`);
  assert.equal(after.memoryBytes, before.memoryBytes, 'the wasm memory did not grow');
});

test('big requests grow the memory; views are refreshed; everything is freed', async () => {
  const c = await loadCore();
  const base = c.stats();
  const big = 'x'.repeat(5 * 1024 * 1024); // over the 4 MiB string limit
  const r1 = c.eval({ op: 'normalize_address', input: big });
  assert.equal(r1.ok, false);
  assert.equal(r1.error.code, 'E_TOO_LARGE');
  const huge = new Uint8Array(17 * 1024 * 1024).fill(0x20); // over the 16 MiB request limit
  const r2 = JSON.parse(dec.decode(c.evalBytes(huge)));
  assert.equal(r2.ok, false);
  assert.equal(r2.error.code, 'E_TOO_LARGE');
  assert.ok(c.stats().memoryBytes > base.memoryBytes, 'memory grew');
  assert.equal(c.stats().heapUsed, base.heapUsed, 'all freed after the big calls');
  assert.equal(c.eval({ op: 'version' }).ok, true, 'works after growth');
});

test('cores are independent; close() frees the context and later calls throw', async () => {
  const a = await loadCore();
  const b = await loadCore();
  a.close();
  assert.throws(() => a.eval({ op: 'version' }), /closed/);
  assert.equal(b.eval({ op: 'version' }).ok, true);
  a.close(); // twice is harmless
  assert.throws(() => b.eval(undefined), TypeError);
});

test('loadCore accepts wasmBinary and a precompiled WebAssembly.Module', async () => {
  const bytes = readFileSync(join(WASM_DIR, 'crmcore.wasm'));
  const fromBinary = await loadCore({ wasmBinary: bytes });
  assert.equal(fromBinary.version, VERSION);
  const mod = await WebAssembly.compile(bytes);
  const fromModule = await loadCore({ module: mod });
  assert.deepEqual(fromModule.evalBytes({ op: 'version' }), fromBinary.evalBytes({ op: 'version' }));
});

test('the built module uses no eval / new Function (CSP without unsafe-eval)', () => {
  const js = readFileSync(join(WASM_DIR, 'crmcore.mjs'), 'utf8');
  assert.doesNotMatch(js, /(?<![.\w])eval\s*\(/);
  assert.doesNotMatch(js, /new\s+Function\s*\(/);
  assert.doesNotMatch(js, /[^.\w]Function\s*\(\s*["'`]/);
  assert.doesNotMatch(js, /\brequire\s*\(\s*["'](?!fs|path)/, 'no Node module other than the glue\'s lazy fs/path');
});
