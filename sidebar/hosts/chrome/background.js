// sidebar/hosts/chrome/background.js: the service worker. The toolbar button opens the side
// panel; the Gmail tab's content script reports the open message, kept in session storage
// (per tab, and the latest one) for the side panel to show.
chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true }).catch(() => {});

chrome.runtime.onMessage.addListener((msg, sender) => {
  if (!msg || msg.type !== 'crm-item' || !sender.tab) return;
  chrome.storage.session.set({ [`item:${sender.tab.id}`]: msg.item, lastItem: { tabId: sender.tab.id, item: msg.item } });
});

chrome.tabs.onRemoved.addListener((tabId) => { chrome.storage.session.remove(`item:${tabId}`); });
