// reception.js: reception days (接访日). For the cadre on duty (phone first):
// today's reception day at the village, the check-in, a walk-in visitor
// registered in a few taps (a contact and, if asked, an appeal in one step)
// and the day's walk-ins. For a leader: the town-wide schedule, the coming
// days by village with place, hours and who is on duty (a roster to change),
// the past days with attendance, and the missed ones.

import { registerPage } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t, pick } from '../i18n.js';
import {
  h, pageHeader, errorPanel, field, alertBox, statusBox, showMessage, showProblem, clearErrors, busy,
  formValues, openDialog,
} from '../ui.js';

addStrings({
  zh: {
    'rcp.title': '接访日',
    'rcp.today': '今天的接访日',
    'rcp.none_today': '今天您没有接访值班',
    'rcp.checkin': '签到',
    'rcp.checked_in': '已签到',
    'rcp.walkin': '登记来访群众',
    'rcp.name': '姓名',
    'rcp.phone': '手机号（选填）',
    'rcp.household': '所属农户（选填）',
    'rcp.hh_search': '输入户主姓名或电话查找',
    'rcp.hh_find': '查找',
    'rcp.hh_none': '没有找到',
    'rcp.hh_clear': '不关联农户',
    'rcp.raised': '反映的问题',
    'rcp.as_appeal': '同时登记为诉求',
    'rcp.category': '诉求分类',
    'rcp.save': '登记',
    'rcp.saved': '已登记',
    'rcp.saved_appeal': '已登记，诉求受理码 {code}',
    'rcp.walkins': '今天的来访（{n}）',
    'rcp.coming': '近期接访日',
    'rcp.past': '已过的接访日',
    'rcp.missed': '未签到的驻点日',
    'rcp.missed_total': '共 {n} 个驻点日无人签到',
    'rcp.missed_none': '没有漏掉的驻点日',
    'rcp.on_duty': '值班干部',
    'rcp.roster_set': '已调整',
    'rcp.roster_edit': '调整值班',
    'rcp.roster_reset': '恢复默认',
    'rcp.roster_save': '保存名单',
    'rcp.attendance': '签到 {n}/{m}',
    'rcp.walkin_count': '来访 {n}',
    'rcp.village': '村', 'rcp.date': '日期', 'rcp.time': '时间', 'rcp.place': '地点', 'rcp.status': '情况',
    'rcp.st.upcoming': '待开展', 'rcp.st.today': '今天', 'rcp.st.attended': '已签到', 'rcp.st.missed': '无人签到',
    'rcp.every2': '每两周（偏远村）',
    'rcp.problem.too_short': '不足半天',
    'rcp.problem.not_remote': '非偏远村却每两周一次',
    'rcp.problem.no_hours': '未定时间',
    'rcp.wd': '周{d}',
  },
  en: {
    'rcp.title': 'Reception days',
    'rcp.today': "Today's reception day",
    'rcp.none_today': 'You are not on duty at a reception day today',
    'rcp.checkin': 'Check in',
    'rcp.checked_in': 'Checked in',
    'rcp.walkin': 'Register a walk-in visitor',
    'rcp.name': 'Name',
    'rcp.phone': 'Mobile (optional)',
    'rcp.household': 'Household (optional)',
    'rcp.hh_search': 'Head of household or phone',
    'rcp.hh_find': 'Find',
    'rcp.hh_none': 'None found',
    'rcp.hh_clear': 'No household',
    'rcp.raised': 'What they raised',
    'rcp.as_appeal': 'Also register it as an appeal',
    'rcp.category': 'Appeal category',
    'rcp.save': 'Register',
    'rcp.saved': 'Registered',
    'rcp.saved_appeal': 'Registered; appeal receipt code {code}',
    'rcp.walkins': "Today's visitors ({n})",
    'rcp.coming': 'Coming reception days',
    'rcp.past': 'Past reception days',
    'rcp.missed': 'Station days without a check-in',
    'rcp.missed_total': '{n} station days without anybody checking in',
    'rcp.missed_none': 'No station day was missed',
    'rcp.on_duty': 'On duty',
    'rcp.roster_set': 'changed',
    'rcp.roster_edit': 'Change roster',
    'rcp.roster_reset': 'Back to default',
    'rcp.roster_save': 'Save roster',
    'rcp.attendance': 'checked in {n}/{m}',
    'rcp.walkin_count': 'visitors {n}',
    'rcp.village': 'Village', 'rcp.date': 'Date', 'rcp.time': 'Hours', 'rcp.place': 'Place', 'rcp.status': 'Status',
    'rcp.st.upcoming': 'upcoming', 'rcp.st.today': 'today', 'rcp.st.attended': 'attended', 'rcp.st.missed': 'missed',
    'rcp.every2': 'every two weeks (remote)',
    'rcp.problem.too_short': 'under half a day',
    'rcp.problem.not_remote': 'fortnightly but not remote',
    'rcp.problem.no_hours': 'no hours set',
    'rcp.wd': '{d}',
  },
});

