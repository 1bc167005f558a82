// contacts.js: 联系记录. The list (#/contacts: filters by village, cadre,
// household, method and period; cursor paging), one contact (#/contacts/:id:
// households, people, issues with 转为诉求, photos, amendments, the household's
// confirmation, edit within 24 hours and amendments after), and the contact
// statistics section (联系统计) the leader's home page shows: stacked bars of
// the methods by month, drawn in SVG by hand, and a villages × months table.

import { registerPage, notify } from '../app.js';
import { api, isAbort, ApiError } from '../api.js';
import { addStrings, t, getLang } from '../i18n.js';
import {
  h, pageHeader, errorPanel, dataTable, field, formatTime, openDialog, alertBox, showProblem,
  busy, countText, pageSize, formValues,
} from '../ui.js';
import { METHODS } from './record.js';

addStrings({
  zh: {
    'ct.title': '联系记录',
    'ct.filters': '筛选',
    'ct.village': '村', 'ct.cadre': '干部', 'ct.method': '联系方式', 'ct.from': '从（含）', 'ct.to': '到（不含）',
    'ct.any': '全部',
    'ct.household_chip': '只看农户 #{id}',
    'ct.clear': '清除',
    'ct.apply': '查看',
    'ct.more': '加载更多',
    'ct.none': '没有符合条件的联系记录。',
    'ct.c.time': '时间', 'ct.c.method': '方式', 'ct.c.village': '村', 'ct.c.households': '农户',
    'ct.c.author': '记录人', 'ct.c.summary': '摘要', 'ct.c.state': '状态',
    'ct.confirmed': '户主已确认', 'ct.unconfirmed': '未确认',
    'ct.by.signature': '签名确认', 'ct.by.sms_code': '短信验证码确认',
    'ct.issues_n': '问题 {n}', 'ct.photos_n': '照片 {n}', 'ct.amended_n': '修订 {n}',
    'ct.conflict': '同步冲突',
    'ct.detail_title': '联系记录 #{id}',
    'ct.back': '返回列表',
    'ct.f.method': '联系方式', 'ct.f.started': '时间', 'ct.f.duration': '时长', 'ct.f.place': '地点',
    'ct.f.gps': '位置', 'ct.f.village': '村', 'ct.f.author': '记录人', 'ct.f.cadres': '同行干部',
    'ct.f.follow_up': '回访日期', 'ct.f.editable': '可修改至', 'ct.f.summary': '情况摘要',
    'ct.min': '{n} 分钟',
    'ct.gps': '{lat}, {lng}（精度约 {m} 米）',
    'ct.households': '走访农户', 'ct.people': '见到的人', 'ct.no_people': '没有记录见到的人。',
    'ct.issues': '群众反映的问题', 'ct.no_issues': '这次联系没有记录问题。',
    'ct.issue.open': '待处理', 'ct.issue.converted': '已转为诉求', 'ct.issue.closed': '已关闭',
    'ct.to_appeal': '转为诉求',
    'ct.appeal_link': '诉求 #{id}',
    'ct.appeal_title': '把问题转为诉求',
    'ct.category': '诉求类别', 'ct.urgency': '紧急程度',
    'ct.u.general': '一般', 'ct.u.urgent': '水电气暖（24 小时）', 'ct.u.emergency': '紧急（危及生命财产）', 'ct.u.complex': '复杂（15 天）',
    'ct.appeal_go': '转为诉求',
    'ct.appeal_done': '已转为诉求 #{id}',
    'ct.appeal_soon': '转为诉求的功能还在建设中，请稍后再试。',
    'ct.photos': '照片', 'ct.no_photos': '没有照片。', 'ct.photo_alt': '联系照片 {n}',
    'ct.amendments': '修订记录', 'ct.no_amendments': '没有修订。',
    'ct.amend_line': '{time} {user}：{reason}',
    'ct.confirmation': '户主确认',
    'ct.ask_confirm': '请户主确认',
    'ct.edit': '修改', 'ct.amend': '修订',
    'ct.edit_title': '修改联系记录（记录后 24 小时内）',
    'ct.amend_title': '修订联系记录',
    'ct.amend_hint': '超过 24 小时的记录不能直接修改；修订和原记录一起保存，原记录不变。',
    'ct.reason': '修订原因',
    'ct.save': '保存',
    'ct.saved': '已保存。',
    'ct.nothing_changed': '没有修改任何内容。',
    'ct.conflict_text': '这条记录同步时，农户已由其他干部负责：{detail}',
    // statistics
    'cs.title': '联系统计',
    'cs.range': '时间范围', 'cs.last12': '近 12 个月', 'cs.year': '{y} 年',
    'cs.interval': '按', 'cs.month': '月', 'cs.week': '周',
    'cs.t.contacts': '联系次数', 'cs.t.households': '走访户数', 'cs.t.confirmed': '户主确认', 'cs.t.presence': '当面联系',
    'cs.by_method': '各联系方式的联系次数',
    'cs.chart_desc': '堆叠柱状图：{from} 至 {to}，每{unit}各联系方式的联系次数，共 {n} 次。',
    'cs.table': '以表格查看',
    'cs.period': '时间', 'cs.total': '合计',
    'cs.by_village': '各村联系情况',
    'cs.village_hint': '格内为联系次数，颜色按每百户联系次数深浅；户均 = 联系次数 / 现有户数，覆盖率 = 期间联系过的户数 / 现有户数。户均联系次数不到各村中位数八成的村标为“落后”，排在最前。',
    'cs.per_household': '户均',
    'cs.coverage': '覆盖率',
    'cs.behind': '落后',
    'cs.confirmed_rate': '户主确认',
    'cs.confirmed_hint': '入户走访中由户主签名或短信验证码确认的比例',
    'cs.no_households': '无农户',
    'cs.month_label': '{m}月',
    'cs.empty': '这段时间没有联系记录。',
  },
  en: {
    'ct.title': 'Contacts',
    'ct.filters': 'Filters',
    'ct.village': 'Village', 'ct.cadre': 'Cadre', 'ct.method': 'Method', 'ct.from': 'From (inclusive)', 'ct.to': 'To (exclusive)',
    'ct.any': 'All',
    'ct.household_chip': 'Household #{id} only',
    'ct.clear': 'Clear',
    'ct.apply': 'Show',
    'ct.more': 'Load more',
    'ct.none': 'No contacts match.',
    'ct.c.time': 'Time', 'ct.c.method': 'Method', 'ct.c.village': 'Village', 'ct.c.households': 'Households',
    'ct.c.author': 'Recorded by', 'ct.c.summary': 'Summary', 'ct.c.state': 'State',
    'ct.confirmed': 'Confirmed', 'ct.unconfirmed': 'Not confirmed',
    'ct.by.signature': 'Signed', 'ct.by.sms_code': 'SMS code',
    'ct.issues_n': '{n} issues', 'ct.photos_n': '{n} photos', 'ct.amended_n': '{n} amendments',
    'ct.conflict': 'Sync conflict',
    'ct.detail_title': 'Contact #{id}',
    'ct.back': 'Back to the list',
    'ct.f.method': 'Method', 'ct.f.started': 'Time', 'ct.f.duration': 'Duration', 'ct.f.place': 'Place',
    'ct.f.gps': 'Location', 'ct.f.village': 'Village', 'ct.f.author': 'Recorded by', 'ct.f.cadres': 'Cadres present',
    'ct.f.follow_up': 'Follow-up date', 'ct.f.editable': 'Editable until', 'ct.f.summary': 'Summary',
    'ct.min': '{n} min',
    'ct.gps': '{lat}, {lng} (about {m} m)',
    'ct.households': 'Households visited', 'ct.people': 'People met', 'ct.no_people': 'No people recorded.',
    'ct.issues': 'Issues raised', 'ct.no_issues': 'No issues were recorded.',
    'ct.issue.open': 'Open', 'ct.issue.converted': 'Became an appeal', 'ct.issue.closed': 'Closed',
    'ct.to_appeal': 'Make an appeal',
    'ct.appeal_link': 'Appeal #{id}',
    'ct.appeal_title': 'Turn the issue into an appeal',
    'ct.category': 'Category', 'ct.urgency': 'Urgency',
    'ct.u.general': 'General', 'ct.u.urgent': 'Water, power, gas (24 hours)', 'ct.u.emergency': 'Emergency (risk to life or property)', 'ct.u.complex': 'Complex (15 days)',
    'ct.appeal_go': 'Make the appeal',
    'ct.appeal_done': 'Appeal #{id} created',
    'ct.appeal_soon': 'Turning issues into appeals is still being built; try again later.',
    'ct.photos': 'Photos', 'ct.no_photos': 'No photos.', 'ct.photo_alt': 'Contact photo {n}',
    'ct.amendments': 'Amendments', 'ct.no_amendments': 'No amendments.',
    'ct.amend_line': '{time} {user}: {reason}',
    'ct.confirmation': 'Household confirmation',
    'ct.ask_confirm': 'Ask the household to confirm',
    'ct.edit': 'Edit', 'ct.amend': 'Amend',
    'ct.edit_title': 'Edit the contact (within 24 hours)',
    'ct.amend_title': 'Amend the contact',
    'ct.amend_hint': 'After 24 hours a contact cannot be edited; an amendment is kept beside the unchanged original.',
    'ct.reason': 'Reason',
    'ct.save': 'Save',
    'ct.saved': 'Saved.',
    'ct.nothing_changed': 'Nothing was changed.',
    'ct.conflict_text': 'When this contact was synced, the household had moved to another cadre: {detail}',
    'cs.title': 'Contact statistics',
    'cs.range': 'Period', 'cs.last12': 'Last 12 months', 'cs.year': '{y}',
    'cs.interval': 'By', 'cs.month': 'month', 'cs.week': 'week',
    'cs.t.contacts': 'Contacts', 'cs.t.households': 'Households reached', 'cs.t.confirmed': 'Confirmed by household', 'cs.t.presence': 'Face to face',
    'cs.by_method': 'Contacts by method',
    'cs.chart_desc': 'Stacked bars: contacts per {unit} by method from {from} to {to}, {n} in all.',
    'cs.table': 'Show as a table',
    'cs.period': 'Period', 'cs.total': 'Total',
    'cs.by_village': 'Villages',
    'cs.village_hint': 'Cells give contacts, shaded by contacts per 100 households; per household = contacts / households now; coverage = households reached / households now. Villages with fewer contacts per household than 80% of the median village are marked "behind" and listed first.',
    'cs.per_household': 'Per household',
    'cs.coverage': 'Coverage',
    'cs.behind': 'Behind',
    'cs.confirmed_rate': 'Confirmed',
    'cs.confirmed_hint': 'share of home visits the household confirmed (signature or SMS code)',
    'cs.no_households': 'no households',
    'cs.month_label': '{m}',
    'cs.empty': 'No contacts in this period.',
  },
});

