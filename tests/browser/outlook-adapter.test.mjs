// tests/browser/outlook-adapter.test.mjs: sidebar/hosts/outlook/adapter.js turns a fake
// Office.context.mailbox.item (the documented read-mode and compose-mode shapes, callbacks
// included) into the core email item, and the WASM core accepts that item (classify, item_key).
// Runs in Node: the adapter takes the Office object injected, no browser API is needed.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, BUILD, checker } from './lib.mjs';
import { officeItemToCoreItem, parseHeaders } from '../../sidebar/hosts/outlook/adapter.js';

const { check, summary } = checker('outlook-adapter');
const ok = (value) => (cb) => setTimeout(() => cb({ status: 'succeeded', value }), 1);
const asyncOf = (value) => ({ getAsync: (...a) => ok(value)(a[a.length - 1]) });

function fakeOffice(item, me = 'alice@acme.com') {
  return {
    CoercionType: { Text: 'text', Html: 'html' },
    MailboxEnums: { ItemType: { Message: 'message', Appointment: 'appointment' } },
    EventType: { ItemChanged: 'olkItemSelectedChanged' },
    context: { mailbox: { userProfile: { emailAddress: me, displayName: 'Alice' }, item } },
  };
}

const readItem = {
  itemType: 'message',
  itemId: 'AAMkAGI2TG93AAA=',
  internetMessageId: '<CAF=renewal@cust.com>',
  conversationId: 'AAQkAGI2conv=',
  itemClass: 'IPM.Note',
  subject: 'Renewal next steps',
  dateTimeCreated: new Date('2026-11-20T10:00:00.000Z'),
  from: { displayName: 'Bob Stone', emailAddress: 'bob@cust.com', recipientType: 'externalUser' },
  sender: { displayName: 'Bob Stone', emailAddress: 'bob@cust.com' },
  to: [{ displayName: 'Alice', emailAddress: 'alice@acme.com', recipientType: 'user' }],
  cc: [{ displayName: 'Lena Park', emailAddress: 'lena@prospect.com' }, { displayName: 'Ann Smith', emailAddress: 'ann@newco.io' }],
  attachments: [
    { id: 'att-1', name: 'quote.pdf', size: 120000, attachmentType: 'file', isInline: false, contentType: 'application/pdf' },
    { id: 'att-2', name: 'logo.png', size: 2000, attachmentType: 'file', isInline: true, contentType: 'image/png' },
  ],
  body: { getAsync: (type, cb) => ok(type === 'text' ? 'Hi Alice,\nthe quote is attached.' : '<p>html</p>')(cb) },
  categories: asyncOf([{ displayName: 'Salesforce', color: 'Preset0' }]),
  getAllInternetHeadersAsync: (cb) => ok('Message-ID: <CAF=renewal@cust.com>\r\nIn-Reply-To: <prev@acme.com>\r\nReferences: <a@x>\r\n <prev@acme.com>\r\nAuto-Submitted: no\r\nContent-Type: multipart/mixed;\r\n boundary="b1"\r\n')(cb),
};

const item = await officeItemToCoreItem(fakeOffice(readItem));
check(item.type === 'email' && item.id === 'AAMkAGI2TG93AAA=' && item.message_id === '<CAF=renewal@cust.com>' && item.conversation_id === 'AAQkAGI2conv=',
  'read mode: ids come from itemId, internetMessageId, conversationId', JSON.stringify(item));
check(JSON.stringify(item.from) === JSON.stringify({ name: 'Bob Stone', address: 'bob@cust.com' }), 'from is {name, address} from EmailAddressDetails');
check(item.to.length === 1 && item.to[0].address === 'alice@acme.com' && item.cc.map((p) => p.address).join() === 'lena@prospect.com,ann@newco.io' && item.bcc.length === 0,
  'to/cc keep their order, bcc is empty in read mode');
check(item.subject === 'Renewal next steps' && item.body_text === 'Hi Alice,\nthe quote is attached.', 'subject, and the text body through body.getAsync("text")');
check(item.date === '2026-11-20T10:00:00Z', 'dateTimeCreated becomes RFC 3339 UTC', item.date);
check(item.folder === 'inbox', 'a message from someone else is in the inbox');
check(item.in_reply_to === '<prev@acme.com>' && item.references.join(' ') === '<a@x> <prev@acme.com>' && item.auto_submitted === 'no' && item.content_type.startsWith('multipart/mixed; boundary'),
  'threading and auto-reply headers from getAllInternetHeadersAsync (folded lines unfolded)', JSON.stringify([item.in_reply_to, item.references, item.content_type]));
