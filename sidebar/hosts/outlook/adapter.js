// sidebar/hosts/outlook/adapter.js: Office.context.mailbox.item -> a core email item
// (spec/core-api.md "item for emails"). Office.js is injected (the task pane passes the global
// `Office`; tests pass a fake of the documented shape), so this module never loads it.
//
// Read mode (Outlook on the web / desktop, Mailbox requirement set 1.8+): from, to, cc are
// EmailAddressDetails arrays, subject a string, body/categories/headers via *Async callbacks.
// Compose mode: to/cc/bcc/subject are objects with getAsync; both are handled.
const TIMEOUT_MS = 5000;

/** Calls an Office *Async method (callback style) as a promise with a timeout; resolves to
 * the value, or to `fallback` when the method is missing, fails or times out. */
export function officeAsync(target, method, args = [], fallback = undefined, timeoutMs = TIMEOUT_MS) {
  if (!target || typeof target[method] !== 'function') return Promise.resolve(fallback);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), timeoutMs);
    try {
      target[method](...args, (res) => {
        clearTimeout(timer);
        resolve(res && res.status === 'succeeded' ? res.value : fallback);
      });
    } catch {
      clearTimeout(timer);
      resolve(fallback);
    }
  });
}

const person = (d) => ({ name: (d && (d.displayName ?? d.name)) || '', address: (d && (d.emailAddress ?? d.address)) || '' });
async function people(v) {
  if (Array.isArray(v)) return v.map(person);
  const got = await officeAsync(v, 'getAsync', [], []);
  return (Array.isArray(got) ? got : []).map(person);
}
async function text(v) {
  if (typeof v === 'string') return v;
  const got = await officeAsync(v, 'getAsync', [], '');
  return typeof got === 'string' ? got : '';
}
const iso = (d) => {
  const t = d instanceof Date ? d : d ? new Date(d) : null;
  return t && !Number.isNaN(t.getTime()) ? t.toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
};

/** The headers this adapter reads from getAllInternetHeadersAsync's text (unfolded). */
export function parseHeaders(raw) {
  const out = {};
  if (typeof raw !== 'string') return out;
  for (const line of raw.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      if (!(k in out)) out[k] = line.slice(i + 1).trim();
    }
  }
  return out;
}

/** Resolves to the core email item for the open Outlook message, or null for anything else
 * (an appointment, nothing selected). `office` is the Office.js global. */
export async function officeItemToCoreItem(office) {
  const mailbox = office && office.context && office.context.mailbox;
  const it = mailbox && mailbox.item;
  if (!it || (it.itemType && it.itemType !== 'message' && it.itemType !== (office.MailboxEnums?.ItemType?.Message ?? 'message'))) return null;
  const textType = office.CoercionType?.Text ?? 'text';
  const [from, to, cc, bcc, subject, body, categories, headerText] = await Promise.all([
    it.from && typeof it.from.getAsync === 'function' ? officeAsync(it.from, 'getAsync', [], null).then((v) => (v ? person(v) : person(mailbox.userProfile && { displayName: mailbox.userProfile.displayName, emailAddress: mailbox.userProfile.emailAddress }))) : Promise.resolve(person(it.from ?? it.sender)),
    people(it.to ?? []), people(it.cc ?? []), people(it.bcc ?? []),
    text(it.subject ?? ''),
    officeAsync(it.body, 'getAsync', [textType], ''),
    officeAsync(it.categories, 'getAsync', [], []),
    officeAsync(it, 'getAllInternetHeadersAsync', [], ''),
  ]);
  const h = parseHeaders(headerText);
  const me = (mailbox.userProfile && mailbox.userProfile.emailAddress || '').toLowerCase();
  const compose = typeof (it.to && it.to.getAsync) === 'function';
  return {
    type: 'email',
    id: it.itemId ?? '',
    message_id: it.internetMessageId ?? h['message-id'] ?? '',
    conversation_id: it.conversationId ?? '',
    in_reply_to: h['in-reply-to'] ?? '',
    references: (h.references ?? '').split(/\s+/).filter(Boolean),
    from,
    to, cc, bcc,
    subject,
    body_text: typeof body === 'string' ? body : '',
    date: iso(it.dateTimeCreated) || iso(new Date()),
    folder: compose || (me && from.address.toLowerCase() === me) ? 'sent' : 'inbox',
    categories: (Array.isArray(categories) ? categories : []).map((c) => (typeof c === 'string' ? c : c.displayName)).filter(Boolean),
    is_draft: false,
    item_class: it.itemClass ?? 'IPM.Note',
    content_type: h['content-type'] ?? '',
    auto_submitted: h['auto-submitted'] ?? '',
    attachments: (it.attachments ?? []).filter((a) => !a.isInline).map((a) => ({ id: String(a.id), name: a.name ?? '', size: Number(a.size) || 0 })),
  };
}
