// tests/wasm/run-vectors.mjs: every tests/vectors case through the WebAssembly build, checked
// as tests/vectors/runner.c checks it natively: envelope keys and order, subset match of
// "expect" ("trace" as a subsequence of rule ids), and "exit" (tests/wasm/lib.mjs
// caseMismatch). New vector files are picked up automatically. Prints one line per failure and
// "N passed, N failed"; exits 1 on a failure.
import { loadVectors, loadWasmCore, caseMismatch, VECTOR_DIR } from './lib.mjs';

const core = await loadWasmCore();
const cases = loadVectors();
let passed = 0;
let failed = 0;
for (const c of cases) {
  let why;
  try {
    const text = new TextDecoder().decode(core.evalBytes(c.bytes));
    const response = JSON.parse(text);
    why = caseMismatch(c, response);
  } catch (e) {
    why = `threw ${e && e.stack ? e.stack : e}`;
  }
  if (why) { failed++; console.log(`FAIL ${c.file} ${c.name}: ${why}`); } else passed++;
}
const files = new Set(cases.map((c) => c.file)).size;
console.log(`wasm vectors: ${cases.length} cases in ${files} files of ${VECTOR_DIR}` +
  (cases.length === 0 ? ' (none yet)' : ''));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
