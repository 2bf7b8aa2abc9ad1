// tests/browser/backend.mjs: the server the dev-host test talks to.
//   mock  tests/browser/mock-api.mjs in-process (fixed data; "the Task exists" = the mock's ledger)
//   real  a throwaway sandbox org (seeded) + `crmsync api` with a temp config, store and Maildir
//         whose senders match Contacts/Leads created first in the sandbox through its REST API;
//         "the Task exists" is checked with a SOQL query on the sandbox.
// Both resolve to {kind, url, token, items?, taskExists(key), close()}.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BUILD, WAIT_MS } from './lib.mjs';
import { startMockApi } from './mock-api.mjs';

const CRMSYNC = join(BUILD, 'crmsync');

export async function startBackend(kind = process.env.SIDEBAR_BACKEND ?? 'mock') {
  if (kind === 'mock') {
    const m = await startMockApi();
    return { kind, url: m.url, token: m.token, taskExists: async (key) => m.state.saved.has(key), close: m.close };
  }
  if (kind !== 'real') throw new Error(`SIDEBAR_BACKEND must be mock or real, not ${kind}`);
  return startReal();
}

function run(args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(CRMSYNC, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`crmsync ${args.join(' ')}: exit ${code}\n${out}`))));
  });
}

async function waitForFile(path, proc, label) {
  const end = Date.now() + WAIT_MS;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${label} exited with ${proc.exitCode}`);
    try { const t = (await readFile(path, 'utf8')).trim(); if (t) return t; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${label} did not write ${path} within ${WAIT_MS} ms`);
}

function startDaemon(args, label, tmp) {
  const p = spawn(CRMSYNC, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  p.stdout.on('data', (d) => { log += d; });
  p.stderr.on('data', (d) => { log += d; });
  p.label = label;
  p.log = () => log;
  return p;
}

async function startReal() {
  const tmp = await mkdtemp(join(tmpdir(), 'crm-sidebar-e2e-'));
  const procs = [];
  const close = async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => { p.once('exit', r); setTimeout(() => { p.kill('SIGKILL'); r(); }, 5000); }) : null)));
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    const db = join(tmp, 'org.db');
    await run(['sandbox', 'seed', '--db', db, '--size', '200', '--seed', '7']);
    const sb = startDaemon(['sandbox', 'serve', '--db', db, '--port', '0', '--port-file', join(tmp, 'sb.port')], 'sandbox');
    procs.push(sb);
    const sbUrl = `http://127.0.0.1:${await waitForFile(join(tmp, 'sb.port'), sb, 'sandbox serve')}`;
    const tok = await (await fetch(`${sbUrl}/services/oauth2/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=sandbox-refresh-token&client_id=crmsync-sandbox' })).json();
    const sf = async (method, path, body) => {
      const r = await fetch(`${sbUrl}/services/data/v62.0${path}`, { method, headers: { Authorization: `Bearer ${tok.access_token}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
      const t = await r.text();
      if (!r.ok) throw new Error(`sandbox ${method} ${path}: ${r.status} ${t}`);
      return t ? JSON.parse(t) : null;
    };
    const q = (soql) => sf('GET', `/query?q=${encodeURIComponent(soql)}`);
    // The user and the records the fixture's senders match.
    const userId = (await q("SELECT Id FROM User WHERE IsActive = true LIMIT 1")).records[0].Id;
    const acc = await sf('POST', '/sobjects/Account', { Name: 'Cust Sidebar Test', Website: 'https://www.cust-sidebar.test' });
    await sf('POST', '/sobjects/Contact', { FirstName: 'Bob', LastName: 'Stone', Email: 'bob@cust-sidebar.test', AccountId: acc.id });
    await sf('POST', '/sobjects/Lead', { FirstName: 'Lena', LastName: 'Park', Email: 'lena@prospect-sidebar.test', Company: 'Prospect' });
    // A small Maildir: one message from the Contact, Cc the Lead and two unknown people.
    const md = join(tmp, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) await mkdir(join(md, d), { recursive: true });
    await writeFile(join(md, 'cur', '1763632800.M1P1.test:2,S'), [
      'Message-ID: <renewal-1@cust-sidebar.test>', 'Date: Fri, 20 Nov 2026 10:00:00 +0000', 'From: Bob Stone <bob@cust-sidebar.test>',
      'To: Alice <alice@acme-sidebar.test>', 'Cc: Lena Park <lena@prospect-sidebar.test>, Jo New <jo.new@cust-sidebar.test>, Ann Smith <ann@newco-sidebar.test>',
      'Subject: Renewal next steps', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Hi Alice, see the next steps.', ''].join('\r\n'));
    const token = 'sidebar-e2e-token-alice';
    const config = {
      store: join(tmp, 'store.db'),
      salesforce: { login_url: sbUrl, client_id: 'crmsync-sandbox', refresh_token: 'sandbox-refresh-token', alt_email_fields: 'CrmSync_Alt_Email__c' },
      org: { name: 'Sidebar Test Org', sf_org_id: '00DSb0000000001AAA', defaults: { internal_domains: ['acme-sidebar.test'] } },
      users: [{ email: 'alice@acme-sidebar.test', sf_user_id: userId, api_token: token, mailboxes: [{ name: 'alice', kind: 'maildir', config: { path: md } }] }],
      api: { port: 0, bind: '127.0.0.1', origins: [], static: { '/sidebar/': join(ROOT, 'sidebar'), '/wasm/': join(BUILD, 'wasm') }, dev_host: true },
    };
    await writeFile(join(tmp, 'api.json'), JSON.stringify(config, null, 2));
    const api = startDaemon(['api', '--config', join(tmp, 'api.json'), '--port', '0', '--port-file', join(tmp, 'api.port')], 'crmsync api');
    procs.push(api);
    const url = `http://127.0.0.1:${await waitForFile(join(tmp, 'api.port'), api, 'crmsync api')}/`;
    return {
      kind: 'real', url, token,
      taskExists: async (key) => (await q(`SELECT Id FROM Task WHERE CrmSync_Key__c = '${key}:0'`)).totalSize === 1,
      logs: () => procs.map((p) => `--- ${p.label}\n${p.log()}`).join('\n'),
      close,
    };
  } catch (e) {
    const logs = procs.map((p) => `--- ${p.label}\n${p.log()}`).join('\n');
    await close();
    e.message += `\n${logs}`;
    throw e;
  }
}
