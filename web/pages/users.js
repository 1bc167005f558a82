// User administration: admins list, create and edit users; leaders may only
// read the list. Filters live in the hash (#/users?q=li&role=cadre) so that
// the back button and bookmarks keep them.

import { registerPage, navigate, notify, refreshSession, ROLES } from '../app.js';
import { api, isAbort } from '../api.js';
import { t, roleLabel } from '../i18n.js';
import {
  h, field, alertBox, showMessage, clearErrors, showProblem, busy, pageHeader, dataTable, openDialog, errorPanel, countText, pageSize,
} from '../ui.js';


function isDisabled(u) { return u.disabled === true || !!u.disabled_at; }

function statusBadges(u) {
  const out = [];
  if (isDisabled(u)) out.push(h('span', { class: 'badge badge-off' }, t('users.status.disabled')));
  else out.push(h('span', { class: 'badge badge-on' }, t('users.status.active')));
  if (u.must_change_password && !isDisabled(u)) out.push(' ', h('span', { class: 'badge badge-warn' }, t('users.status.must_change')));
  return h('span', { class: 'badges' }, out);
}

function scopeText(u) {
  return u.scope_name ? `${u.scope_name} ${u.scope_code}` : u.scope_code;
}

function roleOptions(withAll) {
  const opts = ROLES.map((r) => ({ value: r, label: roleLabel(r) }));
  return withAll ? [{ value: '', label: t('common.all') }, ...opts] : opts;
}

