// tests/browser/sidebar.test.mjs: the dev host page (sidebar/dev/) in headless Chromium against
// a backend (tests/browser/backend.mjs: SIDEBAR_BACKEND=mock, the default until `crmsync api`
// lands, or real: sandbox org + crmsync api). Open an email, see the statuses and records;
// a Lead plus a Contact disables Save with the core's E_LEAD_EXCLUSIVE message; keyboard-only
// Save -> the Task exists in the backend and the UI says already saved (also after a reload);
// Do not sync on a suggestion -> /me lists it in the user blocklist, Undo removes it; Create
// posts the edited suggestion and the participant becomes a Lead; every
// control is labelled; no horizontal scrolling in a 320 px wide viewport (200% zoom of 640).
// UPDATE_SCREENSHOT=1 (or a missing file) writes docs/img/sidebar.png.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, BUILD, WAIT_MS, checker, keepScreenshot, launchChromium } from './lib.mjs';
import { startBackend } from './backend.mjs';

const { check, summary } = checker('sidebar');
const backend = await startBackend();
console.log(`backend: ${backend.kind} (${backend.url})`);
const browser = await launchChromium([], { viewport: { width: 1100, height: 900 } });
const page = await browser.context.newPage();
const consoleLines = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
const api = async (method, path, body) => {
  const r = await fetch(`${backend.url}api/v1${path}`, { method, headers: { Authorization: `Bearer ${backend.token}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return r.json();
};
const local = (a) => a.split('@')[0];
const statuses = () => page.$$eval('.crm-person', (els) => els.map((e) => `${e.dataset.address.split('@')[0]}:${e.dataset.status}`).join(' '));
const SUBJECT = 'Renewal next steps';

async function openEmail() {
  await page.goto(`${backend.url}sidebar/dev/?token=${encodeURIComponent(backend.token)}`);
  await page.locator('#items button', { hasText: SUBJECT }).first().click();
  await page.locator('#sidebar .crm-save').waitFor();
}

let nFailed = 1;
try {
  const { loadCore } = await import(pathToFileURL(join(BUILD, 'wasm', 'crmcore.mjs')).href);
  const core = await loadCore();
  const me = await api('GET', '/me');
  const { items } = await api('GET', '/dev/items');
  const item = items.find((i) => i.item.subject === SUBJECT).item;
  const key = core.eval({ op: 'item_key', settings: me.settings, item }).result.key;

  await openEmail();
  check(await page.locator('#sidebar h1').innerText() === SUBJECT, 'picking an email in the list shows it in the sidebar');
  check(await statuses() === 'bob:contact alice:self lena:lead jo.new:unresolved ann:unresolved',
    'each participant has its status (classify on the looked-up records)', await statuses());
  const bobLink = page.locator('.crm-person[data-status="contact"] a.crm-link').first();
  const contactId = (await api('POST', '/lookup', { addresses: [item.from.address] })).records.contacts[0].id;
  check(await bobLink.getAttribute('href') === `${me.salesforce.instance_url.replace(/\/$/, '')}/${contactId}` && /Contact: Bob Stone/.test(await bobLink.innerText()),
    'the matched Contact links to instance_url/id', await bobLink.getAttribute('href'));
  check(await page.locator('.crm-person[data-status="lead"] a.crm-link').count() === 1, 'the matched Lead has a link too');
  const sugg = await page.$$eval('.crm-suggestion', (els) => els.map((e) => e.dataset.address.split('@')[0]).join(' '));
  check(sugg === 'jo.new ann', 'the unresolved participants are suggested (core suggest)', sugg);
  check(await page.locator('.crm-suggestion[data-address^="ann@"] input[name=last_name]').inputValue() === 'Smith', 'suggestions are editable, prefilled from the core');

  // Lead + Contact on a Task: the core refuses, the UI says so and Save is disabled.
  const save = page.locator('.crm-save button[type=submit]');
  check(await save.isEnabled(), 'Save is enabled for the default selection (the Contact)');
  await page.locator('.crm-save input[name=who]').nth(1).check();
  const problem = page.locator('.crm-save .crm-problem');
  const expected = core.eval({ op: 'plan_save', settings: {}, records: { contacts: [{ id: '003A', email: 'a@x.com' }], leads: [{ id: '00QA', email: 'b@y.com' }] },
    item: { type: 'email', message_id: '<x@y>', from: { address: 'a@x.com' }, to: [{ address: 'b@y.com' }], date: '2026-11-20T10:00:00Z' }, selection: { who: ['003A', '00QA'], what: '' } }).error;
  check(await problem.getAttribute('data-code') === 'E_LEAD_EXCLUSIVE' && await problem.innerText() === expected.message && await save.isDisabled(),
    "a Lead plus a Contact shows the core's E_LEAD_EXCLUSIVE message and disables Save", await problem.innerText());
  await page.locator('.crm-save input[name=who]').nth(1).uncheck();
  check(await save.isEnabled() && await problem.innerText() === '', 'unchecking the Lead makes the selection valid again');
  const maxBytes = me.settings?.email?.max_attachment_bytes ?? 5242880;
  if ((item.attachments ?? []).length) {
    check(new RegExp(`up to ${maxBytes / 1048576} MB`).test(await page.locator('.crm-save fieldset legend', { hasText: 'Attachments' }).innerText()), 'the attachment size limit is shown');
  }
  check(await page.locator('.crm-save input[name=thread]').count() === ((me.settings?.email?.thread_autosave ?? true) && item.conversation_id ? 1 : 0),
    'auto-save this thread is offered exactly when thread_autosave is on and the item has a conversation id');

  const shot = join(ROOT, 'docs', 'img', 'sidebar.png');
  if (process.env.UPDATE_SCREENSHOT === '1' || !existsSync(shot)) {
    await page.locator('.dev-main').screenshot({ path: shot });
    console.log(`wrote ${shot} (${statSync(shot).size} bytes)`);
  }

  // Accessibility: every control has a label; sections are headed regions; live regions exist.
  const unlabelled = await page.$$eval('#sidebar input, #sidebar button', (els) => els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim()).map((e) => e.outerHTML));
  check(unlabelled.length === 0, 'every input and button in the sidebar has a label', unlabelled.join(' '));
  check(await page.locator('#sidebar section[aria-labelledby] h2').count() === 4 && await page.locator('#sidebar [aria-live]').count() >= 2,
    'the sidebar has four headed sections and live regions for status changes');

  // Keyboard only: Tab from the list to Save, Space on the thread checkbox, Enter on Save.
  await openEmail();
  await page.locator('#items button', { hasText: SUBJECT }).first().focus();
  await page.keyboard.press('Enter');
  await page.locator('#sidebar .crm-save').waitFor();
  const visited = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => { const a = document.activeElement; return { tag: a.tagName, type: a.type ?? '', name: a.name ?? '', text: a.textContent.trim(), save: a.matches('.crm-save button[type=submit]') }; });
    visited.push(f.name || f.text);
    if (f.name === 'thread') await page.keyboard.press('Space');
    if (f.save) break;
  }
  check(visited.includes('who') && visited.some((v) => v.startsWith('what-')) && await page.evaluate(() => document.activeElement.matches('.crm-save button[type=submit]')),
    'Tab reaches the who checkboxes, the what radios and Save in order', visited.join(','));
  await page.keyboard.press('Enter');
  const state = page.locator('.crm-save .crm-save-state');
  await page.waitForFunction(() => ['saved', 'already', 'error'].includes(document.querySelector('.crm-save .crm-save-state')?.dataset.state), null, { timeout: WAIT_MS });
  const afterSave = await state.getAttribute('data-state');
  check(afterSave === 'already' && /Already saved/.test(await state.innerText()), 'Enter on Save saves; the UI then says already saved (GET /status)', `${afterSave}: ${await state.innerText()}`);
  check(await backend.taskExists(key), `the Task exists in the ${backend.kind === 'real' ? 'sandbox org' : 'mock ledger'} under the core's key`, key);
  const status = await api('GET', `/status?key=${key}`);
  check(status.saved === true && status.record_ids.length >= 1, 'GET /status says saved with the record ids');
  await openEmail();
  check(await state.getAttribute('data-state') === 'already' && await save.isDisabled(), 'after a reload the email shows as already saved and Save is disabled');

  // Do not sync on a suggestion (the domain, where the core allows it), then Undo.
  const ann = page.locator('.crm-suggestion[data-address^="ann@"]');
  const annAddress = await ann.getAttribute('data-address');
  check(await ann.locator('button[data-scope=domain]').count() === 1, 'the suggestion offers Do not sync for its domain (core do_not_sync choices)');
  await ann.locator('button[data-scope=domain]').click();
  await page.locator('.crm-notice .crm-undo').waitFor();
  const entry = (await api('GET', '/me')).blocklist.user;
  const domain = annAddress.split('@')[1];
  check(entry.some((e) => e.replace(/^@/, '') === domain), '/me lists the domain in the user blocklist', JSON.stringify(entry));
  check(await page.locator(`.crm-person[data-address="${annAddress}"]`).getAttribute('data-status') === 'blocklisted' &&
    (await page.locator(`.crm-person[data-address="${annAddress}"] .crm-badge`).innerText()).includes(domain),
  'the participant now shows as Do not sync, with the entry that blocks it');
  check(await page.evaluate(() => document.activeElement.classList.contains('crm-undo')), 'focus moves to Undo');
  await page.keyboard.press('Enter');
  await page.locator('.crm-notice', { hasText: 'Removed' }).waitFor();
  check(!(await api('GET', '/me')).blocklist.user.some((e) => e.replace(/^@/, '') === domain), 'Undo removes it from the user blocklist');
  check(await page.locator(`.crm-person[data-address="${annAddress}"]`).getAttribute('data-status') === 'unresolved', 'the participant is unresolved again');

  // Create the suggested Lead with an edited Company: the participant then matches it.
  await ann.locator('input[name=company]').fill('Newco Edited');
  await ann.locator('button[type=submit]').click();
  await page.locator('.crm-notice', { hasText: 'Created Lead' }).waitFor();
  const created = (await api('POST', '/lookup', { addresses: [annAddress] })).records.leads ?? [];
  check(created.length === 1 && created[0].company === 'Newco Edited' && created[0].last_name === 'Smith', 'Create posts the edited suggestion (POST /records) and the Lead exists', JSON.stringify(created));
  check(await page.locator(`.crm-person[data-address="${annAddress}"]`).getAttribute('data-status') === 'lead', 'the participant now shows as a Lead');

  // Narrow viewport (a 640 px pane at 200% zoom): nothing scrolls sideways.
  await page.setViewportSize({ width: 320, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, 'no horizontal scrolling at 320 CSS px', `overflow ${overflow}px`);
  check(!consoleLines.some((l) => l.startsWith('pageerror')), 'no page errors', consoleLines.join('\n     '));
  core.close();
} catch (e) {
  check(false, 'the sidebar test ran to the end', e && e.stack ? e.stack : String(e));
} finally {
  nFailed = summary();
  if (nFailed) {
    await keepScreenshot(page, 'sidebar-dev-host');
    if (consoleLines.length) console.log(`console:\n  ${consoleLines.join('\n  ')}`);
    if (backend.logs) console.log(backend.logs());
  }
  await browser.close();
  await backend.close();
}
process.exit(nFailed === 0 ? 0 : 1);
