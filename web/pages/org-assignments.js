// Stations and households: who serves whom. By cadre (#/org/assignments?
// user=ID): the cadre's stationing (驻点) and households (联系户), current
// and past, and the handovers (交接); administrators and leaders station a
// cadre, assign a household, end a stationing and hand a cadre's work to a
// successor. By village (?village=CODE): who is stationed there and who
// serves each household. And "who was responsible for household X on D".

import { registerPage, navigate, notify } from '../app.js';
import { api } from '../api.js';
import { t, roleLabel } from '../i18n.js';
import { h, field, pageHeader, dataTable, newId, formatTime } from '../ui.js';
import {
  tr, formDialog, textField, loadAll, villages, assignableUsers, userOptions, today, compact,
} from './org-common.js';

const ROUTE = '#/org/assignments';

const userLink = (id, name) => h('a', { href: `${ROUTE}?user=${id}` }, name);
const handoverCell = (row) => (row.handover_id ? `#${row.handover_id}` : '');

function stationTable(rows, { canWrite, showCadre, again }) {
  const columns = [
    showCadre ? { key: 'cadre', label: tr('asg.col.cadre'), render: (r) => userLink(r.user_id, r.user_name) }
      : { key: 'village', label: tr('asg.col.village'), class: 'col-strong', render: (r) => r.village_name },
    { key: 'from', label: tr('asg.col.from'), render: (r) => r.start_date },
    { key: 'to', label: tr('asg.col.to'), render: (r) => r.end_date || tr('asg.current') },
    { key: 'handover', label: tr('asg.col.handover'), render: handoverCell },
  ];
  if (canWrite) {
    columns.push({ key: 'end', label: '', class: 'col-actions', render: (r) => (r.current ? h('button', {
      type: 'button', class: 'btn btn-small station-end',
      onclick: () => formDialog({
        title: tr('asg.end_q', { name: r.user_name, village: r.village_name }),
        fields: [textField('end_date', tr('asg.col.to'), today(), { type: 'date', required: true })],
        onSubmit: (v) => api.post(`/api/v1/assignments/stations/${r.id}/end`, v),
        done: again,
      }),
    }, tr('asg.end')) : '') });
  }
  const table = dataTable(columns, { rowKey: (r) => r.id, class: 'station-table', caption: tr('asg.stations') });
  table.add(rows);
  return rows.length ? table.el : h('p', { class: 'muted' }, tr('asg.nothing'));
}

function householdTable(rows, { showCadre }) {
  const table = dataTable([
    { key: 'household', label: tr('asg.col.household'), class: 'col-strong', render: (r) => `${r.head_name} · ${r.household_code}` },
    showCadre ? { key: 'cadre', label: tr('asg.col.cadre'), render: (r) => userLink(r.user_id, r.user_name) }
      : { key: 'village', label: tr('asg.col.village'), render: (r) => r.village_code },
    { key: 'from', label: tr('asg.col.from'), render: (r) => r.start_date },
    { key: 'to', label: tr('asg.col.to'), render: (r) => r.end_date || tr('asg.current') },
    { key: 'handover', label: tr('asg.col.handover'), render: handoverCell },
  ], { rowKey: (r) => r.id, class: 'household-table', caption: tr('asg.households') });
  table.add(rows);
  return rows.length ? table.el : h('p', { class: 'muted' }, tr('asg.nothing'));
}

/** A section that opens and closes (long lists on a phone). */
function collapsible(title, content, open, id) {
  return h('details', { class: 'filter-box', open, id }, h('summary', null, title), content);
}

function checkList(name, legend, items) {
  return h('fieldset', { class: 'field handover-pick', dataset: { pick: name } }, h('legend', null, legend),
    items.map((it) => {
      const id = newId(name);
      return h('div', { class: 'field-check' }, h('input', { type: 'checkbox', id, value: it.value, name }), h('label', { for: id }, it.label));
    }));
}

