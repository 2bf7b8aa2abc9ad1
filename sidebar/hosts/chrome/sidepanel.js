// sidebar/hosts/chrome/sidepanel.js: the extension's side panel. Runs as an extension page
// (CSP script-src 'self' 'wasm-unsafe-eval'), so the core loads from the package's wasm/.
// Paths are those of the packaged extension (mk/sidebar.mk copies the shared sidebar/ files
// next to this one: sidebar/api.js, sidebar/core.js, sidebar/ui/, wasm/).
import { ApiClient } from './sidebar/api.js';
import { loadSidebarCore } from './sidebar/core.js';
import { mountSidebar } from './sidebar/ui/sidebar.js';

const form = document.getElementById('conn-form');
const { apiBase = '', token = '' } = await chrome.storage.local.get(['apiBase', 'token']);
form.base.value = apiBase;
form.token.value = token;
if (!apiBase || !token) document.getElementById('connection').open = true;

const api = new ApiClient({ base: apiBase, token });
const sidebar = mountSidebar(document.getElementById('sidebar'), { api, core: await loadSidebarCore('./wasm/') });

let shown = '';
async function showCurrent() {
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true }).catch(() => []);
  const all = await chrome.storage.session.get(null);
  const item = (tab && all[`item:${tab.id}`]) ?? all.lastItem?.item ?? null;
  const json = JSON.stringify([item, api.base, api.token]);
  if (json === shown) return;
  shown = json;
  await sidebar.setItem(item);
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  api.base = form.base.value.trim().replace(/\/+$/, '');
  api.token = form.token.value.trim();
  await chrome.storage.local.set({ apiBase: api.base, token: api.token });
  shown = '';
  showCurrent();
});
chrome.storage.session.onChanged.addListener(() => { showCurrent(); });
chrome.tabs.onActivated.addListener(() => { showCurrent(); });
globalThis.crmPanel = { sidebar, api };
showCurrent();
