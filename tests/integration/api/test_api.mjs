// tests/integration/api/test_api.mjs: crmsyncd's HTTP API (docs/api.md) end to end.
// A throwaway sandbox org and a temp store; `crmsync api` on a loopback port; every request
// over real HTTP. Usage: node tests/integration/api/test_api.mjs build/crmsync
// Bounded waits only; everything started here is killed on exit.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';

const bin = path.resolve(process.argv[2] || 'build/crmsync');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crmsync-api-'));
const children = [];
let passed = 0, failed = 0;

function check(name, cond, detail) {
  if (cond) { passed++; }
  else { failed++; console.log(`FAIL ${name}${detail !== undefined ? ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 600) : ''}`); }
}

function cleanup() {
  for (const c of children) { try { c.kill('SIGTERM'); } catch { /* gone */ } }
}
process.on('exit', () => { cleanup(); fs.rmSync(dir, { recursive: true, force: true }); });
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { cleanup(); process.exit(1); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFile(file, proc, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) return Number(fs.readFileSync(file, 'utf8').trim());
    if (proc.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`${file} did not appear`);
}

function start(args, env, logName) {
  const log = fs.openSync(path.join(dir, logName), 'w');
  const p = spawn(bin, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  children.push(p);
  return p;
}

// One HTTP request; nothing normalised (the path is sent as given).
function request(port, method, p, { token, body, headers = {}, raw } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let data = null;
    if (raw !== undefined) data = Buffer.from(raw);
    else if (body !== undefined) { data = Buffer.from(JSON.stringify(body)); h['Content-Type'] = 'application/json'; }
    if (data) h['Content-Length'] = data.length;
    const rq = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, timeout: 20000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, buf, json });
      });
    });
    rq.on('timeout', () => rq.destroy(new Error(`timeout: ${method} ${p}`)));
    rq.on('error', reject);
    if (data) rq.write(data);
    rq.end();
  });
}

// ---------------------------------------------------------------- the sandbox org
execFileSync(bin, ['sandbox', 'seed', '--db', path.join(dir, 'org.db'), '--size', '20', '--seed', '5'], { stdio: 'ignore' });
const sb = start(['sandbox', 'serve', '--db', path.join(dir, 'org.db'), '--port', '0', '--port-file', path.join(dir, 'sb.port')], {}, 'sandbox.log');
const sbPort = await waitFile(path.join(dir, 'sb.port'), sb);
const sbBase = `http://127.0.0.1:${sbPort}`;
const tok = await (await fetch(`${sbBase}/services/oauth2/token`, {
  method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=refresh_token&client_id=crmsync-sandbox&refresh_token=sandbox-refresh-token',
})).json();
const sfHeaders = { Authorization: `Bearer ${tok.access_token}`, 'Content-Type': 'application/json' };
const V = '/services/data/v62.0';
async function soql(q) {
  const r = await fetch(`${sbBase}${V}/query?q=${encodeURIComponent(q)}`, { headers: sfHeaders });
  const j = await r.json();
  if (!r.ok) throw new Error(`query failed: ${JSON.stringify(j)}`);
  return j.records;
}
async function create(type, fields) {
  const r = await fetch(`${sbBase}${V}/sobjects/${type}`, { method: 'POST', headers: sfHeaders, body: JSON.stringify(fields) });
  const j = await r.json();
  if (r.status !== 201) throw new Error(`create ${type}: ${JSON.stringify(j)}`);
  return j.id;
}
const users = await soql('SELECT Id FROM User LIMIT 2');
const ownerA = users[0].Id;
const accId = await create('Account', { Name: 'Acme Test', Website: 'https://www.acme-test.com' });
const contactId = await create('Contact', { FirstName: 'Alice', LastName: 'Acme', Email: 'alice@acme-test.com', AccountId: accId });
const leadId = await create('Lead', { FirstName: 'Lena', LastName: 'Lead', Email: 'lena@leadco-test.com', Company: 'LeadCo' });
const blockMeId = await create('Contact', { FirstName: 'Bert', LastName: 'Blocked', Email: 'bert@blockme-test.com', AccountId: accId });
const carolId = await create('Contact', { FirstName: 'Carol', LastName: 'Kept', Email: 'carol@acme-test.com', AccountId: accId });

