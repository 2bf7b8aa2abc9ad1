// sidebar/dev/dev.js: the dev host. Lists the sample mailbox (GET /api/v1/dev/items, served
// by `crmsync api` with api.dev_host on) and mounts the sidebar for the selected email, the
// same UI the Outlook and Chrome hosts mount. Same origin as the API; the core from /wasm/.
// The token comes from ?token= (then kept in sessionStorage) or the form at the top.
import { ApiClient } from '../api.js';
import { loadSidebarCore } from '../core.js';
import { mountSidebar } from '../ui/sidebar.js';

const params = new URLSearchParams(location.search);
const wasmBase = params.get('wasm') ?? '/wasm/';
let token = params.get('token') ?? sessionStorage.getItem('crmsync-token') ?? '';
if (params.get('token')) sessionStorage.setItem('crmsync-token', token);

const listEl = document.getElementById('items');
const listStatus = document.getElementById('list-status');
const tokenForm = document.getElementById('token-form');
tokenForm.token.value = token;

const api = new ApiClient({ base: '', token });
const corePromise = loadSidebarCore(wasmBase);
let sidebar = null;

async function sidebarFor() {
  if (!sidebar) sidebar = mountSidebar(document.getElementById('sidebar'), { api, core: await corePromise });
  return sidebar;
}

async function loadList() {
  listStatus.textContent = 'Loading the mailbox…';
  listEl.replaceChildren();
  try {
    const { items } = await api.devItems();
    listStatus.textContent = `${items.length} email(s)`;
    for (const { id, item } of items) {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.id = id;
      const subj = document.createElement('span');
      subj.className = 'dev-subject';
      subj.textContent = item.subject || '(no subject)';
      const meta = document.createElement('span');
      meta.className = 'dev-meta';
      meta.textContent = `${item.from?.name || item.from?.address || ''} · ${item.date ?? ''}`;
      b.append(subj, meta);
      b.addEventListener('click', async () => {
        for (const o of listEl.querySelectorAll('button')) o.setAttribute('aria-current', String(o === b));
        (await sidebarFor()).setItem(item);
      });
      const li = document.createElement('li');
      li.append(b);
      listEl.append(li);
    }
  } catch (e) {
    listStatus.textContent = `Could not load the mailbox: ${e.message}`;
  }
}

tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  token = tokenForm.token.value.trim();
  api.token = token;
  sessionStorage.setItem('crmsync-token', token);
  loadList();
});

window.crmDev = { api, ready: corePromise.then(() => true) };
loadList();
