// 消息 (inbox): the signed-in user's notifications, newest first, with a link
// to the appeal or household they are about, "mark as read" per item and for
// all shown, "load more" by cursor; and the unread count as a badge on the
// menu item (kept up to date when the menu is redrawn or the page changes).

import { registerPage, currentUser } from '../app.js';
import { api, isAbort, sentence } from '../api.js';
import { addStrings, t, getLang } from '../i18n.js';
import { h, pageHeader, errorPanel, busy, formatTime, countText, pageSize } from '../ui.js';

addStrings({
  zh: {
    'inbox.title': '消息',
    'inbox.unread_count': '未读 {n} 条',
    'inbox.all_read': '没有未读消息',
    'inbox.unread': '未读',
    'inbox.mark_read': '标为已读',
    'inbox.mark_all': '全部标为已读',
    'inbox.open': '查看',
    'inbox.none': '还没有消息。',
    'inbox.badge_sr': '条未读',
    'inbox.entity.appeal': '诉求',
    'inbox.entity.household': '农户',
  },
  en: {
    'inbox.title': 'Messages',
    'inbox.unread_count': '{n} unread',
    'inbox.all_read': 'No unread messages',
    'inbox.unread': 'Unread',
    'inbox.mark_read': 'Mark as read',
    'inbox.mark_all': 'Mark all read',
    'inbox.open': 'Open',
    'inbox.none': 'No messages yet.',
    'inbox.badge_sr': 'unread',
    'inbox.entity.appeal': 'Appeal',
    'inbox.entity.household': 'Household',
  },
});

const LINKS = { appeal: '#/appeal/', household: '#/household/' };
const REFRESH_MS = 30000;

// ---------------------------------------------------------------- menu badge

let unread = null;   // last known unread count, null before the first answer
let fetchedAt = 0;
let fetching = null;

function paintBadge() {
  const a = document.querySelector('#nav-list a[data-page="inbox"]');
  if (!a) return;
  let badge = a.querySelector('.nav-badge');
  if (!unread) { if (badge) badge.remove(); return; }
  const text = unread > 99 ? '99+' : String(unread);
  if (!badge) {
    badge = h('span', { class: 'nav-badge', id: 'inbox-badge' });
    a.append(badge);
  }
  badge.replaceChildren(text, h('span', { class: 'sr-only' }, ` ${t('inbox.badge_sr')}`));
}

function setUnread(n) {
  unread = Math.max(0, n | 0);
  fetchedAt = Date.now();
  paintBadge();
}

/** Asks the server for the unread count (at most every REFRESH_MS unless forced). */
function refreshUnread(force = false) {
  const user = currentUser();
  if (!user || user.must_change_password) { unread = null; return; }
  if (fetching || (!force && Date.now() - fetchedAt < REFRESH_MS)) { paintBadge(); return; }
  fetching = api.get('/api/v1/notifications', { query: { unread: 1, limit: 1 }, redirect401: false })
    .then((res) => setUnread(res && res.unread_count))
    .catch(() => { /* the badge is a hint; the page shows errors */ })
    .finally(() => { fetching = null; });
}

const navList = document.getElementById('nav-list');
if (navList) {
  // The shell redraws the menu on sign-in and language change: repaint, and
  // ask again when the user changed.
  let lastUser = null;
  new MutationObserver(() => {
    const user = currentUser();
    const id = user ? user.id : null;
    if (id !== lastUser) { lastUser = id; unread = null; fetchedAt = 0; }
    refreshUnread();
  }).observe(navList, { childList: true });
}
window.addEventListener('hashchange', () => refreshUnread());

// ---------------------------------------------------------------- the page

function noteTitle(n) {
  const title = getLang() === 'en' ? (n.title_en || n.title) : (n.title_zh || n.title);
  return sentence(title || n.kind || '');
}

