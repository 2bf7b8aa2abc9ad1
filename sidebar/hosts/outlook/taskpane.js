// sidebar/hosts/outlook/taskpane.js: the Outlook add-in's task pane. It is served by
// `crmsync api` (/sidebar/hosts/outlook/taskpane.html), so the API is same-origin and the core
// comes from /wasm/. The user's API token is kept in localStorage (asked once). A pinned task
// pane follows the selected message (ItemChanged).
import { ApiClient } from '../../api.js';
import { loadSidebarCore } from '../../core.js';
import { mountSidebar } from '../../ui/sidebar.js';
import { officeItemToCoreItem } from './adapter.js';

const form = document.getElementById('conn-form');
const token = localStorage.getItem('crmsync-token') ?? '';
form.token.value = token;
if (!token) document.getElementById('connection').open = true;
const api = new ApiClient({ base: '', token });

async function start(Office) {
  const sidebar = mountSidebar(document.getElementById('sidebar'), { api, core: await loadSidebarCore('/wasm/') });
  const show = async () => sidebar.setItem(await officeItemToCoreItem(Office));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api.token = form.token.value.trim();
    localStorage.setItem('crmsync-token', api.token);
    show();
  });
  const mailbox = Office.context.mailbox;
  if (mailbox && typeof mailbox.addHandlerAsync === 'function') mailbox.addHandlerAsync(Office.EventType.ItemChanged, () => { show(); });
  await show();
}

if (globalThis.Office && typeof Office.onReady === 'function') Office.onReady(() => start(globalThis.Office));
