// sidebar/ui/sidebar.js: the one sidebar UI both hosts (Outlook task pane, Chrome side panel)
// and the dev host page mount. Plain DOM, no framework.
//
//   import { mountSidebar } from './ui/sidebar.js';
//   const sb = mountSidebar(element, { api, core });   // api: ApiClient, core: loadSidebarCore()
//   sb.setItem(coreEmailItem);                          // the open email, as a core item
//
// Every rule decision comes from the WASM core (classify, suggest, plan_save, item_key); the
// server's answers (records, settings, save results) are shown as they are. Network calls are
// async with timeouts (api.js); the UI shows a loading state and never blocks the host.
import { evalResult } from '../core.js';

const STATUS_TEXT = {
  contact: 'Contact', lead: 'Lead', unresolved: 'Not in Salesforce', internal: 'Internal',
  blocklisted: 'Do not sync', self: 'You', invalid: 'Invalid address', smart: 'Smart address',
};
const ROLE_TEXT = { from: 'From', to: 'To', cc: 'Cc', bcc: 'Bcc', organizer: 'Organizer', attendee: 'Attendee' };

let uid = 0;
const nextId = (p) => `crm-${p}-${++uid}`;

/** h('tag.class', {attrs, on: {event: fn}}, ...children): a DOM element (text is never parsed as HTML). */
function h(tag, attrs = {}, ...children) {
  if (attrs instanceof Node || Array.isArray(attrs) || typeof attrs === 'string') { children.unshift(attrs); attrs = {}; }
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const fmtBytes = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(n % 1048576 ? 1 : 0)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} bytes`);

/** The addresses of an email item (from, to, cc, bcc), de-duplicated, in header order. */
export function itemAddresses(item) {
  const seen = new Set();
  const out = [];
  for (const p of [item.from, ...(item.to ?? []), ...(item.cc ?? []), ...(item.bcc ?? [])]) {
    const a = p && typeof p.address === 'string' ? p.address.trim() : '';
    if (a && !seen.has(a.toLowerCase())) { seen.add(a.toLowerCase()); out.push(a); }
  }
  return out;
}

export function mountSidebar(root, { api, core, now = () => new Date().toISOString() }) {
  let item = null;
  let gen = 0; // bumps on every load: late answers for an older item are dropped
  const s = {}; // the current view state, rebuilt by load()

  root.classList.add('crm-sidebar');
  const live = h('p.crm-live', { role: 'status', 'aria-live': 'polite' });
  const alert = h('div.crm-alert', { role: 'alert' });
  const body = h('div.crm-body');
  root.replaceChildren(live, alert, body);

  const say = (text) => { live.textContent = text; };
  const fail = (text) => { alert.replaceChildren(text ? h('p', { text }) : ''); };

  function request(op, extra = {}) {
    return { op, settings: s.settings, records: s.records, item, context: { now: now() }, ...extra };
  }

  async function load({ keepNotice = false, focus } = {}) {
    const my = ++gen;
    if (!item) { body.replaceChildren(h('p.crm-empty', { text: 'Open an email to see its people in Salesforce.' })); return; }
    root.setAttribute('aria-busy', 'true');
    if (!keepNotice) { s.notice = null; fail(''); }
    body.replaceChildren(h('p.crm-loading', { text: 'Loading…' }));
    say('Loading…');
    try {
      const me = await api.me();
      if (my !== gen) return;
      s.me = me;
      s.settings = me.settings ?? {};
      s.instanceUrl = (me.salesforce && me.salesforce.instance_url) || '';
      const looked = await api.lookup(itemAddresses(item));
      if (my !== gen) return;
      s.records = looked.records ?? {};
      s.classified = evalResult(core, request('classify'));
      s.suggestions = evalResult(core, request('suggest')).suggestions ?? [];
      s.key = evalResult(core, request('item_key')).key;
      s.status = null;
      s.issues = null;
      const [st, iss] = await Promise.allSettled([api.status(s.key), api.issues(10)]);
      if (my !== gen) return;
      s.status = st.status === 'fulfilled' ? st.value : { error: st.reason };
      s.issues = iss.status === 'fulfilled' ? iss.value.issues ?? [] : { error: iss.reason };
      s.selection = defaultSelection();
      s.saveState = s.status && s.status.saved ? 'already' : 'idle';
      render();
      say(s.saveState === 'already' ? 'Loaded. This email is already saved in Salesforce.' : 'Loaded.');
      if (focus) focus();
    } catch (e) {
      if (my !== gen) return;
      body.replaceChildren(h('p.crm-error', { text: `Could not load: ${e.message}` }),
        h('button', { type: 'button', text: 'Retry', on: { click: () => load() } }));
      say('');
      fail(`Could not load: ${e.message}`);
    } finally {
      if (my === gen) root.removeAttribute('aria-busy');
    }
  }

  // ---- records -------------------------------------------------------------------------
  const recIndex = () => {
    const r = s.records ?? {};
    const m = new Map();
    for (const c of r.contacts ?? []) m.set(c.id, { kind: 'Contact', name: [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email, rec: c });
    for (const l of r.leads ?? []) m.set(l.id, { kind: 'Lead', name: [l.first_name, l.last_name].filter(Boolean).join(' ') || l.email, rec: l });
    for (const a of r.accounts ?? []) m.set(a.id, { kind: 'Account', name: a.name, rec: a });
    for (const o of r.opportunities ?? []) m.set(o.id, { kind: 'Opportunity', name: o.name || o.id, rec: o });
    return m;
  };
  const sfLink = (id, text) => (s.instanceUrl
    ? h('a.crm-link', { href: `${s.instanceUrl.replace(/\/+$/, '')}/${encodeURIComponent(id)}`, target: '_blank', rel: 'noopener noreferrer', text: text ?? id, 'aria-label': `Open ${text ?? id} in Salesforce` })
    : h('span', { text: text ?? id }));

  function renderRecords() {
    const idx = recIndex();
    const list = h('ul.crm-people', { 'aria-label': 'Participants' });
    for (const p of s.classified.participants ?? []) {
      const ids = [p.record_id, ...(p.also_matched ?? [])].filter(Boolean);
      const statusText = p.status === 'blocklisted' && p.blocked_by ? `Do not sync (${p.blocked_by})` : STATUS_TEXT[p.status] ?? p.status;
      list.append(h('li.crm-person', { 'data-address': p.address, 'data-status': p.status },
        h('div.crm-person-head',
          h('span.crm-role', { text: ROLE_TEXT[p.role] ?? p.role }),
          h('span.crm-name', { text: p.name || p.address })),
        p.name ? h('div.crm-address', { text: p.address }) : null,
        h('div.crm-person-foot',
          h(`span.crm-badge.crm-badge-${p.status}`, { text: statusText, 'data-testid': 'status' }),
          ids.map((id) => { const r = idx.get(id); return sfLink(id, r ? `${r.kind}: ${r.name}` : id); }))));
    }
    return section('Records', list);
  }

  // ---- save ----------------------------------------------------------------------------
  function whoCandidates() {
    const idx = recIndex();
    const out = [];
    const seen = new Set();
    for (const p of s.classified.participants ?? []) {
      for (const id of [p.record_id, ...(p.also_matched ?? [])].filter(Boolean)) {
        const r = idx.get(id);
        if (seen.has(id) || !r || (r.kind !== 'Contact' && r.kind !== 'Lead')) continue;
        seen.add(id);
        out.push({ id, label: `${r.name} (${r.kind}, ${p.address})`, kind: r.kind });
      }
    }
    return out;
  }
  function whatCandidates() {
    const r = s.records ?? {};
    return [
      ...(r.accounts ?? []).map((a) => ({ id: a.id, label: `${a.name} (Account)` })),
      ...(r.opportunities ?? []).map((o) => ({ id: o.id, label: `${o.name || o.id} (Opportunity${o.closed ? ', closed' : ''})` })),
    ];
  }
  function defaultSelection() {
    const who = whoCandidates();
    const contacts = who.filter((w) => w.kind === 'Contact').map((w) => w.id);
    return {
      who: new Set(contacts.length ? contacts : who.slice(0, 1).map((w) => w.id)),
      what: '',
      thread: false,
      attachments: new Set(),
    };
  }
  const threadAllowed = () => Boolean(s.settings?.email?.thread_autosave ?? true) && Boolean(item.conversation_id);
  const maxBytes = () => s.settings?.email?.max_attachment_bytes ?? 5242880;
  const selectionObject = () => ({
    who: whoCandidates().map((w) => w.id).filter((id) => s.selection.who.has(id)),
    what: s.selection.what,
    thread: threadAllowed() && s.selection.thread,
    attachments: (item.attachments ?? []).map((a) => a.id).filter((id) => s.selection.attachments.has(id)),
  });

  let saveUi = null;
  function renderSave() {
    const form = h('form.crm-save', { 'aria-label': 'Save this email to Salesforce', novalidate: true, on: { submit: (e) => { e.preventDefault(); doSave(); } } });
    const who = whoCandidates();
    const whoSet = h('fieldset', {}, h('legend', { text: 'Link to people' }));
    if (!who.length) whoSet.append(h('p.crm-hint', { text: 'No participant is a Contact or Lead yet.' }));
    for (const w of who) {
      const id = nextId('who');
      whoSet.append(h('div.crm-check',
        h('input', { type: 'checkbox', id, value: w.id, checked: s.selection.who.has(w.id), name: 'who',
          on: { change: (e) => { if (e.target.checked) s.selection.who.add(w.id); else s.selection.who.delete(w.id); validate(); } } }),
        h('label', { for: id, text: w.label })));
    }
    const whatSet = h('fieldset', {}, h('legend', { text: 'Related to' }));
    for (const w of [{ id: '', label: 'Nothing' }, ...whatCandidates()]) {
      const id = nextId('what');
      whatSet.append(h('div.crm-check',
        h('input', { type: 'radio', id, name: `what-${gen}`, value: w.id, checked: s.selection.what === w.id,
          on: { change: () => { s.selection.what = w.id; validate(); } } }),
        h('label', { for: id, text: w.label })));
    }
    form.append(whoSet, whatSet);
    if (threadAllowed()) {
      const id = nextId('thread');
      form.append(h('div.crm-check',
        h('input', { type: 'checkbox', id, name: 'thread', checked: s.selection.thread,
          on: { change: (e) => { s.selection.thread = e.target.checked; validate(); } } }),
        h('label', { for: id, text: 'Auto-save this thread (later replies are saved the same way)' })));
    }
    const atts = item.attachments ?? [];
    if (atts.length) {
      const attSet = h('fieldset', {}, h('legend', { text: `Attachments (up to ${fmtBytes(maxBytes())} each)` }));
      for (const a of atts) {
        const id = nextId('att');
        const over = a.size > maxBytes();
        attSet.append(h('div.crm-check',
          h('input', { type: 'checkbox', id, name: 'attachment', value: a.id, checked: s.selection.attachments.has(a.id),
            on: { change: (e) => { if (e.target.checked) s.selection.attachments.add(a.id); else s.selection.attachments.delete(a.id); validate(); } } }),
          h('label', { for: id, text: `${a.name} (${fmtBytes(a.size)})${over ? ', over the limit: it will not be saved' : ''}` })));
      }
      form.append(attSet);
    }
    const problem = h('p.crm-problem', { id: nextId('problem'), role: 'alert' });
    const plan = h('p.crm-plan', { id: nextId('plan') });
    const button = h('button.crm-primary', { type: 'submit', text: 'Save', 'aria-describedby': `${problem.id} ${plan.id}` });
    const state = h('p.crm-save-state', { role: 'status', 'aria-live': 'polite' });
    form.append(problem, plan, h('div.crm-actions', button), state);
    saveUi = { button, problem, plan, state };
    validate();
    renderSaveState();
    return section('Save', form);
  }

  /** Live validation: the core's plan_save on the current selection. */
  function validate() {
    if (!saveUi) return;
    const r = core.eval(request('plan_save', { selection: selectionObject() }));
    s.plan = r;
    saveUi.problem.textContent = '';
    saveUi.plan.textContent = '';
    if (!r.ok) {
      saveUi.problem.textContent = r.error.message;
      saveUi.problem.dataset.code = r.error.code;
    } else {
      delete saveUi.problem.dataset.code;
      const d = r.result;
      if (d.action === 'save') {
        const kinds = [...new Set((d.writes ?? []).map((w) => w.sobject))].join(', ');
        const skipped = (d.skipped_attachments ?? []).map((a) => a.name);
        saveUi.plan.textContent = `Saves ${d.writes?.length ?? 0} ${kinds || 'record'} record(s) linked to ${d.links?.who?.length ?? 0} people${d.links?.what ? ' and 1 related record' : ''}.` +
          (skipped.length ? ` Not saved (over the size limit): ${skipped.join(', ')}.` : '');
      } else {
        saveUi.problem.textContent = `Cannot save: ${d.reason}`;
      }
    }
    renderSaveState();
  }

  function renderSaveState() {
    if (!saveUi) return;
    const valid = s.plan && s.plan.ok && s.plan.result.action === 'save';
    const st = s.saveState;
    saveUi.button.disabled = !valid || st === 'saving' || st === 'already';
    saveUi.button.textContent = st === 'saving' ? 'Saving…' : 'Save';
    root.querySelector('.crm-save')?.setAttribute('aria-busy', st === 'saving' ? 'true' : 'false');
    const ids = s.saveState === 'already' ? s.status?.record_ids ?? [] : s.savedIds ?? [];
    const text = {
      idle: '', saving: 'Saving…', saved: 'Saved to Salesforce.', already: 'Already saved in Salesforce.',
      error: `Not saved: ${s.saveError ?? 'error'}`,
    }[st] ?? '';
    saveUi.state.className = `crm-save-state crm-state-${st}`;
    saveUi.state.dataset.state = st;
    saveUi.state.replaceChildren(text, ...(ids.length && (st === 'saved' || st === 'already') ? [' ', ...ids.map((id) => sfLink(id))] : []));
  }

  async function doSave() {
    validate();
    if (!(s.plan && s.plan.ok && s.plan.result.action === 'save') || s.saveState === 'saving') return;
    const my = gen;
    s.saveState = 'saving';
    renderSaveState();
    try {
      const r = await api.save(item, selectionObject());
      if (my !== gen) return;
      s.savedIds = r.record_ids ?? [];
      s.saveState = r.status === 'already_saved' ? 'already' : 'saved';
      if (r.status === 'already_saved') s.status = { saved: true, record_ids: r.record_ids ?? [] };
      renderSaveState();
      say(s.saveState === 'saved' ? 'Saved to Salesforce.' : 'Already saved in Salesforce.');
      if (s.saveState === 'saved') {
        const st = await api.status(s.key);
        if (my !== gen) return;
        s.status = st;
        if (st.saved) { s.saveState = 'already'; renderSaveState(); }
      }
    } catch (e) {
      if (my !== gen) return;
      s.saveState = 'error';
      s.saveError = e.message;
      renderSaveState();
    }
  }

  // ---- new records ---------------------------------------------------------------------
  function renderSuggestions() {
    const list = h('ul.crm-suggestions', { 'aria-label': 'Suggested new records' });
    if (!s.suggestions.length) return section('New records', h('p.crm-hint', { text: 'No suggestions: every participant is known, internal or not synced.' }), list);
    const idx = recIndex();
    for (const sg of s.suggestions) {
      const f = { first_name: sg.first_name ?? '', last_name: sg.last_name ?? '', company: sg.company ?? '' };
      const field = (key, label) => {
        const id = nextId(key);
        return h('div.crm-field', h('label', { for: id, text: label }),
          h('input', { id, name: key, value: f[key], autocomplete: 'off', on: { input: (e) => { f[key] = e.target.value; } } }));
      };
      const kindText = sg.kind === 'lead' ? 'New Lead'
        : sg.account_id ? `New Contact at ${idx.get(sg.account_id)?.name ?? sg.account_id}`
          : sg.new_account ? `New Contact and Account ${sg.new_account.name}` : 'New Contact';
      const out = h('p.crm-result', { role: 'status' });
      const create = h('button.crm-primary', { type: 'submit', text: `Create ${sg.kind === 'lead' ? 'Lead' : 'Contact'}` });
      const form = h('form.crm-suggestion-form', { 'aria-label': `Create a record for ${sg.address}`, on: { submit: async (e) => {
        e.preventDefault();
        create.disabled = true;
        out.textContent = 'Creating…';
        try {
          const rec = { kind: sg.kind, first_name: f.first_name, last_name: f.last_name, email: sg.address };
          if (sg.kind === 'lead') rec.company = f.company;
          if (sg.account_id) rec.account_id = sg.account_id;
          if (sg.new_account) rec.new_account = sg.new_account;
          const r = await api.createRecord(rec);
          s.notice = { text: `Created ${sg.kind === 'lead' ? 'Lead' : 'Contact'} for ${sg.address}.`, ids: [r.id, r.account_id].filter(Boolean) };
          await load({ keepNotice: true, focus: () => root.querySelector('.crm-notice')?.focus() });
        } catch (err) {
          out.textContent = `Not created: ${err.message}`;
          create.disabled = false;
        }
      } } },
      field('first_name', 'First name'), field('last_name', 'Last name'),
      sg.kind === 'lead' ? field('company', 'Company') : null,
      h('div.crm-actions', create,
        (sg.do_not_sync ?? []).map((scope) => h('button', { type: 'button', 'data-scope': scope,
          text: scope === 'domain' ? `Do not sync ${sg.address.split('@').pop()}` : 'Do not sync this address',
          'aria-label': scope === 'domain' ? `Do not sync anyone at ${sg.address.split('@').pop()}` : `Do not sync ${sg.address}`,
          on: { click: () => doNotSync(sg.address, scope, out) } }))),
      out);
      list.append(h('li.crm-suggestion', { 'data-address': sg.address },
        h('div.crm-person-head', h('span.crm-name', { text: sg.name || sg.address }), h('span.crm-kind', { text: kindText })),
        h('div.crm-address', { text: sg.address }), form));
    }
    return section('New records', list);
  }

  async function doNotSync(address, scope, out) {
    out.textContent = 'Adding to Do not sync…';
    try {
      const r = await api.doNotSync(address, scope);
      s.notice = r.status === 'already_blocked'
        ? { text: `${address} is already in your Do not sync list (${r.entry}).` }
        : { text: `Added ${r.entry} to your Do not sync list.`, undo: r.entry };
      await load({ keepNotice: true, focus: () => (root.querySelector('.crm-undo') ?? root.querySelector('.crm-notice'))?.focus() });
    } catch (e) {
      out.textContent = `Not added: ${e.message}`;
    }
  }

  async function undo(entry) {
    try {
      await api.undoDoNotSync(entry);
      s.notice = { text: `Removed ${entry} from your Do not sync list.` };
      await load({ keepNotice: true, focus: () => root.querySelector('.crm-notice')?.focus() });
    } catch (e) {
      fail(`Undo failed: ${e.message}`);
    }
  }

  // ---- issues --------------------------------------------------------------------------
  function renderIssues() {
    if (!Array.isArray(s.issues)) return section('Sync issues', h('p.crm-error', { text: `Could not load the issues: ${s.issues?.error?.message ?? 'unknown error'}` }));
    if (!s.issues.length) return section('Sync issues', h('p.crm-hint', { text: 'No recent sync issues.' }));
    return section('Sync issues', h('ul.crm-issues', { 'aria-label': 'Recent sync issues' },
      s.issues.map((i) => h('li',
        h('span.crm-issue-code', { text: i.code || i.kind || 'issue' }), ' ',
        h('span', { text: i.message ?? '' }), ' ',
        h('time', { text: i.at ?? '', datetime: i.at ?? undefined }),
        i.retried ? h('span.crm-hint', { text: ' (retried)' }) : null))));
  }

  function section(title, ...content) {
    const id = nextId('h');
    return h('section.crm-section', { 'aria-labelledby': id }, h('h2', { id, text: title }), ...content);
  }

  function render() {
    const head = h('header.crm-head',
      h('h1', { text: item.subject || '(no subject)' }),
      h('p.crm-from', { text: `${item.from?.name ? `${item.from.name} ` : ''}<${item.from?.address ?? ''}>` }));
    const notice = s.notice
      ? h('div.crm-notice', { tabindex: '-1' }, h('span', { text: s.notice.text }),
        ...(s.notice.ids ?? []).map((id) => [' ', sfLink(id)]),
        s.notice.undo ? h('button.crm-undo', { type: 'button', text: 'Undo', 'aria-label': `Undo: sync ${s.notice.undo} again`, on: { click: () => undo(s.notice.undo) } }) : null)
      : null;
    body.replaceChildren(head, notice ?? '', renderRecords(), renderSave(), renderSuggestions(), renderIssues());
  }

  return {
    /** Shows the sidebar for a core email item (null: nothing open). Resolves when loaded. */
    setItem(next) { item = next; saveUi = null; return load(); },
    refresh() { return load({ keepNotice: true }); },
    get state() { return s; },
  };
}