registerPage({
  id: 'inbox',
  path: '#/inbox',
  title: { zh: '消息', en: 'Messages' },
  order: 5,
  render(root, ctx) {
    const limit = pageSize(ctx.query);
    const summary = h('p', { class: 'inbox-summary', id: 'inbox-summary', 'aria-live': 'polite' });
    const markAll = h('button', { type: 'button', class: 'btn', id: 'inbox-mark-all', hidden: true }, t('inbox.mark_all'));
    const list = h('ul', { class: 'inbox-list', id: 'inbox-list' });
    const empty = h('p', { class: 'empty', hidden: true }, t('inbox.none'));
    const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
    const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
    const listArea = h('div', { class: 'list-area' }, list, empty, countLine, more);
    const items = new Map(); // id -> {note, li}
    let cursor = null;

    function showSummary() {
      summary.textContent = unread ? t('inbox.unread_count', { n: unread }) : t('inbox.all_read');
      summary.classList.toggle('has-unread', !!unread);
      markAll.hidden = ![...items.values()].some((x) => !x.note.read);
      empty.hidden = items.size > 0;
      countLine.textContent = countText(items.size, cursor);
    }

    function itemNode(n) {
      const href = LINKS[n.entity] && n.entity_id ? `${LINKS[n.entity]}${encodeURIComponent(n.entity_id)}` : null;
      const title = h('p', { class: 'inbox-title' },
        n.read ? null : h('span', { class: 'badge badge-warn inbox-unread' }, t('inbox.unread')),
        href ? h('a', { href }, noteTitle(n)) : noteTitle(n));
      const meta = h('p', { class: 'inbox-meta muted' },
        h('time', { datetime: n.created_at || '' }, formatTime(n.created_at)),
        href ? ` · ${t(`inbox.entity.${n.entity}`)} ${n.entity_id}` : null);
      const actions = h('div', { class: 'inbox-actions' },
        n.read ? null : h('button', {
          type: 'button', class: 'btn btn-small inbox-read', 'aria-label': `${t('inbox.mark_read')}：${noteTitle(n)}`,
          onclick: (e) => markRead(n.id, e.currentTarget),
        }, t('inbox.mark_read')));
      return h('li', { class: ['inbox-item', n.read ? 'is-read' : 'is-unread'], dataset: { id: String(n.id) } },
        h('div', { class: 'inbox-body' }, title, meta), actions);
    }

    function put(n) {
      const old = items.get(n.id);
      const li = itemNode(n);
      if (old) old.li.replaceWith(li);
      else list.append(li);
      items.set(n.id, { note: n, li });
    }

    /** Marks one read; returns true when the server agreed. */
    async function markRead(id, button) {
      const done = button ? busy(button, t('common.working')) : null;
      try {
        const wasUnread = !items.get(id).note.read;
        const n = await api.post(`/api/v1/notifications/${encodeURIComponent(id)}/read`, {}, { signal: ctx.signal });
        put(n);
        if (wasUnread && unread) setUnread(unread - 1);
        showSummary();
        return true;
      } catch (err) {
        if (done) done();
        if (isAbort(err) || ctx.signal.aborted) return false;
        listArea.prepend(errorPanel(err));
        return false;
      }
    }

    markAll.addEventListener('click', async () => {
      const done = busy(markAll, t('common.working'));
      const ids = [...items.values()].filter((x) => !x.note.read).map((x) => x.note.id);
      for (const id of ids) {
        if (!(await markRead(id))) break;
      }
      done();
      refreshUnread(true);
      showSummary();
    });

    async function load() {
      const done = busy(more, t('common.loading'));
      try {
        const res = await api.get('/api/v1/notifications', { query: { cursor, limit }, signal: ctx.signal });
        done();
        for (const n of (res && res.items) || []) put(n);
        cursor = (res && res.next_cursor) || null;
        more.hidden = !cursor;
        if (res && typeof res.unread_count === 'number') setUnread(res.unread_count);
        showSummary();
      } catch (err) {
        done();
        if (isAbort(err) || ctx.signal.aborted) return;
        const panel = errorPanel(err, () => { panel.remove(); load(); });
        listArea.append(panel);
      }
    }
    more.addEventListener('click', load);

    root.append(pageHeader(t('inbox.title'), markAll), summary, listArea);
    return load();
  },
});
