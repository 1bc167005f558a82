// Appeals for leaders and administrators: the supervision view (overdue,
// escalated, open and overdue counts by village as a plain SVG bar chart),
// the category tree with its time limits, and the holiday calendar as a
// month grid (holidays red, adjusted workdays marked 班).

import { registerPage, navigate, notify } from '../app.js';
import { api } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, field, pageHeader, dataTable, countText } from '../ui.js';
import { loadAll, formDialog, compact, today } from './org-common.js';
import { appealTable, catName, unitLabel, URGENCIES, UNITS, OPEN } from './appeals.js';

addStrings({
  zh: {
    'apa.sup.title': '诉求督办',
    'apa.sup.overdue': '超期未办结',
    'apa.sup.escalated': '已升级督办',
    'apa.sup.by_village': '各村未办结诉求',
    'apa.sup.open': '未办结',
    'apa.sup.overdue_n': '其中超期',
    'apa.sup.none': '没有。',
    'apa.sup.chart': '各村未办结和超期诉求数量',
    'apa.cat.title': '诉求类别与时限',
    'apa.cat.new': '新增类别',
    'apa.cat.new_child': '新增子类',
    'apa.cat.edit': '修改',
    'apa.cat.retire': '停用',
    'apa.cat.restore': '恢复使用',
    'apa.cat.retired': '已停用',
    'apa.cat.active': '使用中',
    'apa.cat.col.name': '类别',
    'apa.cat.col.dept': '默认承办部门',
    'apa.cat.col.limits': '一般诉求时限（受理 / 办结）',
    'apa.cat.col.state': '状态',
    'apa.cat.col.actions': '操作',
    'apa.cat.name': '名称',
    'apa.cat.name_en': '英文名称（选填）',
    'apa.cat.parent': '上级类别',
    'apa.cat.no_parent': '（顶级类别）',
    'apa.cat.dept': '默认承办部门',
    'apa.cat.no_dept': '（不指定）',
    'apa.cat.sort': '排序',
    'apa.cat.limit': '{urg}：{kind}时限',
    'apa.cat.accept': '受理',
    'apa.cat.resolve': '办结',
    'apa.cat.saved': '已保存',
    'apa.cal.title': '节假日日历',
    'apa.cal.prev': '上个月',
    'apa.cal.next': '下个月',
    'apa.cal.month': '{y}年{m}月',
    'apa.cal.legend_holiday': '节假日（休）',
    'apa.cal.legend_workday': '调休上班（班）',
    'apa.cal.hint': '点击日期可修改。周六、周日默认休息。',
    'apa.cal.holiday': '休',
    'apa.cal.workday': '班',
    'apa.cal.kind': '这一天',
    'apa.cal.kind.normal': '按正常周历（周一至周五上班）',
    'apa.cal.kind.holiday': '节假日（休息）',
    'apa.cal.kind.workday': '调休上班',
    'apa.cal.name': '名称（如“国庆节”）',
    'apa.cal.edit': '修改 {day}',
    'apa.cal.saved': '{day} 已更新',
    'apa.wd': '一二三四五六日',
  },
  en: {
    'apa.sup.title': 'Supervision',
    'apa.sup.overdue': 'Overdue',
    'apa.sup.escalated': 'Escalated',
    'apa.sup.by_village': 'Open appeals by village',
    'apa.sup.open': 'Open',
    'apa.sup.overdue_n': 'of which overdue',
    'apa.sup.none': 'None.',
    'apa.sup.chart': 'Open and overdue appeals by village',
    'apa.cat.title': 'Categories and time limits',
    'apa.cat.new': 'New category',
    'apa.cat.new_child': 'Add a subcategory',
    'apa.cat.edit': 'Edit',
    'apa.cat.retire': 'Retire',
    'apa.cat.restore': 'Restore',
    'apa.cat.retired': 'Retired',
    'apa.cat.active': 'In use',
    'apa.cat.col.name': 'Category',
    'apa.cat.col.dept': 'Default department',
    'apa.cat.col.limits': 'General limits (accept / resolve)',
    'apa.cat.col.state': 'State',
    'apa.cat.col.actions': 'Actions',
    'apa.cat.name': 'Name',
    'apa.cat.name_en': 'English name (optional)',
    'apa.cat.parent': 'Parent',
    'apa.cat.no_parent': '(top level)',
    'apa.cat.dept': 'Default department',
    'apa.cat.no_dept': '(none)',
    'apa.cat.sort': 'Sort order',
    'apa.cat.limit': '{urg}: {kind} limit',
    'apa.cat.accept': 'accept',
    'apa.cat.resolve': 'resolve',
    'apa.cat.saved': 'Saved',
    'apa.cal.title': 'Holiday calendar',
    'apa.cal.prev': 'Previous month',
    'apa.cal.next': 'Next month',
    'apa.cal.month': '{m}/{y}',
    'apa.cal.legend_holiday': 'Holiday',
    'apa.cal.legend_workday': 'Adjusted workday (班)',
    'apa.cal.hint': 'Click a day to change it. Saturdays and Sundays are days off unless marked.',
    'apa.cal.holiday': 'off',
    'apa.cal.workday': '班',
    'apa.cal.kind': 'This day',
    'apa.cal.kind.normal': 'Follows the week (Monday-Friday)',
    'apa.cal.kind.holiday': 'Holiday',
    'apa.cal.kind.workday': 'Adjusted workday',
    'apa.cal.name': 'Name (e.g. National Day)',
    'apa.cal.edit': 'Change {day}',
    'apa.cal.saved': '{day} updated',
    'apa.wd': 'MTWTFSS',
  },
});

