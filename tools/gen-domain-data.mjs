#!/usr/bin/env node
// tools/gen-domain-data.mjs: generates the core's bundled domain tables (never typed by hand).
//
//   node tools/gen-domain-data.mjs --psl FILE --freemail FILE --out DIR
//
// Inputs: the public suffix list (Debian `publicsuffix`, /usr/share/publicsuffix/
// public_suffix_list.dat; ICANN and PRIVATE sections both) and the free-mail list of the npm
// package `email-providers` (pinned in package.json; its all.json). Outputs, in DIR:
// crm_psl_data.c and crm_freemail_data.c, which define the symbols declared in
// core/src/domain_data.h. The table format is described there and in
// docs/internals/domain-data.md. Node 20, built-ins only.
import { readFileSync, writeFileSync, renameSync, mkdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { domainToASCII } from 'node:url';
import { join, dirname } from 'node:path';

const FLAG_RULE = 1, FLAG_WILD = 2, FLAG_EXC = 4; // must match domain_data.h

function die(msg) { process.stderr.write(`gen-domain-data: ${msg}\n`); process.exit(1); }

function args() {
  const a = { psl: null, freemail: null, out: null, freemailVersion: null };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    if (k === '--psl') a.psl = v[++i];
    else if (k === '--freemail') a.freemail = v[++i];
    else if (k === '--out') a.out = v[++i];
    else die(`unknown argument ${k}`);
  }
  if (!a.psl || !a.freemail || !a.out) die('usage: --psl FILE --freemail FILE --out DIR');
  return a;
}

// ---- Punycode (RFC 3492), encoder only: the rules and list entries are converted with it and
// cross-checked against node:url's domainToASCII (an independent implementation).
const BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, IBIAS = 72, IN = 128;
function adapt(delta, numPoints, first) {
  delta = first ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) { delta = Math.floor(delta / (BASE - TMIN)); k += BASE; }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}
const digit = (d) => String.fromCharCode(d < 26 ? 97 + d : 22 + d);
function punyEncode(label) {
  const cps = Array.from(label, (c) => c.codePointAt(0));
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const b = out.length;
  let h = b, n = IN, delta = 0, bias = IBIAS;
  if (b > 0) out += '-';
  while (h < cps.length) {
    const m = Math.min(...cps.filter((c) => c >= n));
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        out += digit(q);
        bias = adapt(delta, h + 1, h === b);
        delta = 0;
        h++;
      }
    }
    delta++; n++;
  }
  return out;
}
// The ASCII form used by the core (crm_domain_to_ascii): per label, ASCII lower-cased,
// a label with a non-ASCII character becomes "xn--" + Punycode.
function toAscii(domain) {
  return domain.split('.').map((l) => (/^[\x00-\x7f]*$/.test(l) ? l.toLowerCase() : 'xn--' + punyEncode(l))).join('.');
}
function checkedAscii(domain, what) {
  const mine = toAscii(domain);
  if (/[^\x00-\x7f]/.test(domain)) {
    const ref = domainToASCII(domain);
    if (ref !== mine) die(`${what}: ${domain}: punycode ${mine} differs from node:url ${ref}`);
  }
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(mine)) die(`${what}: ${domain}: not a plain domain (${mine})`);
  return mine;
}

// ---- the public suffix list ----
function readPsl(file) {
  const text = readFileSync(file, 'utf8');
  const rules = new Map(); // ascii suffix -> flags
  let section = null, counts = { ICANN: 0, PRIVATE: 0 };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '// ===BEGIN ICANN DOMAINS===') { section = 'ICANN'; continue; }
    if (line === '// ===BEGIN PRIVATE DOMAINS===') { section = 'PRIVATE'; continue; }
    if (/^\/\/ ===END (ICANN|PRIVATE) DOMAINS===$/.test(line)) { section = null; continue; }
    if (line === '' || line.startsWith('//')) continue;
    if (!section) die(`${file}: rule outside a section: ${line}`);
    const rule = line.split(/\s/)[0]; // the list says: a rule ends at the first white space
    let flag = FLAG_RULE, name = rule;
    if (rule.startsWith('!')) { flag = FLAG_EXC; name = rule.slice(1); }
    else if (rule.startsWith('*.')) { flag = FLAG_WILD; name = rule.slice(2); }
    if (name.includes('*') || name.includes('!')) die(`${file}: unsupported rule ${rule}`);
    const key = checkedAscii(name, file);
    rules.set(key, (rules.get(key) || 0) | flag);
    counts[section]++;
  }
  if (!counts.ICANN || !counts.PRIVATE) die(`${file}: missing ICANN or PRIVATE section`);
  return { rules, counts };
}

function pslVersion(file) {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'publicsuffix'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (v && file.startsWith('/usr/share/publicsuffix/')) return v;
  } catch { /* not Debian, or not installed: fall back below */ }
  const text = readFileSync(file, 'utf8');
  const m = /^\/\/ VERSION: (\S+)/m.exec(text) || /^\/\/ COMMIT: (\S+)/m.exec(text);
  if (m) return m[1];
  return 'file ' + statSync(file).mtime.toISOString().slice(0, 10);
}

