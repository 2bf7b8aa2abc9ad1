// sidebar/hosts/chrome/content.js: runs in the Gmail page (after gmail-adapter.js). It sends
// the open message, as a core item, to the service worker whenever it changes; the side panel
// shows the sidebar for it. Nothing here talks to the API or loads the core (the page's CSP
// applies to content scripts; the core runs in the side panel).
(() => {
  let last = '';
  function publish() {
    let item = null;
    try {
      item = globalThis.crmGmailAdapter.readOpenMessage(document);
    } catch (e) {
      item = null;
    }
    const json = JSON.stringify(item);
    if (json === last) return;
    last = json;
    chrome.runtime.sendMessage({ type: 'crm-item', item }).catch(() => {});
  }
  let timer = 0;
  const soon = () => { clearTimeout(timer); timer = setTimeout(publish, 300); };
  new MutationObserver(soon).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['email', 'title'] });
  addEventListener('hashchange', soon);
  chrome.runtime.onMessage.addListener((msg, _sender, reply) => {
    if (msg && msg.type === 'crm-get-item') reply({ item: globalThis.crmGmailAdapter.readOpenMessage(document) });
  });
  publish();
})();
