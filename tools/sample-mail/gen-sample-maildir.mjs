#!/usr/bin/env node
// tools/sample-mail/gen-sample-maildir.mjs: a deterministic sample Maildir for the demo and
// the benchmark (docs/mailbox.md "Sample Maildir").
//
//   node tools/sample-mail/gen-sample-maildir.mjs --out DIR [--count 300] [--seed 1]
//        [--user bob@crmsync-demo.com] [--now 2026-11-22T08:00:00Z] [--org-out FILE] [--force]
//
// Writes DIR as a Maildir++ tree (cur/new/tmp = INBOX, .Sent, .Salesforce Emails, .Junk,
// .Drafts) with --count emails that exercise the rules: known contacts and leads of a
// sample org (acme.com, globex.com, initech.com, ...), internal mail at the user's domain,
// blocklisted senders, newsletters with List-Unsubscribe, auto-replies, delivery reports,
// read receipts and meeting responses, replies and threads (In-Reply-To/References), long
// bodies, attachments, a few in "Salesforce Emails", a few without a Message-ID.
// The same arguments always give the same bytes. Messages are streamed to disk one by one
// with bounded state (a ring of recent threads), so --count 100000 runs in constant memory.
// --org-out writes the people, accounts and blocklist the mails refer to (JSON), for
// seeding the sandbox org with matching records.
import fs from 'node:fs';
import path from 'node:path';

function parseArgs(argv) {
  const a = { count: 300, seed: 1, user: 'bob@crmsync-demo.com', now: '2026-11-22T08:00:00Z', out: '', orgOut: '', force: false };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--out') { a.out = v; i++; }
    else if (k === '--count') { a.count = Number(v); i++; }
    else if (k === '--seed') { a.seed = Number(v); i++; }
    else if (k === '--user') { a.user = v; i++; }
    else if (k === '--now') { a.now = v; i++; }
    else if (k === '--org-out') { a.orgOut = v; i++; }
    else if (k === '--force') a.force = true;
    else if (k === '--help' || k === '-h') { console.log(fs.readFileSync(new URL(import.meta.url)).toString().split('\n').slice(1, 18).map(l => l.replace(/^\/\/ ?/, '')).join('\n')); process.exit(0); }
    else { console.error(`gen-sample-maildir: unknown argument ${k}`); process.exit(2); }
  }
  if (!a.out) { console.error('gen-sample-maildir: --out DIR is required'); process.exit(2); }
  if (!Number.isInteger(a.count) || a.count < 1 || a.count > 10_000_000) { console.error('gen-sample-maildir: --count must be 1..10000000'); process.exit(2); }
  if (Number.isNaN(Date.parse(a.now))) { console.error('gen-sample-maildir: --now must be an RFC 3339 time'); process.exit(2); }
  return a;
}