const WD_ZH = ['', '一', '二', '三', '四', '五', '六', '日'];
const WD_EN = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const STATUS_BADGE = { upcoming: 'badge', today: 'badge badge-warn', attended: 'badge badge-on', missed: 'badge badge-danger' };

function weekday(n) { return t('rcp.wd', { d: pick({ zh: WD_ZH[n], en: WD_EN[n] }) }); }
function hours(it) { return it.start && it.end ? `${it.start}–${it.end}` : ''; }
function dayPath(it, tail) { return `/api/v1/reception-days/${encodeURIComponent(it.village.code)}/${it.date}/${tail}`; }
function names(roster) { return roster.map((x) => x.user.display_name).join('、'); }
function addDays(date, n) { return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10); }
function statusBadge(s) { return h('span', { class: STATUS_BADGE[s] || 'badge' }, t(`rcp.st.${s}`)); }

// ---------------------------------------------------------------- cadre

function householdPicker(village, signal) {
  const chosen = h('input', { type: 'hidden', name: 'household_id', value: '' });
  const q = h('input', { type: 'search', id: 'rcp-hh-q', placeholder: t('rcp.hh_search'), autocomplete: 'off' });
  const results = h('div', { class: 'rc-hh-list', id: 'rcp-hh-results' });
  const label = h('p', { class: 'muted', id: 'rcp-hh-chosen' });
  async function find() {
    const v = q.value.trim();
    if (!v) return;
    const query = { region: village, limit: 5 };
    if (/^[\d\s-]{7,}$/.test(v)) query.phone = v.replace(/[\s-]/g, ''); else query.q = v;
    try {
      const r = await api.get('/api/v1/households', { query, signal });
      results.replaceChildren(...(r.items.length ? r.items.map((hh) => h('button', {
        type: 'button', class: 'btn btn-small rc-chip',
        onclick: () => { chosen.value = String(hh.id); label.textContent = `${hh.head_name} ${hh.code}`; results.replaceChildren(); },
      }, `${hh.head_name} · ${hh.code.slice(-4)}`)) : [h('span', { class: 'muted' }, t('rcp.hh_none'))]),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', onclick: () => { chosen.value = ''; label.textContent = ''; results.replaceChildren(); } }, t('rcp.hh_clear')));
    } catch (e) {
      if (!isAbort(e)) results.replaceChildren(errorPanel(e));
    }
  }
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } });
  const wrap = h('div', { class: 'field', 'data-field': 'household_id' },
    h('label', { for: 'rcp-hh-q' }, t('rcp.household')),
    h('div', { class: 'form-inline' }, q, h('button', { type: 'button', class: 'btn btn-small', onclick: find }, t('rcp.hh_find'))),
    results, label, chosen, h('p', { class: 'field-error', hidden: true }));
  wrap.input = q;
  return wrap;
}

