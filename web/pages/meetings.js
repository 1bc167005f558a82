// meetings.js: analysis meetings (分析研判). A village's meetings, newest
// first; "new meeting" shows the agenda drawn from the village's open
// appeals and undecided contact issues before it is created; a meeting's
// minutes with one decision form per item (solve at village level, send up
// as an appeal, close with a reason), a free item for the leader, finalise.

import { registerPage, navigate, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, pageHeader, errorPanel, field, alertBox, showProblem, clearErrors, busy, confirmDialog, formatTime } from '../ui.js';
import { villages } from './org-common.js';

addStrings({
  zh: {
    'mt.title': '分析研判',
    'mt.village': '村',
    'mt.new': '新建研判会',
    'mt.none': '这个村还没有研判会记录',
    'mt.held_at': '开会时间', 'mt.place': '地点', 'mt.name': '会议名称', 'mt.attendees': '参会人员',
    'mt.agenda': '议题（自动汇总未办结诉求和走访中反映的问题）',
    'mt.agenda_none': '暂无待研判的议题',
    'mt.create': '开始研判会',
    'mt.kind.appeal': '诉求', 'mt.kind.issue': '走访问题', 'mt.kind.free': '临时议题',
    'mt.state.draft': '进行中', 'mt.state.final': '已定稿',
    'mt.decided': '已决定 {n}/{m} 项',
    'mt.d.solve_village': '村级解决', 'mt.d.appeal': '上报为诉求', 'mt.d.close': '关闭',
    'mt.d.none': '待决定',
    'mt.decision': '决定', 'mt.owner': '负责人', 'mt.due_date': '完成期限', 'mt.category': '诉求分类',
    'mt.urgency': '紧急程度', 'mt.reason': '关闭理由', 'mt.note': '备注',
    'mt.u.general': '一般', 'mt.u.urgent': '紧急', 'mt.u.emergency': '特急', 'mt.u.complex': '复杂',
    'mt.save': '记录决定',
    'mt.saved': '决定已记录',
    'mt.result_appeal': '已形成诉求 {code}',
    'mt.closed_issue': '问题已关闭',
    'mt.add_item': '增加议题', 'mt.item_text': '议题内容', 'mt.add': '增加',
    'mt.finalise': '纪要定稿', 'mt.finalise_q': '定稿后纪要不能再修改。确定定稿吗？', 'mt.finalised': '纪要已定稿',
    'mt.back': '返回研判会列表',
  },
  en: {
    'mt.title': 'Analysis meetings',
    'mt.village': 'Village',
    'mt.new': 'New meeting',
    'mt.none': 'No meetings recorded for this village yet',
    'mt.held_at': 'Held at', 'mt.place': 'Place', 'mt.name': 'Title', 'mt.attendees': 'Attendees',
    'mt.agenda': 'Agenda (open appeals and issues raised in contacts)',
    'mt.agenda_none': 'Nothing to review',
    'mt.create': 'Start the meeting',
    'mt.kind.appeal': 'Appeal', 'mt.kind.issue': 'Contact issue', 'mt.kind.free': 'Free item',
    'mt.state.draft': 'Draft', 'mt.state.final': 'Final',
    'mt.decided': '{n} of {m} decided',
    'mt.d.solve_village': 'Solve in the village', 'mt.d.appeal': 'Send up as an appeal', 'mt.d.close': 'Close',
    'mt.d.none': 'Undecided',
    'mt.decision': 'Decision', 'mt.owner': 'Who', 'mt.due_date': 'By when', 'mt.category': 'Appeal category',
    'mt.urgency': 'Urgency', 'mt.reason': 'Reason for closing', 'mt.note': 'Note',
    'mt.u.general': 'General', 'mt.u.urgent': 'Urgent', 'mt.u.emergency': 'Emergency', 'mt.u.complex': 'Complex',
    'mt.save': 'Record the decision',
    'mt.saved': 'Decision recorded',
    'mt.result_appeal': 'Became appeal {code}',
    'mt.closed_issue': 'Issue closed',
    'mt.add_item': 'Add an item', 'mt.item_text': 'Item', 'mt.add': 'Add',
    'mt.finalise': 'Finalise the minutes', 'mt.finalise_q': 'The minutes cannot change once final. Finalise?', 'mt.finalised': 'Minutes finalised',
    'mt.back': 'Back to the meetings',
  },
});