// mulberry32: small, fast, deterministic
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = [
  { name: 'Acme Corporation', domain: 'acme.com' },
  { name: 'Globex', domain: 'globex.com' },
  { name: 'Initech', domain: 'initech.com' },
  { name: 'Umbrella Corporation', domain: 'umbrella.com' },
  { name: 'Hooli', domain: 'hooli.com' },
  { name: 'Vandelay Industries', domain: 'vandelay.com' },
];
const FIRST = ['Jane', 'John', 'Maria', 'Wei', 'Amara', 'Lukas', 'Sofia', 'Ravi', 'Chloe', 'Mateo', 'Yuki', 'Olga', 'Kwame', 'Ines', 'Noah', 'Priya'];
const LAST = ['Doe', 'Smith', 'Garcia', 'Chen', 'Okafor', 'Müller', 'Rossi', 'Patel', 'Martin', 'López', 'Tanaka', 'Ivanova', 'Mensah', 'Silva', 'Brown', 'Nair'];
// Contacts: 4 per account; leads at prospect companies (no Account); unknown people at the
// same companies (suggestions); colleagues at the user's domain.
function people(user) {
  const dom = user.split('@')[1];
  const contacts = [], leads = [], unknown = [], colleagues = [];
  let k = 0;
  for (const a of ACCOUNTS)
    for (let j = 0; j < 4; j++, k++) {
      const f = FIRST[k % FIRST.length], l = LAST[(k * 7 + 3) % LAST.length];
      contacts.push({ first_name: f, last_name: l, email: `${ascii(f)}.${ascii(l)}@${a.domain}`, account: a.name });
    }
  const prospects = [['Stark Industries', 'stark-industries.com'], ['Wayne Enterprises', 'wayne-enterprises.com'], ['Soylent', 'soylent.com'], ['Cyberdyne', 'cyberdyne.io']];
  for (let j = 0; j < 8; j++) {
    const [company, d] = prospects[j % prospects.length];
    const f = FIRST[(j * 5 + 1) % FIRST.length], l = LAST[(j * 3 + 5) % LAST.length];
    leads.push({ first_name: f, last_name: l, email: `${ascii(f).charAt(0)}${ascii(l)}@${d}`, company });
  }
  for (let j = 0; j < 12; j++) {
    const a = ACCOUNTS[j % ACCOUNTS.length];
    const f = FIRST[(j * 11 + 2) % FIRST.length], l = LAST[(j * 13 + 7) % LAST.length];
    unknown.push({ first_name: f, last_name: l, email: `${ascii(f)}${j}.${ascii(l)}@${a.domain}` });
  }
  for (let j = 0; j < 6; j++) {
    const f = FIRST[(j * 3 + 4) % FIRST.length], l = LAST[(j * 5 + 1) % LAST.length];
    colleagues.push({ first_name: f, last_name: l, email: `${ascii(f)}.${ascii(l)}@${dom}` });
  }
  return { contacts, leads, unknown, colleagues };
}
function ascii(s) { return s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase(); }

const BLOCKED = ['deals@blocked-vendor.com', 'offers@blocked-vendor.com', 'recruiter@spammy-recruiting.net'];
const NEWSLETTERS = [['Tech Weekly', 'news@techweekly.example'], ['SaaS Digest', 'digest@saasdigest.example'], ['Conference Updates', 'updates@events.example']];
const TOPICS = ['Quarterly review', 'Pricing proposal', 'Contract renewal', 'Onboarding plan', 'Integration questions', 'Invoice 2026-11', 'Security questionnaire', 'Project kickoff', 'Demo follow-up', 'Support escalation'];