// ---------------------------------------------------------------- supervision

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of kids) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * A horizontal bar chart: rows [{label, open, overdue}], bars scaled to the
 * largest. One SVG per bar with widths in percent, so the text stays at its
 * size on a phone and a desktop alike.
 */
export function villageChart(rows) {
  const max = Math.max(1, ...rows.map((r) => r.open));
  const pct = (n) => `${Math.max(0.5, (n / max) * 100).toFixed(1)}%`;
  return h('div', { class: 'apa-chart', role: 'img', 'aria-label': t('apa.sup.chart') }, rows.map((r) => {
    const bar = s('svg', { class: 'apa-bar', width: '100%', height: '26', 'aria-hidden': 'true' },
      s('rect', { x: 0, y: 2, width: pct(r.open), height: 22, rx: 3, class: 'apa-bar-open' }));
    if (r.overdue) bar.append(s('rect', { x: 0, y: 2, width: pct(r.overdue), height: 22, rx: 3, class: 'apa-bar-overdue' }));
    return h('div', { class: 'apa-chart-row', dataset: { village: r.label } },
      h('span', { class: 'apa-chart-label' }, r.label), bar,
      h('span', { class: 'apa-chart-value' }, r.overdue ? `${r.open}（${r.overdue}）` : String(r.open)));
  }));
}

async function listSection(title, query, signal, cls) {
  const res = await api.get('/api/v1/appeals', { query: { ...query, limit: 100 }, signal });
  const items = (res.items || []).filter((a) => OPEN.has(a.state));
  const sec = h('section', { class: 'card' }, h('h2', null, `${title}（${items.length}${res.next_cursor ? '+' : ''}）`));
  if (!items.length) { sec.append(h('p', { class: 'muted' }, t('apa.sup.none'))); return sec; }
  const table = appealTable(cls);
  table.add(items);
  sec.append(table.el);
  return sec;
}

