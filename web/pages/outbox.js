// outbox.js: 待同步 (#/outbox). What this phone still has to upload, what
// the server refused and why (kept until it is sent: nothing is dropped),
// and what was stored with a conflict; "retry now" sends everything again.
// Importing this page also starts the badge and the sync loop (offline.js).

import { registerPage } from '../app.js';
import { addStrings, t } from '../i18n.js';
import { h, pageHeader, formatTime } from '../ui.js';
import { outboxItems, syncNow, syncState, onOutboxChange, dismissConflict, startOffline } from '../offline.js';
import { METHODS } from './record.js';

addStrings({
  zh: {
    'outbox.title': '待同步',
    'outbox.retry': '立即重试',
    'outbox.online': '已联网',
    'outbox.offline_long': '等待联网，联网后自动上传。',
    'outbox.syncing': '正在上传…',
    'outbox.next': '下次自动重试：{time}',
    'outbox.last_error': '上次上传没有成功：{msg}',
    'outbox.pending': '等待上传（{n}）',
    'outbox.failed': '服务器未接受，需要处理（{n}）',
    'outbox.failed_hint': '这些记录保留在本手机上，不会丢失。请按提示处理后点“立即重试”，或联系管理员。',
    'outbox.conflicts': '已保存，但有冲突（{n}）',
    'outbox.conflict_hint': '服务器已保存这些记录，并标记了冲突（例如该户已转给其他干部联系），领导可以看到。',
    'outbox.conflict_reassigned': '该户已转给其他干部联系',
    'outbox.dismiss': '知道了',
    'outbox.empty': '没有等待上传的记录，全部已同步。',
    'outbox.saved_at': '保存于 {time}',
    'outbox.attempts': '已尝试 {n} 次',
    'outbox.contact_id': '记录编号 {id}',
  },
  en: {
    'outbox.title': 'Outbox',
    'outbox.retry': 'Retry now',
    'outbox.online': 'Online',
    'outbox.offline_long': 'Waiting for a signal; records upload when online.',
    'outbox.syncing': 'Uploading…',
    'outbox.next': 'Next automatic try: {time}',
    'outbox.last_error': 'The last upload failed: {msg}',
    'outbox.pending': 'Waiting to upload ({n})',
    'outbox.failed': 'Refused by the server, needs attention ({n})',
    'outbox.failed_hint': 'These records stay on this phone and are not lost. Fix what the message says and press "Retry now", or ask the administrator.',
    'outbox.conflicts': 'Stored, with a conflict ({n})',
    'outbox.conflict_hint': 'The server stored these records and flagged a conflict (for example the household moved to another cadre); leaders can see it.',
    'outbox.conflict_reassigned': 'The household has moved to another cadre',
    'outbox.dismiss': 'Got it',
    'outbox.empty': 'Nothing waiting: everything is uploaded.',
    'outbox.saved_at': 'saved {time}',
    'outbox.attempts': '{n} tries',
    'outbox.contact_id': 'record {id}',
  },
});

startOffline();

