// My API tokens: list, create (the secret is shown once, with a copy
// button and a warning), revoke.

import { registerPage, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { t } from '../i18n.js';
import {
  h, field, alertBox, clearErrors, showProblem, busy, pageHeader, dataTable, errorPanel, formatTime, confirmDialog,
  copyText, countText,
} from '../ui.js';

function isRevoked(tok) { return !!tok.revoked_at || tok.revoked === true; }

function secretPanel(res, onDone) {
  const input = h('input', { type: 'text', readonly: true, value: res.token, class: 'mono secret', id: 'token-secret', 'aria-label': t('tokens.secret_label') });
  const status = h('p', { class: 'copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary', id: 'token-copy' }, t('tokens.copy'));
  copy.addEventListener('click', async () => {
    const ok = await copyText(res.token, input);
    status.textContent = ok ? t('tokens.copied') : t('tokens.copy_failed');
  });
  input.addEventListener('focus', () => input.select());
  const doneBtn = h('button', { type: 'button', class: 'btn' }, t('tokens.secret_done'));
  const panel = h('section', { class: 'card secret-panel', id: 'token-secret-panel', 'aria-labelledby': 'token-secret-h' },
    h('h2', { id: 'token-secret-h' }, t('tokens.secret_title'), `：${res.name}`),
    h('p', { class: 'alert alert-warn' }, t('tokens.secret_warning')),
    h('label', { for: 'token-secret' }, t('tokens.secret_label')),
    h('div', { class: 'secret-row' }, input, copy),
    status,
    h('div', { class: 'form-actions' }, doneBtn));
  doneBtn.addEventListener('click', () => { panel.remove(); onDone(); });
  return panel;
}

registerPage({
  id: 'tokens',
  path: '#/tokens',
  title: { zh: '我的 API 令牌', en: 'My API tokens' },
  order: 80,
  render(root, ctx) {
    const canWrite = ctx.user.role !== 'viewer';
    const box = alertBox();
    const fName = field({ name: 'name', label: t('tokens.name'), required: true, hint: t('tokens.name_hint') });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('tokens.create'));
    const form = h('form', { class: 'form form-inline', novalidate: true, id: 'token-form' }, box, fName, h('div', { class: 'form-actions' }, submit));
    const secretSlot = h('div');

    const columns = [
      { key: 'name', label: t('tokens.col.name'), class: 'col-strong' },
      { key: 'prefix', label: t('tokens.col.prefix'), class: 'mono', render: (k) => (k.prefix ? `${k.prefix}…` : '') },
      { key: 'created_at', label: t('tokens.col.created'), render: (k) => formatTime(k.created_at) },
      { key: 'last_used_at', label: t('tokens.col.last_used'), render: (k) => (k.last_used_at ? formatTime(k.last_used_at) : t('common.never')) },
      {
        key: 'status', label: t('tokens.col.status'),
        render: (k) => (isRevoked(k)
          ? h('span', { class: 'badge badge-off' }, t('tokens.status.revoked'))
          : h('span', { class: 'badge badge-on' }, t('tokens.status.active'))),
      },
    ];
    let table;
    if (canWrite) {
      columns.push({
        key: 'actions', label: t('tokens.col.actions'), class: 'col-actions',
        render: (k) => (isRevoked(k) ? '' : h('button', {
          type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `${t('tokens.revoke')} ${k.name}`,
          onclick: async () => {
            if (!(await confirmDialog(t('tokens.revoke_confirm', { name: k.name }), { okLabel: t('tokens.revoke'), danger: true }))) return;
            try {
              await api.del(`/api/v1/tokens/${encodeURIComponent(k.id)}`);
              // The server lists live tokens only.
              table.remove(k.id);
              refreshEmpty();
              notify(t('tokens.revoked', { name: k.name }), 'ok');
            } catch (err) {
              if (!isAbort(err)) notify(err.title || String(err), 'error');
            }
          },
        }, t('tokens.revoke'))),
      });
    }
    table = dataTable(columns, { rowKey: (k) => k.id, caption: t('tokens.title'), class: 'tokens-table' });
    const listArea = h('div', { class: 'list-area' });
    const empty = h('p', { class: 'empty', hidden: true }, t('tokens.none'));
    const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
    const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
    listArea.append(table.el, empty, countLine, more);
    let cursor = null;

    function refreshEmpty() {
      empty.hidden = table.count() > 0;
      table.el.hidden = table.count() === 0;
      countLine.textContent = countText(table.count(), cursor);
    }

    async function load() {
      const done = busy(more, t('common.loading'));
      try {
        const res = await api.get('/api/v1/tokens', { query: { cursor }, signal: ctx.signal });
        done();
        table.add((res && res.items) || []);
        cursor = (res && res.next_cursor) || null;
        more.hidden = !cursor;
        refreshEmpty();
      } catch (err) {
        done();
        if (isAbort(err) || ctx.signal.aborted) return;
        const panel = errorPanel(err, () => { panel.remove(); load(); });
        listArea.append(panel);
      }
    }
    more.addEventListener('click', load);

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form, box);
      const done = busy(submit, t('common.working'));
      try {
        const res = await api.post('/api/v1/tokens', { name: fName.input.value.trim() });
        done();
        form.reset();
        secretSlot.replaceChildren(secretPanel(res, () => fName.input.focus()));
        secretSlot.querySelector('#token-copy').focus();
        table.prepend({ id: res.id, name: res.name, prefix: res.prefix, created_at: res.created_at });
        refreshEmpty();
      } catch (err) {
        done();
        showProblem(form, box, err);
      }
    });

    root.append(pageHeader(t('tokens.title')),
      h('p', { class: 'lead' }, t('tokens.intro')),
      secretSlot,
      canWrite ? h('section', { class: 'card' }, form) : h('p', { class: 'alert alert-info' }, t('tokens.viewer_note')),
      listArea);
    return load();
  },
});
