// The demo's crmsync configuration (docs/configuration.md): the sandbox org, the demo
// user's sample Maildir, org defaults that turn automatic saving on.
//   node tools/demo/write-config.mjs DEMO_DIR SANDBOX_URL '<load-org.mjs output>'
import fs from 'node:fs';
import path from 'node:path';

const [dir, base, loadedJson] = process.argv.slice(2);
const loaded = JSON.parse(loadedJson);
const org = JSON.parse(fs.readFileSync(path.join(dir, 'org.json'), 'utf8'));
const config = {
  store: path.join(dir, 'crmsync.db'),
  salesforce: {
    login_url: base, client_id: 'crmsync-sandbox', refresh_token: 'sandbox-refresh-token',
    alt_email_fields: 'CrmSync_Alt_Email__c', api_reserve: 100,
  },
  org: {
    name: 'Demo Org', sf_org_id: '00DSb0000000001',
    defaults: { internal_domains: org.internal_domains, email: { mode: 'all', link_opportunities: true, lookback_days: 30 } },
    locks: ['email.mode'],
    blocklist: org.blocklist,
  },
  api: {
    port: Number(process.env.CRMSYNC_DEMO_PORT || 8787), bind: '127.0.0.1', origins: [],
    static: { '/sidebar/': 'sidebar/', '/wasm/': 'build/wasm/' }, dev_host: true,
  },
  users: [{
    email: org.user, sf_user_id: loaded.user_id, settings: {}, blocklist: org.newsletters.slice(0, 1),
    api_token: 'demo-token-bob-0123456789',
    mailboxes: [{ name: 'bob-demo', kind: 'maildir', config: { path: path.resolve(dir, 'mail') } }],
  }],
};
console.log(JSON.stringify(config, null, 2));