async function renderSupervise(root, ctx) {
  root.append(pageHeader(t('apa.sup.title')));
  const [overdue, escalated, all] = await Promise.all([
    listSection(t('apa.sup.overdue'), { overdue: 1 }, ctx.signal, 'apa-overdue'),
    listSection(t('apa.sup.escalated'), { escalated: 1 }, ctx.signal, 'apa-escalated'),
    loadAll('/api/v1/appeals', {}, ctx.signal, 10),
  ]);
  const byVillage = new Map();
  for (const a of all) {
    if (!OPEN.has(a.state) || !a.village) continue;
    const r = byVillage.get(a.village.code) || { label: a.village.name, open: 0, overdue: 0 };
    r.open += 1;
    if (a.overdue) r.overdue += 1;
    byVillage.set(a.village.code, r);
  }
  const rows = [...byVillage.values()].sort((x, y) => y.open - x.open);
  const chart = h('section', { class: 'card', id: 'apa-by-village' }, h('h2', null, t('apa.sup.by_village')),
    h('p', { class: 'apa-legend' }, h('span', { class: 'apa-key apa-key-open' }), t('apa.sup.open'), ' ',
      h('span', { class: 'apa-key apa-key-overdue' }), t('apa.sup.overdue_n')),
    rows.length ? villageChart(rows) : h('p', { class: 'muted' }, t('apa.sup.none')));
  root.append(chart, overdue, escalated);
}

// ---------------------------------------------------------------- categories

function limitPair(l) {
  if (!l) return '';
  const x = (v) => (v ? `${v.amount}${unitLabel(v.unit)}` : '—');
  return `${x(l.accept)} / ${x(l.resolve)}`;
}

function categoryFields(cat, cats, deps) {
  const c = cat || {};
  const out = [
    field({ name: 'name', label: t('apa.cat.name'), required: true, value: c.name, attrs: { maxlength: '32' } }),
    field({ name: 'name_en', label: t('apa.cat.name_en'), value: c.name_en }),
  ];
  if (!cat) {
    out.push(field({ name: 'parent_id', label: t('apa.cat.parent'), value: '',
      options: [{ value: '', label: t('apa.cat.no_parent') }, ...cats.filter((x) => !x.parent_id && !x.retired).map((x) => ({ value: String(x.id), label: catName(x) }))] }));
  }
  out.push(field({ name: 'default_department_id', label: t('apa.cat.dept'), value: c.default_department_id ?? '',
    options: [{ value: '', label: t('apa.cat.no_dept') }, ...deps.map((d) => ({ value: String(d.id), label: d.name }))] }),
  field({ name: 'sort', label: t('apa.cat.sort'), type: 'number', value: c.sort ?? '', inputmode: 'numeric' }));
  for (const urg of URGENCIES) {
    for (const kind of ['accept', 'resolve']) {
      const cur = c.limits && c.limits[urg] && c.limits[urg][kind];
      const label = t('apa.cat.limit', { urg: t(`ap.urg.${urg}`), kind: t(`apa.cat.${kind}`) });
      const amount = field({ name: `${urg}.${kind}.amount`, label, type: 'number', value: cur ? cur.amount : '', inputmode: 'numeric', attrs: { min: '1' } });
      const unit = field({ name: `${urg}.${kind}.unit`, label: '', value: cur ? cur.unit : 'working_days',
        options: UNITS.map((u) => ({ value: u, label: unitLabel(u).trim() })) });
      unit.input.setAttribute('aria-label', label);
      amount.classList.add('apa-limit-amount');
      unit.classList.add('apa-limit-unit');
      out.push(amount, unit);
    }
  }
  return out;
}

/** The dialog's values as a category body: limits nested, blanks dropped. */
function categoryBody(values, cat) {
  const body = {};
  const limits = {};
  for (const [k, v] of Object.entries(values)) {
    const parts = k.split('.');
    if (parts.length === 3) {
      const [urg, kind, what] = parts;
      limits[urg] = limits[urg] || {};
      limits[urg][kind] = limits[urg][kind] || {};
      limits[urg][kind][what] = what === 'amount' ? (v === '' ? '' : Number(v)) : v;
    } else body[k] = v;
  }
  const out = compact(body);
  for (const k of ['parent_id', 'default_department_id', 'sort']) if (out[k] !== undefined) out[k] = Number(out[k]);
  if (cat && body.default_department_id === '' && cat.default_department_id) out.default_department_id = null;
  if (cat && body.name_en === '' && cat.name_en) out.name_en = null;
  const lim = {};
  for (const [urg, kinds] of Object.entries(limits)) {
    if (kinds.accept.amount === '' || kinds.resolve.amount === '') continue;
    lim[urg] = kinds;
  }
  if (Object.keys(lim).length) out.limits = lim;
  return out;
}