const STAFF = ['admin', 'leader', 'cadre'];
const URGENCIES = ['general', 'urgent', 'emergency', 'complex'];
const FIGS = ['contacts', 'households', 'confirmed', 'presence'];
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const methodLabel = (m) => t(`record.m.${m}`);
const num = (n) => Number(n || 0).toLocaleString(getLang() === 'en' ? 'en' : 'zh-CN');

function confirmationBadge(c) {
  if (c.confirmation && c.confirmation !== 'none') {
    return h('span', { class: 'badge badge-on', title: t(`ct.by.${c.confirmation}`) }, t('ct.confirmed'));
  }
  return h('span', { class: 'badge badge-off' }, t('ct.unconfirmed'));
}

// ---------------------------------------------------------------- statistics

const SVG = 'http://www.w3.org/2000/svg';
/** An SVG element: attributes as given (numbers fine), children appended. */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** 0, a round step, ... covering max in about 4 steps. */
function niceTicks(max) {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw);
  const ticks = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

function periodLabel(p, interval, short) {
  if (interval === 'week') return p.label.slice(5).replace('-', '/');
  const m = Number(p.label.slice(5, 7));
  const text = getLang() === 'en' ? EN_MONTHS[m - 1] : t('cs.month_label', { m });
  return short || m !== 1 ? text : `${p.label.slice(0, 4)} ${text}`;
}