function walkinForm(it, ctx, categories, onSaved) {
  const alert = alertBox();
  const ok = statusBox();
  const raised = h('textarea', { id: 'rcp-raised', name: 'raised', rows: 3, required: true });
  const raisedWrap = h('div', { class: 'field', 'data-field': 'raised' },
    h('label', { for: 'rcp-raised' }, t('rcp.raised'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
    raised, h('p', { class: 'field-error', hidden: true }));
  raisedWrap.input = raised;
  const asAppeal = field({ name: 'as_appeal', label: t('rcp.as_appeal'), checkbox: true });
  const cat = field({ name: 'appeal.category_id', label: t('rcp.category'),
    options: categories.map((c) => ({ value: c.id, label: pick({ zh: c.name, en: c.name_en || c.name }) })) });
  cat.hidden = true;
  asAppeal.input.addEventListener('change', () => { cat.hidden = !asAppeal.input.checked; });
  const save = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('rcp.save'));
  const form = h('form', { class: 'form rc-form', id: 'rcp-walkin', novalidate: true },
    field({ name: 'name', label: t('rcp.name'), required: true, autocomplete: 'off' }),
    field({ name: 'phone', label: t('rcp.phone'), inputmode: 'tel', autocomplete: 'off' }),
    householdPicker(it.village.code, ctx.signal),
    raisedWrap, asAppeal, cat, alert, ok, save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, alert);
    ok.hidden = true;
    const v = formValues(form);
    const body = { name: v.name, raised: v.raised };
    if (v.phone) body.phone = v.phone;
    if (v.household_id) body.household_id = Number(v.household_id);
    if (v.as_appeal) body.appeal = { category_id: Number(v['appeal.category_id']) };
    const done = busy(save);
    try {
      const r = await api.post(dayPath(it, 'walk-ins'), body, { signal: ctx.signal });
      form.reset();
      cat.hidden = true;
      form.querySelector('#rcp-hh-chosen').textContent = '';
      form.querySelector('[name=household_id]').value = '';
      showMessage(ok, r.appeal ? t('rcp.saved_appeal', { code: r.appeal.receipt_code }) : t('rcp.saved'));
      onSaved();
    } catch (err) {
      if (!isAbort(err)) showProblem(form, alert, err);
    } finally {
      done();
    }
  });
  return form;
}

function dutyCard(it, ctx, categories) {
  const me = it.roster.find((x) => x.user.id === ctx.user.id);
  const list = h('ul', { class: 'plain-list', id: 'rcp-walkins' });
  const head = h('h3', {});
  async function loadWalkins() {
    try {
      const r = await api.get(dayPath(it, 'walk-ins'), { signal: ctx.signal });
      head.textContent = t('rcp.walkins', { n: r.items.length });
      list.replaceChildren(...r.items.map((w) => h('li', {},
        h('strong', {}, w.visitor || ''), ' ', h('span', { class: 'muted' }, w.summary),
        w.appeal ? h('span', { class: 'badge badge-warn' }, ` ${w.appeal.receipt_code}`) : null)));
    } catch (e) {
      if (!isAbort(e)) list.replaceChildren(errorPanel(e, loadWalkins));
    }
  }
  const checkin = h('button', { type: 'button', class: 'btn', id: 'rcp-checkin', disabled: !!(me && me.checked_in) },
    me && me.checked_in ? t('rcp.checked_in') : t('rcp.checkin'));
  const alert = alertBox();
  checkin.addEventListener('click', async () => {
    const done = busy(checkin);
    try {
      await api.post(`/api/v1/station-days/${encodeURIComponent(it.village.code)}/${it.date}/checkin`, {}, { signal: ctx.signal });
      done();
      checkin.textContent = t('rcp.checked_in');
      checkin.disabled = true;
    } catch (e) {
      done();
      if (!isAbort(e)) showMessage(alert, e.title || String(e), e.detail);
    }
  });
  loadWalkins();
  return h('section', { class: 'card', 'aria-labelledby': 'rcp-today-h' },
    h('h2', { id: 'rcp-today-h' }, `${t('rcp.today')} · ${it.village.name}`),
    h('p', {}, `${it.date} ${weekday(it.weekday)} ${hours(it)} · ${it.place || ''}`),
    h('p', { class: 'muted' }, `${t('rcp.on_duty')}：${names(it.roster)}`),
    h('div', { class: 'form-actions' }, checkin), alert,
    h('h3', {}, t('rcp.walkin')), walkinForm(it, ctx, categories, loadWalkins),
    head, list);
}