async function renderCategories(root, ctx) {
  const [cats, deps] = await Promise.all([
    api.get('/api/v1/appeal-categories', { query: { include_retired: 1 }, signal: ctx.signal }).then((r) => r.items || []),
    loadAll('/api/v1/departments', {}, ctx.signal).then((d) => d.filter((x) => !x.retired)),
  ]);
  const depName = (id) => { const d = deps.find((x) => x.id === id); return d ? d.name : ''; };
  const reload = () => navigate('#/appeals/categories');
  const edit = (cat) => formDialog({
    title: cat ? `${t('apa.cat.edit')} ${cat.name}` : t('apa.cat.new'),
    fields: categoryFields(cat, cats, deps),
    onSubmit: (v) => (cat ? api.patch(`/api/v1/appeal-categories/${cat.id}`, categoryBody(v, cat))
      : api.post('/api/v1/appeal-categories', categoryBody(v, null))),
    done: () => { notify(t('apa.cat.saved'), 'ok'); reload(); },
  }).dialog.classList.add('apa-cat-dialog');
  const toggle = async (cat) => {
    await api.patch(`/api/v1/appeal-categories/${cat.id}`, { retired: !cat.retired });
    notify(t('apa.cat.saved'), 'ok');
    reload();
  };
  root.append(pageHeader(t('apa.cat.title'),
    h('button', { type: 'button', class: 'btn btn-primary', id: 'category-new', onclick: () => edit(null) }, t('apa.cat.new'))));
  const table = dataTable([
    { key: 'name', label: t('apa.cat.col.name'), class: 'col-strong', render: (c) => (c.parent_id ? `└ ${catName(c)}` : catName(c)) },
    { key: 'dept', label: t('apa.cat.col.dept'), render: (c) => depName(c.default_department_id) },
    { key: 'limits', label: t('apa.cat.col.limits'), render: (c) => limitPair(c.limits && c.limits.general) },
    { key: 'state', label: t('apa.cat.col.state'), render: (c) => h('span', { class: ['badge', c.retired ? 'badge-off' : 'badge-on'] }, c.retired ? t('apa.cat.retired') : t('apa.cat.active')) },
    { key: 'actions', label: t('apa.cat.col.actions'), class: 'col-actions', render: (c) => h('span', { class: 'badges' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => edit(c) }, t('apa.cat.edit')),
      h('button', { type: 'button', class: ['btn', 'btn-small', c.retired ? null : 'btn-danger'], onclick: () => toggle(c).catch((e) => notify(e.title || String(e), 'error')) },
        c.retired ? t('apa.cat.restore') : t('apa.cat.retire'))) },
  ], { rowKey: (c) => c.id, class: 'apa-cat-table', caption: t('apa.cat.title') });
  table.add(cats);
  root.append(table.el, h('p', { class: 'count' }, countText(cats.length, false)));
}

// ---------------------------------------------------------------- calendar

const pad = (n) => String(n).padStart(2, '0');