/** The stacked bar chart of contacts by method: an <svg> sized to width. */
function stackedBars(stats, width) {
  const periods = stats.periods;
  const methods = stats.groups.map((g) => g.key);
  const cell = new Map(stats.items.map((it) => [`${it.period}|${it.group}`, it.contacts]));
  const ticks = niceTicks(Math.max(1, ...periods.map((p) => p.contacts)));
  const top = ticks[ticks.length - 1];
  const H = 260;
  const m = { l: 56, r: 8, t: 12, b: 34 };
  const iw = Math.max(40, width - m.l - m.r);
  const ih = H - m.t - m.b;
  const band = iw / Math.max(1, periods.length);
  const bw = Math.max(2, Math.min(48, band * 0.72));
  const y = (v) => m.t + ih - (v / top) * ih;
  const titleId = `cs-title-${Math.random().toString(36).slice(2, 8)}`;
  const svg = s('svg', {
    class: 'cs-chart', width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-labelledby': titleId,
  });
  svg.append(s('title', { id: titleId }, t('cs.chart_desc', {
    from: stats.from, to: stats.to, unit: t(stats.interval === 'week' ? 'cs.week' : 'cs.month'), n: num(stats.totals.contacts),
  })));
  for (const v of ticks) {
    svg.append(s('line', { class: 'cs-grid', x1: m.l, x2: m.l + iw, y1: y(v), y2: y(v) }),
      s('text', { class: 'cs-tick', x: m.l - 6, y: y(v) + 5, 'text-anchor': 'end' }, num(v)));
  }
  // labels at least 44px apart
  const every = Math.max(1, Math.ceil(44 / band));
  periods.forEach((p, i) => {
    const x = m.l + i * band + (band - bw) / 2;
    let acc = 0;
    const g = s('g', { class: 'cs-bar', 'data-period': p.start });
    for (const k of methods) {
      const v = cell.get(`${p.start}|${k}`) || 0;
      if (!v) continue;
      g.append(s('rect', { class: `cs-m cs-m-${k}`, x, y: y(acc + v), width: bw, height: Math.max(0.5, y(acc) - y(acc + v)) },
        s('title', null, `${p.label} ${methodLabel(k)}: ${num(v)}`)));
      acc += v;
    }
    svg.append(g);
    if (i % every === 0) {
      svg.append(s('text', { class: 'cs-tick', x: m.l + i * band + band / 2, y: H - m.b + 22, 'text-anchor': 'middle' },
        periodLabel(p, stats.interval, every > 1 || i > 0)));
    }
  });
  svg.append(s('line', { class: 'cs-axis', x1: m.l, x2: m.l + iw, y1: y(0), y2: y(0) }));
  return svg;
}

function legend(stats) {
  return h('ul', { class: 'cs-legend', id: 'cs-legend' }, stats.groups.filter((g) => g.contacts > 0).map((g) => h('li', null,
    h('span', { class: `cs-swatch cs-m-${g.key}`, 'aria-hidden': 'true' }),
    `${methodLabel(g.key)} `, h('strong', null, num(g.contacts)))));
}

function methodTable(stats) {
  const cell = new Map(stats.items.map((it) => [`${it.period}|${it.group}`, it.contacts]));
  const used = stats.groups.filter((g) => g.contacts > 0);
  return h('div', { class: 'cs-scroll' }, h('table', { class: 'cs-table' },
    h('caption', { class: 'sr-only' }, t('cs.by_method')),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('cs.period')),
      used.map((g) => h('th', { scope: 'col' }, methodLabel(g.key))), h('th', { scope: 'col' }, t('cs.total')))),
    h('tbody', null, stats.periods.map((p) => h('tr', null, h('th', { scope: 'row' }, p.label),
      used.map((g) => h('td', null, num(cell.get(`${p.start}|${g.key}`) || 0))), h('td', null, h('strong', null, num(p.contacts)))))),
    h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, t('cs.total')),
      used.map((g) => h('td', null, num(g.contacts))), h('td', null, h('strong', null, num(stats.totals.contacts)))))));
}