// ---------------------------------------------------------------- leader

function rosterDialog(it, ctx, reload) {
  const alert = alertBox();
  const boxes = h('div', { class: 'form' }, '…');
  const save = h('button', { type: 'button', class: 'btn btn-primary' }, t('rcp.roster_save'));
  const reset = h('button', { type: 'button', class: 'btn' }, t('rcp.roster_reset'));
  const d = openDialog({ title: `${t('rcp.roster_edit')} · ${it.village.name} ${it.date}`,
    content: [boxes, alert, h('div', { class: 'form-actions' }, reset, save)] });
  (async () => {
    try {
      const team = await api.get(`/api/v1/villages/${encodeURIComponent(it.village.code)}/teams`, { signal: ctx.signal });
      const people = new Map();
      for (const x of it.roster) people.set(x.user.id, x.user.display_name);
      for (const m of team.station.members) if (m.user_id) people.set(m.user_id, m.name);
      if (team.station.leader) people.set(team.station.leader.id, team.station.leader.display_name);
      const on = new Set(it.roster.map((x) => x.user.id));
      boxes.replaceChildren(...[...people].map(([id, name]) => field({ name: `u${id}`, label: name, checkbox: true, value: on.has(id) })));
    } catch (e) {
      if (!isAbort(e)) boxes.replaceChildren(errorPanel(e));
    }
  })();
  async function put(ids) {
    try {
      await api.put(dayPath(it, 'roster'), { user_ids: ids }, { signal: ctx.signal });
      d.close();
      reload();
    } catch (e) {
      if (!isAbort(e)) showMessage(alert, e.title || String(e), (e.errors || []).map((x) => x.message).join('；') || e.detail);
    }
  }
  save.addEventListener('click', () => put([...boxes.querySelectorAll('input[type=checkbox]:checked')].map((b) => Number(b.name.slice(1)))));
  reset.addEventListener('click', () => put(null));
}

function comingTable(items, ctx, canEdit, reload) {
  const rows = items.map((it) => h('tr', { 'data-village': it.village.code, 'data-date': it.date },
    h('td', { 'data-label': t('rcp.date') }, `${it.date} ${weekday(it.weekday)}`),
    h('td', { 'data-label': t('rcp.village') }, h('strong', {}, it.village.name)),
    h('td', { 'data-label': t('rcp.time') }, hours(it)),
    h('td', { 'data-label': t('rcp.place') }, it.place || ''),
    h('td', { 'data-label': t('rcp.on_duty'), class: 'rcp-roster' }, names(it.roster),
      it.roster_set ? h('span', { class: 'badge badge-warn' }, ` ${t('rcp.roster_set')}`) : null),
    h('td', { 'data-label': '' }, canEdit ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => rosterDialog(it, ctx, reload) }, t('rcp.roster_edit')) : null)));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'rcp-coming' },
    h('thead', {}, h('tr', {}, ...['rcp.date', 'rcp.village', 'rcp.time', 'rcp.place', 'rcp.on_duty'].map((k) => h('th', { scope: 'col' }, t(k))), h('th', {}))),
    h('tbody', {}, ...rows)));
}

function pastTable(items) {
  const rows = items.map((it) => h('tr', { 'data-village': it.village.code, 'data-date': it.date, 'data-status': it.status },
    h('td', { 'data-label': t('rcp.date') }, it.date),
    h('td', { 'data-label': t('rcp.village') }, it.village.name),
    h('td', { 'data-label': t('rcp.status') }, statusBadge(it.status)),
    h('td', { 'data-label': t('rcp.on_duty') },
      t('rcp.attendance', { n: it.roster.filter((x) => x.checked_in).length, m: it.roster.length }),
      it.absent ? h('span', { class: 'muted' }, ` (${it.roster.filter((x) => !x.checked_in).map((x) => x.user.display_name).join('、')})`) : null),
    h('td', { 'data-label': '' }, t('rcp.walkin_count', { n: it.walk_ins }))));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'rcp-past' },
    h('thead', {}, h('tr', {}, ...['rcp.date', 'rcp.village', 'rcp.status', 'rcp.on_duty', 'rcp.walkin_count'].map((k) =>
      h('th', { scope: 'col' }, k === 'rcp.walkin_count' ? '' : t(k))))),
    h('tbody', {}, ...rows)));
}

