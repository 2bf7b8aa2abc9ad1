// tests/wasm/cli.test.mjs: build/wasm/crmsync-eval.mjs behaves like `build/crmsync eval`:
// the same stdout bytes, exit codes (0 ok, 1 ok:false, 2 not JSON / unreadable) and
// stderr, from standard input, from FILE and from "-".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD, WASM_DIR } from './lib.mjs';

const NATIVE = join(BUILD, 'crmsync');
const WASM_CLI = join(WASM_DIR, 'crmsync-eval.mjs');
const dir = mkdtempSync(join(tmpdir(), 'crm-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const native = (args, input) => spawnSync(NATIVE, ['eval', ...args], { input });
const wasm = (args, input) => spawnSync(process.execPath, [WASM_CLI, ...args], { input });

function same(args, input, expectRc) {
  const n = native(args, input);
  const w = wasm(args, input);
  assert.equal(n.status, expectRc, `native exit ${n.status}: ${n.stderr}`);
  assert.equal(w.status, n.status, `wasm exit ${w.status} (native ${n.status}): ${w.stderr}`);
  assert.deepEqual(w.stdout, n.stdout, `stdout differs:\nnative ${n.stdout}\nwasm   ${w.stdout}`);
  assert.equal(w.stderr.toString(), n.stderr.toString());
  return n;
}

const cases = [
  ['ok from standard input', '{"op":"version"}', 0],
  ['ok:false exits 1', '{"op":"no_such_op"}', 1],
  ['unknown field exits 1', '{"op":"version","x":1}', 1],
  ['not JSON exits 2, the response is printed', 'hello', 2],
  ['empty input exits 2', '', 2],
  ['truncated JSON exits 2', '{"op":"version"', 2],
  ['UTF-8 in and out', '{"op":"normalize_address","input":"Zoë Ångström <zoe@example.com>"}', 0],
  ['invalid UTF-8 bytes reach the core untouched', Buffer.from([0x7b, 0x22, 0x6f, 0x70, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 1],
  ['a JSON array is not a request', '[1,2]', 1],
];
for (const [name, input, rc] of cases) {
  test(`stdin: ${name}`, () => {
    const n = same([], input, rc);
    assert.equal(n.stdout.at(-1), 0x0a, 'the response ends with a newline');
  });
}

test('FILE and "-" read the same request', () => {
  const f = join(dir, 'req.json');
  writeFileSync(f, '{"op":"normalize_address","input":"a@B.example.COM"}');
  const a = same([f], '', 0);
  const b = same(['-'], '{"op":"normalize_address","input":"a@B.example.COM"}', 0);
  assert.deepEqual(a.stdout, b.stdout);
});

test('a missing FILE: exit 2 and the same message', () => {
  same([join(dir, 'missing.json')], '', 2);
});

test('a directory as FILE: exit 2 and the same message', () => {
  same([dir], '', 2);
});

test('two FILEs: exit 2 and the same message', () => {
  same(['a', 'b'], '', 2);
});