async function renderCalendar(root, ctx) {
  const m = /^(\d{4})-(\d{2})$/.exec(ctx.query.get('month') || '');
  const now = today();
  const year = m ? Number(m[1]) : Number(now.slice(0, 4));
  const month = m ? Number(m[2]) : Number(now.slice(5, 7));
  const res = await api.get('/api/v1/calendar', { query: { year }, signal: ctx.signal });
  const days = new Map((res.items || []).map((d) => [d.day, d]));
  const shift = (k) => { const d = new Date(Date.UTC(year, month - 1 + k, 1)); return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`; };
  const admin = ctx.user.role === 'admin';

  root.append(pageHeader(t('apa.cal.title')),
    h('div', { class: 'apa-cal-nav' },
      h('a', { class: 'btn', href: `#/appeals/calendar?month=${shift(-1)}`, id: 'cal-prev' }, `‹ ${t('apa.cal.prev')}`),
      h('h2', { class: 'apa-cal-month', id: 'cal-month' }, t('apa.cal.month', { y: year, m: month })),
      h('a', { class: 'btn', href: `#/appeals/calendar?month=${shift(1)}`, id: 'cal-next' }, `${t('apa.cal.next')} ›`)),
    h('p', { class: 'apa-legend' },
      h('span', { class: 'apa-key apa-key-holiday' }), t('apa.cal.legend_holiday'), ' ',
      h('span', { class: 'apa-key apa-key-workday' }), t('apa.cal.legend_workday')),
    h('p', { class: 'hint' }, t('apa.cal.hint')));

  const grid = h('div', { class: 'apa-cal', role: 'grid', id: 'calendar-grid' });
  const wd = t('apa.wd');
  grid.append(...[...wd].map((c, i) => h('div', { class: ['apa-cal-wd', i >= 5 ? 'is-weekend' : null], role: 'columnheader' }, c)));
  const first = new Date(Date.UTC(year, month - 1, 1));
  const lead = (first.getUTCDay() + 6) % 7;
  for (let i = 0; i < lead; i++) grid.append(h('div', { class: 'apa-cal-blank' }));
  const ndays = new Date(Date.UTC(year, month, 0)).getUTCDate();
  for (let d = 1; d <= ndays; d++) {
    const day = `${year}-${pad(month)}-${pad(d)}`;
    const dow = (lead + d - 1) % 7;
    const ex = days.get(day);
    const cls = ['apa-cal-day', dow >= 5 ? 'is-weekend' : null, ex ? `is-${ex.kind}` : null, day === now ? 'is-today' : null];
    const mark = ex ? (ex.kind === 'holiday' ? t('apa.cal.holiday') : t('apa.cal.workday')) : '';
    const label = [day, ex ? `${ex.name || ''} ${ex.kind === 'holiday' ? t('apa.cal.kind.holiday') : t('apa.cal.kind.workday')}` : ''].join(' ').trim();
    const cell = h(admin ? 'button' : 'div', {
      type: admin ? 'button' : null, class: cls, dataset: { day, kind: ex ? ex.kind : 'normal' }, 'aria-label': label, title: label,
      onclick: admin ? () => editDay(day, ex) : null,
    }, h('span', { class: 'apa-cal-num' }, d), mark ? h('span', { class: 'apa-cal-mark' }, mark) : null,
    ex && ex.name ? h('span', { class: 'apa-cal-name' }, ex.name) : null);
    grid.append(cell);
  }
  root.append(h('div', { class: 'card apa-cal-card' }, grid));

  function editDay(day, ex) {
    const kind = field({ name: 'kind', label: t('apa.cal.kind'), value: ex ? ex.kind : 'normal',
      options: ['normal', 'holiday', 'workday'].map((k) => ({ value: k, label: t(`apa.cal.kind.${k}`) })) });
    const name = field({ name: 'name', label: t('apa.cal.name'), value: ex ? ex.name : '', attrs: { maxlength: '32' } });
    formDialog({
      title: t('apa.cal.edit', { day }),
      fields: [kind, name],
      onSubmit: async (v) => {
        if (v.kind === 'normal') { if (ex) await api.del(`/api/v1/calendar/${day}`); return null; }
        return api.put(`/api/v1/calendar/${day}`, compact({ kind: v.kind, name: v.name }));
      },
      done: () => { notify(t('apa.cal.saved', { day }), 'ok'); navigate(`#/appeals/calendar?month=${year}-${pad(month)}`); },
    }).dialog.classList.add('apa-cal-dialog');
  }
}

// ---------------------------------------------------------------- pages

registerPage({
  id: 'appeals-supervise',
  path: '#/appeals/supervise',
  title: { zh: '诉求督办', en: 'Appeal supervision' },
  roles: ['admin', 'leader'],
  order: 41,
  render: renderSupervise,
});

registerPage({
  id: 'appeals-categories',
  path: '#/appeals/categories',
  title: { zh: '诉求类别与时限', en: 'Appeal categories' },
  roles: ['admin'],
  order: 42,
  render: renderCategories,
});

registerPage({
  id: 'appeals-calendar',
  path: '#/appeals/calendar',
  title: { zh: '节假日日历', en: 'Holiday calendar' },
  roles: ['admin'],
  order: 43,
  render: renderCalendar,
});