function median(xs) {
  if (!xs.length) return 0;
  const v = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Villages × periods: contacts per cell, shaded by contacts per 100 households; the villages behind first. */
function villageTable(stats) {
  const cell = new Map(stats.items.map((it) => [`${it.period}|${it.group}`, it.contacts]));
  // behind: fewer contacts per household than 80% of the median village's
  const rows = stats.groups.map((g) => ({
    ...g,
    coverage: g.households_total ? g.households / g.households_total : null,
    perHousehold: g.households_total ? g.contacts / g.households_total : null,
  }));
  const med = median(rows.filter((r) => r.perHousehold !== null).map((r) => r.perHousehold));
  for (const r of rows) r.behind = r.perHousehold !== null && r.perHousehold < 0.8 * med;
  rows.sort((a, b) => (b.behind - a.behind) || ((a.perHousehold ?? 1e9) - (b.perHousehold ?? 1e9)) || a.key.localeCompare(b.key));
  const rate = (r, p) => (r.households_total ? ((cell.get(`${p.start}|${r.key}`) || 0) * 100) / r.households_total : 0);
  const maxRate = Math.max(1e-9, ...rows.flatMap((r) => stats.periods.map((p) => rate(r, p))));
  const shade = (r, p) => {
    const v = cell.get(`${p.start}|${r.key}`) || 0;
    if (!v) return 'cs-heat-0';
    return `cs-heat-${Math.min(5, 1 + Math.floor((rate(r, p) / maxRate) * 5))}`;
  };
  const short = stats.periods.length > 1;
  return h('div', { class: 'cs-scroll' }, h('table', { class: 'cs-table cs-heat', id: 'cs-villages' },
    h('caption', { class: 'sr-only' }, t('cs.by_village')),
    h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'cs-name' }, t('ct.village')),
      stats.periods.map((p, i) => h('th', { scope: 'col', title: p.label }, periodLabel(p, stats.interval, short && i > 0))),
      h('th', { scope: 'col' }, t('cs.total')), h('th', { scope: 'col' }, t('cs.per_household')), h('th', { scope: 'col' }, t('cs.coverage')),
      h('th', { scope: 'col', title: t('cs.confirmed_hint') }, t('cs.confirmed_rate')))),
    h('tbody', null, rows.map((r) => h('tr', { class: r.behind ? 'cs-behind' : null, dataset: { village: r.key } },
      h('th', { scope: 'row', class: 'cs-name' }, r.name, r.behind ? [' ', h('span', { class: 'badge badge-danger' }, t('cs.behind'))] : null),
      stats.periods.map((p) => h('td', { class: shade(r, p) }, num(cell.get(`${p.start}|${r.key}`) || 0))),
      h('td', null, h('strong', null, num(r.contacts))),
      h('td', null, r.perHousehold === null ? '—' : r.perHousehold.toFixed(1)),
      h('td', { title: r.coverage === null ? null : `${num(r.households)} / ${num(r.households_total)}` },
        r.coverage === null ? h('span', { class: 'muted' }, t('cs.no_households')) : `${Math.round(r.coverage * 100)}%`),
      // home visits the households confirmed: the strongest evidence of a visit
      h('td', { class: 'cs-confirmed', title: r.home_visits ? `${num(r.confirmed)} / ${num(r.home_visits)}` : null },
        r.home_visits ? `${Math.round((r.confirmed * 100) / r.home_visits)}%` : '—'))))));
}

function rangeOptions() {
  const y = new Date().getFullYear();
  return [{ value: '', label: t('cs.last12') }, ...[y, y - 1, y - 2].map((v) => ({ value: String(v), label: t('cs.year', { y: v }) }))];
}

/**
 * The 联系统计 section: totals, the stacked bars by method with a legend and
 * a table fallback, and the villages × periods table. Fetches
 * /api/v1/contacts/stats; redraws the chart when its width changes.
 */