check(item.categories.join() === 'Salesforce', 'categories through categories.getAsync');
check(item.attachments.length === 1 && item.attachments[0].id === 'att-1' && item.attachments[0].size === 120000 && item.attachments[0].name === 'quote.pdf',
  'attachments: inline images left out, id/name/size kept');
check(parseHeaders('A: 1\r\nB: 2\r\n 3\r\nA: x').b === '2 3' && parseHeaders('A: 1\r\nA: x').a === '1', 'parseHeaders unfolds and keeps the first of a repeated header');

// The item is one the core accepts, and the core sees what the user sees.
const { loadCore } = await import(pathToFileURL(join(BUILD, 'wasm', 'crmcore.mjs')).href);
const core = await loadCore();
const settings = { org_id: 'ORG', user: { id: '005U', mailbox: 'alice@acme.com' }, internal_domains: ['acme.com'] };
const records = { contacts: [{ id: '003A', email: 'bob@cust.com', account_id: '001A' }], leads: [{ id: '00QA', email: 'lena@prospect.com' }], accounts: [{ id: '001A', name: 'Cust', website: 'https://cust.com' }] };
const cl = core.eval({ op: 'classify', settings, records, item, context: { now: '2026-11-21T00:00:00Z' } });
check(cl.ok && cl.result.participants.map((p) => `${p.address}:${p.status}`).join(' ') === 'bob@cust.com:contact alice@acme.com:self lena@prospect.com:lead ann@newco.io:unresolved',
  'the core classifies the adapted item (contact, self, lead, unresolved)', JSON.stringify(cl));
const key = core.eval({ op: 'item_key', settings, item });
const sameKey = core.eval({ op: 'item_key', settings, item: { type: 'email', message_id: 'CAF=renewal@cust.com', from: { address: 'x@y.com' }, date: '2026-01-01T00:00:00Z' } });
check(key.ok && sameKey.ok && key.result.key === sameKey.result.key, 'item_key comes from the Internet Message-ID (the engine computes the same key from the mailbox copy)');

// Sent by the user, compose-mode style getters, and an appointment.
const sent = await officeItemToCoreItem(fakeOffice({ ...readItem, from: { displayName: 'Alice', emailAddress: 'Alice@Acme.com' }, attachments: [] }));
check(sent.folder === 'sent', 'a message from the user is in sent');
const compose = await officeItemToCoreItem(fakeOffice({
  itemType: 'message', subject: asyncOf('Draft reply'), to: asyncOf([{ displayName: 'Bob', emailAddress: 'bob@cust.com' }]),
  cc: asyncOf([]), bcc: asyncOf([{ displayName: '', emailAddress: 'audit@acme.com' }]), from: asyncOf({ displayName: 'Alice', emailAddress: 'alice@acme.com' }),
  body: { getAsync: (t, cb) => ok('draft body')(cb) },
}));
check(compose.subject === 'Draft reply' && compose.to[0].address === 'bob@cust.com' && compose.bcc[0].address === 'audit@acme.com' && compose.from.address === 'alice@acme.com' && compose.folder === 'sent' && compose.message_id === '',
  'compose mode: subject/to/cc/bcc/from through getAsync', JSON.stringify(compose));
check(core.eval({ op: 'classify', settings, records, item: compose }).ok, 'the core accepts the compose-mode item');
check(await officeItemToCoreItem(fakeOffice({ itemType: 'appointment', subject: 'Meeting' })) === null, 'an appointment is not an email item (null)');
check(await officeItemToCoreItem(fakeOffice(null)) === null, 'no selected item gives null');
const failing = await officeItemToCoreItem(fakeOffice({ ...readItem, body: { getAsync: (t, cb) => cb({ status: 'failed', error: { message: 'no access' } }) }, getAllInternetHeadersAsync: undefined }));
check(failing.body_text === '' && failing.in_reply_to === '' && failing.from.address === 'bob@cust.com', 'a failing getAsync gives empty fields, not an exception');
core.close();
process.exit(summary() === 0 ? 0 : 1);
