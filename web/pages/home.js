// Home: what each role needs first. A cadre: the due list (today / this
// week / overdue), the quick "record a contact" (web/pages/record.js), what
// waits to sync (web/offline.js), recent contacts and the diary. A leader or
// viewer: contact statistics by method and village over time (contacts.js),
// overdue plan items and the reception-day schedule. Everyone: role, scope
// and the pages they can use.

import { registerPage, navPages } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t, pick, roleLabel } from '../i18n.js';
import { h, pageHeader, errorPanel, formatTime } from '../ui.js';
import { waitingCount, onOutboxChange } from '../offline.js';
import { statsSection, methodLabel } from './contacts.js';

addStrings({
  zh: {
    'hm.record': '记录联系',
    'hm.record_hint': '例行入户走访：选农户、点常用语、保存，三步完成；没有信号也能记。',
    'hm.sync_waiting': '待同步 {n} 条',
    'hm.sync_none': '所有记录都已上传',
    'hm.due': '我的待办',
    'hm.w.today': '今天', 'hm.w.week': '本周', 'hm.w.overdue': '逾期', 'hm.w.all': '本期',
    'hm.due_empty.all': '本期没有待走访的农户。',
    'hm.due_empty.today': '今天没有到期的走访。',
    'hm.due_empty.week': '本周没有到期的走访。',
    'hm.due_empty.overdue': '没有逾期的走访。',
    'hm.due_by': '{date} 前',
    'hm.overdue_days': '逾期 {n} 天',
    'hm.station': '驻点天数 {village}：{n}/{m} 天',
    'hm.due_all': '全部走访计划',
    'hm.more_items': '还有 {n} 项',
    'hm.recent': '我最近的联系',
    'hm.recent_none': '还没有联系记录。',
    'hm.all_contacts': '全部联系记录',
    'hm.diary': '民情日记',
    'hm.diary_write': '写日记',
    'hm.diary_none': '还没有日记。',
    'hm.diary_soon': '民情日记即将开放。',
    'hm.overdue': '逾期未走访',
    'hm.overdue_total': '逾期户数：{n}',
    'hm.overdue_none': '没有逾期未走访的农户。',
    'hm.overdue_all': '查看逾期详情',
    'hm.reception': '接访日安排',
    'hm.reception_text': '各村接访日（固定时间、固定地点）的排班与到岗情况。',
    'hm.reception_go': '查看接访日安排',
    'hm.about': '我的账号',
  },
  en: {
    'hm.record': 'Record a contact',
    'hm.record_hint': 'A routine home visit takes three taps: household, quick phrase, save; it works with no signal too.',
    'hm.sync_waiting': '{n} waiting to sync',
    'hm.sync_none': 'Everything is uploaded',
    'hm.due': 'My due list',
    'hm.w.today': 'Today', 'hm.w.week': 'This week', 'hm.w.overdue': 'Overdue', 'hm.w.all': 'This period',
    'hm.due_empty.all': 'Nothing due this period.',
    'hm.due_empty.today': 'No visits due today.',
    'hm.due_empty.week': 'No visits due this week.',
    'hm.due_empty.overdue': 'No overdue visits.',
    'hm.due_by': 'by {date}',
    'hm.overdue_days': '{n} days overdue',
    'hm.station': 'Station days at {village}: {n} of {m}',
    'hm.due_all': 'All visit plans',
    'hm.more_items': '{n} more',
    'hm.recent': 'My recent contacts',
    'hm.recent_none': 'No contacts yet.',
    'hm.all_contacts': 'All contacts',
    'hm.diary': 'Diary',
    'hm.diary_write': 'Write in the diary',
    'hm.diary_none': 'No diary entries yet.',
    'hm.diary_soon': 'The diary opens soon.',
    'hm.overdue': 'Overdue visits',
    'hm.overdue_total': 'Overdue households: {n}',
    'hm.overdue_none': 'No household is overdue.',
    'hm.overdue_all': 'Overdue details',
    'hm.reception': 'Reception days',
    'hm.reception_text': 'Each village\'s reception day (fixed time, fixed place): the roster and who was there.',
    'hm.reception_go': 'Open the reception-day schedule',
    'hm.about': 'My account',
  },
});