/** The handover dialog for one cadre's current work. */
function handoverDialog(user, data, users, again) {
  const stations = data.stations.filter((s) => s.current);
  const households = data.households.filter((x) => x.current);
  const radio = (value, label, checked) => {
    const id = newId('ho-scope');
    return h('div', { class: 'field-check' }, h('input', { type: 'radio', name: 'ho_scope', id, value, checked }), h('label', { for: id }, label));
  };
  const pickArea = h('div', { class: 'handover-lists', hidden: true },
    checkList('village_codes', tr('asg.stations'), stations.map((s) => ({ value: s.village_code, label: `${s.village_name} ${s.village_code}` }))),
    checkList('household_ids', tr('asg.households'), households.map((x) => ({ value: String(x.household_id), label: `${x.head_name} · ${x.household_code}` }))));
  const scope = h('fieldset', { class: 'field' }, h('legend', null, tr('asg.handover')),
    radio('all', tr('asg.handover_all'), true), radio('pick', tr('asg.handover_pick'), false));
  scope.addEventListener('change', () => { pickArea.hidden = scope.querySelector('input:checked').value !== 'pick'; });
  formDialog({
    title: tr('asg.handover_title', { name: user.display_name }),
    fields: [
      field({ name: 'to_user_id', label: tr('asg.handover_to'), required: true,
        options: userOptions(users.filter((u) => u.id !== user.id), { empty: '—' }) }),
      textField('effective_date', tr('asg.handover_date'), today(), { type: 'date', required: true }),
      scope, pickArea,
      textField('note', tr('asg.handover_note'), ''),
    ],
    submitLabel: tr('asg.handover_submit'),
    onSubmit: (v, form) => {
      const body = compact({ from_user_id: user.id, to_user_id: v.to_user_id ? Number(v.to_user_id) : '',
        effective_date: v.effective_date, note: v.note });
      if (form.querySelector('input[name=ho_scope]:checked').value === 'pick') {
        const ticked = (n) => [...form.querySelectorAll(`input[name=${n}]:checked`)].map((i) => i.value);
        body.village_codes = ticked('village_codes');
        body.household_ids = ticked('household_ids').map(Number);
      }
      return api.post('/api/v1/assignments/handover', body);
    },
    done: (ho) => {
      notify(tr('asg.handover_done', { stations: ho.summary.stations.count, households: ho.summary.households.count }));
      again();
    },
  });
}

function stationDialog(user, villageList, again) {
  formDialog({
    title: `${tr('asg.new_station')} · ${user.display_name}`,
    fields: [
      field({ name: 'village_code', label: tr('asg.col.village'), required: true,
        options: villageList.map((v) => ({ value: v.code, label: `${v.name} ${v.code}` })) }),
      textField('start_date', tr('asg.f.start'), today(), { type: 'date', required: true }),
    ],
    onSubmit: (v) => api.post('/api/v1/assignments/stations', { user_id: user.id, ...v }),
    done: () => { notify(tr('asg.saved')); again(); },
  });
}

function householdDialog(user, again) {
  formDialog({
    title: `${tr('asg.assign_household')} · ${user.display_name}`,
    fields: [
      textField('household_id', tr('asg.f.household_id'), '', { required: true, inputmode: 'numeric' }),
      textField('start_date', tr('asg.f.start'), today(), { type: 'date', required: true }),
    ],
    onSubmit: (v) => api.post('/api/v1/assignments/households', { user_id: user.id, household_id: Number(v.household_id) || v.household_id, start_date: v.start_date }),
    done: () => { notify(tr('asg.saved')); again(); },
  });
}

function handoverList(items) {
  if (!items.length) return h('p', { class: 'muted' }, tr('asg.nothing'));
  return h('ul', { class: 'plain-list handover-list' }, items.map((ho) => h('li', { dataset: { handover: String(ho.id) } },
    `#${ho.id} · ${ho.effective_date} · ${ho.from_user ? ho.from_user.display_name : ''} → ${ho.to_user ? ho.to_user.display_name : ''} · `,
    tr('asg.handover_done', { stations: ho.summary.stations ? ho.summary.stations.count : 0,
      households: ho.summary.households ? ho.summary.households.count : 0 }),
    ho.note ? ` · ${ho.note}` : '', h('span', { class: 'muted' }, ` (${formatTime(ho.created_at)})`))));
}

async function renderUser(root, ctx, userId, users, canWrite) {
  const [data, hos] = await Promise.all([
    api.get(`/api/v1/users/${userId}/assignments`, { signal: ctx.signal }),
    loadAll('/api/v1/handovers', { user_id: userId }, ctx.signal, 2),
  ]);
  const u = data.user;
  const again = () => navigate(location.hash);
  const actions = canWrite ? h('div', { class: 'form-actions' },
    h('button', { type: 'button', class: 'btn', id: 'asg-new-station', onclick: async () => stationDialog(u, await villages(ctx.signal), again) }, tr('asg.new_station')),
    h('button', { type: 'button', class: 'btn', id: 'asg-new-household', onclick: () => householdDialog(u, again) }, tr('asg.assign_household')),
    h('button', { type: 'button', class: 'btn btn-primary', id: 'asg-handover', onclick: () => handoverDialog(u, data, users, again) }, tr('asg.handover')))
    : null;
  const current = data.households.filter((x) => x.current);
  const past = data.households.filter((x) => !x.current);
  root.append(
    h('section', { class: 'card', id: 'asg-user' }, h('h2', null, `${u.display_name} · ${roleLabel(u.role)}`), actions,
      h('h3', null, tr('asg.stations')), stationTable(data.stations, { canWrite, again }),
      collapsible(`${tr('asg.households')} · ${tr('asg.current')} (${current.length})`, householdTable(current, {}), current.length <= 10, 'asg-current'),
      past.length ? collapsible(`${tr('asg.households')} · ${tr('asg.past')} (${past.length})`, householdTable(past, {}), false, 'asg-past') : null),
    h('section', { class: 'card', id: 'asg-handovers' }, h('h2', null, tr('asg.history')), handoverList(hos)));
}

