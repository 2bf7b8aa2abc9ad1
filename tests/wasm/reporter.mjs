// tests/wasm/reporter.mjs: a node --test reporter that prints one line per test and the
// project's closing line "N passed, N failed" (node's own reporters print other totals).
export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    const d = event.data;
    if (event.type === 'test:pass' && d.details?.type !== 'suite') {
      if (d.skip || d.todo) continue;
      passed++;
      yield `ok   ${d.name}\n`;
    } else if (event.type === 'test:fail' && d.details?.type !== 'suite') {
      failed++;
      const err = d.details?.error;
      const cause = err?.cause ?? err;
      yield `FAIL ${d.name}\n     ${String(cause?.stack ?? cause).split('\n').slice(0, 8).join('\n     ')}\n`;
    } else if (event.type === 'test:diagnostic' && !/^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(d.message)) {
      yield `# ${d.message}\n`;
    }
  }
  yield `${passed} passed, ${failed} failed\n`;
}
