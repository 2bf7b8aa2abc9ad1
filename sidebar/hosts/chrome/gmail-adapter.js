// sidebar/hosts/chrome/gmail-adapter.js: reads the open Gmail message's participants from the
// page DOM into a core email item (spec/core-api.md). A classic script (content scripts are not
// modules): it defines globalThis.crmGmailAdapter. Gmail's DOM has no public contract; the
// selectors below are the long-lived ones (h2.hP subject, div.adn message, span.gD sender,
// span.g2 recipients, table.ajC details rows, span.g3 date, data-legacy-* ids) and live in one
// place so a Gmail change is a change here only.
(() => {
  const SEL = {
    subject: 'h2.hP',
    message: 'div.adn',
    sender: 'span.gD[email]',
    recipient: 'span.g2[email]',
    detailsRow: 'table.ajC tr',
    detailsLabel: 'td.gG',
    detailsPeople: 'td.gL [email]',
    date: 'span.g3[title]',
    body: 'div.a3s',
  };
  const person = (el) => ({ name: (el.getAttribute('name') || el.textContent || '').trim(), address: (el.getAttribute('email') || '').trim() });
  const isoDate = (s) => {
    const t = Date.parse(s || '');
    return Number.isNaN(t) ? null : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };

  /** The open message (the last expanded one of the conversation), or null when no message is open. */
  function readOpenMessage(doc = document) {
    const subjectEl = doc.querySelector(SEL.subject);
    const messages = [...doc.querySelectorAll(SEL.message)];
    const msg = messages[messages.length - 1];
    if (!subjectEl || !msg) return null;
    const senderEl = msg.querySelector(SEL.sender);
    if (!senderEl) return null;
    const to = [];
    const cc = [];
    const bcc = [];
    const rows = [...msg.querySelectorAll(SEL.detailsRow)];
    const byRole = { 'to:': to, 'cc:': cc, 'bcc:': bcc };
    let fromDetails = false;
    for (const row of rows) {
      const label = (row.querySelector(SEL.detailsLabel)?.textContent || '').trim().toLowerCase();
      const list = byRole[label];
      if (!list) continue;
      fromDetails = true;
      for (const el of row.querySelectorAll(SEL.detailsPeople)) list.push(person(el));
    }
    if (!fromDetails) for (const el of msg.querySelectorAll(SEL.recipient)) to.push(person(el));
    const dateEl = msg.querySelector(SEL.date);
    return {
      type: 'email',
      id: msg.getAttribute('data-legacy-message-id') || '',
      // Gmail's page does not show the RFC 5322 Message-ID: the core's key falls back to
      // From + date + subject (rules K1).
      message_id: '',
      conversation_id: subjectEl.getAttribute('data-legacy-thread-id') || subjectEl.getAttribute('data-thread-perm-id') || '',
      from: person(senderEl),
      to, cc, bcc,
      subject: (subjectEl.textContent || '').trim(),
      body_text: (msg.querySelector(SEL.body)?.innerText || msg.querySelector(SEL.body)?.textContent || '').trim().slice(0, 100000),
      date: isoDate(dateEl && dateEl.getAttribute('title')) || new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      folder: 'inbox',
      attachments: [],
    };
  }
  globalThis.crmGmailAdapter = { readOpenMessage, SEL };
})();
