// Helpers for the engine's integration tests: a throwaway sandbox org, the sample org
// loaded into it, a configuration, and `crmsync sync` runs. Everything on loopback, in a
// temp dir, with bounded waits; whatever is started is stopped.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = path.resolve(process.env.CRMSYNC || 'build/crmsync');
export const ROOT = path.resolve('.');
let passed = 0, failed = 0;
export function check(cond, what) {
  if (cond) passed++;
  else { failed++; console.error(`check failed: ${what}`); }
}
export function done(name) {
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
export function tmpdir(tag) { return fs.mkdtempSync(path.join(os.tmpdir(), `crm-${tag}-`)); }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startSandbox(dir, { size = 500, seed = 1, faults = '' } = {}) {
  execFileSync(BIN, ['sandbox', 'seed', '--db', path.join(dir, 'org.db'), '--size', String(size), '--seed', String(seed)], { stdio: 'ignore' });
  const portFile = path.join(dir, 'port');
  const args = ['sandbox', 'serve', '--db', path.join(dir, 'org.db'), '--port', '0', '--port-file', portFile];
  if (faults) args.push('--faults', faults);
  const proc = spawn(BIN, args, { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()); i++) await sleep(50);
  const base = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`;
  const sb = {
    base, proc,
    stop() { try { proc.kill('SIGTERM'); } catch { /* gone */ } },
    async token() {
      const r = await fetch(`${base}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token&refresh_token=sandbox-refresh-token&client_id=crmsync-sandbox' });
      return (await r.json()).access_token;
    },
    async query(q) {
      const tok = await sb.token();
      let url = `${base}/services/data/v62.0/query?q=${encodeURIComponent(q)}`, rows = [];
      for (;;) {
        const j = await (await fetch(url, { headers: { authorization: `Bearer ${tok}` } })).json();
        rows = rows.concat(j.records || []);
        if (j.done !== false) return { total: j.totalSize, rows };
        url = base + j.nextRecordsUrl;
      }
    },
    async faults(spec) { await fetch(`${base}/sandbox/faults`, { method: 'PUT', body: spec }); },
  };
  return sb;
}

export function sampleMail(dir, count = 120, seed = 1) {
  execFileSync('node', [path.join(ROOT, 'tools/sample-mail/gen-sample-maildir.mjs'), '--out', path.join(dir, 'mail'), '--count', String(count),
    '--seed', String(seed), '--org-out', path.join(dir, 'org.json')], { stdio: 'ignore' });
}

export function loadOrg(dir, sb) {
  const out = execFileSync('node', [path.join(ROOT, 'tools/demo/load-org.mjs'), sb.base, path.join(dir, 'org.json')]).toString();
  return JSON.parse(out);
}

export function writeConfig(dir, sb, loaded, over = {}) {
  const org = JSON.parse(fs.readFileSync(path.join(dir, 'org.json'), 'utf8'));
  const cfg = {
    store: path.join(dir, 'crmsync.db'),
    salesforce: { login_url: sb.base, client_id: 'crmsync-sandbox', refresh_token: 'sandbox-refresh-token', alt_email_fields: 'CrmSync_Alt_Email__c' },
    org: { name: 'Test Org', sf_org_id: '00DTEST', defaults: { internal_domains: org.internal_domains, email: { mode: 'all', lookback_days: 30 } }, blocklist: org.blocklist },
    users: [{ email: org.user, sf_user_id: loaded.user_id, mailboxes: [{ name: 'bob', kind: 'maildir', config: { path: path.join(dir, 'mail') } }] }],
    ...over,
  };
  const file = path.join(dir, 'crmsync.json');
  fs.writeFileSync(file, JSON.stringify(cfg, null, 1));
  return file;
}

/* One `crmsync sync --once --json`; returns {code, summary} (summary of the first mailbox). */
export function sync(config, extra = [], env = {}) {
  const r = spawnSync(BIN, ['sync', '--once', '--config', config, '--json', ...extra], { env: { ...process.env, ...env }, timeout: 120000 });
  let summary = null;
  try { summary = JSON.parse(r.stdout.toString())[0]; } catch { /* none */ }
  return { code: r.status, summary, stderr: r.stderr.toString() };
}

export async function savedState(sb) {
  const tasks = await sb.query('SELECT Id, CrmSync_Key__c FROM Task WHERE CrmSync_Key__c != null');
  const rel = await sb.query('SELECT TaskId, RelationId FROM TaskRelation');
  const keys = tasks.rows.map((t) => t.CrmSync_Key__c).sort();
  const relKeys = rel.rows.map((r) => `${r.TaskId}/${r.RelationId}`);
  return { keys, tasks: tasks.total, relations: rel.total, relUnique: new Set(relKeys).size };
}
