#!/usr/bin/env node
// tools/check-coverage.mjs: every rule id of the checked sections of spec/rules.md must be
// named by the "rules" of at least one vector in tests/vectors/. Node 20, no dependencies.
//
//   node tools/check-coverage.mjs [--sections "A B M E T S N F K"] [--spec FILE]
//                                 [--vectors DIR] [--ids FILE] [--write-ids] [--list]
//
// --sections   the sections whose ids must all be covered (letters, comma or space
//              separated; "all" = every section of the spec; "" = none). Without the flag:
//              $COVERAGE_SECTIONS when set, else "A B M E T S N F K".
// --spec       rules.md (default: ../shared/spec/rules.md beside the repository root).
// --ids        the checked-in copy of the spec's ids (default tests/vectors/rule-ids.txt).
//              The check fails when the spec and the copy disagree, so a spec change is
//              noticed; --write-ids rewrites the copy from the spec.
// --list       also print every id with the number of cases naming it.
//
// It also fails when a case names an id that is not in the spec (a typo) other than "API"
// (boundary-only cases), or when a vector file is not valid JSON. Closing line:
// "N passed, N failed" (ids covered / ids missing + other problems).
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SECTIONS = 'A B M E T S N F K';

function parseArgs(argv) {
  const o = {
    spec: resolve(root, '..', 'shared', 'spec', 'rules.md'),
    vectors: join(root, 'tests', 'vectors'),
    ids: join(root, 'tests', 'vectors', 'rule-ids.txt'),
    sections: process.env.COVERAGE_SECTIONS ?? DEFAULT_SECTIONS,
    writeIds: false,
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--sections') o.sections = val();
    else if (a === '--spec') o.spec = resolve(val());
    else if (a === '--vectors') o.vectors = resolve(val());
    else if (a === '--ids') o.ids = resolve(val());
    else if (a === '--write-ids') o.writeIds = true;
    else if (a === '--list') o.list = true;
    else usage(`unknown argument ${a}`);
  }
  return o;
}

function usage(msg) {
  console.error(`check-coverage: ${msg}`);
  console.error('usage: node tools/check-coverage.mjs [--sections "A B ..."] [--spec FILE] [--vectors DIR] [--ids FILE] [--write-ids] [--list]');
  process.exit(2);
}

// Rule ids of rules.md: list items opening with a bold id ("- **A1** ..."), under
// "## X. Title" headings. Returns [{id, section}] in spec order and the section titles.
function specIds(text) {
  const ids = [];
  const titles = new Map();
  let section = null;
  for (const line of text.split('\n')) {
    const h = /^##\s+([A-Z])\.\s+(.*)$/.exec(line);
    if (h) { section = h[1]; titles.set(section, h[2].replace(/\s*\(.*$/, '').trim()); continue; }
    const m = /^\s*[-*]\s+\*\*([A-Z]+)(\d+)\*\*/.exec(line);
    if (!m) continue;
    const id = m[1] + m[2];
    if (section !== m[1]) throw new Error(`rules.md: ${id} is under section ${section ?? '(none)'}`);
    ids.push({ id, section: m[1] });
  }
  return { ids, titles };
}

function readIdsCopy(path) {
  const ids = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^([A-Z]+)(\d+)$/.exec(line);
    if (!m) throw new Error(`${path}: bad line "${raw}"`);
    ids.push({ id: line, section: m[1] });
  }
  return ids;
}

function writeIdsCopy(path, ids, specPath) {
  const lines = [
    '# Rule ids of spec/rules.md, one a line, in spec order. Generated: do not edit by hand.',
    '# Regenerate after a spec change: node tools/check-coverage.mjs --write-ids',
    `# (read from ${specPath.replace(resolve(root, '..') + '/', '../')})`,
    ...ids.map((x) => x.id),
  ];
  writeFileSync(path, lines.join('\n') + '\n');
}

