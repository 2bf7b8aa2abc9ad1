// The sync engine end to end against the sandbox org and a Maildir: sessions, cursors,
// already-saved detection, replies across sessions, every fault kind (no duplicate, no
// loss, an issue naming the cause), and crashes (kill -9) at many points of a session.
//   node tests/integration/engine/test-engine.mjs   (BIN: $CRMSYNC or build/crmsync)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, check, done, tmpdir, sleep, startSandbox, sampleMail, loadOrg, writeConfig, sync, savedState } from './lib.mjs';
import { execFileSync } from 'node:child_process';

const COUNT = 120;
const cleanup = [];

/* A sandbox org with the sample people, an empty Maildir and a configuration in
 * designated mode: the tests write the emails they need. */
async function designatedWorld(tag) {
  const dir = tmpdir(tag);
  sampleMail(dir, 10);
  const sb = await startSandbox(dir);
  cleanup.push(sb);
  const loaded = loadOrg(dir, sb);
  const org = JSON.parse(fs.readFileSync(path.join(dir, 'org.json'), 'utf8'));
  fs.rmSync(path.join(dir, 'mail'), { recursive: true });
  for (const d of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, 'mail', d), { recursive: true });
  const cfg = writeConfig(dir, sb, loaded);
  const c = JSON.parse(fs.readFileSync(cfg, 'utf8'));
  c.org.defaults.email.mode = 'designated';
  fs.writeFileSync(cfg, JSON.stringify(c));
  return { dir, sb, org, contact: org.contacts[0].email, cfg };
}
try {
  // ---- reference: one clean run -----------------------------------------------------
  const ref = tmpdir('ref');
  sampleMail(ref, COUNT);
  const sbRef = await startSandbox(ref);
  cleanup.push(sbRef);
  const cfgRef = writeConfig(ref, sbRef, loadOrg(ref, sbRef));
  const r1 = sync(cfgRef);
  check(r1.code === 0 && r1.summary && r1.summary.complete, `clean session completes (${r1.stderr.slice(0, 300)})`);
  check(r1.summary && r1.summary.saved > 40 && r1.summary.failed === 0, `a clean session saves emails (${JSON.stringify(r1.summary)})`);
  const want = await savedState(sbRef);
  check(want.tasks >= r1.summary.saved, 'a Task per saved email (split bodies may add parts)');
  check(want.relUnique === want.relations, 'no duplicate TaskRelation');
  // second session: nothing new, nothing written again
  const r2 = sync(cfgRef);
  check(r2.code === 0 && r2.summary.saved === 0, `second session saves nothing (${JSON.stringify(r2.summary)})`);
  const again = await savedState(sbRef);
  check(again.tasks === want.tasks && again.relations === want.relations, 'second session writes nothing');
  // the store lost (a new machine): upserts by key find every Task again, no duplicates
  fs.rmSync(path.join(ref, 'crmsync.db'));
  const r3 = sync(cfgRef);
  check(r3.code === 0 && r3.summary.saved === r1.summary.saved, 'with a lost ledger every email is written again...');
  const after = await savedState(sbRef);
  check(after.tasks === want.tasks && JSON.stringify(after.keys) === JSON.stringify(want.keys), '...as upserts: the same Tasks, none duplicated');
  check(after.relations === want.relations, '...and the same relations');
  // issues: none for a clean run
  const issues = execFileSync(BIN, ['issues', '--db', path.join(ref, 'crmsync.db'), '--json']).toString();
  const iss0 = JSON.parse(issues).issues;
  check(iss0.every((i) => i.code === 'no_related_records' && i.kind === 'decide'),
    `a clean run logs only the forced emails it could not save (${JSON.stringify(iss0.map((i) => i.code))})`);
  check(iss0.length === (r1.summary.skipped_by_reason.no_related_records || 0), 'one issue per forced email not saved');

  // ---- a reply across sessions (T4) in designated mode --------------------------------
  {
    const { dir, sb, org, contact, cfg } = await designatedWorld('reply');
    const mail = (id, extra, subject) => `From: ${contact}\r\nTo: ${org.user}\r\nSubject: ${subject}\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${id}>\r\n${extra}\r\nbody\r\n`;
    // 1: the original, designated by the Salesforce category (Dovecot keyword letter a)
    fs.writeFileSync(path.join(dir, 'mail', 'dovecot-keywords'), '0 Salesforce\n');
    fs.writeFileSync(path.join(dir, 'mail', 'cur', '1700000001.M1P1.test:2,Sa'), mail('orig@cust', '', 'Pricing'));
    const s1 = sync(cfg);
    check(s1.summary && s1.summary.saved === 1, `the designated original is saved (${JSON.stringify(s1.summary)})`);
    // 2: the customer's reply arrives in the next session: saved by T4
    fs.writeFileSync(path.join(dir, 'mail', 'new', '1700000002.M2P1.test'), mail('reply@cust', 'In-Reply-To: <orig@cust>\r\n', 'Re: Pricing').replace('10:00:00', '12:00:00'));
    // 3: an unrelated email in the same session: not designated
    fs.writeFileSync(path.join(dir, 'mail', 'new', '1700000003.M3P1.test'), mail('other@cust', '', 'Other'));
    const s2 = sync(cfg);
    check(s2.summary && s2.summary.saved === 1 && s2.summary.skipped_by_reason.not_designated === 1, `the reply is saved, the other is not (${JSON.stringify(s2.summary)})`);
    const t = await sb.query("SELECT Subject FROM Task WHERE Subject = 'Re: Pricing'");
    check(t.total === 1, 'the reply is a Task in the org');
  }

  // ---- a thread flagged from the sidebar, auto-saved by the next session (T1-T3) ------
  {
    const { dir, sb, org, contact, cfg } = await designatedWorld('thread');
    fs.writeFileSync(path.join(dir, 'mail', 'cur', '1700000001.M1P1.test:2,S'),
      `From: ${contact}\r\nTo: ${org.user}\r\nSubject: Project kickoff\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <kick@cust>\r\n\r\nhello\r\n`);
    const c = JSON.parse(fs.readFileSync(cfg, 'utf8'));
    c.api = { port: 0, dev_host: true };
    c.users[0].api_token = 'thread-test-token-0123456789';
    fs.writeFileSync(cfg, JSON.stringify(c));
    const s0 = sync(cfg);
    check(s0.summary && s0.summary.saved === 0 && s0.summary.skipped_by_reason.not_designated === 1, 'designated mode: nothing saved on its own');
    // the user saves it from the sidebar with "auto-save this thread"
    const portFile = path.join(dir, 'api.port');
    const api = spawn(BIN, ['api', '--config', cfg, '--port', '0', '--port-file', portFile, '--quiet'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()); i++) await sleep(50);
      const A = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}/api/v1`;
      const H = { authorization: 'Bearer thread-test-token-0123456789', 'content-type': 'application/json' };
      const items = await (await fetch(`${A}/dev/items`, { headers: H })).json();
      const item = items.items[0].item;
      const look = await (await fetch(`${A}/lookup`, { method: 'POST', headers: H, body: JSON.stringify({ addresses: [contact] }) })).json();
      const who = look.records.contacts.map((x) => x.id);
      const saved = await (await fetch(`${A}/save`, { method: 'POST', headers: H, body: JSON.stringify({ item, selection: { who, what: '', thread: true, attachments: [] } }) })).json();
      check(saved.status === 'saved' && saved.decision && saved.decision.thread, `sidebar save flags the thread (${JSON.stringify(saved).slice(0, 200)})`);
    } finally { api.kill('SIGTERM'); }
    // a later reply in the conversation, from an address the org does not know
    fs.writeFileSync(path.join(dir, 'mail', 'new', '1700000002.M2P1.test'),
      `From: newperson@cust-unknown.example\r\nTo: ${org.user}\r\nSubject: Re: Project kickoff\r\nDate: Sat, 21 Nov 2026 12:00:00 +0000\r\nMessage-ID: <kick-2@cust>\r\nIn-Reply-To: <kick@cust>\r\nReferences: <kick@cust>\r\n\r\nagreed\r\n`);
    const s1 = sync(cfg);
    check(s1.summary && s1.summary.saved === 1, `the thread member is saved by the next session (${JSON.stringify(s1.summary)})`);
    const t = await sb.query("SELECT WhoId FROM Task WHERE Subject = 'Re: Project kickoff'");
    const kick = await sb.query(`SELECT Id FROM Contact WHERE Email = '${contact}'`);
    check(t.total === 1 && t.rows[0].WhoId === kick.rows[0].Id, 'linked to the people stored at flagging (T2), not matched again');
  }

  // ---- a first sync cut short keeps its look-back (mail older than it is never saved) ----
  {
    const nowIso = new Date().toISOString().replace(/\.\d+Z$/, 'Z'); // one "now" for both mailboxes
    const runCase = async (fault) => {
      const dir = tmpdir('lookback');
      // a mailbox whose file order is not date order (restored, migrated): ctimes shuffled
      execFileSync('node', ['tools/sample-mail/gen-sample-maildir.mjs', '--out', path.join(dir, 'mail'), '--count', '200', '--seed', '5',
        '--now', nowIso, '--org-out', path.join(dir, 'org.json')], { stdio: 'ignore' });
      const files = [];
      for (const sub of ['cur', 'new', '.Sent/cur', '.Sent/new']) {
        const d = path.join(dir, 'mail', sub);
        if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) files.push(path.join(d, f));
      }
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      files.sort(() => rnd() - 0.5);
      for (const f of files) { fs.chmodSync(f, 0o600); fs.chmodSync(f, 0o644); }
      const sb = await startSandbox(dir);
      cleanup.push(sb);
      const cfg = writeConfig(dir, sb, loadOrg(dir, sb));
      const c = JSON.parse(fs.readFileSync(cfg, 'utf8'));
      c.org.defaults.email.lookback_days = 2;
      fs.writeFileSync(cfg, JSON.stringify(c));
      if (fault) await sb.faults(fault);
      const r1 = sync(cfg, ['--batch', '20']);
      await sb.faults('');
      const r2 = sync(cfg, ['--batch', '20']);
      return { r1, r2, st: await savedState(sb) };
    };
    const clean = await runCase('');
    const cut = await runCase('limit:nth=9');
    check(clean.r1.summary.complete && clean.r1.summary.skipped_by_reason.before_lookback > 0, 'the first sync skips mail older than the look-back');
    check(cut.r1.summary && !cut.r1.summary.complete, `the cut-short first sync stops early (${JSON.stringify(cut.r1.summary)})`);
    check(cut.r2.summary && cut.r2.summary.complete, 'the next session completes it');
    check(JSON.stringify(cut.st.keys) === JSON.stringify(clean.st.keys), `cut short or not, the same Tasks: ${cut.st.tasks} vs ${clean.st.tasks}`);
  }

  // ---- the org's API budget low: automatic saving pauses, sidebar saves go on ----------
  {
    const { dir, sb, org, contact, cfg } = await designatedWorld('budget');
    const c = JSON.parse(fs.readFileSync(cfg, 'utf8'));
    c.org.defaults.email.mode = 'all';
    c.salesforce.api_reserve = 500;
    c.api = { port: 0 };
    c.users[0].api_token = 'budget-test-token-0123456789';
    fs.writeFileSync(cfg, JSON.stringify(c));
    fs.writeFileSync(path.join(dir, 'mail', 'cur', '1700000001.M1P1.test:2,S'),
      `From: ${contact}\r\nTo: ${org.user}\r\nSubject: Budget\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <budget@cust>\r\n\r\nhello\r\n`);
    await fetch(`${sb.base}/sandbox/api-usage`, { method: 'PUT', body: JSON.stringify({ max: 1000, used: 700 }) });
    const r = sync(cfg);
    check(r.code !== 0 && r.summary && r.summary.saved === 0 && /paused/.test(r.summary.error || ''), `automatic saving pauses under the reserve (${JSON.stringify(r.summary)})`);
    const iss = JSON.parse(execFileSync(BIN, ['issues', '--db', path.join(dir, 'crmsync.db'), '--json']).toString()).issues;
    check(iss.some((i) => i.code === 'API_RESERVE'), 'the pause is in the issues log');
    check((await sb.query("SELECT Id FROM Task WHERE Subject = 'Budget'")).total === 0, 'nothing written while paused');
    // the same email saved by hand from the sidebar goes through
    const portFile = path.join(dir, 'api.port');
    const api = spawn(BIN, ['api', '--config', cfg, '--port', '0', '--port-file', portFile, '--quiet'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()); i++) await sleep(50);
      const A = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}/api/v1`;
      const H = { authorization: 'Bearer budget-test-token-0123456789', 'content-type': 'application/json' };
      const look = await (await fetch(`${A}/lookup`, { method: 'POST', headers: H, body: JSON.stringify({ addresses: [contact] }) })).json();
      const item = { type: 'email', message_id: '<budget@cust>', from: { name: '', address: contact }, to: [{ name: '', address: org.user }], subject: 'Budget', date: '2026-11-21T10:00:00Z', folder: 'inbox' };
      const saved = await (await fetch(`${A}/save`, { method: 'POST', headers: H, body: JSON.stringify({ item, selection: { who: look.records.contacts.map((x) => x.id), what: '', thread: false, attachments: [] } }) })).json();
      check(saved.status === 'saved', `a sidebar save goes on under the reserve (${JSON.stringify(saved).slice(0, 160)})`);
    } finally { api.kill('SIGTERM'); }
    await fetch(`${sb.base}/sandbox/api-usage`, { method: 'PUT', body: JSON.stringify({ max: 100000, used: 0 }) });
    const r2 = sync(cfg);
    check(r2.code === 0 && r2.summary.skipped_by_reason.already_saved === 1, `with budget again, the session finds it saved (${JSON.stringify(r2.summary)})`);
    check((await sb.query("SELECT Id FROM Task WHERE Subject = 'Budget'")).total === 1, 'one Task, not two');
  }

  // ---- crmsync serve: two workers on one store share the mailboxes, each synced once ----
  {
    const dir = tmpdir('serve');
    sampleMail(dir, COUNT);
    const sb = await startSandbox(dir);
    cleanup.push(sb);
    const cfg = writeConfig(dir, sb, loadOrg(dir, sb));
    const workers = ['w1', 'w2'].map((w) => spawn(BIN, ['serve', '--config', cfg, '--worker', w], { stdio: ['ignore', 'ignore', 'pipe'] }));
    const errs = ['', ''];
    workers.forEach((p, i) => p.stderr.on('data', (d) => { errs[i] += d; }));
    const exited = workers.map((p) => new Promise((r) => p.on('exit', (code) => r(code))));
    let done = false;
    for (let i = 0; i < 150 && !done; i++) { // the session is due at once; bounded wait (30 s)
      await sleep(200);
      try {
        const row = execFileSync('sqlite3', [path.join(dir, 'crmsync.db'), 'SELECT last_result, next_run_at FROM mailboxes']).toString().trim();
        done = row.startsWith('ok|');
      } catch { /* the store is being created */ }
    }
    workers.forEach((p) => p.kill('SIGTERM'));
    const codes = await Promise.all(exited);
    check(done, 'a worker of crmsync serve ran the due mailbox');
    check(codes.every((c) => c === 0), `both workers stop cleanly on SIGTERM (${codes}: ${errs.join(' | ').slice(0, 400)})`);
    const st = await savedState(sb);
    check(JSON.stringify(st.keys) === JSON.stringify(want.keys), `served once: exactly the reference Tasks (${st.tasks} vs ${want.tasks})`);
    const next = Number(execFileSync('sqlite3', [path.join(dir, 'crmsync.db'), 'SELECT next_run_at FROM mailboxes']).toString().trim());
    const now = Date.now() / 1000;
    check(next > now + 25 * 60 && next < now + 31 * 60, 'the next run is scheduled after sync.interval_minutes (30)');
  }

  // ---- faults: each kind, no duplicates, no loss, the cause in the issues log ------------
  for (const spec of ['error:rate=0.3,seed=5', 'drop:rate=0.3,seed=6', 'expired:every=3', 'slow:ms=50:every=2', 'lock:rate=0.3,seed=7', 'limit:nth=4']) {
    const dir = tmpdir('fault');
    sampleMail(dir, COUNT);
    const sb = await startSandbox(dir);
    cleanup.push(sb);
    const cfg = writeConfig(dir, sb, loadOrg(dir, sb));
    await sb.faults(spec);
    let last = null, sessions = 0;
    for (; sessions < 8; sessions++) {
      last = sync(cfg);
      if (last.summary && last.summary.complete && !last.summary.error) break;
      await sb.faults(''); // a later session runs in better weather
    }
    await sb.faults('');
    const st = await savedState(sb);
    check(last.summary && last.summary.complete, `[${spec}] completes within ${sessions + 1} sessions`);
    check(JSON.stringify(st.keys) === JSON.stringify(want.keys), `[${spec}] exactly the reference Tasks: ${st.tasks} vs ${want.tasks}`);
    check(st.relations === want.relations && st.relUnique === st.relations, `[${spec}] relations: ${st.relations} vs ${want.relations}`);
    if (spec.startsWith('limit')) {
      const iss = JSON.parse(execFileSync(BIN, ['issues', '--db', path.join(dir, 'crmsync.db'), '--json']).toString()).issues;
      check(iss.some((i) => /REQUEST_LIMIT_EXCEEDED|limit/i.test(`${i.code} ${i.message}`)), '[limit] the issues log names the API limit');
    }
  }

  // ---- kill -9 at many points of a session -----------------------------------------------
  {
    // its own reference on a larger mailbox, so a session lasts long enough to be cut often
    const KCOUNT = 300;
    const kref = tmpdir('kref');
    sampleMail(kref, KCOUNT);
    const sbk = await startSandbox(kref);
    cleanup.push(sbk);
    const rk = sync(writeConfig(kref, sbk, loadOrg(kref, sbk)));
    check(rk.summary && rk.summary.complete, 'reference for the kill test completes');
    const kwant = await savedState(sbk);
    const dir = tmpdir('kill');
    sampleMail(dir, KCOUNT);
    const sb = await startSandbox(dir);
    cleanup.push(sb);
    const cfg = writeConfig(dir, sb, loadOrg(dir, sb));
    await sb.faults('slow:ms=40:every=1'); // widen the windows between steps
    let seed = 12345;
    const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
    let kills = 0, finished = false;
    const points = [];
    for (let round = 0; round < 40 && !finished; round++) {
      const proc = spawn(BIN, ['sync', '--once', '--config', cfg, '--json', '--batch', '10'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      proc.stdout.on('data', (d) => { out += d; });
      const exited = new Promise((r) => proc.on('exit', (code, sig) => r({ code, sig })));
      const delay = Math.floor(rand() * 700) + 20;
      const res = await Promise.race([exited, sleep(delay).then(() => null)]);
      if (res === null && round < 30) {
        proc.kill('SIGKILL');
        await exited;
        kills++;
        points.push(delay);
        continue;
      }
      const r = res || (await exited);
      try { finished = JSON.parse(out)[0].complete === true; } catch { finished = false; }
    }
    await sb.faults('');
    for (let i = 0; i < 3 && !finished; i++) finished = sync(cfg).summary?.complete === true;
    const st = await savedState(sb);
    console.log(`kill -9: ${kills} kills at ${points.join(',')} ms; then completed: ${finished}`);
    check(kills >= 10, `killed at least 10 times (${kills})`);
    check(finished, 'a session after the crashes completes');
    check(JSON.stringify(st.keys) === JSON.stringify(kwant.keys), `after ${kills} crashes exactly the reference Tasks: ${st.tasks} vs ${kwant.tasks}`);
    check(st.relations === kwant.relations && st.relUnique === st.relations, `after crashes the same relations: ${st.relations} vs ${kwant.relations}`);
    const ok = execFileSync('sqlite3', [path.join(dir, 'crmsync.db'), 'PRAGMA integrity_check']).toString().trim();
    check(ok === 'ok', 'the store is intact');
  }
} finally {
  for (const sb of cleanup) sb.stop();
}
done('test-engine');