const DECISIONS = ['solve_village', 'appeal', 'close'];
const URGENCIES = ['general', 'urgent', 'emergency', 'complex'];
const canWrite = (user) => user.role !== 'viewer';

function localNow() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 16);
}

function itemHead(it) {
  return h('div', { class: 'mt-item-head' },
    h('span', { class: 'badge' }, `${it.seq}. ${t(`mt.kind.${it.kind}`)}`), ' ',
    it.kind === 'appeal' && it.appeal_id ? h('a', { href: `#/appeal/${it.appeal_id}` }, it.text) : h('span', {}, it.text));
}

// ---- the list of a village's meetings, and the new-meeting form ----

async function listPage(root, ctx) {
  const vs = await villages(ctx.signal);
  const village = ctx.query.get('village') || (vs[0] && vs[0].code) || '';
  const sel = field({ name: 'village', label: t('mt.village'), value: village,
    options: vs.map((v) => ({ value: v.code, label: v.name })) });
  sel.input.addEventListener('change', () => navigate(`#/meetings?village=${sel.input.value}`));
  const newBtn = canWrite(ctx.user)
    ? h('button', { type: 'button', class: 'btn btn-primary', id: 'mt-new', onclick: () => newForm(root, ctx, village) }, t('mt.new'))
    : null;
  const list = h('ul', { class: 'due-list', id: 'mt-list' }, h('li', { class: 'muted' }, '…'));
  root.append(pageHeader(t('mt.title'), newBtn), h('section', { class: 'card' }, sel, list));
  try {
    const r = await api.get('/api/v1/meetings', { query: { village, limit: 100 }, signal: ctx.signal });
    list.replaceChildren(...(r.items.length ? r.items.map((m) => h('li', { class: 'due-item' },
      h('a', { href: `#/meeting/${m.id}`, class: 'due-link' }, h('strong', {}, formatTime(m.held_at).slice(0, 16)), ' ',
        m.title || ''),
      h('div', { class: 'due-meta' }, h('span', { class: m.state === 'final' ? 'badge' : 'badge badge-off' }, t(`mt.state.${m.state}`)),
        ' · ', t('mt.decided', { n: m.decided_count, m: m.item_count }), m.place ? ` · ${m.place}` : '')))
      : [h('li', { class: 'muted' }, t('mt.none'))]));
  } catch (e) {
    if (!isAbort(e)) list.replaceChildren(errorPanel(e, () => navigate(`#/meetings?village=${village}`, { replace: true })));
  }
}