// Modules still being built; a module removes its line when its pages land.
const COMING = ['evaluation', 'surveys', 'training'];
const WINDOWS = ['today', 'week', 'overdue', 'all'];
const DUE_SHOWN = 8;

/** Loads into el, replacing its content; shows errors in place. */
async function fill(ctx, el, fn) {
  try {
    el.replaceChildren(...[].concat(await fn()));
  } catch (e) {
    if (!isAbort(e)) el.replaceChildren(errorPanel(e, () => fill(ctx, el, fn)));
  }
}

function accountCard(u) {
  return h('section', { class: 'card', 'aria-labelledby': 'hm-about-h' },
    h('h2', { id: 'hm-about-h', class: 'sr-only' }, t('hm.about')),
    h('dl', { class: 'facts' },
      h('div', null, h('dt', null, t('home.role')), h('dd', { id: 'home-role' }, roleLabel(u.role))),
      h('div', null, h('dt', null, t('home.scope')),
        h('dd', { id: 'home-scope' }, u.scope_name ? `${u.scope_name}（${u.scope_code}）` : u.scope_code))),
    h('p', { class: 'hint' }, t('home.scope_hint')));
}

function linksCard(u) {
  const available = navPages(u).filter((p) => p.id !== 'home');
  return h('section', { class: 'card' },
    h('h2', null, t('home.available')),
    h('ul', { class: 'link-list' }, available.map((p) => h('li', null, h('a', { href: p.path }, pick(p.title))))));
}

function comingCard() {
  return h('section', { class: 'card' },
    h('h2', null, t('home.coming')),
    h('p', null, t('home.coming_intro')),
    h('ul', { class: 'plain-list' }, COMING.map((k) => h('li', null, t(`home.coming.${k}`)))));
}

// ---------------------------------------------------------------- cadre

function recordCard(ctx) {
  const sync = h('a', { href: '#/outbox', class: 'hm-sync', id: 'home-sync' });
  const show = async () => {
    const n = await waitingCount().catch(() => 0);
    sync.textContent = n ? t('hm.sync_waiting', { n }) : t('hm.sync_none');
    sync.classList.toggle('hm-sync-waiting', n > 0);
  };
  const off = onOutboxChange(show);
  ctx.signal.addEventListener('abort', off);
  show();
  return h('section', { class: 'card hm-record', 'aria-labelledby': 'hm-record-h' },
    h('h2', { id: 'hm-record-h', class: 'sr-only' }, t('hm.record')),
    h('a', { href: '#/record', class: 'btn btn-primary btn-block hm-record-btn', id: 'home-record' }, t('hm.record')),
    h('p', { class: 'hint' }, t('hm.record_hint')),
    h('p', { class: 'hm-sync-line' }, sync));
}

function dueRow(it) {
  if (it.kind === 'station_days') {
    return h('li', { class: 'hm-due-item' },
      h('span', null, t('hm.station', { village: it.village.name, n: it.days, m: it.required })),
      h('span', { class: 'hm-due-meta' }, it.overdue ? h('span', { class: 'badge badge-danger' }, t('hm.w.overdue'))
        : t('hm.due_by', { date: it.due_date })));
  }
  return h('li', { class: 'hm-due-item' },
    h('a', { href: `#/household/${it.household.id}`, class: 'hm-due-link' }, it.household.head_name),
    h('span', { class: 'hm-due-meta' },
      `${it.village.name}${it.rule && it.rule.tag ? ` · ${it.rule.tag}` : ''} · `,
      it.overdue ? h('span', { class: 'badge badge-danger' }, t('hm.overdue_days', { n: it.days_overdue }))
        : t('hm.due_by', { date: it.due_date })));
}