// ---- the free-mail list ----
function readFreemail(file) {
  const list = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(list)) die(`${file}: not a JSON array`);
  const set = new Set(), dropped = [];
  for (const e of list) {
    const d = String(e).trim().toLowerCase().replace(/\.$/, '');
    // Entries that are not domains (e.g. an address "x@y") are dropped, and reported.
    if (d === '' || /[\s@\/:*]/.test(d) || d.includes('..') || d.startsWith('.')) { dropped.push(e); continue; }
    // Names reserved for documentation and tests (RFC 2606, RFC 6761) are nobody's
    // free-mail service; keeping them would make every example address "free-mail".
    if (/^(example\.(com|net|org)|.*\.(example|test|invalid|localhost))$/.test(d)) { dropped.push(e); continue; }
    set.add(checkedAscii(d, file));
  }
  return { set, dropped };
}
function freemailVersion(file) {
  const pkg = JSON.parse(readFileSync(join(dirname(file), 'package.json'), 'utf8'));
  return `${pkg.name} ${pkg.version}`;
}

// ---- emitting a table (format: core/src/domain_data.h) ----
// Keys are stored byte-reversed ("moc.elpmaxe"), so that the suffixes of a domain are the
// prefixes of its reversal and neighbouring keys share long prefixes; sorted by bytes; in
// blocks of BLOCK entries, each entry front-coded against the previous one of its block:
//   [shared prefix length][suffix length][flags, PSL only][suffix bytes]
// (the first entry of a block has a shared length of 0). block[b] = offset of block b.
const BLOCK = 16; // must match CRM_DD_BLOCK
function table(entries /* [key, flags] */, flagged) {
  const rev = entries.map(([k, f]) => [Buffer.from(k).reverse(), f]);
  rev.sort((a, b) => Buffer.compare(a[0], b[0]));
  const bytes = [], block = [];
  let keyBytes = 0;
  for (let i = 0; i < rev.length; i++) {
    const [k, f] = rev[i];
    if (k.length > 255) die(`key too long for the table: ${k.reverse()}`);
    if (i > 0 && Buffer.compare(rev[i - 1][0], k) === 0) die(`duplicate key ${k.reverse()}`);
    keyBytes += k.length;
    let p = 0;
    if (i % BLOCK === 0) block.push(bytes.length);
    else { const prev = rev[i - 1][0]; while (p < prev.length && p < k.length && prev[p] === k[p]) p++; }
    bytes.push(p, k.length - p);
    if (flagged) bytes.push(f);
    for (let j = p; j < k.length; j++) bytes.push(k[j]);
  }
  if (bytes.length > 0xffffffff) die('table too large');
  return { n: rev.length, block, bytes, keyBytes, flagged };
}
// A C string literal of arbitrary bytes: printable ASCII as is, the rest as 3-digit octal
// escapes (which cannot swallow a following digit); '?' escaped against trigraphs.
function cBytes(bytes, indent) {
  const out = [];
  let line = '';
  for (const b of bytes) {
    line += (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c && b !== 0x3f) ? String.fromCharCode(b) : '\\' + b.toString(8).padStart(3, '0');
    if (line.length >= 100) { out.push(`${indent}"${line}"`); line = ''; }
  }
  if (line.length || !out.length) out.push(`${indent}"${line}"`);
  return out.join('\n');
}
function cU32(a, indent) {
  const out = [];
  for (let i = 0; i < a.length; i += 10) out.push(indent + a.slice(i, i + 10).map((x) => `${x}u`).join(', ') + ',');
  return out.join('\n');
}
function emitTable(prefix, t) {
  return `/* ${t.n} keys, ${t.keyBytes} key bytes, ${t.block.length} blocks, ${t.bytes.length} data bytes */
static const uint32_t ${prefix}_block[${Math.max(t.block.length, 1)}] = {
${t.block.length ? cU32(t.block, '    ') : '    0u'}
};
static const unsigned char ${prefix}_data[${t.bytes.length + 1}] =
${cBytes(t.bytes, '    ')};
const crm_dd_table ${prefix}_table = { ${t.n}u, ${t.block.length}u, ${prefix}_block, ${prefix}_data, ${t.flagged} };
`;
}
function writeAtomic(path, text) {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const a = args();
mkdirSync(a.out, { recursive: true });
const psl = readPsl(a.psl);
const fm = readFreemail(a.freemail);
const version = `psl ${pslVersion(a.psl)}; ${freemailVersion(a.freemail)}`;
if (/["\\\n]/.test(version)) die(`bad version string ${version}`);
const head = (what) => `/* GENERATED by tools/gen-domain-data.mjs: do not edit, do not commit. ${what}
 * Data: ${version}. Format: core/src/domain_data.h, docs/internals/domain-data.md. */
#include "domain_data.h"
/* The blob is one long literal; -Wpedantic's 4095-byte limit for C99 compilers does not
 * concern gcc and clang (the only compilers used: native and emcc). */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Woverlength-strings"
#endif

`;
const pslTab = table([...psl.rules.entries()], true);
writeAtomic(join(a.out, 'crm_psl_data.c'), head(`Public suffix list: ${psl.counts.ICANN} ICANN + ${psl.counts.PRIVATE} PRIVATE rules, ${pslTab.n} distinct names.`) +
  `const char crm_domain_data_version_str[] = "${version}";\n\n` + emitTable('crm_psl', pslTab));
const fmTab = table([...fm.set].map((d) => [d, 0]), false);
writeAtomic(join(a.out, 'crm_freemail_data.c'), head(`Free-mail domains: ${fmTab.n} (dropped as not domains: ${fm.dropped.length ? fm.dropped.map((d) => JSON.stringify(d).replace(/\*\//g, '')).join(' ') : 'none'}).`) +
  emitTable('crm_freemail', fmTab));
process.stdout.write(`gen-domain-data: ${version}: ${pslTab.n} PSL names (${psl.counts.ICANN} ICANN + ${psl.counts.PRIVATE} PRIVATE rules), ${fmTab.n} free-mail domains, ${fm.dropped.length} dropped\n`);