async function newForm(root, ctx, village) {
  const box = alertBox();
  const held = field({ name: 'held_at', label: t('mt.held_at'), type: 'datetime-local', value: localNow(), required: true });
  const place = field({ name: 'place', label: t('mt.place'), value: '村委会会议室' });
  const title = field({ name: 'title', label: t('mt.name') });
  const people = h('fieldset', { class: 'field', 'data-field': 'attendees' }, h('legend', {}, t('mt.attendees')));
  const agenda = h('ul', { class: 'due-list', id: 'mt-agenda' }, h('li', { class: 'muted' }, '…'));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'mt-create' }, t('mt.create'));
  const form = h('form', { class: 'form card', novalidate: true }, h('h2', {}, t('mt.new')), box, held, place, title, people,
    h('h3', {}, t('mt.agenda')), agenda, h('div', { class: 'form-actions' }, submit));
  root.replaceChildren(pageHeader(t('mt.title')), form);
  try {
    const [team, ag] = await Promise.all([
      api.get(`/api/v1/villages/${encodeURIComponent(village)}/teams`, { signal: ctx.signal }).catch(() => null),
      api.get('/api/v1/meetings/agenda', { query: { village }, signal: ctx.signal }),
    ]);
    const seen = new Map([[ctx.user.id, ctx.user.display_name]]);
    for (const k of ['station', 'auxiliary']) {
      const tm = team && team[k];
      if (tm && tm.leader) seen.set(tm.leader.id, tm.leader.display_name);
      for (const m of (tm && tm.members) || []) if (m.user_id) seen.set(m.user_id, m.name || m.display_name);
    }
    for (const [id, name] of seen) {
      people.append(h('label', { class: 'check-inline' }, h('input', { type: 'checkbox', name: 'attendees', value: String(id), checked: true }), ' ', name || `#${id}`));
    }
    agenda.replaceChildren(...(ag.items.length ? ag.items.map((it) => h('li', { class: 'due-item' }, itemHead(it)))
      : [h('li', { class: 'muted' }, t('mt.agenda_none'))]));
  } catch (e) {
    if (!isAbort(e)) agenda.replaceChildren(errorPanel(e));
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form, box);
    const done = busy(submit);
    const body = {
      village_code: village,
      held_at: held.input.value ? `${held.input.value}:00+08:00` : '',
      attendees: [...people.querySelectorAll('input:checked')].map((i) => Number(i.value)),
    };
    if (place.input.value.trim()) body.place = place.input.value.trim();
    if (title.input.value.trim()) body.title = title.input.value.trim();
    try {
      const m = await api.post('/api/v1/meetings', body);
      navigate(`#/meeting/${m.id}`);
    } catch (e) {
      showProblem(form, box, e);
    } finally {
      done();
    }
  });
}

// ---- one meeting: the minutes ----

function resultLine(it) {
  if (!it.decision) return h('span', { class: 'badge badge-off' }, t('mt.d.none'));
  const parts = [h('span', { class: 'badge' }, t(`mt.d.${it.decision}`))];
  if (it.decision === 'solve_village' && it.owner) parts.push(' ', `${it.owner.display_name} · ${it.due_date || ''}`);
  if (it.result_appeal) parts.push(' ', h('a', { href: `#/appeal/${it.result_appeal.id}`, class: 'mt-result' }, t('mt.result_appeal', { code: it.result_appeal.receipt_code })));
  if (it.closed_issue_id) parts.push(' ', t('mt.closed_issue'));
  if (it.reason) parts.push(' · ', it.reason);
  if (it.note) parts.push(' · ', it.note);
  return h('div', { class: 'due-meta mt-decision' }, parts);
}

function decisionForm(m, it, cats, reload) {
  const box = alertBox();
  const dec = field({ name: 'decision', label: t('mt.decision'), value: 'solve_village',
    options: DECISIONS.map((d) => ({ value: d, label: t(`mt.d.${d}`) })) });
  const owner = field({ name: 'owner_user_id', label: t('mt.owner'),
    options: m.attendees.map((p) => ({ value: String(p.id), label: p.display_name })) });
  const due = field({ name: 'due_date', label: t('mt.due_date'), type: 'date',
    value: new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10) });
  const cat = field({ name: 'category_id', label: t('mt.category'), options: cats.map((c) => ({ value: String(c.id), label: c.name })) });
  const urg = field({ name: 'urgency', label: t('mt.urgency'), options: URGENCIES.map((u) => ({ value: u, label: t(`mt.u.${u}`) })) });
  const reason = field({ name: 'reason', label: t('mt.reason') });
  const note = field({ name: 'note', label: t('mt.note') });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, t('mt.save'));
  const form = h('form', { class: 'form mt-form', novalidate: true, 'data-item': String(it.id) },
    box, dec, owner, due, cat, urg, reason, note, h('div', { class: 'form-actions' }, submit));
  const show = () => {
    const d = dec.input.value;
    owner.hidden = due.hidden = d !== 'solve_village';
    cat.hidden = urg.hidden = !(d === 'appeal' && it.kind !== 'appeal');
    reason.hidden = d !== 'close';
  };
  dec.input.addEventListener('change', show);
  show();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form, box);
    const d = dec.input.value;
    const body = { decision: d };
    if (note.input.value.trim()) body.note = note.input.value.trim();
    if (d === 'solve_village') { body.owner_user_id = Number(owner.input.value) || null; body.due_date = due.input.value; }
    if (d === 'appeal' && it.kind !== 'appeal') { body.category_id = Number(cat.input.value) || null; body.urgency = urg.input.value; }
    if (d === 'close') body.reason = reason.input.value.trim();
    const done = busy(submit);
    try {
      await api.post(`/api/v1/meetings/${m.id}/items/${it.id}/decision`, body);
      notify(t('mt.saved'), 'ok');
      reload();
    } catch (e) {
      showProblem(form, box, e);
    } finally {
      done();
    }
  });
  return form;
}