function dueCard(ctx) {
  const list = h('div', { class: 'hm-due-body', id: 'home-due' }, h('p', { class: 'muted' }, '…'));
  const tabs = h('div', { class: 'ap-tabs', role: 'tablist', 'aria-label': t('hm.due') });
  const results = {};
  let current = null; // the first window with something in it, overdue first
  const draw = () => {
    for (const b of tabs.children) {
      const on = b.dataset.w === current;
      b.setAttribute('aria-selected', String(on));
      b.classList.toggle('is-active', on);
      b.tabIndex = on ? 0 : -1;
    }
    const r = results[current];
    if (!r) return;
    if (r instanceof Error) { list.replaceChildren(errorPanel(r, load)); return; }
    const items = r.items;
    list.replaceChildren(...[items.length
      ? h('ul', { class: 'hm-due-list', dataset: { window: current } }, items.slice(0, DUE_SHOWN).map(dueRow))
      : h('p', { class: 'muted' }, t(`hm.due_empty.${current}`)),
    items.length > DUE_SHOWN ? h('p', null, h('a', { href: `#/plans?window=${current}` }, t('hm.more_items', { n: items.length - DUE_SHOWN }))) : null]
      .filter(Boolean));
  };
  async function load() {
    await Promise.all(WINDOWS.map(async (w) => {
      try {
        results[w] = await api.get('/api/v1/plans/due', { query: { window: w }, signal: ctx.signal });
      } catch (e) {
        if (isAbort(e)) return;
        results[w] = e;
      }
      const b = tabs.querySelector(`[data-w="${w}"] .hm-tab-n`);
      if (b && !(results[w] instanceof Error)) b.textContent = String(results[w].items.length);
    }));
    if (ctx.signal.aborted) return;
    const has = (w) => results[w] && !(results[w] instanceof Error) && results[w].items.length;
    current = current || ['overdue', 'today', 'week'].find(has) || 'all';
    draw();
  }
  for (const w of WINDOWS) {
    tabs.append(h('button', {
      type: 'button', class: 'ap-tab hm-tab', role: 'tab', dataset: { w }, 'aria-controls': 'home-due',
      onclick: () => { current = w; draw(); },
    }, t(`hm.w.${w}`), ' ', h('span', { class: 'hm-tab-n' }, '')));
  }
  load();
  return h('section', { class: 'card', 'aria-labelledby': 'hm-due-h' },
    h('h2', { id: 'hm-due-h' }, t('hm.due')), tabs, list,
    h('p', { class: 'hm-more' }, h('a', { href: '#/plans' }, t('hm.due_all'))));
}

function recentCard(ctx) {
  const body = h('div', { id: 'home-recent' }, h('p', { class: 'muted' }, '…'));
  fill(ctx, body, async () => {
    const r = await api.get('/api/v1/contacts', { query: { cadre: ctx.user.id, limit: 3 }, signal: ctx.signal });
    if (!r.items.length) return h('p', { class: 'muted' }, t('hm.recent_none'));
    return h('ul', { class: 'hm-entries' }, r.items.map((c) => h('li', null,
      h('a', { href: `#/contacts/${c.id}` }, `${formatTime(c.started_at)} · ${methodLabel(c.method)}`),
      h('span', { class: 'hm-entry-text' }, [(c.households || []).map((x) => x.head_name).join('、'), c.summary].filter(Boolean).join('：')))));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'hm-recent-h' },
    h('h2', { id: 'hm-recent-h' }, t('hm.recent')), body,
    h('p', { class: 'hm-more' }, h('a', { href: `#/contacts?cadre=${ctx.user.id}` }, t('hm.all_contacts'))));
}

