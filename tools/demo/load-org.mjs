// Loads the sample org that the sample Maildir refers to (gen-sample-maildir --org-out)
// into a running sandbox org through its REST API, like an admin importing data:
//   node tools/demo/load-org.mjs BASE_URL org.json
// Prints {"user_id": "<005...>", "contacts": N, "leads": N, "accounts": N}.
import fs from 'node:fs';

const [base, file] = process.argv.slice(2);
if (!base || !file) { console.error('usage: load-org.mjs BASE_URL org.json'); process.exit(2); }
const org = JSON.parse(fs.readFileSync(file, 'utf8'));
const tok = await (await fetch(`${base}/services/oauth2/token`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=refresh_token&refresh_token=sandbox-refresh-token&client_id=crmsync-sandbox',
})).json();
const api = `${base}/services/data/v62.0`;
const h = { authorization: `Bearer ${tok.access_token}`, 'content-type': 'application/json' };
async function call(method, path, body) {
  const r = await fetch(api + path, { method, headers: h, body: body && JSON.stringify(body) });
  const j = r.status === 204 ? null : await r.json();
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}
async function create(type, records) {
  const ids = [];
  for (let i = 0; i < records.length; i += 200) {
    const res = await call('POST', '/composite/sobjects', { allOrNone: true, records: records.slice(i, i + 200).map((r) => ({ attributes: { type }, ...r })) });
    for (const x of res) { if (!x.success) throw new Error(`${type}: ${JSON.stringify(x.errors)}`); ids.push(x.id); }
  }
  return ids;
}
const users = await call('GET', `/query?q=${encodeURIComponent('SELECT Id FROM User ORDER BY Id LIMIT 1')}`);
const userId = users.records[0].Id;
const accIds = await create('Account', org.accounts.map((a) => ({ Name: a.name, Website: a.website, OwnerId: userId })));
const byName = new Map(org.accounts.map((a, i) => [a.name, accIds[i]]));
const contacts = await create('Contact', org.contacts.map((c) => ({
  FirstName: c.first_name, LastName: c.last_name, Email: c.email, AccountId: byName.get(c.account), OwnerId: userId,
  ...(c.alt_email ? { CrmSync_Alt_Email__c: c.alt_email } : {}),
})));
const leads = await create('Lead', org.leads.map((l) => ({ FirstName: l.first_name, LastName: l.last_name, Email: l.email, Company: l.company, OwnerId: userId })));
// an open Opportunity on the first Account, owned by the demo user (rule M5)
await create('Opportunity', [{ Name: `${org.accounts[0].name} renewal`, AccountId: accIds[0], OwnerId: userId, StageName: 'Negotiation', CloseDate: '2026-12-15' }]);
console.log(JSON.stringify({ user_id: userId, accounts: accIds.length, contacts: contacts.length, leads: leads.length }));
