// The rules core deciding a few sample emails, printed for a person. Used by `make run`
// until the sync engine's demo (sandbox org + sample mailbox) replaces it.
import { execFileSync } from 'node:child_process';

const settings = {
  org_id: '00Ddemo', user: { id: '005demo', mailbox: 'sam@crmsync-demo.com' },
  blocklist: { org: ['.newsletters.example'], user: ['spam@globex.com'] },
  email: { mode: 'all', link_opportunities: true },
};
const records = {
  contacts: [{ id: '003ALICE', email: 'alice@acme.com', first_name: 'Alice', last_name: 'Ng', account_id: '001ACME', created: '2025-01-02T00:00:00Z' }],
  leads: [{ id: '00QBOB', email: 'bob@initech.com', first_name: 'Bob', last_name: 'Ray', company: 'Initech' }],
  accounts: [{ id: '001ACME', name: 'Acme', website: 'https://www.acme.com' }, { id: '001GLOBEX', name: 'Globex', website: 'globex.com' }],
  opportunities: [{ id: '006BIGDEAL', account_id: '001ACME', owner_id: '005demo', closed: false, close_date: '2026-12-15', created: '2026-10-01T00:00:00Z' }],
};
const emails = [
  ['From a known Contact', { from: 'Alice Ng <alice@acme.com>', to: ['sam@crmsync-demo.com'], subject: 'Renewal' }],
  ['To a Lead', { from: 'sam@crmsync-demo.com', to: ['bob@initech.com'], subject: 'Follow-up' }],
  ['Internal only', { from: 'kim@crmsync-demo.com', to: ['sam@crmsync-demo.com'], subject: 'Lunch?' }],
  ['Blocklisted sender', { from: 'spam@globex.com', to: ['sam@crmsync-demo.com'], subject: 'Offer' }],
  ['Unknown person at a known Account', { from: 'Carol Diaz <carol@globex.com>', to: ['sam@crmsync-demo.com'], subject: 'Intro' }],
  ['Auto-reply', { from: 'alice@acme.com', to: ['sam@crmsync-demo.com'], subject: 'Out of office', auto_submitted: 'auto-replied' }],
];
const core = process.argv[2] || 'build/crmsync';
for (const [title, e] of emails) {
  const item = { type: 'email', message_id: `<${title.replace(/\W/g, '')}@demo>`, date: '2026-11-20T10:00:00Z', ...e };
  const req = JSON.stringify({ op: 'decide_email', settings, records, item, context: { now: '2026-11-22T09:00:00Z' } });
  let out;
  try { out = execFileSync(core, ['eval'], { input: req }).toString(); } catch (err) { if (!err.stdout) throw err; out = err.stdout.toString(); }
  const r = JSON.parse(out);
  if (!r.ok) { console.log(`${title.padEnd(36)} error ${r.error.code}: ${r.error.message}`); continue; }
  const d = r.result;
  const links = d.action === 'save' ? ` -> who ${d.links.who.join(',')}${d.links.what ? ' what ' + d.links.what : ''}` : '';
  const sugg = d.suggestions.length ? `; suggests ${d.suggestions.map(s => `${s.kind} ${s.first_name} ${s.last_name}`).join(', ')}` : '';
  console.log(`${title.padEnd(36)} ${d.action.padEnd(5)} ${d.reason}${links}${sugg}`);
  console.log(`${''.padEnd(36)} rules: ${r.trace.map(t => t.rule).join(' ')}`);
}
