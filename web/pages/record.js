// record.js: 记录联系 (#/record), the cadre's quick form. A routine home
// visit is three taps: household (from the due list and the cadre's
// households, kept on the phone for offline use) → a quick phrase → save.
// Every save goes to the outbox (offline.js) with a client UUID first and
// is sent from there, so the form works the same with or without signal.

import { registerPage, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, field, pageHeader, alertBox, showMessage, hideBox, clearErrors, showErrors } from '../ui.js';
import { enqueueContact, kvGet, kvSet, startOffline } from '../offline.js';

addStrings({
  zh: {
    'record.title': '记录联系',
    'record.household': '1. 选择农户',
    'record.search': '查找户主或户编号',
    'record.due_first': '待走访的户排在前面',
    'record.show_all': '显示全部 {n} 户',
    'record.change': '更换',
    'record.no_households': '没有可选的农户。',
    'record.cached': '离线名单（{time} 保存）',
    'record.no_cache': '没有网络，本手机上也还没有农户名单。联网打开一次本页后即可离线使用。',
    'record.overdue': '已逾期',
    'record.due': '{date} 前',
    'record.summary': '2. 情况摘要',
    'record.phrases': '常用语（点一下加入）',
    'record.p1': '走访了解情况', 'record.p2': '政策宣传', 'record.p3': '无新诉求',
    'record.p4': '家庭情况稳定', 'record.p5': '帮助解决困难',
    'record.how': '方式与时间',
    'record.how_sum': '{method} · {when} · {min} 分钟',
    'record.now': '现在',
    'record.method': '联系方式',
    'record.started': '开始时间',
    'record.duration': '时长（分钟）',
    'record.more': '更多（选填）',
    'record.people': '见到的人',
    'record.people_hint': '姓名，多人用逗号分开',
    'record.issue': '群众反映的问题',
    'record.follow_up': '回访日期',
    'record.gps': '记录位置',
    'record.gps_busy': '正在定位…',
    'record.gps_ok': '已记录位置（精度约 {m} 米）',
    'record.gps_fail': '无法定位：{msg}',
    'record.save': '保存',
    'record.need_household': '请选择农户',
    'record.need_summary': '请填写情况摘要，或点一个常用语',
    'record.bad_duration': '时长应为 1 到 1440 分钟',
    'record.saved_sync': '已保存，正在上传。',
    'record.saved_offline': '已保存在本手机，联网后自动上传（待同步）。',
    'record.m.home_visit': '入户走访', 'record.m.phone': '电话', 'record.m.wechat': '微信',
    'record.m.meeting': '座谈会', 'record.m.reception_day': '接访日', 'record.m.online': '网上', 'record.m.other': '其他',
  },
  en: {
    'record.title': 'Record a contact',
    'record.household': '1. Household',
    'record.search': 'Find a head of household or code',
    'record.due_first': 'Households due for a visit come first',
    'record.show_all': 'Show all {n} households',
    'record.change': 'Change',
    'record.no_households': 'No households to choose from.',
    'record.cached': 'Offline list (saved {time})',
    'record.no_cache': 'No signal, and no household list on this phone yet. Open this page once online to use it offline.',
    'record.overdue': 'Overdue',
    'record.due': 'by {date}',
    'record.summary': '2. Summary',
    'record.phrases': 'Quick phrases (tap to add)',
    'record.p1': 'Visited, checked on the family', 'record.p2': 'Explained policies', 'record.p3': 'No new requests',
    'record.p4': 'Family situation stable', 'record.p5': 'Helped with a difficulty',
    'record.how': 'Method and time',
    'record.how_sum': '{method} · {when} · {min} min',
    'record.now': 'now',
    'record.method': 'Method',
    'record.started': 'Started',
    'record.duration': 'Duration (minutes)',
    'record.more': 'More (optional)',
    'record.people': 'People met',
    'record.people_hint': 'Names, separated by commas',
    'record.issue': 'Issue raised',
    'record.follow_up': 'Follow-up date',
    'record.gps': 'Record location',
    'record.gps_busy': 'Locating…',
    'record.gps_ok': 'Location recorded (about {m} m)',
    'record.gps_fail': 'No location: {msg}',
    'record.save': 'Save',
    'record.need_household': 'Choose a household',
    'record.need_summary': 'Write a summary or tap a quick phrase',
    'record.bad_duration': 'Duration must be 1 to 1440 minutes',
    'record.saved_sync': 'Saved; uploading.',
    'record.saved_offline': 'Saved on this phone; it uploads when online (waiting to sync).',
    'record.m.home_visit': 'Home visit', 'record.m.phone': 'Phone', 'record.m.wechat': 'WeChat',
    'record.m.meeting': 'Meeting', 'record.m.reception_day': 'Reception day', 'record.m.online': 'Online', 'record.m.other': 'Other',
  },
});