export function statsSection(ctx) {
  const rangeSel = field({ name: 'range', label: t('cs.range'), options: rangeOptions(), value: '' });
  const ivSel = field({ name: 'interval', label: t('cs.interval'), value: 'month', options: [
    { value: 'month', label: t('cs.month') }, { value: 'week', label: t('cs.week') }] });
  const body = h('div', { class: 'cs-body', 'aria-live': 'polite' });
  const sec = h('section', { class: 'card cs-card', id: 'contact-stats', 'aria-labelledby': 'cs-h' },
    h('div', { class: 'cs-head' }, h('h2', { id: 'cs-h' }, t('cs.title')),
      h('div', { class: 'cs-controls' }, rangeSel, ivSel)),
    body);
  let chartBox = null;
  let last = null;
  let drawnWidth = 0;
  const draw = () => {
    if (!chartBox || !last) return;
    const w = Math.floor(chartBox.clientWidth);
    if (!w || Math.abs(w - drawnWidth) < 4) return;
    drawnWidth = w;
    chartBox.replaceChildren(stackedBars(last, w));
  };
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => draw()) : null;
  ctx.signal.addEventListener('abort', () => ro && ro.disconnect());

  async function load() {
    const q = { interval: ivSel.input.value };
    const y = rangeSel.input.value;
    if (y) Object.assign(q, { from: `${y}-01-01`, to: `${Number(y) + 1}-01-01` });
    if (q.interval === 'week' && !y) { /* the default 13 weeks */ }
    body.replaceChildren(h('p', { class: 'muted' }, '…'));
    try {
      const [byMethod, byVillage] = await Promise.all([
        api.get('/api/v1/contacts/stats', { query: { ...q, by: 'method' }, signal: ctx.signal }),
        api.get('/api/v1/contacts/stats', { query: { ...q, by: 'village' }, signal: ctx.signal }),
      ]);
      last = byMethod;
      drawnWidth = 0;
      chartBox = h('div', { class: 'cs-chart-box', id: 'cs-chart' });
      const tot = byMethod.totals;
      body.replaceChildren(...[
        h('dl', { class: 'cs-totals', id: 'cs-totals' }, FIGS.map((f) => h('div', null,
          h('dt', null, t(`cs.t.${f}`)), h('dd', { dataset: { fig: f } }, num(tot[f]))))),
        tot.contacts ? null : h('p', { class: 'empty' }, t('cs.empty')),
        h('h3', null, t('cs.by_method')),
        chartBox,
        legend(byMethod),
        h('details', { class: 'cs-details' }, h('summary', null, t('cs.table')), methodTable(byMethod)),
        h('h3', null, t('cs.by_village')),
        h('p', { class: 'hint' }, t('cs.village_hint')),
        villageTable(byVillage)].filter(Boolean));
      if (ro) { ro.disconnect(); ro.observe(chartBox); }
      draw();
      // the latest periods matter most: a narrow screen starts the table at its right end
      const heat = body.querySelector('#cs-villages');
      if (heat) heat.parentElement.scrollLeft = heat.parentElement.scrollWidth;
    } catch (e) {
      if (!isAbort(e)) body.replaceChildren(errorPanel(e, load));
    }
  }
  rangeSel.input.addEventListener('change', load);
  ivSel.input.addEventListener('change', load);
  load();
  return sec;
}

// ---------------------------------------------------------------- list

/** Villages and cadres in scope for the filters (the statistics list them all). */
async function filterChoices(ctx) {
  const get = (by) => api.get('/api/v1/contacts/stats', { query: { by }, signal: ctx.signal })
    .then((r) => r.groups).catch((e) => { if (isAbort(e)) throw e; return []; });
  const [villages, cadres] = await Promise.all([get('village'), get('cadre')]);
  return { villages, cadres };
}