// RFC 2047 for non-ASCII display names
function encName(n) {
  if (/^[\x20-\x7e]*$/.test(n)) return /[",.;:<>@()]/.test(n) ? `"${n.replace(/["\\]/g, '\\$&')}"` : n;
  return `=?UTF-8?B?${Buffer.from(n, 'utf8').toString('base64')}?=`;
}
function addr(p) { return `${encName(`${p.first_name} ${p.last_name}`)} <${p.email}>`; }
function rfc2822(t) {
  const d = new Date(t);
  const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'], MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (x) => String(x).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MON[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}
function b64lines(buf) { return buf.toString('base64').replace(/.{76}/g, '$&\n'); }
function para(r, words) {
  const W = ['we', 'can', 'review', 'the', 'proposal', 'next', 'week', 'and', 'align', 'on', 'scope', 'budget', 'timeline', 'for', 'rollout', 'with', 'your', 'team', 'please', 'confirm', 'details', 'attached', 'summary', 'thanks'];
  let s = '';
  for (let i = 0; i < words; i++) s += (i ? (i % 14 === 0 ? '.\n' : ' ') : '') + W[Math.floor(r() * W.length)];
  return s + '.\n';
}

function main() {
  const a = parseArgs(process.argv);
  const r = rng(a.seed);
  const P = people(a.user);
  const userDomain = a.user.split('@')[1];
  const me = { first_name: 'Bob', last_name: 'Sample', email: a.user };
  const now = Date.parse(a.now);
  if (fs.existsSync(a.out)) {
    if (!a.force && fs.readdirSync(a.out).length) { console.error(`gen-sample-maildir: ${a.out} exists and is not empty (--force replaces it)`); process.exit(1); }
    fs.rmSync(a.out, { recursive: true, force: true });
  }
  const folders = { inbox: '', sent: '.Sent', salesforce: '.Salesforce Emails', junk: '.Junk', drafts: '.Drafts' };
  for (const rel of Object.values(folders))
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(a.out, rel, sub), { recursive: true });

  const ring = []; // recent threads: {root, last, refs, subject, peer}; bounded
  const RING = 64;
  const stats = {};
  const count = (k) => { stats[k] = (stats[k] || 0) + 1; };
  const span = 10 * 86400 * 1000; // dates spread over the last 10 days (default lookback is 6)
  const pick = (arr) => arr[Math.floor(r() * arr.length)];

  for (let i = 0; i < a.count; i++) {
    // newest last; a little jitter, always in the past
    const t = now - span + Math.floor(((i + 1) / (a.count + 1)) * span) - Math.floor(r() * 600) * 1000;
    const x = r();
    let kind;
    if (x < 0.26) kind = 'contact_in';
    else if (x < 0.40) kind = 'contact_out';
    else if (x < 0.47) kind = 'lead_in';
    else if (x < 0.54) kind = 'unknown_in';
    else if (x < 0.63) kind = 'internal';
    else if (x < 0.68) kind = 'blocked';
    else if (x < 0.76) kind = 'newsletter';
    else if (x < 0.79) kind = 'auto_reply';
    else if (x < 0.81) kind = 'bounce';
    else if (x < 0.82) kind = 'read_receipt';
    else if (x < 0.83) kind = 'meeting_resp';
    else if (x < 0.93) kind = 'reply';
    else if (x < 0.95) kind = 'salesforce_folder';
    else if (x < 0.97) kind = 'junk';
    else if (x < 0.98) kind = 'draft';
    else kind = 'contact_in';
    if (kind === 'reply' && ring.length === 0) kind = 'contact_in';

    const h = [];
    let folder = 'inbox', body = '', html = '', attach = null, extraParts = null, ctype = null;
    const msgid = `<${(t / 1000).toFixed(0)}.${i}.${a.seed}@${kind === 'contact_out' || kind === 'internal' || kind === 'draft' ? userDomain : 'mail.example'}>`;
    let subject = pick(TOPICS), from, to = [me], cc = [];
    let noMsgId = i % 97 === 13; // about 1%
    let inReplyTo = null, refs = null;
    switch (kind) {
      case 'contact_in': from = pick(P.contacts); if (r() < 0.3) cc = [pick(P.contacts)]; break;
      case 'contact_out': folder = 'sent'; from = me; to = [pick(P.contacts)]; if (r() < 0.2) cc = [pick(P.colleagues)]; break;
      case 'lead_in': from = pick(P.leads); subject = `Interested in ${pick(['licensing', 'a pilot', 'pricing', 'a demo'])}`; break;
      case 'unknown_in': from = pick(P.unknown); break;
      case 'internal': from = pick(P.colleagues); to = [me, pick(P.colleagues)]; subject = `Internal: ${subject}`; break;
      case 'blocked': { const e = pick(BLOCKED); from = { first_name: 'Special', last_name: 'Offers', email: e }; subject = 'Limited time offer'; break; }
      case 'newsletter': { const [n, e] = pick(NEWSLETTERS); from = { first_name: n, last_name: '', email: e };
        h.push(`List-Unsubscribe: <mailto:unsubscribe@${e.split('@')[1]}?subject=unsubscribe>, <https://${e.split('@')[1]}/u/${i}>`, 'List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'Precedence: bulk');
        subject = `${n}: issue ${1000 + i}`; break; }
      case 'auto_reply': from = pick(P.contacts); subject = `Automatic reply: ${subject}`; h.push('Auto-Submitted: auto-replied', 'X-Autoreply: yes'); body = 'I am out of the office until Monday with limited access to email.\n'; break;
      case 'bounce': from = { first_name: 'Mail Delivery', last_name: 'System', email: `MAILER-DAEMON@mx.${userDomain}` }; subject = 'Undelivered Mail Returned to Sender'; h.push('Auto-Submitted: auto-generated');
        ctype = 'multipart/report; report-type=delivery-status';
        extraParts = [['text/plain', 'Your message could not be delivered to one or more recipients.\n'],
          ['message/delivery-status', `Reporting-MTA: dns; mx.${userDomain}\n\nFinal-Recipient: rfc822; nobody@${pick(ACCOUNTS).domain}\nAction: failed\nStatus: 5.1.1\n`]]; break;
      case 'read_receipt': from = pick(P.contacts); subject = `Read: ${subject}`;
        ctype = 'multipart/report; report-type=disposition-notification';
        extraParts = [['text/plain', 'Your message was displayed.\n'], ['message/disposition-notification', `Final-Recipient: rfc822; ${from.email}\nDisposition: manual-action/MDN-sent-manually; displayed\n`]]; break;
      case 'meeting_resp': from = pick(P.contacts); subject = `Accepted: ${subject}`;
        ctype = 'multipart/alternative';
        extraParts = [['text/plain; charset=utf-8', `${from.first_name} has accepted this meeting.\n`],
          ['text/calendar; charset=utf-8; method=REPLY', `BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:meeting-${i}@${userDomain}\nATTENDEE;PARTSTAT=ACCEPTED:mailto:${from.email}\nEND:VEVENT\nEND:VCALENDAR\n`]]; break;
      case 'reply': {
        const th = ring[Math.floor(r() * ring.length)];
        const outbound = r() < 0.5;
        from = outbound ? me : th.peer; to = [outbound ? th.peer : me];
        if (outbound) folder = 'sent';
        subject = th.subject.startsWith('Re: ') ? th.subject : `Re: ${th.subject}`;
        inReplyTo = th.last;
        refs = th.refs.concat([th.last]).slice(-10);
        if (th.refs[0] && refs[0] !== th.refs[0]) refs.unshift(th.refs[0]);
        th.last = msgid; th.refs = refs;
        noMsgId = false;
        break;
      }
      case 'salesforce_folder': folder = 'salesforce'; from = pick(r() < 0.5 ? P.contacts : P.unknown); subject = `Please log: ${subject}`; break;
      case 'junk': folder = 'junk'; from = { first_name: 'Prize', last_name: 'Center', email: `winner${i}@lottery.example` }; subject = 'You have won'; break;
      case 'draft': folder = 'drafts'; from = me; to = [pick(P.contacts)]; subject = `Draft: ${subject}`; noMsgId = false; break;
    }
    count(kind);
    if (!body) {
      const long = i % 37 === 5; // about 3%: a long body
      body = `Hi ${to[0].first_name},\n\n${para(r, 40 + Math.floor(r() * 80))}`;
      if (long) { for (let k = 0; k < 120; k++) body += para(r, 50); count('long_body'); }
      if (i % 1009 === 7) { for (let k = 0; k < 600; k++) body += para(r, 60); count('very_long_body'); }
      body += `\nBest,\n${from.first_name}\n`;
    }
    if (!extraParts && (kind === 'contact_in' || kind === 'contact_out' || kind === 'lead_in') && r() < 0.25) {
      const n = 2000 + Math.floor(r() * 30000);
      const bytes = Buffer.alloc(n);
      for (let k = 0; k < n; k++) bytes[k] = (k * 31 + i) & 0xff;
      attach = { name: pick(['proposal.pdf', 'quote-2026.xlsx', 'Übersicht.pdf', 'contract draft.docx']), type: 'application/octet-stream', bytes };
      count('attachment');
    }
    if (!extraParts && r() < 0.35) html = `<html><body><p>${body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n\n/g, '</p><p>').replace(/\n/g, '<br>')}</p></body></html>\n`;
    if (kind !== 'reply' && (kind === 'contact_in' || kind === 'contact_out' || kind === 'lead_in') && !noMsgId) {
      const peer = kind === 'contact_out' ? to[0] : from;
      const th = { root: msgid, last: msgid, refs: [msgid], subject, peer };
      if (ring.length < RING) ring.push(th); else ring[i % RING] = th;
    }
    if (noMsgId) count('no_message_id');

    // headers
    if (!noMsgId) h.unshift(`Message-ID: ${msgid}`);
    h.unshift(`Date: ${rfc2822(t)}`, `From: ${addr(from)}`, `To: ${to.map(addr).join(', ')}`);
    if (cc.length) h.push(`Cc: ${cc.map(addr).join(', ')}`);
    h.push(`Subject: ${/^[\x20-\x7e]*$/.test(subject) ? subject : `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`}`);
    if (inReplyTo) h.push(`In-Reply-To: ${inReplyTo}`, `References: ${refs.join('\n ')}`);
    h.push('MIME-Version: 1.0');
    const B = (n) => `=_crm_${n}_${i}`;
    let msg;
    if (extraParts) {
      msg = `${h.join('\n')}\nContent-Type: ${ctype}; boundary="${B('x')}"\n\n` +
        extraParts.map(([ty, c]) => `--${B('x')}\nContent-Type: ${ty}\n\n${c}`).join('\n') + `\n--${B('x')}--\n`;
    } else {
      let text = `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${body}`;
      if (html) text = `Content-Type: multipart/alternative; boundary="${B('a')}"\n\n--${B('a')}\n${text}\n--${B('a')}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${html}\n--${B('a')}--\n`;
      if (attach) {
        const fname = /^[\x20-\x7e]*$/.test(attach.name) ? `filename="${attach.name}"` : `filename*=UTF-8''${encodeURIComponent(attach.name)}`;
        text = `Content-Type: multipart/mixed; boundary="${B('m')}"\n\n--${B('m')}\n${text}\n--${B('m')}\nContent-Type: ${attach.type}\nContent-Disposition: attachment; ${fname}\nContent-Transfer-Encoding: base64\n\n${b64lines(attach.bytes)}\n--${B('m')}--\n`;
      }
      msg = `${h.join('\n')}\n${text}`;
    }
    // Maildir file: unique name from the message time and index; most read (cur/ with S)
    const rel = folders[folder];
    const uniq = `${Math.floor(t / 1000)}.M${i}P${a.seed}.crmsync-sample`;
    const seen = folder !== 'inbox' || r() < 0.8;
    const file = seen ? path.join(a.out, rel, 'cur', `${uniq}:2,${folder === 'drafts' ? 'DS' : 'S'}`) : path.join(a.out, rel, 'new', uniq);
    fs.writeFileSync(file, msg);
    count(`folder_${folder}`);
    // keep file times equal to the message time (mtime is the fallback date of mails without a Date)
    fs.utimesSync(file, t / 1000, t / 1000);
  }

  if (a.orgOut) {
    const org = {
      user: a.user,
      internal_domains: [userDomain],
      accounts: ACCOUNTS.map((x) => ({ name: x.name, website: `https://www.${x.domain}` })),
      contacts: P.contacts,
      leads: P.leads,
      unknown_people: P.unknown.map((p) => p.email),
      blocklist: ['blocked-vendor.com', 'recruiter@spammy-recruiting.net'],
      newsletters: NEWSLETTERS.map((n) => n[1]),
    };
    fs.writeFileSync(a.orgOut, JSON.stringify(org, null, 2) + '\n');
  }
  const keys = Object.keys(stats).sort();
  console.log(`gen-sample-maildir: ${a.count} emails in ${a.out} (seed ${a.seed})`);
  console.log(keys.map((k) => `  ${k}: ${stats[k]}`).join('\n'));
}

main();
