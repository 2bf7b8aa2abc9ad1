#!/usr/bin/env node
// build/wasm/crmsync-eval.mjs [FILE]: `crmsync eval [FILE]` on the WebAssembly core.
//
// The same contract as native/cli/main.c crm_cmd_eval (core-api.md): reads one request from
// FILE or standard input ("-" or no FILE), prints the response followed by a newline, and
// exits 0 when the response is "ok": true, 1 when "ok": false, 2 when the input is not JSON
// (the response is still printed) or cannot be read. The request bytes reach the core
// untouched and the response bytes are written untouched, so stdout is byte-identical to
// the native command's for the same input (tests/wasm/cli.test.mjs, tests/wasm/parity.mjs).
import { readFileSync } from 'node:fs';
import { loadCore } from './crmcore.mjs';

// What native slurp() passes on at most (its buffer stops doubling past 32 MiB).
const NATIVE_READ_CAP = 64 * 1024 * 1024;

// strerror() texts of glibc for the errors a read can meet, so stderr reads the same too.
const STRERROR = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  EIO: 'Input/output error',
  ENOMEM: 'Cannot allocate memory',
};
const strerror = (e) => STRERROR[e.code] || e.message;

async function main(argv) {
  if (argv.length > 1) {
    process.stderr.write('crmsync eval: takes at most one FILE\n');
    return 2;
  }
  const fromStdin = argv.length === 0 || argv[0] === '-';
  const name = fromStdin ? 'standard input' : argv[0];
  let request;
  try {
    request = readFileSync(fromStdin ? 0 : argv[0]);
  } catch (e) {
    // native: fopen fails -> "cannot open"; a directory opens but fails to read.
    const verb = !fromStdin && e.code !== 'EISDIR' ? 'open' : 'read';
    process.stderr.write(`crmsync eval: cannot ${verb} ${name}: ${strerror(e)}\n`);
    return 2;
  }
  if (request.length > NATIVE_READ_CAP) request = request.subarray(0, NATIVE_READ_CAP);
  let response;
  try {
    const core = await loadCore();
    response = core.evalBytes(request);
  } catch (e) {
    if (e && e.code === 'E_NOMEM') {
      process.stderr.write('crmsync eval: out of memory\n');
      return 2;
    }
    throw e;
  }
  const out = Buffer.allocUnsafe(response.length + 1);
  out.set(response, 0);
  out[response.length] = 0x0a;
  await new Promise((resolve, reject) => process.stdout.write(out, (err) => (err ? reject(err) : resolve())));
  // The same classification as native: a prefix test, then a search for E_JSON.
  const text = Buffer.from(response.buffer, response.byteOffset, response.length).toString('latin1');
  if (text.startsWith('{"ok":true')) return 0;
  return text.includes('"code":"E_JSON"') ? 2 : 1;
}

main(process.argv.slice(2)).then(
  (rc) => { process.exitCode = rc; },
  (e) => {
    process.stderr.write(`crmsync eval: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 2;
  },
);