export const METHODS = ['home_visit', 'phone', 'wechat', 'meeting', 'reception_day', 'online', 'other'];
const PHRASES = ['record.p1', 'record.p2', 'record.p3', 'record.p4', 'record.p5'];
const SHORT_LIST = 6;

const pad = (n) => String(n).padStart(2, '0');

/** A Date as "2026-03-02T09:05:00+08:00" in the phone's time zone. */
export function isoLocal(d) {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    + `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

function inputLocal(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The households to offer: the due list first (overdue, then by due date),
 * then the cadre's other households. Online answers are kept on the phone;
 * offline, the kept copy is used. Resolves {items, savedAt|null}.
 */
async function loadChoices(ctx) {
  const key = `record.choices.${ctx.user.id}`;
  const hhQuery = ctx.user.role === 'cadre' ? { cadre: ctx.user.id, limit: 500 } : { limit: 500 };
  try {
    const [due, hh] = await Promise.all([
      api.get('/api/v1/plans/due', { query: { window: 'all' }, signal: ctx.signal }).catch((e) => {
        if (isAbort(e) || e.status === 0) throw e;
        return { items: [] };
      }),
      api.get('/api/v1/households', { query: hhQuery, signal: ctx.signal }),
    ]);
    const items = mergeChoices(due.items || [], hh.items || []);
    kvSet(key, items).catch(() => {});
    return { items, savedAt: null };
  } catch (e) {
    if (isAbort(e) || e.status !== 0) throw e;
    const kept = await kvGet(key).catch(() => null);
    if (!kept) return { items: null, savedAt: null };
    return { items: kept.value, savedAt: kept.saved_at };
  }
}

function mergeChoices(due, households) {
  const byId = new Map();
  const dueItems = due.filter((d) => d.kind === 'household')
    .sort((a, b) => (b.overdue - a.overdue) || (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : 0));
  for (const d of dueItems) {
    if (byId.has(d.household.id)) continue;
    byId.set(d.household.id, {
      id: d.household.id, code: d.household.code, head_name: d.household.head_name,
      village: d.village && d.village.name, due_date: d.due_date, overdue: !!d.overdue,
    });
  }
  for (const x of households) {
    const known = byId.get(x.id);
    if (known) { known.address = x.address; known.group = x.group && x.group.name; continue; }
    byId.set(x.id, { id: x.id, code: x.code, head_name: x.head_name, village: x.village && x.village.name, group: x.group && x.group.name, address: x.address });
  }
  return [...byId.values()];
}

function choiceButton(x, onPick) {
  const when = x.overdue ? h('span', { class: 'badge badge-danger' }, t('record.overdue'))
    : x.due_date ? h('span', { class: 'badge badge-warn' }, t('record.due', { date: x.due_date })) : null;
  return h('button', { type: 'button', class: 'rc-hh', dataset: { id: String(x.id) }, onclick: () => onPick(x) },
    h('span', { class: 'rc-hh-name' }, x.head_name, ' ', when),
    h('span', { class: 'rc-hh-meta' }, [x.village, x.group].filter(Boolean).join(' '), ' ', h('span', { class: 'mono' }, x.code)));
}

/** The household chooser: a short list (due first), a search, and the chosen one. */
function householdPicker(ctx, onChange) {
  const list = h('div', { class: 'rc-hh-list', id: 'record-households' });
  const chosenBox = h('div', { class: 'rc-chosen', hidden: true });
  const search = h('input', { type: 'search', class: 'rc-search', 'aria-label': t('record.search'), placeholder: t('record.search'), autocomplete: 'off' });
  const note = h('p', { class: 'hint' }, t('record.due_first'));
  const err = h('p', { class: 'field-error', hidden: true });
  const wrap = h('section', { class: 'card rc-step', 'aria-labelledby': 'rc-hh-h', dataset: { field: 'households' } },
    h('h2', { id: 'rc-hh-h' }, t('record.household')), chosenBox, h('div', { class: 'rc-pick' }, note, search, list), err);
  wrap.input = search;
  let all = [];
  let showAll = false;
  let chosen = null;

  function draw() {
    const q = search.value.trim().toLowerCase();
    const hits = q ? all.filter((x) => `${x.head_name} ${x.code} ${x.village || ''} ${x.group || ''}`.toLowerCase().includes(q)) : all;
    const shown = showAll || q ? hits : hits.slice(0, SHORT_LIST);
    list.replaceChildren(...shown.map((x) => choiceButton(x, pick)));
    if (!hits.length) list.append(h('p', { class: 'muted' }, t('record.no_households')));
    if (shown.length < hits.length) {
      list.append(h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => { showAll = true; draw(); } },
        t('record.show_all', { n: hits.length })));
    }
  }
  function pick(x) {
    chosen = x;
    err.hidden = true;
    chosenBox.replaceChildren(
      h('div', { class: 'rc-chosen-text' }, h('strong', { id: 'record-chosen' }, x.head_name), ' ',
        h('span', { class: 'mono muted' }, x.code), x.village ? h('span', { class: 'muted' }, ` · ${x.village}`) : null),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => { chosen = null; sync(); onChange(null); search.focus(); } }, t('record.change')));
    sync();
    onChange(x);
  }
  function sync() {
    chosenBox.hidden = !chosen;
    wrap.querySelector('.rc-pick').hidden = !!chosen;
  }
  return {
    el: wrap,
    err,
    get value() { return chosen; },
    set(items, savedAt) {
      all = items || [];
      if (savedAt) note.textContent = t('record.cached', { time: savedAt.slice(0, 16).replace('T', ' ') });
      search.addEventListener('input', draw);
      draw();
    },
    reset() { chosen = null; search.value = ''; showAll = false; sync(); draw(); },
  };
}

function phraseChips(textarea) {
  return h('div', { class: 'rc-phrases', role: 'group', 'aria-label': t('record.phrases') },
    PHRASES.map((k) => h('button', {
      type: 'button', class: 'rc-chip',
      onclick: () => {
        const p = t(k);
        const cur = textarea.value.trim();
        if (!cur.split(/[；;，,。\s]+/).includes(p)) textarea.value = cur ? `${cur}；${p}` : p;
        textarea.dispatchEvent(new Event('input'));
      },
    }, t(k))));
}

function textareaField(name, label, hint) {
  const id = `rc-${name}`;
  const input = h('textarea', { id, name, rows: '3', class: 'rc-text', maxlength: '4000' });
  const wrap = h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label), hint ? h('p', { class: 'hint' }, hint) : null, input,
    h('p', { class: 'field-error', hidden: true }));
  wrap.input = input;
  return wrap;
}

function gpsControl() {
  const state = { lat: null, lng: null, acc: null };
  const out = h('p', { class: 'hint', role: 'status' });
  const btn = h('button', { type: 'button', class: 'btn', id: 'record-gps' }, t('record.gps'));
  btn.addEventListener('click', () => {
    if (!navigator.geolocation) { out.textContent = t('record.gps_fail', { msg: '—' }); return; }
    out.textContent = t('record.gps_busy');
    navigator.geolocation.getCurrentPosition((pos) => {
      state.lat = Math.round(pos.coords.latitude * 1e6) / 1e6;
      state.lng = Math.round(pos.coords.longitude * 1e6) / 1e6;
      state.acc = Math.round(pos.coords.accuracy);
      out.textContent = t('record.gps_ok', { m: state.acc });
    }, (e) => { out.textContent = t('record.gps_fail', { msg: e.message || e.code }); },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
  return { el: h('div', { class: 'field' }, btn, out), state, reset() { state.lat = state.lng = state.acc = null; out.textContent = ''; } };
}

async function render(root, ctx) {
  startOffline();
  const box = alertBox();
  const done = h('div', { class: 'alert alert-ok', role: 'status', id: 'record-done', hidden: true });

  const picker = householdPicker(ctx, (x) => { if (x) summary.input.focus({ preventScroll: true }); });
  const summary = textareaField('summary', t('record.summary'));
  summary.classList.add('rc-summary');

  const method = field({ name: 'method', label: t('record.method'), value: 'home_visit', options: METHODS.map((m) => ({ value: m, label: t(`record.m.${m}`) })) });
  const started = field({ name: 'started_at', label: t('record.started'), type: 'datetime-local', value: inputLocal(new Date()) });
  let startedTouched = false;
  started.input.addEventListener('input', () => { startedTouched = true; drawHow(); });
  const duration = field({ name: 'duration_min', label: t('record.duration'), type: 'number', value: '30', inputmode: 'numeric', attrs: { min: '1', max: '1440', step: '1' } });
  const howSum = h('span', { class: 'muted rc-how-sum' });
  function drawHow() {
    howSum.textContent = t('record.how_sum', {
      method: t(`record.m.${method.input.value}`),
      when: startedTouched ? started.input.value.replace('T', ' ') : t('record.now'),
      min: duration.input.value || '—',
    });
  }
  method.input.addEventListener('change', drawHow);
  duration.input.addEventListener('input', drawHow);
  drawHow();

  const people = field({ name: 'people', label: t('record.people'), hint: t('record.people_hint') });
  const issue = textareaField('issues', t('record.issue'));
  const followUp = field({ name: 'follow_up_date', label: t('record.follow_up'), type: 'date' });
  const gps = gpsControl();

  const save = h('button', { type: 'submit', class: 'btn btn-primary btn-block rc-save', id: 'record-save' }, t('record.save'));
  const form = h('form', { class: 'form rc-form', id: 'record-form', novalidate: true },
    box, picker.el,
    h('section', { class: 'card rc-step', 'aria-labelledby': 'rc-sum-h' },
      h('h2', { id: 'rc-sum-h', class: 'sr-only' }, t('record.summary')),
      summary, phraseChips(summary.input)),
    h('details', { class: 'card filter-box rc-fold' },
      h('summary', null, t('record.how'), ' ', howSum), method, started, duration),
    h('details', { class: 'card filter-box rc-fold' },
      h('summary', null, t('record.more')), people, issue, followUp, gps.el),
    save);
  summary.input.addEventListener('input', () => { summary.querySelector('.field-error').hidden = true; });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form, box);
    hideBox(done);
    const hh = picker.value;
    const errors = [];
    if (!hh) { picker.err.textContent = t('record.need_household'); picker.err.hidden = false; }
    if (!summary.input.value.trim()) errors.push({ field: 'summary', message: t('record.need_summary') });
    const min = Number(duration.input.value);
    if (!Number.isInteger(min) || min < 1 || min > 1440) errors.push({ field: 'duration_min', message: t('record.bad_duration') });
    if (!hh || errors.length) {
      if (errors.some((e) => e.field === 'duration_min')) form.querySelector('.rc-fold').open = true;
      showErrors(form, errors);
      if (!hh) picker.el.scrollIntoView({ block: 'start' });
      return;
    }
    const at = startedTouched && started.input.value ? new Date(started.input.value) : new Date();
    const body = {
      method: method.input.value,
      started_at: isoLocal(at),
      duration_min: min,
      households: [hh.id],
      summary: summary.input.value.trim(),
    };
    const names = people.input.value.split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);
    if (names.length) body.people = names.map((name) => ({ name }));
    if (issue.input.value.trim()) body.issues = [issue.input.value.trim()];
    if (followUp.input.value) body.follow_up_date = followUp.input.value;
    if (gps.state.lat !== null) Object.assign(body, { lat: gps.state.lat, lng: gps.state.lng, gps_accuracy_m: gps.state.acc });
    save.disabled = true;
    try {
      const entry = await enqueueContact(body, `${hh.head_name} ${hh.code}`);
      showMessage(done, navigator.onLine ? t('record.saved_sync') : t('record.saved_offline'), `${hh.head_name} · ${body.summary}`);
      if (body.method === 'home_visit' && navigator.onLine) done.append(h('p', null, h('a', { class: 'btn', id: 'record-confirm', href: `#/contacts/${entry.uuid}/confirm` }, t('confirm.ask'))));
      form.reset();
      picker.reset();
      gps.reset();
      startedTouched = false;
      method.input.value = 'home_visit';
      duration.input.value = '30';
      started.input.value = inputLocal(new Date());
      drawHow();
      window.scrollTo(0, 0);
    } catch (e) {
      notify(String((e && e.message) || e), 'error');
    } finally {
      save.disabled = false;
    }
  });

  root.append(pageHeader(t('record.title')), done, form);

  const loaded = await loadChoices(ctx);
  if (loaded.items === null) {
    picker.el.append(h('p', { class: 'alert alert-warn' }, t('record.no_cache')));
    picker.set([], null);
  } else {
    picker.set(loaded.items, loaded.savedAt);
  }
}

registerPage({
  id: 'record',
  path: '#/record',
  title: { zh: '记录联系', en: 'Record a contact' },
  roles: ['leader', 'cadre'],
  order: -1,
  render,
});