function diaryCard(ctx) {
  const body = h('div', { id: 'home-diary' }, h('p', { class: 'muted' }, '…'));
  fill(ctx, body, async () => {
    let r;
    try {
      r = await api.get('/api/v1/diary', { query: { mine: 1, limit: 3 }, signal: ctx.signal });
    } catch (e) {
      // the diary is another piece of work; until its API is there, say so
      if (e.status === 404 || e.status === 405) return h('p', { class: 'muted' }, t('hm.diary_soon'));
      throw e;
    }
    const items = (r.items || []).slice(0, 3);
    if (!items.length) return h('p', { class: 'muted' }, t('hm.diary_none'));
    return h('ul', { class: 'hm-entries' }, items.map((d) => h('li', null,
      h('a', { href: `#/diary?month=${String(d.date).slice(0, 7)}` }, [d.date, d.village && d.village.name].filter(Boolean).join(' · ')),
      h('span', { class: 'hm-entry-text' }, d.text))));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'hm-diary-h' },
    h('div', { class: 'hm-card-head' }, h('h2', { id: 'hm-diary-h' }, t('hm.diary')),
      h('a', { href: '#/diary', class: 'btn btn-small', id: 'home-diary-write' }, t('hm.diary_write'))),
    body);
}

// ---------------------------------------------------------------- leader

function overdueCard(ctx) {
  const body = h('div', { id: 'home-overdue' }, h('p', { class: 'muted' }, '…'));
  fill(ctx, body, async () => {
    const r = await api.get('/api/v1/plans/overdue', { query: { by: 'village', limit: 1 }, signal: ctx.signal });
    if (!r.total) return h('p', { class: 'muted' }, t('hm.overdue_none'));
    const groups = [...r.groups].sort((a, b) => b.count - a.count);
    const max = Math.max(1, ...groups.map((g) => g.count));
    return [
      h('p', { class: 'hm-overdue-total' }, t('hm.overdue_total', { n: r.total })),
      h('ul', { class: 'hm-bars' }, groups.map((g) => h('li', null,
        h('span', { class: 'hm-bar-label' }, g.name),
        h('span', { class: 'hm-bar-track', 'aria-hidden': 'true' },
          h('span', { class: `hm-bar hm-w-${Math.max(1, Math.round((g.count / max) * 20))}` })),
        h('span', { class: 'hm-bar-n' }, String(g.count))))),
    ];
  });
  return h('section', { class: 'card', 'aria-labelledby': 'hm-overdue-h' },
    h('h2', { id: 'hm-overdue-h' }, t('hm.overdue')), body,
    h('p', { class: 'hm-more' }, h('a', { href: '#/plans' }, t('hm.overdue_all'))));
}

function receptionCard() {
  return h('section', { class: 'card', 'aria-labelledby': 'hm-reception-h' },
    h('h2', { id: 'hm-reception-h' }, t('hm.reception')),
    h('p', null, t('hm.reception_text')),
    h('p', null, h('a', { href: '#/reception', class: 'btn', id: 'home-reception' }, t('hm.reception_go'))));
}

registerPage({
  id: 'home',
  path: '#/home',
  title: { zh: '首页', en: 'Home' },
  order: 0,
  render(root, ctx) {
    const u = ctx.user;
    root.append(pageHeader(t('home.greeting', { name: u.display_name || u.username })));
    if (u.role === 'cadre') {
      root.append(h('div', { class: 'hm-grid' },
        h('div', { class: 'hm-col' }, recordCard(ctx), dueCard(ctx)),
        h('div', { class: 'hm-col' }, recentCard(ctx), diaryCard(ctx), accountCard(u))));
      return;
    }
    if (u.role === 'leader' || u.role === 'viewer') {
      root.append(statsSection(ctx),
        h('div', { class: 'hm-grid' },
          h('div', { class: 'hm-col' }, overdueCard(ctx)),
          h('div', { class: 'hm-col' }, receptionCard(), accountCard(u))),
        linksCard(u));
      return;
    }
    root.append(accountCard(u), linksCard(u), comingCard());
  },
});