async function renderVillage(root, ctx, code) {
  const [stations, households] = await Promise.all([
    loadAll('/api/v1/assignments/stations', { village_code: code, current: 1 }, ctx.signal),
    loadAll('/api/v1/assignments/households', { village_code: code, current: 1 }, ctx.signal),
  ]);
  root.append(h('section', { class: 'card', id: 'asg-village' },
    h('h3', null, tr('asg.stations')), stationTable(stations, { showCadre: true }),
    collapsible(`${tr('asg.households')} (${households.length})`, householdTable(households, { showCadre: true }),
      households.length <= 10, 'asg-village-households')));
}

function responsibleForm() {
  const out = h('p', { class: 'responsible-answer', 'aria-live': 'polite' });
  const fId = textField('household_id', tr('asg.household_id'), '', { inputmode: 'numeric', required: true });
  const fDate = textField('date', tr('asg.date'), today(), { type: 'date', required: true });
  const form = h('form', { class: 'filters', id: 'asg-responsible' }, fId, fDate,
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.search'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api.get('/api/v1/assignments/responsible', { query: { household_id: fId.input.value.trim(), date: fDate.input.value } });
      out.textContent = r.user_id
        ? tr('asg.who', { date: r.date, name: r.user_name, from: r.start_date, to: r.end_date ? tr('asg.who_to', { to: r.end_date }) : '' })
        : tr('asg.nobody');
    } catch (err) {
      out.textContent = err.detail && err.detail !== err.title ? `${err.title} — ${err.detail}` : err.title;
    }
  });
  return h('section', { class: 'card' }, h('h2', null, tr('asg.responsible')), form, out);
}

registerPage({
  id: 'org-assignments',
  path: ROUTE,
  title: { zh: '驻点与联系户', en: 'Stations and households' },
  order: 33,
  async render(root, ctx) {
    const me = ctx.user;
    const canWrite = me.role === 'admin' || me.role === 'leader';
    const byVillage = ctx.query.has('village') || me.role === 'viewer';
    const [users, vlist] = await Promise.all([
      me.role === 'viewer' ? [] : assignableUsers(me, ctx.signal),
      villages(ctx.signal),
    ]);
    const tabs = h('nav', { class: 'form-actions asg-modes', 'aria-label': tr('asg.title') },
      me.role === 'viewer' ? null : h('a', { class: byVillage ? 'btn' : 'btn btn-primary', href: ROUTE, 'aria-current': byVillage ? null : 'page' }, tr('asg.by_user')),
      h('a', { class: byVillage ? 'btn btn-primary' : 'btn', href: `${ROUTE}?village=`, 'aria-current': byVillage ? 'page' : null }, tr('asg.by_village')));
    root.append(pageHeader(tr('asg.title')), tabs);

    if (byVillage) {
      const code = ctx.query.get('village') || (vlist.length === 1 ? vlist[0].code : '');
      const pick = field({ name: 'village', label: tr('asg.col.village'), value: code,
        options: [{ value: '', label: tr('teams.choose_village') }, ...vlist.map((v) => ({ value: v.code, label: `${v.name} ${v.code}` }))] });
      pick.input.addEventListener('change', () => navigate(`${ROUTE}?village=${encodeURIComponent(pick.input.value)}`));
      root.append(h('section', { class: 'card' }, pick));
      if (code) await renderVillage(root, ctx, code);
    } else {
      const userId = Number(ctx.query.get('user')) || me.id;
      const known = users.some((u) => u.id === userId) ? users : [{ id: userId, display_name: `#${userId}`, username: '' }, ...users];
      const pick = field({ name: 'user', label: tr('asg.user'), value: String(userId), options: userOptions(known) });
      pick.input.addEventListener('change', () => navigate(`${ROUTE}?user=${pick.input.value}`));
      root.append(h('section', { class: 'card' }, pick));
      await renderUser(root, ctx, userId, users, canWrite);
    }
    root.append(responsibleForm());
    return undefined;
  },
});