async function renderList(root, ctx) {
  const q = ctx.query;
  const filters = { village: q.get('village') || '', cadre: q.get('cadre') || '', household: q.get('household') || '',
    method: q.get('method') || '', from: q.get('from') || '', to: q.get('to') || '' };
  root.append(pageHeader(t('ct.title'),
    STAFF.includes(ctx.user.role) && ctx.user.role !== 'admin' ? h('a', { href: '#/record', class: 'btn btn-primary' }, t('record.title')) : null));
  const choices = await filterChoices(ctx);
  const any = { value: '', label: t('ct.any') };
  const fVillage = field({ name: 'village', label: t('ct.village'), value: filters.village,
    options: [any, ...choices.villages.map((g) => ({ value: g.key, label: g.name }))] });
  const fCadre = field({ name: 'cadre', label: t('ct.cadre'), value: filters.cadre,
    options: [any, ...choices.cadres.map((g) => ({ value: g.key, label: g.name }))] });
  const fMethod = field({ name: 'method', label: t('ct.method'), value: filters.method,
    options: [any, ...METHODS.map((m) => ({ value: m, label: methodLabel(m) }))] });
  const fFrom = field({ name: 'from', label: t('ct.from'), type: 'date', value: filters.from });
  const fTo = field({ name: 'to', label: t('ct.to'), type: 'date', value: filters.to });
  const box = alertBox();
  const form = h('form', { class: 'filters', id: 'contacts-filters' }, box,
    filters.household ? h('p', null, h('span', { class: 'badge badge-warn', id: 'contacts-household' }, t('ct.household_chip', { id: filters.household })), ' ',
      h('a', { href: hashWith({ ...filters, household: '' }) }, t('ct.clear'))) : null,
    fVillage, fCadre, fMethod, fFrom, fTo,
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('ct.apply')),
      h('a', { class: 'btn', href: '#/contacts' }, t('ct.clear'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = hashWith({ ...formValues(form), household: filters.household });
  });
  const active = Object.values(filters).some(Boolean);
  root.append(h('details', { class: 'card filter-box', open: active || null }, h('summary', null, t('ct.filters')), form));

  const table = dataTable([
    { key: 'started_at', label: t('ct.c.time'), class: 'col-time', render: (c) => h('a', { href: `#/contacts/${c.id}` }, formatTime(c.started_at)) },
    { key: 'method', label: t('ct.c.method'), render: (c) => methodLabel(c.method) },
    { key: 'village', label: t('ct.c.village'), render: (c) => c.village && c.village.name },
    { key: 'households', label: t('ct.c.households'), render: (c) => c.households.map((x) => x.head_name).join('、') },
    { key: 'author', label: t('ct.c.author'), render: (c) => c.author && c.author.display_name },
    { key: 'summary', label: t('ct.c.summary'), class: 'ct-summary-cell', render: (c) => h('a', { href: `#/contacts/${c.id}` }, clip(c.summary, 60)) },
    { key: 'state', label: t('ct.c.state'), render: stateBadges },
  ], { class: 'contacts-table', rowKey: (c) => c.id, caption: t('ct.title') });
  const count = h('p', { class: 'count', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn btn-block load-more', id: 'contacts-more', hidden: true }, t('ct.more'));
  const empty = h('p', { class: 'empty', hidden: true }, t('ct.none'));
  root.append(h('div', { class: 'list-area' }, count, table.el, empty, more));
  const limit = pageSize(q);
  let cursor = null;
  async function page() {
    const done = busy(more);
    try {
      const query = { limit, cursor };
      for (const [k, v] of Object.entries(filters)) if (v) query[k === 'village' ? 'region' : k] = v;
      const r = await api.get('/api/v1/contacts', { query, signal: ctx.signal });
      table.add(r.items);
      cursor = r.next_cursor;
      more.hidden = !cursor;
      empty.hidden = table.count() > 0;
      table.el.hidden = table.count() === 0;
      count.textContent = countText(table.count(), !!cursor);
    } catch (e) {
      if (isAbort(e)) return;
      if (e instanceof ApiError && e.status === 422) showProblem(form, box, e);
      else root.append(errorPanel(e, () => page()));
    } finally {
      done();
    }
  }
  more.addEventListener('click', page);
  await page();
}

function hashWith(values) {
  const p = new URLSearchParams();
  for (const k of ['village', 'cadre', 'household', 'method', 'from', 'to']) if (values[k]) p.set(k, values[k]);
  const qs = p.toString();
  return qs ? `#/contacts?${qs}` : '#/contacts';
}

function clip(text, n) {
  const s = String(text || '').replace(/\s+/g, ' ');
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function stateBadges(c) {
  return h('span', { class: 'badges' }, confirmationBadge(c),
    c.conflict ? h('span', { class: 'badge badge-danger' }, t('ct.conflict')) : null,
    c.issue_count ? h('span', { class: 'badge badge-warn' }, t('ct.issues_n', { n: c.issue_count })) : null,
    c.photo_count ? h('span', { class: 'badge badge-off' }, t('ct.photos_n', { n: c.photo_count })) : null,
    c.amendment_count ? h('span', { class: 'badge badge-off' }, t('ct.amended_n', { n: c.amendment_count })) : null);
}

// ---------------------------------------------------------------- detail

function facts(pairs) {
  return h('dl', { class: 'ct-facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => h('div', null, h('dt', null, t(k)), h('dd', null, v))));
}

let categoriesCache = null;
async function categories(signal) {
  if (!categoriesCache) {
    const r = await api.get('/api/v1/appeal-categories', { signal });
    categoriesCache = (r.items || []).filter((c) => !c.retired);
  }
  return categoriesCache;
}

/** The 转为诉求 dialog for one open issue; resolves after a conversion. */
async function appealDialog(ctx, contact, issue, onDone) {
  let cats;
  try { cats = await categories(ctx.signal); } catch (e) { if (!isAbort(e)) notify(e.title || String(e), 'error'); return; }
  const byId = new Map(cats.map((c) => [c.id, c]));
  const pathName = (c) => {
    const names = [];
    for (let x = c; x; x = x.parent_id ? byId.get(x.parent_id) : null) names.unshift(getLang() === 'en' && x.name_en ? x.name_en : x.name);
    return names.join(' / ');
  };
  const cat = field({ name: 'category_id', label: t('ct.category'), required: true,
    options: [{ value: '', label: '—' }, ...cats.map((c) => ({ value: c.id, label: pathName(c) }))] });
  const urg = field({ name: 'urgency', label: t('ct.urgency'), value: 'general',
    options: URGENCIES.map((u) => ({ value: u, label: t(`ct.u.${u}`) })) });
  const box = alertBox();
  const go = h('button', { type: 'submit', class: 'btn btn-primary' }, t('ct.appeal_go'));
  const form = h('form', { class: 'form', id: 'ct-appeal-form', novalidate: true }, box,
    h('p', { class: 'ct-issue-quote' }, issue.text), cat, urg, h('div', { class: 'form-actions' }, go));
  const d = openDialog({ title: t('ct.appeal_title'), content: form });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const done = busy(go);
    try {
      const body = { category_id: Number(cat.input.value) || null, urgency: urg.input.value };
      const r = await api.post(`/api/v1/contacts/${contact.id}/issues/${issue.id}/appeal`, body);
      const appealId = (r.appeal && r.appeal.id) || (r.issue && r.issue.appeal_id) || r.appeal_id;
      d.close();
      notify(t('ct.appeal_done', { id: appealId }), 'ok');
      onDone();
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405) && e.code !== 'not_found') showProblem(form, box, new ApiError(e.status, { title: t('ct.appeal_soon') }));
      else showProblem(form, box, e);
    } finally {
      done();
    }
  });
}

const EDITABLE = ['method', 'started_at', 'duration_min', 'place', 'summary', 'follow_up_date'];

/** The edit (PATCH, within the window) or amend (reason + changes) dialog. */
function changeDialog(contact, amend, onDone) {
  const cur = contact.amended || contact;
  const fMethod = field({ name: 'method', label: t('ct.f.method'), value: cur.method, options: METHODS.map((m) => ({ value: m, label: methodLabel(m) })) });
  const fStarted = field({ name: 'started_at', label: t('ct.f.started'), type: 'datetime-local', value: String(cur.started_at || '').slice(0, 16) });
  const fDuration = field({ name: 'duration_min', label: t('record.duration'), type: 'number', value: cur.duration_min, inputmode: 'numeric', attrs: { min: '1', max: '1440' } });
  const fPlace = field({ name: 'place', label: t('ct.f.place'), value: cur.place || '' });
  const summary = h('textarea', { id: 'ct-edit-summary', name: 'summary', rows: '4', maxlength: '4000' });
  summary.value = cur.summary || '';
  const fSummary = h('div', { class: 'field', dataset: { field: 'summary' } }, h('label', { for: 'ct-edit-summary' }, t('ct.f.summary')), summary, h('p', { class: 'field-error', hidden: true }));
  fSummary.input = summary;
  const fFollow = field({ name: 'follow_up_date', label: t('ct.f.follow_up'), type: 'date', value: cur.follow_up_date || '' });
  const reason = amend ? field({ name: 'reason', label: t('ct.reason'), required: true }) : null;
  const box = alertBox();
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('ct.save'));
  const form = h('form', { class: 'form', id: amend ? 'ct-amend-form' : 'ct-edit-form', novalidate: true }, box,
    amend ? h('p', { class: 'hint' }, t('ct.amend_hint')) : null, reason,
    fMethod, fStarted, fDuration, fPlace, fSummary, fFollow, h('div', { class: 'form-actions' }, save));
  const d = openDialog({ title: t(amend ? 'ct.amend_title' : 'ct.edit_title'), content: form });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    const changes = {};
    const offset = String(cur.started_at || '').slice(19) || '+08:00';
    const next = {
      method: v.method, started_at: v.started_at ? `${v.started_at}:00${offset}` : cur.started_at,
      duration_min: Number(v.duration_min), place: v.place || null, summary: v.summary, follow_up_date: v.follow_up_date || null,
    };
    for (const k of EDITABLE) {
      const before = k === 'started_at' ? String(cur.started_at).slice(0, 16) : (cur[k] ?? null);
      const after = k === 'started_at' ? v.started_at : next[k];
      if (String(before ?? '') !== String(after ?? '')) changes[k] = next[k];
    }
    if (!Object.keys(changes).length) { showProblem(form, box, new Error(t('ct.nothing_changed'))); return; }
    const done = busy(save);
    try {
      if (amend) await api.post(`/api/v1/contacts/${contact.id}/amendments`, { reason: v.reason, changes });
      else await api.patch(`/api/v1/contacts/${contact.id}`, changes);
      d.close();
      notify(t('ct.saved'), 'ok');
      onDone();
    } catch (e) {
      showProblem(form, box, e);
    } finally {
      done();
    }
  });
}