/** The create form in a dialog; onCreated(user) after a 201. */
function openCreate(me, onCreated) {
  const box = alertBox();
  const fields = [
    field({ name: 'username', label: t('users.field.username'), required: true, hint: t('users.field.username_hint'),
      attrs: { autocapitalize: 'none', spellcheck: 'false' } }),
    field({ name: 'display_name', label: t('users.field.display_name'), required: true }),
    field({ name: 'role', label: t('users.field.role'), required: true, options: roleOptions(false), value: 'cadre' }),
    field({ name: 'scope_code', label: t('users.field.scope_code'), required: true, value: me.scope_code, inputmode: 'numeric',
      hint: t('users.field.scope_hint') }),
    field({ name: 'password', label: t('users.field.password'), required: true, hint: t('users.field.password_hint'),
      autocomplete: 'new-password', attrs: { autocapitalize: 'none', spellcheck: 'false' } }),
  ];
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('users.create_submit'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'user-create-form' },
    box, fields, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title: t('users.create_title'), content: form });
  cancel.addEventListener('click', () => dlg.close());

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const body = {};
    for (const f of fields) body[f.dataset.field] = f.dataset.field === 'password' ? f.input.value : f.input.value.trim();
    const done = busy(submit, t('common.working'));
    try {
      const user = await api.post('/api/v1/users', body);
      done();
      dlg.close();
      onCreated(user);
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

/** The edit form in a dialog; onSaved(user) after the PATCH. */
function openEdit(u, onSaved) {
  const box = alertBox();
  const fDisplay = field({ name: 'display_name', label: t('users.field.display_name'), required: true, value: u.display_name });
  const fRole = field({ name: 'role', label: t('users.field.role'), required: true, options: roleOptions(false), value: u.role });
  const fScope = field({ name: 'scope_code', label: t('users.field.scope_code'), required: true, value: u.scope_code,
    inputmode: 'numeric', hint: t('users.field.scope_hint') });
  const fDisabled = field({ name: 'disabled', label: t('users.field.disabled'), checkbox: true, value: isDisabled(u) });
  const fPassword = field({ name: 'password', label: t('users.field.reset_password'), hint: `${t('users.field.reset_hint')} ${t('users.field.password_hint')}`,
    autocomplete: 'new-password', attrs: { autocapitalize: 'none', spellcheck: 'false' } });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'user-edit-form' },
    box, fDisplay, fRole, fScope, fDisabled, fPassword, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title: t('users.edit_title', { username: u.username }), content: form });
  cancel.addEventListener('click', () => dlg.close());

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const changes = {};
    const display = fDisplay.input.value.trim();
    if (display !== u.display_name) changes.display_name = display;
    if (fRole.input.value !== u.role) changes.role = fRole.input.value;
    const scope = fScope.input.value.trim();
    if (scope !== u.scope_code) changes.scope_code = scope;
    if (fDisabled.input.checked !== isDisabled(u)) changes.disabled = fDisabled.input.checked;
    if (fPassword.input.value) changes.password = fPassword.input.value;
    if (!Object.keys(changes).length) { showMessage(box, t('users.nothing_changed')); return; }
    const done = busy(submit, t('common.working'));
    try {
      const saved = await api.patch(`/api/v1/users/${encodeURIComponent(u.id)}`, changes);
      done();
      dlg.close();
      onSaved(saved && saved.id ? saved : { ...u, ...changes });
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

registerPage({
  id: 'users',
  path: '#/users',
  title: { zh: '用户管理', en: 'Users' },
  roles: ['admin', 'leader'],
  order: 20,
  render(root, ctx) {
    const me = ctx.user;
    const canWrite = me.role === 'admin';
    const q = ctx.query.get('q') || '';
    const role = ctx.query.get('role') || '';

    const newBtn = canWrite ? h('button', { type: 'button', class: 'btn btn-primary', id: 'user-new' }, t('users.new')) : null;

    // Filters
    const fq = field({ name: 'q', label: t('users.search'), type: 'search', value: q, attrs: { placeholder: t('users.search_placeholder') } });
    const fr = field({ name: 'role', label: t('users.role_filter'), options: roleOptions(true), value: role });
    const filters = h('form', { class: 'filters', role: 'search', id: 'user-filters' }, fq, fr,
      h('div', { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.search')),
        q || role ? h('a', { class: 'btn', href: '#/users' }, t('common.reset')) : null));
    const apply = () => {
      const p = new URLSearchParams();
      if (fq.input.value.trim()) p.set('q', fq.input.value.trim());
      if (fr.input.value) p.set('role', fr.input.value);
      const s = p.toString();
      navigate(s ? `#/users?${s}` : '#/users');
    };
    filters.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
    fr.input.addEventListener('change', apply);

    // List
    const columns = [
      { key: 'username', label: t('users.col.username'), class: 'col-strong', render: (u) => u.username },
      { key: 'display_name', label: t('users.col.display_name') },
      { key: 'role', label: t('users.col.role'), render: (u) => roleLabel(u.role) },
      { key: 'scope_code', label: t('users.col.scope'), render: scopeText },
      { key: 'status', label: t('users.col.status'), render: statusBadges },
    ];
    let table;
    if (canWrite) {
      columns.push({
        key: 'actions', label: t('users.col.actions'), class: 'col-actions',
        render: (u) => h('button', {
          type: 'button', class: 'btn btn-small', 'aria-label': `${t('common.edit')} ${u.username}`,
          onclick: () => openEdit(u, (saved) => {
            table.replace(saved.id, saved);
            notify(t('users.updated', { username: saved.username }), 'ok');
            // Editing oneself may change what one may see: ask the server again.
            if (saved.id === me.id) refreshSession().then(() => navigate(location.hash)).catch(() => {});
          }),
        }, t('common.edit')),
      });
    }
    table = dataTable(columns, { rowKey: (u) => u.id, caption: t('users.title'), class: 'users-table' });
    const listArea = h('div', { class: 'list-area' });
    const empty = h('p', { class: 'empty', hidden: true }, t('common.empty'));
    const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
    const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
    listArea.append(table.el, empty, countLine, more);

    let cursor = null;
    async function load() {
      const done = busy(more, t('common.loading'));
      try {
        const res = await api.get('/api/v1/users', { query: { q, role, limit: pageSize(ctx.query), cursor }, signal: ctx.signal });
        done();
        table.add(res.items || []);
        cursor = res.next_cursor || null;
        more.hidden = !cursor;
        empty.hidden = table.count() > 0;
        table.el.hidden = table.count() === 0;
        countLine.textContent = countText(table.count(), cursor);
      } catch (err) {
        done();
        if (isAbort(err) || ctx.signal.aborted) return;
        listArea.append(errorPanel(err, () => { listArea.lastChild.remove(); load(); }));
      }
    }
    more.addEventListener('click', load);

    if (newBtn) {
      newBtn.addEventListener('click', () => openCreate(me, (user) => {
        notify(t('users.created', { username: user.username }), 'ok');
        table.prepend(user);
        empty.hidden = true;
        table.el.hidden = false;
      }));
    }

    root.append(pageHeader(t('users.title'), newBtn));
    if (!canWrite) root.append(h('p', { class: 'alert alert-info', id: 'users-readonly' }, t('users.readonly')));
    root.append(h('section', { class: 'card' }, filters), listArea);
    return load();
  },
});
