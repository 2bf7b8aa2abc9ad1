// tests/browser/mock-api.mjs: a small stand-in for `crmsync api` (the /api/v1 contract of
// docs/api.md) with fixed, in-memory data, for UI-only browser tests and for trying the
// sidebar without the daemon: `node tests/browser/mock-api.mjs [--port N]`.
// Like the real server it re-evaluates a save with the rules core (here the WASM build in
// Node) and never trusts the client's selection; unlike it, nothing reaches Salesforce.
// It serves /sidebar/ from sidebar/ and /wasm/ from build/wasm/, as the real server does.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, normalize, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png' };
export const MOCK_TOKEN = 'mock-token-alice';

function fixture() {
  return {
    user: { email: 'alice@acme.com', sf_user_id: '005000000000001AAA', mailbox: 'alice@acme.com' },
    org: { org_id: '00D000000000001', internal_domains: ['acme.com'], blocklist: ['@noreply.example'] },
    userBlocklist: [],
    records: {
      contacts: [{ id: '003000000000001AAA', email: 'bob@cust.com', first_name: 'Bob', last_name: 'Stone', account_id: '001000000000001AAA', owner_id: '005000000000001AAA', created: '2025-01-02T00:00:00Z' }],
      leads: [{ id: '00Q000000000001AAA', email: 'lena@prospect.com', first_name: 'Lena', last_name: 'Park', company: 'Prospect', converted: false, created: '2025-01-02T00:00:00Z' }],
      accounts: [{ id: '001000000000001AAA', name: 'Cust Inc', website: 'https://www.cust.com', domains: [] }],
      opportunities: [{ id: '006000000000001AAA', account_id: '001000000000001AAA', owner_id: '005000000000001AAA', closed: false, close_date: '2026-12-01', created: '2026-01-01T00:00:00Z' }],
    },
    saved: new Map(),
    issues: [{ at: '2026-11-21T09:00:00Z', kind: 'salesforce', code: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.', retried: true }],
    items: [
      { id: 'm1', item: { type: 'email', id: 'm1', message_id: '<m1@cust.com>', conversation_id: 'conv-1', from: { name: 'Bob Stone', address: 'bob@cust.com' }, to: [{ name: 'Alice', address: 'alice@acme.com' }], cc: [{ name: 'Lena Park', address: 'lena@prospect.com' }, { name: 'Jo New', address: 'jo.new@cust.com' }, { name: 'Ann Smith', address: 'ann@newco.io' }], subject: 'Renewal next steps', body_text: 'Hi Alice, see attached.', date: '2026-11-20T10:00:00Z', folder: 'inbox', attachments: [{ id: 'a1', name: 'quote.pdf', size: 120000 }, { id: 'a2', name: 'video.mp4', size: 9000000 }] } },
      { id: 'm2', item: { type: 'email', id: 'm2', message_id: '<m2@newco.io>', from: { name: 'Ann Smith', address: 'ann@newco.io' }, to: [{ name: 'Alice', address: 'alice@acme.com' }], subject: 'Intro', body_text: 'Hello', date: '2026-11-21T08:30:00Z', folder: 'inbox' } },
    ],
    nextId: 100,
  };
}

/** Starts the mock; resolves to {url, port, token, close(), state}. */
export async function startMockApi({ port = 0 } = {}) {
  const { loadCore } = await import(pathToFileURL(join(ROOT, 'build', 'wasm', 'crmcore.mjs')).href);
  const core = await loadCore();
  const st = fixture();
  let base = '';
  const settings = () => ({ org_id: st.org.org_id, user: { id: st.user.sf_user_id, mailbox: st.user.mailbox }, internal_domains: st.org.internal_domains, blocklist: { org: st.org.blocklist, user: st.userBlocklist } });
  const recordsFor = (addresses) => {
    const set = new Set(addresses.map((a) => String(a).toLowerCase()));
    const contacts = st.records.contacts.filter((c) => set.has(c.email));
    const leads = st.records.leads.filter((l) => set.has(l.email));
    const domains = new Set([...set].map((a) => a.split('@')[1]));
    const accounts = st.records.accounts.filter((a) => contacts.some((c) => c.account_id === a.id) || [...domains].some((d) => (a.website ?? '').includes(d)));
    const opportunities = st.records.opportunities.filter((o) => accounts.some((a) => a.id === o.account_id));
    return { contacts, leads, accounts, opportunities };
  };
  const idOf = (prefix) => `${prefix}${String(st.nextId++).padStart(12, '0')}AAA`;
  const addrOf = (i) => [i.from, ...(i.to ?? []), ...(i.cc ?? []), ...(i.bcc ?? [])].map((p) => p?.address).filter(Boolean);

  const routes = {
    'GET /me': () => [200, { ok: true, user: st.user, settings: settings(), locks: [], warnings: [], blocklist: { org: st.org.blocklist, org_locked: [], user: st.userBlocklist }, salesforce: { instance_url: base.replace(/\/$/, '') + '/sf' } }],
    'POST /lookup': (b) => (Array.isArray(b?.addresses) ? [200, { ok: true, records: recordsFor(b.addresses) }] : err(400, 'E_MISSING', 'addresses is required', 'addresses')),
    'POST /save': (b) => {
      const r = core.eval({ op: 'plan_save', settings: settings(), records: recordsFor(addrOf(b.item ?? {})), item: b.item, context: { now: new Date().toISOString() }, selection: b.selection });
      if (!r.ok) return err(422, r.error.code, r.error.message, r.error.path);
      if (r.result.action !== 'save') return err(422, 'E_NOT_SAVED', r.result.reason);
      const key = r.result.key;
      if (st.saved.has(key)) return [200, { ok: true, status: 'already_saved', record_ids: st.saved.get(key) }];
      const ids = r.result.writes.map(() => idOf('00T'));
      st.saved.set(key, ids);
      return [200, { ok: true, status: 'saved', key, record_ids: ids }];
    },
    'GET /status': (_b, q) => [200, { ok: true, saved: st.saved.has(q.get('key')), record_ids: st.saved.get(q.get('key')) ?? [] }],
    'POST /do-not-sync': (b) => {
      const r = core.eval({ op: 'do_not_sync', settings: settings(), address: b.address, scope: b.scope });
      if (!r.ok) return err(400, r.error.code, r.error.message, r.error.path);
      const entry = r.result.status === 'added' ? r.result.user.find((e) => !r.result.previous.includes(e)) : (r.result.user.find((e) => b.address.toLowerCase().endsWith(e.replace(/^@/, ''))) ?? b.address);
      st.userBlocklist = r.result.user;
      return [200, { ok: true, status: r.result.status, entry, user: r.result.user, previous: r.result.previous }];
    },
    'DELETE /do-not-sync': (b) => {
      if (!st.userBlocklist.includes(b?.entry)) return err(404, 'E_NOT_FOUND', `${b?.entry} is not in the user's blocklist`, 'entry');
      st.userBlocklist = st.userBlocklist.filter((e) => e !== b.entry);
      return [200, { ok: true, user: st.userBlocklist }];
    },
    'POST /records': (b) => {
      if (!b?.last_name || !b?.email) return err(400, 'E_MISSING', 'last_name and email are required', b?.last_name ? 'email' : 'last_name');
      if (b.kind === 'lead') {
        const id = idOf('00Q');
        st.records.leads.push({ id, email: b.email.toLowerCase(), first_name: b.first_name ?? '', last_name: b.last_name, company: b.company ?? '', converted: false, created: new Date().toISOString() });
        return [201, { ok: true, id }];
      }
      let accountId = b.account_id ?? '';
      if (b.new_account) { accountId = idOf('001'); st.records.accounts.push({ id: accountId, name: b.new_account.name, website: b.new_account.website ?? '', domains: [] }); }
      const id = idOf('003');
      st.records.contacts.push({ id, email: b.email.toLowerCase(), first_name: b.first_name ?? '', last_name: b.last_name, account_id: accountId, created: new Date().toISOString() });
      return [201, { ok: true, id, ...(accountId ? { account_id: accountId } : {}) }];
    },
    'GET /issues': (_b, q) => [200, { ok: true, issues: st.issues.slice(0, Number(q.get('limit') ?? 20)) }],
    'GET /dev/items': () => [200, { ok: true, items: st.items }],
  };
  function err(status, code, message, path) { return [status, { ok: false, error: { code, message, ...(path ? { path } : {}) } }]; }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (status, obj) => { res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(obj)); };
    if (url.pathname.startsWith('/api/v1/')) {
      if (req.headers.authorization !== `Bearer ${MOCK_TOKEN}`) return send(...err(401, 'E_AUTH', 'missing or invalid token'));
      const route = routes[`${req.method} ${url.pathname.slice(7)}`];
      if (!route) return send(...err(404, 'E_NOT_FOUND', 'no such endpoint'));
      let raw = '';
      for await (const c of req) raw += c;
      let body;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { return send(...err(400, 'E_JSON', 'the body is not JSON')); }
      return send(...route(body, url.searchParams));
    }
    for (const [prefix, dir] of [['/sidebar/', join(ROOT, 'sidebar')], ['/wasm/', join(ROOT, 'build', 'wasm')]]) {
      if (!url.pathname.startsWith(prefix)) continue;
      let rel = normalize(decodeURIComponent(url.pathname.slice(prefix.length)));
      if (rel.startsWith('..')) break;
      if (rel === '.' || rel.endsWith('/')) rel = join(rel, 'index.html');
      try {
        const body = await readFile(join(dir, rel));
        res.writeHead(200, { 'Content-Type': TYPES[extname(rel)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }).end(body);
      } catch { res.writeHead(404).end('not found'); }
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const p = server.address().port;
  base = `http://127.0.0.1:${p}/`;
  return { url: base, port: p, token: MOCK_TOKEN, state: st, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--port');
  const m = await startMockApi({ port: i > 0 ? Number(process.argv[i + 1]) : 8090 });
  console.log(`mock API on ${m.url}  dev host: ${m.url}sidebar/dev/?token=${m.token}`);
}