// ---------------------------------------------------------------- files: maildir, statics
const mdA = path.join(dir, 'maildir-a'), mdB = path.join(dir, 'maildir-b');
const recent = new Date(Date.now() - 2 * 3600 * 1000);
const recentIso = recent.toISOString().replace(/\.\d+Z$/, 'Z');
const mail = (from, id, subject) => `From: ${from}\r\nTo: Alice User <alice.user@corp.test>\r\nSubject: ${subject}\r\n` +
  `Date: ${recent.toUTCString().replace('GMT', '+0000')}\r\nMessage-ID: <${id}>\r\nContent-Type: text/plain\r\n\r\nBody of ${subject}.\r\n`;
for (const m of [mdA, mdB]) for (const s of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(m, s), { recursive: true });
fs.writeFileSync(path.join(mdA, 'cur', '1763600000.M1P1.test:2,S'),
  'From: Alice Acme <alice@acme-test.com>\r\nTo: Alice User <alice.user@corp.test>\r\nSubject: Sample for the dev host\r\n' +
  'Date: Thu, 20 Nov 2025 10:00:00 +0000\r\nMessage-ID: <dev-1@acme-test.com>\r\nContent-Type: text/plain\r\n\r\nHello from the sample mailbox.\r\n');
const st = path.join(dir, 'static');
fs.mkdirSync(path.join(st, 'sidebar', 'dev'), { recursive: true });
fs.mkdirSync(path.join(st, 'wasm'), { recursive: true });
fs.writeFileSync(path.join(st, 'sidebar', 'index.html'), '<!doctype html><title>sidebar</title>');
fs.writeFileSync(path.join(st, 'sidebar', 'dev', 'index.html'), '<!doctype html><title>dev host</title>');
fs.writeFileSync(path.join(st, 'sidebar', 'app.mjs'), 'export const x = 1;\n');
fs.writeFileSync(path.join(st, 'sidebar', 'util.js'), 'var y = 2;\n');
fs.writeFileSync(path.join(st, 'sidebar', 'style.css'), 'body{}\n');
fs.writeFileSync(path.join(st, 'wasm', 'crmcore.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
fs.writeFileSync(path.join(st, 'wasm', 'crmcore.mjs'), 'export default 1;\n');
fs.writeFileSync(path.join(st, 'SECRET.txt'), 'top-secret-outside-the-static-dir');
fs.symlinkSync(path.join(st, 'SECRET.txt'), path.join(st, 'sidebar', 'link.txt'));

const TOKA = 'token-of-alice-0123456789abcdef';
const TOKB = 'token-of-bob-0123456789abcdef00';
const ADMIN = 'admin-token-0123456789abcdef0000';
const ORIGIN = 'https://outlook.office.com';
const config = {
  store: path.join(dir, 'store.db'),
  salesforce: { login_url: sbBase, client_id: 'crmsync-sandbox', refresh_token_env: 'TEST_API_SF_REFRESH', api_version: '62.0', alt_email_fields: 'CrmSync_Alt_Email__c' },
  org: {
    name: 'Test Org', sf_org_id: '00DSb0000000001AAA',
    defaults: { internal_domains: ['corp.test'], email: { mode: 'all' } },
    locks: ['email.record_type'],
    blocklist: [{ entry: 'blocked-org.test', locked: true }, 'unlocked-org.test'],
  },
  users: [
    { email: 'alice.user@corp.test', sf_user_id: ownerA, api_token: TOKA, mailboxes: [{ name: 'a-mail', kind: 'maildir', config: { path: mdA } }] },
    { email: 'bob.user@corp.test', sf_user_id: users[1] ? users[1].Id : ownerA, api_token_env: 'TEST_API_TOKEN_B', mailboxes: [{ name: 'b-mail', kind: 'maildir', config: { path: mdB } }] },
  ],
  api: {
    port: 0, bind: '127.0.0.1', origins: [ORIGIN, 'chrome-extension://abcdefghijklmnop'], admin_token_env: 'TEST_API_ADMIN',
    static: { '/sidebar/': path.join(st, 'sidebar'), '/wasm/': path.join(st, 'wasm') }, dev_host: true,
  },
};
fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 1));
const api = start(['api', '--config', path.join(dir, 'config.json'), '--port', '0', '--port-file', path.join(dir, 'api.port')],
  { TEST_API_SF_REFRESH: 'sandbox-refresh-token', TEST_API_TOKEN_B: TOKB, TEST_API_ADMIN: ADMIN }, 'api.log');