function issueItem(ctx, contact, issue, reload) {
  const canAppeal = STAFF.includes(ctx.user.role);
  return h('li', { class: 'ct-issue', dataset: { issue: String(issue.id) } },
    h('p', { class: 'ct-issue-text' }, issue.text),
    h('p', { class: 'ct-issue-meta' },
      h('span', { class: issue.status === 'open' ? 'badge badge-warn' : 'badge badge-off' }, t(`ct.issue.${issue.status}`)), ' ',
      issue.appeal_id ? h('a', { href: `#/appeal/${issue.appeal_id}` }, t('ct.appeal_link', { id: issue.appeal_id })) : null,
      issue.status === 'open' && canAppeal
        ? h('button', { type: 'button', class: 'btn btn-small ct-to-appeal', onclick: () => appealDialog(ctx, contact, issue, reload) }, t('ct.to_appeal'))
        : null));
}

function amendmentItem(a) {
  const keys = [...new Set([...Object.keys(a.before || {}), ...Object.keys(a.after || {})])];
  return h('li', { class: 'ct-amendment' },
    h('p', null, t('ct.amend_line', { time: formatTime(a.at), user: (a.user && a.user.display_name) || '', reason: a.reason })),
    h('ul', { class: 'plain-list' }, keys.map((k) => h('li', null, h('span', { class: 'muted' }, `${FIELD_LABELS[k] ? t(FIELD_LABELS[k]) : k}：`),
      h('del', null, fieldText(k, a.before && a.before[k])), ' → ', h('ins', null, fieldText(k, a.after && a.after[k]))))));
}

const FIELD_LABELS = {
  method: 'ct.f.method', started_at: 'ct.f.started', duration_min: 'ct.f.duration', place: 'ct.f.place',
  summary: 'ct.f.summary', follow_up_date: 'ct.f.follow_up', lat: 'ct.f.gps', lng: 'ct.f.gps', gps_accuracy_m: 'ct.f.gps',
};

function fieldText(k, v) {
  if (v === null || v === undefined || v === '') return '—';
  if (k === 'method') return methodLabel(v);
  if (k === 'started_at') return formatTime(v);
  return String(v);
}

