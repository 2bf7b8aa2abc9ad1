// The engine over IMAP: the sample mailbox delivered into a throwaway Dovecot (started by
// tests/integration/mailbox/run-imap-test, which sets CRM_IMAPS_PORT, CRM_CA and
// CRM_DOVECOT_CONF), synced over IMAPS with certificate verification, must give exactly the
// Tasks that the same mailbox gives from a Maildir; saved messages carry the Salesforce
// keyword on the server; "Salesforce Emails" is emptied into INBOX; a second session is
// incremental.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { check, done, tmpdir, startSandbox, sampleMail, loadOrg, writeConfig, sync, savedState } from './lib.mjs';

const conf = process.env.CRM_DOVECOT_CONF, port = Number(process.env.CRM_IMAPS_PORT), ca = process.env.CRM_CA;
if (!conf || !port || !ca) { console.error('run me through tests/integration/mailbox/run-imap-test'); process.exit(2); }
const doveadm = (...a) => execFileSync('doveadm', ['-c', conf, ...a]).toString();
const cleanup = [];
try {
  // the reference: the same sample mailbox from a Maildir
  const ref = tmpdir('imapref');
  sampleMail(ref, 80, 4);
  // one more, from a known Contact, dropped into "Salesforce Emails" (forced, saved, moved)
  const addForced = (d) => {
    const org = JSON.parse(fs.readFileSync(path.join(d, 'org.json'), 'utf8'));
    fs.writeFileSync(path.join(d, 'mail', '.Salesforce Emails', 'new', '1790000000.M1P1.forced'),
      `From: ${org.contacts[0].email}\r\nTo: ${org.user}\r\nSubject: Please log this\r\nDate: Sat, 21 Nov 2026 09:00:00 +0000\r\nMessage-ID: <forced-1@test>\r\n\r\nbody\r\n`);
  };
  addForced(ref);
  const sbr = await startSandbox(ref);
  cleanup.push(sbr);
  const rr = sync(writeConfig(ref, sbr, loadOrg(ref, sbr)));
  check(rr.summary && rr.summary.complete, 'Maildir reference completes');
  const want = await savedState(sbr);

  const dir = tmpdir('imap');
  sampleMail(dir, 80, 4);
  addForced(dir);
  // deliver the sample into Dovecot: INBOX, Sent (special-use \Sent) and Salesforce Emails
  const folders = [['', 'INBOX'], ['.Sent', 'Gesendet'], ['.Salesforce Emails', 'Salesforce Emails']];
  let delivered = 0;
  for (const [sub, box] of folders) {
    for (const d of ['cur', 'new']) {
      const p = path.join(dir, 'mail', sub, d);
      if (!fs.existsSync(p)) continue;
      for (const f of fs.readdirSync(p).sort()) {
        execFileSync('doveadm', ['-c', conf, 'save', '-u', 'bob', '-m', box], { input: fs.readFileSync(path.join(p, f)) });
        delivered++;
      }
    }
  }
  check(delivered > 60, `sample delivered into Dovecot (${delivered})`);
  const sb = await startSandbox(dir);
  cleanup.push(sb);
  const cfg = writeConfig(dir, sb, loadOrg(dir, sb));
  const c = JSON.parse(fs.readFileSync(cfg, 'utf8'));
  c.users[0].mailboxes = [{ name: 'bob-imap', kind: 'imap', config: { host: '127.0.0.1', port, tls: 'implicit', ca_file: ca, user: 'bob', password_env: 'CRM_TEST_IMAP_PASSWORD' } }];
  fs.writeFileSync(cfg, JSON.stringify(c));
  const env = { CRM_TEST_IMAP_PASSWORD: 'secret' };
  const r1 = sync(cfg, [], env);
  check(r1.code === 0 && r1.summary && r1.summary.complete, `IMAP session completes (${r1.stderr.slice(0, 300)})`);
  const got = await savedState(sb);
  const extra = got.keys.filter((k) => !want.keys.includes(k)), missing = want.keys.filter((k) => !got.keys.includes(k));
  check(got.tasks === want.tasks && JSON.stringify(got.keys) === JSON.stringify(want.keys), `IMAP gives the same Tasks as Maildir (${got.tasks} vs ${want.tasks}; extra ${extra}, missing ${missing})`);
  for (const k of extra) console.error('extra:', JSON.stringify((await sb.query(`SELECT Subject, Description FROM Task WHERE CrmSync_Key__c = '${k}'`)).rows[0]).slice(0, 400));
  // the keyword on the server, and the Salesforce Emails folder emptied into INBOX
  const flags = doveadm('fetch', '-u', 'bob', 'flags', 'mailbox', 'INBOX', 'all');
  const marked = (flags.match(/Salesforce/g) || []).length;
  check(marked > 0 && marked <= r1.summary.saved, `saved messages carry the Salesforce keyword (${marked} of ${r1.summary.saved} saved)`);
  // saved ones moved back to INBOX; the ones that could not be saved stay, each with an issue
  const left = Number(/messages=(\d+)/.exec(doveadm('mailbox', 'status', '-u', 'bob', 'messages', 'Salesforce Emails'))[1]);
  const leftFlags = doveadm('fetch', '-u', 'bob', 'flags', 'mailbox', 'Salesforce Emails', 'all');
  check(!/Salesforce/.test(leftFlags), 'no saved message is left in Salesforce Emails');
  check(/Please log this/.test(doveadm('fetch', '-u', 'bob', 'hdr.subject', 'mailbox', 'INBOX', 'all')), 'the saved one is back in INBOX');
  const issues = JSON.parse(execFileSync(process.env.CRMSYNC || 'build/crmsync', ['issues', '--db', path.join(dir, 'crmsync.db'), '--json']).toString()).issues;
  check(issues.filter((i) => i.code === 'no_related_records').length === left, `each unsaved Salesforce Emails message has an issue (${left} left)`);
  const sfDelivered = fs.readdirSync(path.join(dir, 'mail', '.Salesforce Emails', 'cur')).length + fs.readdirSync(path.join(dir, 'mail', '.Salesforce Emails', 'new')).length;
  check(sfDelivered > 0, `the sample has Salesforce Emails (${sfDelivered})`);
  // a second session only sees what changed (the moved messages are already saved)
  const r2 = sync(cfg, [], env);
  check(r2.code === 0 && r2.summary.saved === 0, `second IMAP session saves nothing new (${JSON.stringify(r2.summary)})`);
  const after = await savedState(sb);
  check(after.tasks === got.tasks, 'and writes nothing');
  // a wrong password: a clear error, never the password
  const r3 = sync(cfg, [], { CRM_TEST_IMAP_PASSWORD: 'not-the-password-x9' });
  check(r3.code !== 0 && !/not-the-password-x9/.test(r3.stderr + JSON.stringify(r3.summary)), 'a refused login fails cleanly without echoing the password');
} finally {
  for (const sb of cleanup) sb.stop();
}
done('test-imap-session');