function missedCard(m) {
  return h('section', { class: 'card', 'aria-labelledby': 'rcp-missed-h', id: 'rcp-missed' },
    h('h2', { id: 'rcp-missed-h' }, t('rcp.missed')),
    h('p', {}, m.total ? t('rcp.missed_total', { n: m.total }) : t('rcp.missed_none')),
    m.by_village.length ? h('p', { class: 'badges' }, ...m.by_village.map((v) =>
      h('span', { class: 'badge badge-danger', 'data-village': v.code }, `${v.name} ${v.count}`))) : null,
    m.items.length ? h('ul', { class: 'plain-list' }, ...m.items.slice().reverse().map((it) => h('li', {},
      `${it.date} ${it.village.name}`, it.leader && it.leader.display_name ? h('span', { class: 'muted' }, ` · ${it.leader.display_name}`) : null)))
      : null);
}

function villagesNote(villages) {
  const bad = villages.filter((v) => v.problems.length || v.every_weeks === 2);
  if (!bad.length) return null;
  return h('ul', { class: 'plain-list muted', id: 'rcp-villages-note' }, ...bad.map((v) => h('li', {},
    `${v.name}：`, v.every_weeks === 2 ? t('rcp.every2') : '',
    ...v.problems.map((p) => h('span', { class: 'badge badge-danger' }, ` ${t(`rcp.problem.${p}`)}`)))));
}

// ---------------------------------------------------------------- page

registerPage({
  id: 'reception',
  path: '#/reception',
  title: { zh: '接访日', en: 'Reception days' },
  order: 26,
  async render(root, ctx) {
    root.append(pageHeader(t('rcp.title')));
    const area = h('div', {}, h('p', { class: 'muted' }, '…'));
    root.append(area);
    const canEdit = ctx.user.role === 'leader' || ctx.user.role === 'admin';
    async function load() {
      try {
        const s = await api.get('/api/v1/reception-days', { signal: ctx.signal });
        const mine = s.items.filter((it) => it.date === s.today && it.roster.some((x) => x.user.id === ctx.user.id));
        const parts = [];
        if (ctx.user.role === 'cadre' || mine.length) {
          let categories = [];
          if (mine.length) {
            try { categories = (await api.get('/api/v1/appeal-categories', { signal: ctx.signal })).items.filter((c) => !c.retired && !c.parent_id); } catch (e) { if (isAbort(e)) return; }
          }
          parts.push(...(mine.length ? mine.map((it) => dutyCard(it, ctx, categories))
            : [h('section', { class: 'card' }, h('p', { class: 'muted', id: 'rcp-none-today' }, t('rcp.none_today')))]));
        }
        // two weeks each way on the page; the API gives four
        const soon = addDays(s.today, 14), since = addDays(s.today, -14);
        const coming = s.items.filter((it) => (it.date > s.today || (it.date === s.today && it.status !== 'attended')) && it.date <= soon);
        const past = s.items.filter((it) => it.date <= s.today && !coming.includes(it) && it.date >= since).reverse();
        if (ctx.user.role !== 'cadre') parts.push(missedCard(s.missed));
        parts.push(h('section', { class: 'card', 'aria-labelledby': 'rcp-coming-h' },
          h('h2', { id: 'rcp-coming-h' }, t('rcp.coming')), villagesNote(s.villages),
          comingTable(coming, ctx, canEdit, load)));
        parts.push(h('section', { class: 'card', 'aria-labelledby': 'rcp-past-h' },
          h('h2', { id: 'rcp-past-h' }, t('rcp.past')), pastTable(past)));
        area.replaceChildren(...parts);
      } catch (e) {
        if (!isAbort(e)) area.replaceChildren(errorPanel(e, load));
      }
    }
    await load();
  },
});