async function renderDetail(root, ctx) {
  const id = ctx.params.id;
  let c;
  try {
    c = await api.get(`/api/v1/contacts/${encodeURIComponent(id)}`, { signal: ctx.signal });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    // out of scope reads as not found: say so in place, with the way back
    root.append(h('p', { class: 'ct-back' }, h('a', { href: '#/contacts' }, `← ${t('ct.back')}`)),
      pageHeader(t('ct.detail_title', { id })), errorPanel(e));
    return;
  }
  const reload = () => { if (!ctx.signal.aborted) { root.replaceChildren(); renderDetail(root, ctx).catch((e) => { if (!isAbort(e)) root.append(errorPanel(e)); }); } };
  const u = ctx.user;
  const isAuthor = c.author && c.author.id === u.id;
  const now = Date.now();
  const canEdit = isAuthor && c.editable_until && Date.parse(c.editable_until) > now;
  const canAmend = !canEdit && (isAuthor || u.role === 'leader' || u.role === 'admin');
  const cur = c.amended || c;
  const actions = [
    canEdit ? h('button', { type: 'button', class: 'btn', id: 'ct-edit', onclick: () => changeDialog(c, false, reload) }, t('ct.edit')) : null,
    canAmend ? h('button', { type: 'button', class: 'btn', id: 'ct-amend', onclick: () => changeDialog(c, true, reload) }, t('ct.amend')) : null,
  ];
  const gps = c.lat !== null && c.lat !== undefined
    ? t('ct.gps', { lat: c.lat, lng: c.lng, m: c.gps_accuracy_m ?? '—' }) : null;

  const main = [
    h('section', { class: 'card', id: 'ct-detail' },
      facts([
        ['ct.f.method', methodLabel(cur.method)],
        ['ct.f.started', formatTime(cur.started_at)],
        ['ct.f.duration', t('ct.min', { n: cur.duration_min })],
        ['ct.f.place', cur.place],
        ['ct.f.gps', gps],
        ['ct.f.village', c.village && c.village.name],
        ['ct.f.author', c.author && c.author.display_name],
        ['ct.f.cadres', (c.cadres || []).map((x) => x.display_name).join('、')],
        ['ct.f.follow_up', cur.follow_up_date],
        ['ct.f.editable', canEdit ? formatTime(c.editable_until) : null],
      ]),
      h('h2', null, t('ct.f.summary')),
      h('p', { class: 'ct-summary', id: 'ct-summary' }, cur.summary)),
    h('section', { class: 'card', id: 'ct-issues' },
      h('h2', null, t('ct.issues')),
      (c.issues || []).length ? h('ul', { class: 'ct-issue-list' }, c.issues.map((i) => issueItem(ctx, c, i, reload)))
        : h('p', { class: 'muted' }, t('ct.no_issues'))),
    h('section', { class: 'card', id: 'ct-photos' },
      h('h2', null, t('ct.photos')),
      (c.photos || []).length ? h('div', { class: 'ct-photos' }, c.photos.map((p, i) => h('a', { href: p.url, target: '_blank', rel: 'noopener' },
        h('img', { src: p.url, alt: t('ct.photo_alt', { n: i + 1 }), loading: 'lazy' }))))
        : h('p', { class: 'muted' }, t('ct.no_photos'))),
  ];
  const side = [
    h('section', { class: 'card', id: 'ct-confirmation' },
      h('h2', null, t('ct.confirmation')),
      h('p', null, confirmationBadge(c), c.confirmation && c.confirmation !== 'none' ? ` ${t(`ct.by.${c.confirmation}`)}` : null),
      c.confirmation === 'none' && c.method === 'home_visit' && (c.households || []).length
        && (isAuthor || (c.cadres || []).some((x) => x.id === u.id))
        ? h('p', null, h('a', { class: 'btn', id: 'ct-ask-confirm', href: `#/contacts/${c.id}/confirm` }, t('ct.ask_confirm'))) : null),
    h('section', { class: 'card' },
      h('h2', null, t('ct.households')),
      h('ul', { class: 'link-list', id: 'ct-households' }, (c.households || []).map((x) => h('li', null,
        h('a', { href: `#/household/${x.id}` }, x.head_name), ' ', h('span', { class: 'mono muted' }, x.code)))),
      h('h2', null, t('ct.people')),
      (c.people || []).length ? h('ul', { class: 'plain-list', id: 'ct-people' }, c.people.map((p) => h('li', null, p.name)))
        : h('p', { class: 'muted' }, t('ct.no_people'))),
    h('section', { class: 'card', id: 'ct-amendments' },
      h('h2', null, t('ct.amendments')),
      (c.amendments || []).length ? h('ul', { class: 'ct-amendment-list' }, c.amendments.map(amendmentItem))
        : h('p', { class: 'muted' }, t('ct.no_amendments'))),
  ];
  root.append(...[
    h('p', { class: 'ct-back' }, h('a', { href: '#/contacts' }, `← ${t('ct.back')}`)),
    pageHeader(t('ct.detail_title', { id: c.id }), ...actions),
    c.conflict ? h('div', { class: 'alert alert-warn' }, h('p', { class: 'alert-title' }, t('ct.conflict')),
      h('p', { class: 'alert-detail' }, t('ct.conflict_text', { detail: (c.conflict.households || []).map((x) => x.responsible_name).filter(Boolean).join('、') || '—' }))) : null,
    h('div', { class: 'ct-grid' }, h('div', { class: 'ct-col' }, main), h('div', { class: 'ct-col' }, side)),
  ].filter(Boolean));
}

registerPage({
  id: 'contacts',
  path: '#/contacts',
  title: { zh: '联系记录', en: 'Contacts' },
  order: 22,
  render: renderList,
});

registerPage({
  id: 'contact',
  path: '#/contacts/:id',
  title: { zh: '联系记录', en: 'Contact' },
  nav: false,
  render: renderDetail,
});