// Every case of every tests/vectors/*.json: {file, name, rules}.
function loadCases(dir, problems) {
  const cases = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
  for (const f of files) {
    let data;
    try {
      data = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch (e) {
      problems.push(`${f}: not valid JSON (${e.message})`);
      continue;
    }
    const list = Array.isArray(data) ? data : [data];
    list.forEach((c, i) => {
      const where = `${f}${Array.isArray(data) ? ` case ${i}` : ''} (${c && c.name ? c.name : 'no name'})`;
      if (!c || typeof c !== 'object' || !Array.isArray(c.rules) || c.rules.length === 0) {
        problems.push(`${where}: "rules" must be a non-empty array`);
        return;
      }
      cases.push({ file: f, name: c.name, rules: c.rules, where });
    });
  }
  return { cases, files };
}

function parseSections(s, known) {
  const list = s.split(/[\s,]+/).filter(Boolean).map((x) => x.toUpperCase());
  if (list.length === 1 && list[0] === 'ALL') return [...known];
  return list;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const problems = [];

  // 1. The ids: from the spec, compared with the checked-in copy.
  let ids;
  let titles = new Map();
  if (existsSync(o.spec)) {
    ({ ids, titles } = specIds(readFileSync(o.spec, 'utf8')));
    if (ids.length === 0) problems.push(`${o.spec}: no rule ids found`);
    if (o.writeIds) {
      writeIdsCopy(o.ids, ids, o.spec);
      console.log(`check-coverage: wrote ${ids.length} ids to ${o.ids}`);
    } else if (!existsSync(o.ids)) {
      problems.push(`${o.ids} is missing: run node tools/check-coverage.mjs --write-ids`);
    } else {
      const copy = readIdsCopy(o.ids).map((x) => x.id);
      const spec = ids.map((x) => x.id);
      const added = spec.filter((x) => !copy.includes(x));
      const removed = copy.filter((x) => !spec.includes(x));
      if (added.length || removed.length || copy.join() !== spec.join()) {
        problems.push(
          `the spec and ${o.ids.replace(root + '/', '')} disagree` +
            (added.length ? `; new in the spec: ${added.join(' ')}` : '') +
            (removed.length ? `; gone from the spec: ${removed.join(' ')}` : '') +
            (!added.length && !removed.length ? '; same ids, different order' : '') +
            '. Review the spec change, then run: node tools/check-coverage.mjs --write-ids',
        );
      }
    }
  } else {
    if (o.writeIds) usage(`cannot --write-ids: ${o.spec} not found`);
    console.warn(`check-coverage: warning: ${o.spec} not found; using the copy ${o.ids}`);
    ids = readIdsCopy(o.ids);
  }
  const known = new Set(ids.map((x) => x.id));
  const sectionsInSpec = [...new Set(ids.map((x) => x.section))];

  // 2. The cases.
  const { cases, files } = loadCases(o.vectors, problems);
  const count = new Map(ids.map((x) => [x.id, 0]));
  for (const c of cases) {
    for (const r of c.rules) {
      if (r === 'API') continue;
      if (typeof r !== 'string' || !known.has(r)) problems.push(`${c.where}: unknown rule id ${JSON.stringify(r)}`);
      else count.set(r, count.get(r) + 1);
    }
  }

  // 3. Coverage of the checked sections.
  const checked = parseSections(o.sections, sectionsInSpec);
  for (const s of checked) if (!sectionsInSpec.includes(s)) problems.push(`section ${s} (from --sections) is not in the spec`);
  let covered = 0;
  const missing = [];
  console.log(`check-coverage: ${cases.length} case(s) in ${files.length} file(s); checked sections: ${checked.join(' ') || '(none)'}`);
  const complete = [];
  for (const s of sectionsInSpec) {
    const sid = ids.filter((x) => x.section === s).map((x) => x.id);
    const miss = sid.filter((x) => count.get(x) === 0);
    const isChecked = checked.includes(s);
    if (miss.length === 0) complete.push(s);
    if (isChecked) {
      covered += sid.length - miss.length;
      missing.push(...miss);
    }
    const title = titles.get(s) ? ` ${titles.get(s)}` : '';
    const state = miss.length ? `missing ${miss.join(' ')}` : 'all covered';
    console.log(`  ${isChecked ? '[checked]' : '[info]   '} ${s}${title}: ${sid.length - miss.length}/${sid.length} ${state}`);
    if (o.list) for (const x of sid) console.log(`      ${x}: ${count.get(x)} case(s)`);
  }
  console.log(`check-coverage: sections with every id covered: ${complete.join(' ') || '(none)'}`);

  if (missing.length) console.error(`check-coverage: FAIL: no vector names ${missing.join(' ')}`);
  for (const p of problems) console.error(`check-coverage: FAIL: ${p}`);
  const failed = missing.length + problems.length;
  console.log(`${covered} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
