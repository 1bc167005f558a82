// Departments: town offices, village committees and stations in the
// caller's scope, each with a head and members. Administrators and leaders
// create, edit and retire them and manage memberships (ended, never
// deleted); everyone else reads. Filters live in the hash.

import { registerPage, navigate, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { t } from '../i18n.js';
import { h, field, pageHeader, dataTable, errorPanel, confirmDialog, countText } from '../ui.js';
import { tr, KINDS, kindLabel, formDialog, textField, compact, loadAll, userOptions, period, today } from './org-common.js';

const ROUTE = '#/org/departments';

function kindOptions(withAll) {
  const opts = KINDS.map((k) => ({ value: k, label: kindLabel(k) }));
  return withAll ? [{ value: '', label: t('common.all') }, ...opts] : opts;
}

/** The create (d null) or edit dialog. */
function editDialog(d, me, users, done) {
  const fields = [
    textField('name', tr('depts.f.name'), d ? d.name : '', { required: true }),
    field({ name: 'kind', label: tr('depts.f.kind'), required: true, value: d ? d.kind : 'town_office', options: kindOptions(false) }),
    textField('region_code', tr('depts.f.region'), d ? d.region_code : me.scope_code, { required: true, inputmode: 'numeric' }),
    field({ name: 'head_user_id', label: tr('depts.f.head'), value: d && d.head ? String(d.head.id) : '',
      options: userOptions(users, { empty: '—' }) }),
    textField('phone', tr('depts.f.phone'), d && d.phone ? d.phone : '', { type: 'tel', inputmode: 'tel' }),
  ];
  formDialog({
    title: d ? `${t('common.edit')} · ${d.name}` : tr('depts.new'),
    fields,
    onSubmit: (v) => {
      const body = { ...v, head_user_id: v.head_user_id ? Number(v.head_user_id) : null };
      if (d) return api.patch(`/api/v1/departments/${d.id}`, { ...body, phone: v.phone || null });
      return api.post('/api/v1/departments', compact(body));
    },
    done: (saved) => { notify(tr('depts.saved')); done(saved); },
  });
}

/** The members of one department, with add and end for writers. */
function membersPanel(d, canWrite, users, signal) {
  const box = h('div', { class: 'dept-members' });
  async function load() {
    box.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
    try {
      const res = await api.get(`/api/v1/departments/${d.id}/members`, { query: { all: 1 }, signal });
      const rows = res.items || [];
      const list = h('ul', { class: 'plain-list' }, rows.map((m) => h('li', { dataset: { member: String(m.id) } },
        `${m.display_name}${m.position ? ` · ${m.position}` : ''} · ${period(m)} `,
        canWrite && m.current ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => endMember(m) }, tr('depts.end_member')) : null)));
      box.replaceChildren(h('h3', null, tr('depts.members')), rows.length ? list : h('p', { class: 'muted' }, t('common.empty')),
        canWrite && !d.retired ? h('button', { type: 'button', class: 'btn btn-small dept-add-member', onclick: addMember }, tr('depts.add_member')) : null);
    } catch (err) {
      if (!isAbort(err)) box.replaceChildren(errorPanel(err, load));
    }
  }
  function addMember() {
    formDialog({
      title: `${tr('depts.add_member')} · ${d.name}`,
      fields: [
        field({ name: 'user_id', label: tr('depts.f.user'), required: true, options: userOptions(users) }),
        textField('position', tr('depts.f.position'), ''),
        textField('start_date', tr('asg.f.start'), today(), { type: 'date' }),
      ],
      onSubmit: (v) => api.post(`/api/v1/departments/${d.id}/members`, compact({ ...v, user_id: Number(v.user_id) })),
      done: load,
    });
  }
  function endMember(m) {
    formDialog({
      title: `${tr('depts.end_member')} · ${m.display_name}`,
      fields: [textField('end_date', tr('asg.col.to'), today(), { type: 'date', required: true })],
      onSubmit: (v) => api.patch(`/api/v1/departments/${d.id}/members/${m.id}`, v),
      done: load,
    });
  }
  load();
  return box;
}

registerPage({
  id: 'org-departments',
  path: ROUTE,
  title: { zh: '部门', en: 'Departments' },
  order: 31,
  async render(root, ctx) {
    const me = ctx.user;
    const canWrite = me.role === 'admin' || me.role === 'leader';
    const kind = ctx.query.get('kind') || '';
    const retired = ctx.query.get('retired') === '1';
    const users = canWrite ? await loadAll('/api/v1/users', {}, ctx.signal) : [];

    const fKind = field({ name: 'kind', label: tr('depts.kind'), value: kind, options: kindOptions(true) });
    const fRetired = field({ name: 'retired', label: tr('depts.show_retired'), checkbox: true, value: retired });
    const apply = () => {
      const p = new URLSearchParams();
      if (fKind.input.value) p.set('kind', fKind.input.value);
      if (fRetired.input.checked) p.set('retired', '1');
      navigate(p.toString() ? `${ROUTE}?${p}` : ROUTE);
    };
    fKind.input.addEventListener('change', apply);
    fRetired.input.addEventListener('change', apply);

    const again = () => navigate(location.hash);
    const columns = [
      { key: 'name', label: tr('depts.col.name'), class: 'col-strong',
        render: (d) => [d.name, d.retired ? [' ', h('span', { class: 'badge badge-off' }, tr('regions.retired'))] : null] },
      { key: 'kind', label: tr('depts.col.kind'), render: (d) => kindLabel(d.kind) },
      { key: 'region', label: tr('depts.col.region'), render: (d) => d.region_name },
      { key: 'head', label: tr('depts.col.head'), render: (d) => (d.head ? d.head.display_name : '') },
      { key: 'members', label: tr('depts.col.members'), render: (d) => String(d.member_count) },
    ];
    if (canWrite) {
      columns.push({ key: 'actions', label: '', class: 'col-actions', render: (d) => (d.retired ? '' : [
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => editDialog(d, me, users, again) }, t('common.edit')), ' ',
        h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: async () => {
          if (!(await confirmDialog(tr('depts.retire_q', { name: d.name }), { danger: true }))) return;
          try { await api.post(`/api/v1/departments/${d.id}/retire`); notify(tr('depts.saved')); } catch (err) { notify(err.title, 'error'); }
          again();
        } }, tr('depts.retire'))]) });
    }
    const table = dataTable(columns, {
      rowKey: (d) => d.id, caption: tr('depts.title'), class: 'depts-table',
      expand: (d) => membersPanel(d, canWrite, users, ctx.signal),
      expandLabels: [tr('depts.members'), t('common.close')], expandHeader: tr('depts.members'),
    });
    const newBtn = canWrite ? h('button', { type: 'button', class: 'btn btn-primary', id: 'dept-new',
      onclick: () => editDialog(null, me, users, again) }, tr('depts.new')) : null;
    const count = h('p', { class: 'count' });
    root.append(pageHeader(tr('depts.title'), newBtn),
      h('section', { class: 'card' }, h('form', { class: 'filters' }, fKind, fRetired)), table.el, count);
    const items = await loadAll('/api/v1/departments', { kind, include_retired: retired ? 1 : '' }, ctx.signal);
    table.add(items);
    table.el.hidden = !items.length;
    count.textContent = items.length ? countText(items.length, false) : t('common.empty');
  },
});
