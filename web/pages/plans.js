// plans.js: visit plans (走访计划). A cadre's due list (today / this week /
// overdue / this period), each household a tap target opening its file;
// for leaders, overdue households by village and by cadre, and the station
// days (驻点日) that passed without a check-in (the reception-day page,
// reception.js, has the whole schedule).

import { registerPage } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, pageHeader, errorPanel } from '../ui.js';

addStrings({
  zh: {
    'plans.title': '走访计划',
    'plans.mine': '我的待办',
    'plans.w.today': '今天到期', 'plans.w.week': '本周到期', 'plans.w.overdue': '已逾期', 'plans.w.all': '本期全部',
    'plans.empty': '没有待办事项',
    'plans.due': '截止 {date}',
    'plans.overdue_since': '逾期 {n} 天（{date} 到期）',
    'plans.count': '已联系 {n}/{m} 次',
    'plans.station': '驻点天数：{village} 本月 {n}/{m} 天',
    'plans.every.week': '每周', 'plans.every.month': '每月', 'plans.every.quarter': '每季度', 'plans.every.days': '每 {n} 天',
    'plans.leader': '逾期情况',
    'plans.by.village': '按村', 'plans.by.cadre': '按干部',
    'plans.total': '逾期户数：{n}',
    'plans.missed': '未签到的驻点日（本月）',
    'plans.missed_none': '本月驻点日都已签到',
    'plans.nobody': '（未分配）',
    'plans.reception': '接访日安排与值班',
  },
  en: {
    'plans.title': 'Visit plans',
    'plans.mine': 'My due list',
    'plans.w.today': 'Due today', 'plans.w.week': 'Due this week', 'plans.w.overdue': 'Overdue', 'plans.w.all': 'This period',
    'plans.empty': 'Nothing due',
    'plans.due': 'due {date}',
    'plans.overdue_since': '{n} days overdue (due {date})',
    'plans.count': 'contacted {n} of {m} times',
    'plans.station': 'Station days at {village} this month: {n} of {m}',
    'plans.every.week': 'weekly', 'plans.every.month': 'monthly', 'plans.every.quarter': 'quarterly', 'plans.every.days': 'every {n} days',
    'plans.leader': 'Overdue',
    'plans.by.village': 'By village', 'plans.by.cadre': 'By cadre',
    'plans.total': 'Overdue households: {n}',
    'plans.missed': 'Station days without a check-in (this month)',
    'plans.missed_none': 'Every station day this month has a check-in',
    'plans.nobody': '(unassigned)',
    'plans.reception': 'Reception-day schedule and rosters',
  },
});

const WINDOWS = ['today', 'week', 'overdue', 'all'];

function everyText(rule) {
  return rule.every === 'days' ? t('plans.every.days', { n: rule.every_days }) : t(`plans.every.${rule.every}`);
}

function itemRow(it) {
  if (it.kind === 'station_days') {
    return h('li', { class: 'due-item due-station' },
      h('span', {}, t('plans.station', { village: it.village.name, n: it.days, m: it.required })),
      h('span', { class: 'muted' }, ' · ', t('plans.due', { date: it.due_date })));
  }
  const when = it.overdue
    ? h('span', { class: 'badge badge-off' }, t('plans.overdue_since', { n: it.days_overdue, date: it.overdue_since }))
    : h('span', { class: 'muted' }, t('plans.due', { date: it.due_date }));
  return h('li', { class: 'due-item' },
    h('a', { href: `#/household/${encodeURIComponent(it.household.id)}`, class: 'due-link' },
      h('strong', {}, it.household.head_name), ' ', h('span', { class: 'mono muted' }, it.household.code)),
    h('div', { class: 'due-meta' },
      it.village.name, ' · ', it.rule.tag ? `${it.rule.tag} ` : '', everyText(it.rule), ' · ',
      t('plans.count', { n: it.contacts, m: it.required }), ' · ', when));
}