function freeItemForm(m, reload) {
  const box = alertBox();
  const text = field({ name: 'text', label: t('mt.item_text'), required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-small' }, t('mt.add'));
  const form = h('form', { class: 'form card', novalidate: true, id: 'mt-free' }, h('h2', {}, t('mt.add_item')), box, text,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form, box);
    const done = busy(submit);
    try {
      await api.post(`/api/v1/meetings/${m.id}/items`, { text: text.input.value.trim() });
      reload();
    } catch (e) {
      showProblem(form, box, e);
    } finally {
      done();
    }
  });
  return form;
}

async function meetingPage(root, ctx) {
  const id = ctx.params.id;
  const reload = () => meetingPage(root, ctx);
  let m;
  let cats = [];
  try {
    [m, cats] = await Promise.all([
      api.get(`/api/v1/meetings/${encodeURIComponent(id)}`, { signal: ctx.signal }),
      api.get('/api/v1/appeal-categories', { signal: ctx.signal }).then((r) => r.items.filter((c) => !c.retired)).catch(() => []),
    ]);
  } catch (e) {
    if (!isAbort(e)) root.replaceChildren(errorPanel(e, reload));
    return;
  }
  const open = m.state === 'draft' && canWrite(ctx.user);
  const fin = open ? h('button', { type: 'button', class: 'btn', id: 'mt-finalise', onclick: async () => {
    if (!(await confirmDialog(t('mt.finalise_q'), { okLabel: t('mt.finalise') }))) return;
    try {
      await api.post(`/api/v1/meetings/${m.id}/finalise`, {});
      notify(t('mt.finalised'), 'ok');
      reload();
    } catch (e) {
      notify(e.title || String(e), 'error');
    }
  } }, t('mt.finalise')) : null;
  const info = h('section', { class: 'card' },
    h('p', {}, h('span', { class: m.state === 'final' ? 'badge' : 'badge badge-off', id: 'mt-state' }, t(`mt.state.${m.state}`)),
      ' ', m.village.name, ' · ', formatTime(m.held_at).slice(0, 16), m.place ? ` · ${m.place}` : ''),
    h('p', { class: 'muted' }, `${t('mt.attendees')}：`, m.attendees.map((p) => p.display_name).join('、')),
    h('p', { class: 'muted' }, t('mt.decided', { n: m.decided_count, m: m.item_count })),
    h('p', {}, h('a', { href: `#/meetings?village=${m.village.code}` }, t('mt.back'))));
  const items = h('ul', { class: 'due-list', id: 'mt-items' }, ...m.items.map((it) => {
    const li = h('li', { class: 'due-item', 'data-item': String(it.id) }, itemHead(it), resultLine(it));
    const changeable = open && (!it.decision || it.decision === 'solve_village');
    if (changeable) li.append(h('details', { open: !it.decision }, h('summary', {}, t('mt.decision')), decisionForm(m, it, cats, reload)));
    return li;
  }));
  if (!m.items.length) items.append(h('li', { class: 'muted' }, t('mt.agenda_none')));
  root.replaceChildren(pageHeader(m.title || t('mt.title'), fin), info,
    h('section', { class: 'card' }, h('h2', {}, t('mt.agenda')), items),
    open && ctx.user.role !== 'cadre' ? freeItemForm(m, reload) : null);
}

registerPage({
  id: 'meetings',
  path: '#/meetings',
  title: { zh: '分析研判', en: 'Analysis meetings' },
  order: 27,
  render: listPage,
});

registerPage({
  id: 'meeting',
  path: '#/meeting/:id',
  title: { zh: '研判会', en: 'Meeting' },
  nav: false,
  render: meetingPage,
});