const clock = (ms) => { const d = new Date(ms); return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`; };

function errorText(e) {
  if (!e) return '';
  const fields = (e.errors || []).map((x) => (x.field ? `${x.field}: ${x.message}` : x.message));
  return [e.title, e.detail && e.detail !== e.title ? e.detail : '', ...fields].filter(Boolean).join('\n');
}

function entryCard(e) {
  const b = e.body || {};
  const method = METHODS.includes(b.method) ? t(`record.m.${b.method}`) : b.method;
  const li = h('li', { class: ['ob-item', `ob-${e.status}`], dataset: { uuid: e.uuid } },
    h('p', { class: 'ob-head' }, h('strong', null, e.label || '—')),
    h('p', { class: 'ob-when' }, method, ' · ', formatTime(b.started_at)),
    h('p', { class: 'ob-summary' }, b.summary || ''),
    h('p', { class: 'ob-meta muted' }, t('outbox.saved_at', { time: formatTime(e.created_at && isoLocalish(e.created_at)) }),
      e.attempts ? ` · ${t('outbox.attempts', { n: e.attempts })}` : '',
      e.contact_id ? ` · ${t('outbox.contact_id', { id: e.contact_id })}` : ''),
    h('p', { class: 'ob-uuid mono muted' }, e.uuid));
  if (e.status === 'failed' || (e.status === 'pending' && e.error)) {
    li.append(h('div', { class: ['alert', e.status === 'failed' ? 'alert-error' : 'alert-warn', 'ob-error'], dataset: { code: e.error.code || '' } },
      h('p', { class: 'alert-detail' }, errorText(e.error))));
  }
  if (e.status === 'conflict') {
    li.append(h('div', { class: 'alert alert-warn ob-error' }, h('p', { class: 'alert-detail' },
      e.conflict && e.conflict.kind === 'household_reassigned' ? t('outbox.conflict_reassigned') : JSON.stringify(e.conflict || {}))),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => dismissConflict(e.uuid) }, t('outbox.dismiss')));
  }
  return li;
}

/** An ISO time in UTC ("...Z") as the phone's local wall time for formatTime. */
function isoLocalish(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function section(id, title, hint, items) {
  if (!items.length) return null;
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, title), hint ? h('p', { class: 'hint' }, hint) : null,
    h('ul', { class: 'ob-list' }, items.map(entryCard)));
}

registerPage({
  id: 'outbox',
  path: '#/outbox',
  title: { zh: '待同步', en: 'Outbox' },
  roles: ['admin', 'leader', 'cadre'],
  order: 26,
  async render(root, ctx) {
    const retry = h('button', { type: 'button', class: 'btn btn-primary', id: 'outbox-retry', onclick: () => syncNow({ failed: true }) }, t('outbox.retry'));
    const status = h('p', { class: 'ob-status', id: 'outbox-status', role: 'status' });
    const body = h('div', { id: 'outbox-body' });
    root.append(pageHeader(t('outbox.title'), retry), status, body);

    async function draw() {
      const items = await outboxItems();
      if (ctx.signal.aborted) return;
      const s = syncState();
      const line = [];
      if (!s.online) line.push(t('outbox.offline_long'));
      else if (s.running) line.push(t('outbox.syncing'));
      else line.push(t('outbox.online'));
      if (s.lastError && s.online) line.push(t('outbox.last_error', { msg: s.lastError.title }));
      if (s.nextAt && s.online && !s.running && items.some((e) => e.status === 'pending')) line.push(t('outbox.next', { time: clock(s.nextAt) }));
      status.textContent = line.join(' ');
      status.className = `ob-status alert ${s.online ? 'alert-info' : 'alert-warn'}`;
      retry.disabled = !s.online || s.running || !items.some((e) => e.status !== 'conflict');
      const pending = items.filter((e) => e.status === 'pending');
      const failed = items.filter((e) => e.status === 'failed');
      const conflicts = items.filter((e) => e.status === 'conflict');
      body.replaceChildren(...[
        section('outbox-failed', t('outbox.failed', { n: failed.length }), t('outbox.failed_hint'), failed),
        section('outbox-pending', t('outbox.pending', { n: pending.length }), null, pending),
        section('outbox-conflicts', t('outbox.conflicts', { n: conflicts.length }), t('outbox.conflict_hint'), conflicts),
        items.length ? null : h('p', { class: 'empty', id: 'outbox-empty' }, t('outbox.empty')),
      ].filter(Boolean));
    }
    const off = onOutboxChange(() => { draw(); });
    const net = () => draw();
    window.addEventListener('online', net);
    window.addEventListener('offline', net);
    await draw();
    return () => { off(); window.removeEventListener('online', net); window.removeEventListener('offline', net); };
  },
});
