// make bench-engine: a first sync of a generated Maildir against a sandbox org of 200,000
// contacts. Prints emails per second, Salesforce API calls per 1,000 saved emails and the
// peak memory of crmsync, for a small and a large mailbox in the same run (the ratio
// shows whether memory stays flat as the mailbox grows). Figures only: no assertions.
//   node tests/bench/bench_engine.mjs [--emails 100000] [--small 10000] [--contacts 200000]
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, tmpdir, startSandbox, loadOrg, writeConfig } from '../integration/engine/lib.mjs';

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const EMAILS = arg('--emails', 100000), SMALL = arg('--small', 10000), CONTACTS = arg('--contacts', 200000);

async function run(count) {
  const dir = tmpdir('bench');
  const t0 = Date.now();
  execFileSync('node', ['tools/sample-mail/gen-sample-maildir.mjs', '--out', path.join(dir, 'mail'), '--count', String(count), '--org-out', path.join(dir, 'org.json')], { stdio: 'ignore' });
  const genS = (Date.now() - t0) / 1000;
  const sb = await startSandbox(dir, { size: CONTACTS, seed: 1 });
  try {
    const cfg = writeConfig(dir, sb, loadOrg(dir, sb));
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', BIN, 'sync', '--once', '--config', cfg, '--json'], { maxBuffer: 1 << 26 });
    const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr.toString());
    const sum = JSON.parse(r.stdout.toString())[0];
    const secs = Number(m[1]), rssMB = Number(m[2]) / 1024;
    return { count, genS, secs, rssMB, sum };
  } finally {
    sb.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const small = await run(SMALL);
const large = await run(EMAILS);
for (const r of [small, large]) {
  const s = r.sum;
  console.log(`first sync of ${r.count} emails vs ${CONTACTS} contacts: ${(s.listed / r.secs).toFixed(0)} emails/s (${r.secs.toFixed(1)} s; ` +
    `${s.saved} saved, ${s.skipped} skipped, ${s.failed} failed), ${s.api_calls} API calls = ${(s.api_calls * 1000 / Math.max(1, s.saved)).toFixed(1)} per 1,000 saved, ` +
    `peak memory ${r.rssMB.toFixed(1)} MB (mailbox generated in ${r.genS.toFixed(1)} s, not counted)`);
}
console.log(`peak memory ratio ${EMAILS}/${SMALL} emails: ${(large.rssMB / small.rssMB).toFixed(2)} (1.0 = flat)`);
console.log(`throughput ratio ${EMAILS}/${SMALL} emails: ${((large.sum.listed / large.secs) / (small.sum.listed / small.secs)).toFixed(2)}`);