function dueSection(ctx) {
  const list = h('ul', { class: 'due-list', id: 'plans-due' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const sec = h('section', { class: 'card', 'aria-labelledby': 'plans-mine-h' },
    h('h2', { id: 'plans-mine-h' }, t('plans.mine')), tabs, list);
  let current = ctx.query.get('window') || 'today';
  async function load() {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.w === current));
    list.replaceChildren(h('li', { class: 'muted' }, '…'));
    try {
      const r = await api.get('/api/v1/plans/due', { query: { window: current }, signal: ctx.signal });
      list.replaceChildren(...(r.items.length ? r.items.map(itemRow) : [h('li', { class: 'muted' }, t('plans.empty'))]));
    } catch (e) {
      if (!isAbort(e)) list.replaceChildren(errorPanel(e, load));
    }
  }
  for (const w of WINDOWS) {
    tabs.append(h('button', {
      type: 'button', class: 'btn btn-small', role: 'tab', 'data-w': w,
      onclick: () => { current = w; load(); },
    }, t(`plans.w.${w}`)));
  }
  load();
  return sec;
}

function overdueSection(ctx) {
  const groups = h('table', { class: 'table', id: 'plans-overdue' });
  const drill = h('ul', { class: 'due-list' });
  const total = h('p', {});
  let by = 'village';
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  async function showItems(g) {
    const query = { by, limit: 500 };
    if (by === 'village') query.village = g.code; else if (g.id) query.cadre = g.id;
    try {
      const r = await api.get('/api/v1/plans/overdue', { query, signal: ctx.signal });
      drill.replaceChildren(...r.items.map(itemRow));
    } catch (e) {
      if (!isAbort(e)) drill.replaceChildren(errorPanel(e, () => showItems(g)));
    }
  }
  async function load() {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.by === by));
    drill.replaceChildren();
    try {
      const r = await api.get('/api/v1/plans/overdue', { query: { by, limit: 1 }, signal: ctx.signal });
      total.textContent = t('plans.total', { n: r.total });
      groups.replaceChildren(h('tbody', {}, ...r.groups.sort((a, b) => b.count - a.count).map((g) => h('tr', {},
        h('td', {}, h('button', { type: 'button', class: 'btn-link', onclick: () => showItems(g) }, g.name || t('plans.nobody'))),
        h('td', { class: 'num' }, String(g.count))))));
    } catch (e) {
      if (!isAbort(e)) groups.replaceChildren(errorPanel(e, load));
    }
  }
  for (const b of ['village', 'cadre']) {
    tabs.append(h('button', { type: 'button', class: 'btn btn-small', role: 'tab', 'data-by': b,
      onclick: () => { by = b; load(); } }, t(`plans.by.${b}`)));
  }
  load();
  return h('section', { class: 'card', 'aria-labelledby': 'plans-leader-h' },
    h('h2', { id: 'plans-leader-h' }, t('plans.leader')), tabs, total, groups, drill);
}

function missedSection(ctx) {
  const list = h('ul', { class: 'due-list', id: 'plans-missed' });
  (async () => {
    try {
      const r = await api.get('/api/v1/plans/missed-station-days', { signal: ctx.signal });
      list.replaceChildren(...(r.items.length ? r.items.map((it) => h('li', {},
        h('strong', {}, it.village.name), ' ', it.date, it.leader && it.leader.display_name ? ` · ${it.leader.display_name}` : ''))
        : [h('li', { class: 'muted' }, t('plans.missed_none'))]));
    } catch (e) {
      if (!isAbort(e)) list.replaceChildren(errorPanel(e));
    }
  })();
  return h('section', { class: 'card', 'aria-labelledby': 'plans-missed-h' },
    h('h2', { id: 'plans-missed-h' }, t('plans.missed')), list,
    h('p', {}, h('a', { href: '#/reception', id: 'plans-reception-link' }, t('plans.reception'))));
}

registerPage({
  id: 'plans',
  path: '#/plans',
  title: { zh: '走访计划', en: 'Visit plans' },
  order: 25,
  render(root, ctx) {
    root.append(pageHeader(t('plans.title')));
    if (ctx.user.role === 'cadre' || ctx.user.role === 'leader') root.append(dueSection(ctx));
    if (ctx.user.role !== 'cadre') root.append(overdueSection(ctx), missedSection(ctx));
  },
});