let port;
try { port = await waitFile(path.join(dir, 'api.port'), api); }
catch (e) { console.log(fs.readFileSync(path.join(dir, 'api.log'), 'utf8')); throw e; }
const R = (method, p, opts) => request(port, method, p, opts);
const err = (r) => r.json && r.json.error ? r.json.error : {};

try {
  // ---------------------------------------------------------------- health, auth, routing
  let r = await R('GET', '/healthz');
  check('healthz 200 with version', r.status === 200 && r.json.ok === true && /^\d+\.\d+\.\d+$/.test(r.json.version), r.text);
  r = await R('GET', '/api/v1/me');
  check('no token: 401 E_AUTH', r.status === 401 && r.json.ok === false && err(r).code === 'E_AUTH', r.text);
  r = await R('GET', '/api/v1/me', { token: TOKA + 'x' });
  check('wrong token: 401 E_AUTH', r.status === 401 && err(r).code === 'E_AUTH', r.text);
  r = await R('GET', '/api/v1/me', { headers: { Authorization: `Basic ${TOKA}` } });
  check('not a bearer token: 401', r.status === 401, r.text);
  r = await R('GET', '/api/v1/me', { token: ADMIN });
  check('admin without ?user: 400 E_MISSING', r.status === 400 && err(r).code === 'E_MISSING', r.text);
  r = await R('GET', '/api/v1/me?user=bob.user@corp.test', { token: ADMIN });
  check('admin acts for bob', r.status === 200 && r.json.user.email === 'bob.user@corp.test', r.text);
  r = await R('GET', '/api/v1/me?user=alice.user@corp.test', { token: TOKB });
  check('bob cannot act for alice (403)', r.status === 403 && err(r).code === 'E_FORBIDDEN', r.text);
  r = await R('GET', '/api/v1/nope', { token: TOKA });
  check('unknown path: 404 E_NOT_FOUND', r.status === 404 && err(r).code === 'E_NOT_FOUND', r.text);
  r = await R('GET', '/api/v1/save', { token: TOKA });
  check('wrong method: 405 with Allow', r.status === 405 && err(r).code === 'E_METHOD' && /POST/.test(r.headers.allow || ''), r.text);
  r = await R('POST', '/api/v1/lookup', { token: TOKA, raw: '{not json' });
  check('bad JSON: 400 E_JSON', r.status === 400 && err(r).code === 'E_JSON', r.text);

  // ---------------------------------------------------------------- /me
  r = await R('GET', '/api/v1/me', { token: TOKA });
  const me = r.json;
  check('/me 200', r.status === 200 && me.ok === true, r.text);
  check('/me user', me.user.email === 'alice.user@corp.test' && me.user.sf_user_id === ownerA && me.user.mailbox === 'a-mail', me.user);
  check('/me settings: identity, org defaults, blocklists', me.settings.user.mailbox === 'alice.user@corp.test' && me.settings.org_id === '00DSb0000000001AAA' &&
    me.settings.internal_domains[0] === 'corp.test' && me.settings.blocklist.org.includes('blocked-org.test') && Array.isArray(me.settings.blocklist.user) &&
    me.settings.email.lookback_days === 6, me.settings);
  check('/me locks, blocklist parts, instance url', me.locks.includes('email.record_type') && me.blocklist.org_locked.includes('blocked-org.test') &&
    !me.blocklist.org_locked.includes('unlocked-org.test') && me.salesforce.instance_url === sbBase && Array.isArray(me.warnings), me);

  // ---------------------------------------------------------------- lookup
  r = await R('POST', '/api/v1/lookup', { token: TOKA, body: { addresses: ['Alice <ALICE@acme-test.com>', 'lena@leadco-test.com', 'nobody@nowhere-test.com', 'not an address'] } });
  check('lookup 200', r.status === 200 && r.json.ok, r.text);
  const recs = r.json.records || {};
  check('lookup finds the Contact, its Account and the Lead', (recs.contacts || []).some((c) => c.id === contactId && c.account_id === accId) &&
    (recs.accounts || []).some((a) => a.id === accId) && (recs.leads || []).some((l) => l.id === leadId), recs);
  check('lookup reports invalid input', (r.json.invalid || []).includes('not an address'), r.json.invalid);
  r = await R('POST', '/api/v1/lookup', { token: TOKA, body: { addresses: 'x' } });
  check('lookup needs an array: 400', r.status === 400 && err(r).path === 'addresses', r.text);

  // ---------------------------------------------------------------- save
  const item = {
    type: 'email', message_id: '<save-1@acme-test.com>', conversation_id: 'conv-save-1',
    from: { name: 'Alice Acme', address: 'alice@acme-test.com' }, to: [{ name: 'Alice User', address: 'alice.user@corp.test' }],
    subject: 'Quote for the sidebar', body_text: 'Please find the quote.', date: recentIso, folder: 'inbox',
  };
  r = await R('POST', '/api/v1/save', { token: TOKA, body: { item, selection: { who: [contactId], what: '', thread: true, attachments: [] } } });
  check('save 200 saved', r.status === 200 && r.json.status === 'saved' && r.json.record_ids.length === 1 && r.json.record_ids[0].startsWith('00T'), r.text);
  const key = r.json.key, taskId = (r.json.record_ids || [])[0];
  check('save returns the core decision', r.json.decision && r.json.decision.action === 'save' && r.json.decision.key === key, r.json.decision);
  const ext = ((r.json.decision || {}).writes || [{}])[0].external_id || '';
  check('the Task is keyed by the item key', ext === `${key}:0`, ext);
  const tasks = await soql(`SELECT Id, WhoId, Subject, OwnerId, CrmSync_Key__c FROM Task WHERE CrmSync_Key__c = '${ext}'`);
  check('the Task exists in the sandbox org', tasks.length === 1 && tasks[0].Id === taskId && tasks[0].WhoId.startsWith(contactId.slice(0, 15)) &&
    tasks[0].Subject.includes('Quote for the sidebar') && tasks[0].OwnerId.startsWith(ownerA.slice(0, 15)), tasks);
  r = await R('POST', '/api/v1/save', { token: TOKA, body: { item, selection: { who: [contactId], what: '', thread: false, attachments: [] } } });
  check('saving again: already_saved with the same ids', r.status === 200 && r.json.status === 'already_saved' && r.json.record_ids[0] === taskId, r.text);
  check('still one Task', (await soql(`SELECT Id FROM Task WHERE CrmSync_Key__c = '${ext}'`)).length === 1);
  r = await R('GET', `/api/v1/status?key=${encodeURIComponent(key)}`, { token: TOKA });
  check('status: saved', r.status === 200 && r.json.saved === true && r.json.record_ids[0] === taskId, r.text);
  r = await R('GET', '/api/v1/status?key=no-such-key', { token: TOKA });
  check('status: unknown key not saved', r.status === 200 && r.json.saved === false && r.json.record_ids.length === 0, r.text);
  r = await R('GET', '/api/v1/status', { token: TOKA });
  check('status without key: 400', r.status === 400 && err(r).code === 'E_MISSING', r.text);
  r = await R('GET', `/api/v1/status?key=${encodeURIComponent(key)}&user=alice.user@corp.test`, { token: TOKB });
  check("bob cannot read alice's status by naming her", r.status === 403, r.text);

  // tampered: a Lead and a Contact on one Task
  const item2 = { ...item, message_id: '<save-2@acme-test.com>', conversation_id: 'conv-save-2', cc: [{ name: 'Lena', address: 'lena@leadco-test.com' }] };
  r = await R('POST', '/api/v1/save', { token: TOKA, body: { item: item2, selection: { who: [contactId, leadId], what: '', thread: false, attachments: [] } } });
  check('tampered Lead+Contact: 422 E_LEAD_EXCLUSIVE', r.status === 422 && r.json.ok === false && err(r).code === 'E_LEAD_EXCLUSIVE', r.text);
  r = await R('POST', '/api/v1/save', { token: TOKA, body: { item: item2, selection: { who: ['003Sb0000000000ZZZ'], what: '', thread: false, attachments: [] } } });
  check('a record not among the participants: 422 E_UNKNOWN_RECORD', r.status === 422 && err(r).code === 'E_UNKNOWN_RECORD', r.text);
  check('nothing written for refused saves', (await soql("SELECT Id FROM Task WHERE Subject LIKE 'Quote%'")).length === 1);
  r = await R('POST', '/api/v1/save', { token: TOKA, body: { item } });
  check('save without selection: 400', r.status === 400 && err(r).path === 'selection', r.text);

  // ---------------------------------------------------------------- do not sync
  r = await R('POST', '/api/v1/do-not-sync', { token: TOKA, body: { address: 'Spam <spam@spammer-test.com>', scope: 'address' } });
  check('do-not-sync added', r.status === 200 && r.json.status === 'added' && r.json.entry === 'spam@spammer-test.com' && r.json.user.includes('spam@spammer-test.com') &&
    Array.isArray(r.json.previous) && !r.json.previous.includes('spam@spammer-test.com'), r.text);
  r = await R('POST', '/api/v1/do-not-sync', { token: TOKA, body: { address: 'spam@spammer-test.com', scope: 'address' } });
  check('do-not-sync again: already_blocked', r.status === 200 && r.json.status === 'already_blocked' && r.json.user.filter((e) => e === 'spam@spammer-test.com').length === 1, r.text);
  r = await R('POST', '/api/v1/do-not-sync', { token: TOKA, body: { address: 'x@eu.spam2-test.com', scope: 'domain' } });
  check('do-not-sync domain', r.status === 200 && r.json.status === 'added' && r.json.entry === 'eu.spam2-test.com', r.text);
  r = await R('POST', '/api/v1/do-not-sync', { token: TOKA, body: { address: 'alice.user@corp.test', scope: 'address' } });
  check('do-not-sync self: 422 E_NOT_ALLOWED', r.status === 422 && err(r).code === 'E_NOT_ALLOWED', r.text);
  r = await R('GET', '/api/v1/me', { token: TOKA });
  check('the next /me sees the new entries (no caching)', r.json.settings.blocklist.user.includes('spam@spammer-test.com') && r.json.blocklist.user.includes('eu.spam2-test.com'), r.json.blocklist);
  r = await R('GET', '/api/v1/me', { token: TOKB });
  check("bob's blocklist does not hold alice's entries", r.status === 200 && !r.json.blocklist.user.includes('spam@spammer-test.com'), r.json.blocklist);
  r = await R('DELETE', '/api/v1/do-not-sync', { token: TOKB, body: { entry: 'spam@spammer-test.com' } });
  check("bob cannot remove alice's entry (404 on his own list)", r.status === 404 && err(r).code === 'E_NOT_FOUND', r.text);
  r = await R('GET', '/api/v1/me', { token: TOKA });
  check("alice's entry survived bob's attempt", r.json.blocklist.user.includes('spam@spammer-test.com'), r.json.blocklist);
  r = await R('DELETE', '/api/v1/do-not-sync', { token: TOKA, body: { entry: 'spam@spammer-test.com' } });
  check('undo: removed', r.status === 200 && r.json.ok && !r.json.user.includes('spam@spammer-test.com') && r.json.user.includes('eu.spam2-test.com'), r.text);
  r = await R('DELETE', '/api/v1/do-not-sync', { token: TOKA, body: { entry: 'blocked-org.test' } });
  check('a locked org entry: 403 E_LOCKED', r.status === 403 && err(r).code === 'E_LOCKED', r.text);
  r = await R('DELETE', '/api/v1/do-not-sync', { token: TOKA, body: { entry: 'unlocked-org.test' } });
  check('an org entry is not the user\'s: 403 E_NOT_ALLOWED', r.status === 403 && err(r).code === 'E_NOT_ALLOWED', r.text);
  r = await R('DELETE', '/api/v1/do-not-sync?user=alice.user@corp.test', { token: ADMIN, body: { entry: 'unlocked-org.test' } });
  check('the admin removes an org entry', r.status === 200 && !r.json.org.includes('unlocked-org.test'), r.text);

  // ---------------------------------------------------------------- records
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'lead', first_name: 'Nina', last_name: 'New', email: 'Nina@NewCo-test.com', company: 'NewCo' } });
  check('create lead: 201', r.status === 201 && r.json.ok && r.json.id.startsWith('00Q'), r.text);
  const ninaId = r.json.id;
  let rows = await soql(`SELECT Id, Email, Company, LastName, OwnerId FROM Lead WHERE Id = '${ninaId}'`);
  check('the Lead is in the org', rows.length === 1 && rows[0].Email === 'nina@newco-test.com' && rows[0].Company === 'NewCo' && rows[0].OwnerId.startsWith(ownerA.slice(0, 15)), rows);
  r = await R('POST', '/api/v1/lookup', { token: TOKA, body: { addresses: ['nina@newco-test.com'] } });
  check('the next lookup sees the new Lead', (r.json.records.leads || []).some((l) => l.id === ninaId), r.text);
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'contact', first_name: 'Carl', last_name: 'Carlson', email: 'carl@carlco-test.com', new_account: { name: 'CarlCo', website: 'https://carlco-test.com' } } });
  check('create contact + new account: 201', r.status === 201 && r.json.id.startsWith('003') && r.json.account_id.startsWith('001'), r.text);
  rows = await soql(`SELECT Id, AccountId, Email FROM Contact WHERE Id = '${r.json.id}'`);
  const accRows = await soql(`SELECT Id, Name, Website FROM Account WHERE Id = '${r.json.account_id}'`);
  check('the Contact is under the new Account', rows.length === 1 && rows[0].AccountId === r.json.account_id && accRows.length === 1 && accRows[0].Name === 'CarlCo', { rows, accRows });
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'contact', last_name: 'Existing', email: 'ed@acme-test.com', account_id: accId } });
  check('create contact on an existing account', r.status === 201 && r.json.account_id === accId, r.text);
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'lead', first_name: 'No', email: 'nolast@x-test.com' } });
  check('last_name required: 400 E_MISSING', r.status === 400 && err(r).code === 'E_MISSING' && err(r).path === 'last_name', r.text);
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'lead', last_name: 'X', first_name: 'é'.repeat(41), email: 'long@x-test.com' } });
  check('first_name over 40: 422 E_TOO_LONG', r.status === 422 && err(r).code === 'E_TOO_LONG' && err(r).path === 'first_name', r.text);
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'lead', last_name: 'X', first_name: 'é'.repeat(40), email: 'ok40@x-test.com' } });
  check('first_name of exactly 40: created', r.status === 201, r.text);
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'lead', last_name: 'X', email: 'not-an-address' } });
  check('bad email: 422', r.status === 422 && err(r).path === 'email', r.text);
  r = await R('POST', '/api/v1/records', { token: TOKA, body: { kind: 'account', last_name: 'X', email: 'a@b-test.com' } });
  check('bad kind: 400', r.status === 400 && err(r).path === 'kind', r.text);

  // ---------------------------------------------------------------- settings
  r = await R('PUT', '/api/v1/me/settings', { token: TOKA, body: { settings: { email: { record_type: 'email_message' } } } });
  check('a locked setting: 422 E_LOCKED with path', r.status === 422 && err(r).code === 'E_LOCKED' && err(r).path === 'settings.email.record_type', r.text);
  r = await R('PUT', '/api/v1/me/settings', { token: TOKA, body: { settings: { email: { lookback_days: -1 } } } });
  check('out of range: 422 E_RANGE', r.status === 422 && err(r).code === 'E_RANGE' && err(r).path.startsWith('settings.email.lookback_days'), r.text);
  r = await R('PUT', '/api/v1/me/settings', { token: TOKA, body: { settings: { blocklist: { user: [] } } } });
  check('the blocklist is not a setting: 422', r.status === 422 && err(r).code === 'E_NOT_ALLOWED', r.text);
  r = await R('PUT', '/api/v1/me/settings', { token: TOKA, body: { settings: { email: { lookback_days: 3 } } } });
  check('settings saved: effective returned', r.status === 200 && r.json.settings.email.lookback_days === 3 && r.json.settings.email.record_type === 'task', r.text);
  r = await R('GET', '/api/v1/me', { token: TOKA });
  check('the next /me has the new value', r.json.settings.email.lookback_days === 3);
  r = await R('GET', '/api/v1/me', { token: TOKB });
  check("bob's settings unchanged", r.json.settings.email.lookback_days === 6, r.json.settings.email);
  r = await R('PUT', '/api/v1/me/settings', { token: TOKB, body: { settings: { email: { lookback_days: 9 } } } });
  const ra = await R('GET', '/api/v1/me', { token: TOKA });
  check("bob's change does not touch alice", r.status === 200 && ra.json.settings.email.lookback_days === 3, ra.json.settings.email);
  r = await R('PUT', '/api/v1/me/settings', { token: TOKA, body: { settings: { email: { lookback_days: null } } } });
  check('null resets to the default', r.status === 200 && r.json.settings.email.lookback_days === 6, r.text);

  // ---------------------------------------------------------------- threads, issues, dev items
  r = await R('POST', '/api/v1/threads', { token: TOKA, body: { conversation_id: 'conv-t-1', who: [contactId], what: '' } });
  check('thread flagged', r.status === 200 && r.json.ok === true, r.text);
  r = await R('POST', '/api/v1/threads', { token: TOKA, body: { who: [] } });
  check('thread without conversation: 400', r.status === 400 && err(r).path === 'conversation_id', r.text);
  r = await R('GET', '/api/v1/issues?limit=10', { token: TOKA });
  check('issues: an array', r.status === 200 && Array.isArray(r.json.issues), r.text);
  r = await R('GET', '/api/v1/issues?limit=0', { token: TOKA });
  check('issues limit 0: 400 E_RANGE', r.status === 400 && err(r).code === 'E_RANGE', r.text);
  r = await R('GET', '/api/v1/dev/items', { token: TOKA });
  const devItem = ((r.json || {}).items || []).find((x) => x.item.message_id === '<dev-1@acme-test.com>');
  check('dev items: the sample mailbox', r.status === 200 && r.json.items.length === 1 && devItem && devItem.item.from.address === 'alice@acme-test.com' &&
    typeof devItem.id === 'string' && devItem.item.subject === 'Sample for the dev host', r.text);
  r = await R('GET', '/api/v1/dev/items', { token: TOKB });
  check("dev items: bob sees his own (empty) mailbox", r.status === 200 && r.json.items.length === 0, r.text);

  // ---------------------------------------------------------------- limits
  const big = JSON.stringify({ addresses: ['a@b.c'], pad: 'x'.repeat(1024 * 1024 + 10) });
  r = await R('POST', '/api/v1/lookup', { token: TOKA, raw: big, headers: { 'Content-Type': 'application/json' } });
  check('body over 1 MiB: 413 E_TOO_LARGE', r.status === 413 && err(r).code === 'E_TOO_LARGE', r.text.slice(0, 200));
  const justUnder = JSON.stringify({ addresses: ['a@b-test.com'] }).padEnd(1024 * 1024 - 16, ' ');
  r = await R('POST', '/api/v1/lookup', { token: TOKA, raw: justUnder, headers: { 'Content-Type': 'application/json' } });
  check('body under 1 MiB: accepted', r.status === 200, r.text.slice(0, 200));

  // ---------------------------------------------------------------- CORS
  r = await R('GET', '/api/v1/me', { token: TOKA, headers: { Origin: ORIGIN } });
  check('CORS: allowed origin echoed', r.status === 200 && r.headers['access-control-allow-origin'] === ORIGIN, r.headers);
  r = await R('GET', '/api/v1/me', { token: TOKA, headers: { Origin: 'https://evil.example' } });
  check('CORS: other origin gets no CORS header', r.status === 200 && r.headers['access-control-allow-origin'] === undefined, r.headers);
  r = await R('OPTIONS', '/api/v1/save', { headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' } });
  check('CORS preflight: allowed', r.status === 204 && r.headers['access-control-allow-origin'] === ORIGIN &&
    /Authorization/.test(r.headers['access-control-allow-headers'] || '') && /Content-Type/.test(r.headers['access-control-allow-headers'] || '') &&
    /POST/.test(r.headers['access-control-allow-methods'] || ''), r.headers);
  r = await R('OPTIONS', '/api/v1/save', { headers: { Origin: 'https://outlook.office.com.evil.example', 'Access-Control-Request-Method': 'POST' } });
  check('CORS preflight: prefix-alike origin refused', r.headers['access-control-allow-origin'] === undefined && r.headers['access-control-allow-headers'] === undefined, r.headers);
  r = await R('GET', '/api/v1/me', { headers: { Origin: ORIGIN } });
  check('CORS header on errors too (the sidebar can read the 401)', r.status === 401 && r.headers['access-control-allow-origin'] === ORIGIN, r.headers);

  // ---------------------------------------------------------------- static files
  const types = [['/sidebar/', 'text/html', 'sidebar'], ['/sidebar/dev/', 'text/html', 'dev host'], ['/sidebar/app.mjs', 'text/javascript', 'export'],
    ['/sidebar/util.js', 'text/javascript', 'var y'], ['/sidebar/style.css', 'text/css', 'body'], ['/wasm/crmcore.wasm', 'application/wasm', null], ['/wasm/crmcore.mjs', 'text/javascript', 'export']];
  for (const [p, type, text] of types) {
    r = await R('GET', p);
    check(`static ${p}: ${type}`, r.status === 200 && (r.headers['content-type'] || '').startsWith(type) && (text === null || r.text.includes(text)), { status: r.status, type: r.headers['content-type'] });
  }
  r = await R('GET', '/wasm/crmcore.wasm');
  check('static wasm bytes intact', r.buf.length === 8 && r.buf[1] === 0x61, r.buf);
  r = await R('GET', '/sidebar/dev');
  check('a directory without its slash: redirect', r.status === 301 && r.headers.location === '/sidebar/dev/', r.headers);
  r = await R('GET', '/sidebar');
  check('the prefix without its slash: redirect', r.status === 301 && r.headers.location === '/sidebar/', r.headers);
  r = await R('GET', '/sidebar/missing.js');
  check('static missing: 404', r.status === 404, r.text);
  for (const p of ['/sidebar/../SECRET.txt', '/sidebar/%2e%2e/SECRET.txt', '/sidebar/dev/../../SECRET.txt', '/sidebar/..%2fSECRET.txt', '/sidebar/link.txt', '/sidebar/%2e%2e%2fSECRET.txt']) {
    r = await R('GET', p);
    check(`traversal refused: ${p}`, r.status >= 400 && r.status < 500 && !r.text.includes('top-secret'), { status: r.status, text: r.text.slice(0, 100) });
  }
  r = await R('POST', '/sidebar/app.mjs', { body: {} });
  check('static POST: 405', r.status === 405, r.text);

  // ---------------------------------------------------------------- the next sync session (crmsync sync)
  // The email saved from the sidebar, one from a sender blocklisted through the API, and one
  // from a Contact nobody touched: the session must not duplicate the first, skip the second
  // and save the third.
  r = await R('POST', '/api/v1/do-not-sync', { token: TOKA, body: { address: 'bert@blockme-test.com', scope: 'address' } });
  check('blocklist bert through the API', r.status === 200 && r.json.status === 'added', r.text);
  fs.writeFileSync(path.join(mdA, 'cur', '1763600001.M2P1.test:2,S'), mail('Alice Acme <alice@acme-test.com>', 'save-1@acme-test.com', 'Quote for the sidebar'));
  fs.writeFileSync(path.join(mdA, 'cur', '1763600002.M3P1.test:2,S'), mail('Bert <bert@blockme-test.com>', 'bert-1@blockme-test.com', 'From a blocked sender'));
  fs.writeFileSync(path.join(mdA, 'cur', '1763600003.M4P1.test:2,S'), mail('Carol <carol@acme-test.com>', 'carol-1@acme-test.com', 'From a kept contact'));
  let syncOut = '';
  try {
    syncOut = execFileSync(bin, ['sync', '--once', '--config', path.join(dir, 'config.json'), '--mailbox', 'a-mail', '--json'],
      { env: { ...process.env, TEST_API_SF_REFRESH: 'sandbox-refresh-token' }, timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) { syncOut = `sync failed: ${e.stderr || e.message}`; }
  const quoteTasks = await soql("SELECT Id FROM Task WHERE Subject LIKE '%Quote for the sidebar%'");
  check('the sync session does not duplicate the sidebar save', quoteTasks.length === 1 && quoteTasks[0].Id === taskId, { quoteTasks, syncOut });
  check('the sync session skips the sender blocklisted through the API', (await soql(`SELECT Id FROM Task WHERE WhoId = '${blockMeId}'`)).length === 0, syncOut);
  check('the sync session saves the other email', (await soql(`SELECT Id FROM Task WHERE WhoId = '${carolId}'`)).length === 1, syncOut);

  // ---------------------------------------------------------------- the log holds no secrets
  const log = fs.readFileSync(path.join(dir, 'api.log'), 'utf8');
  check('log lines written, no token, no refresh token', /api: GET \/api\/v1\/me -> 200/.test(log) && !log.includes(TOKA) && !log.includes(TOKB) &&
    !log.includes(ADMIN) && !log.includes('sandbox-refresh-token') && !log.includes(tok.access_token), log.slice(0, 300));
} catch (e) {
  failed++;
  console.log(`FAIL exception: ${e.stack}`);
  try { console.log(fs.readFileSync(path.join(dir, 'api.log'), 'utf8').slice(-3000)); } catch { /* none */ }
}

// ---------------------------------------------------------------- stop cleanly
api.kill('SIGTERM');
const stopped = await Promise.race([new Promise((r) => api.on('exit', (code) => r(code))), sleep(10000).then(() => 'timeout')]);
check('SIGTERM stops the server with exit 0', stopped === 0, stopped);
cleanup();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
