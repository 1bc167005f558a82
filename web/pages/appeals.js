// Appeals (诉求) for cadres: the inbox (mine, my department, due soon,
// overdue), one appeal with its facts, timeline and exactly the action
// buttons the server allows, and the form a cadre fills in for a resident.
// Shared bits (labels, the due badge, the list table) are exported for
// appeals-admin.js.

import { registerPage, navigate, notify } from '../app.js';
import { api, ApiError, getCsrf } from '../api.js';
import { addStrings, t, getLang } from '../i18n.js';
import {
  h, field, alertBox, clearErrors, showProblem, busy, pageHeader, dataTable,
  errorPanel, countText, pageSize, formatTime,
} from '../ui.js';
import { loadAll, villages, assignableUsers, userOptions, formDialog, compact } from './org-common.js';

export const STATES = ['submitted', 'accepted', 'rejected', 'assigned', 'in_progress', 'waiting_resident',
  'resolved', 'reopened', 'closed'];
const OPEN = new Set(['submitted', 'accepted', 'assigned', 'in_progress', 'waiting_resident', 'reopened']);
export const URGENCIES = ['emergency', 'urgent', 'general', 'complex'];
export const UNITS = ['working_hours', 'working_days', 'natural_hours', 'natural_days'];
const SOON_MS = 24 * 3600 * 1000;

addStrings({
  zh: {
    'ap.title': '诉求办理',
    'ap.tab.mine': '我承办的',
    'ap.tab.dept': '本部门',
    'ap.tab.soon': '即将到期',
    'ap.tab.overdue': '已超期',
    'ap.tab.all': '全部',
    'ap.tabs': '诉求分类查看',
    'ap.new': '登记新诉求',
    'ap.dept_pick': '部门',
    'ap.no_dept': '您不属于任何部门，请选择一个部门查看。',
    'ap.col.title': '诉求',
    'ap.col.state': '状态',
    'ap.col.category': '类别',
    'ap.col.village': '村（社区）',
    'ap.col.due': '办理期限',
    'ap.col.assignee': '承办人',
    'ap.badge.overdue': '超期',
    'ap.badge.soon': '即将到期',
    'ap.badge.paused': '暂停计时',
    'ap.badge.escalated': '已升级督办',
    'ap.accept_by': '受理期限 {t}',
    'ap.due_none': '未定',
    'ap.state.submitted': '待受理',
    'ap.state.accepted': '已受理',
    'ap.state.rejected': '不予受理',
    'ap.state.assigned': '已交办',
    'ap.state.in_progress': '办理中',
    'ap.state.waiting_resident': '等待群众',
    'ap.state.resolved': '已办结',
    'ap.state.reopened': '重新办理',
    'ap.state.closed': '已关闭',
    'ap.urg.emergency': '紧急（危及安全）',
    'ap.urg.urgent': '加急',
    'ap.urg.general': '一般',
    'ap.urg.complex': '疑难复杂',
    'ap.ch.cadre': '干部代录',
    'ap.ch.phone': '电话',
    'ap.ch.contact': '走访联系',
    'ap.ch.portal': '群众自助提交',
    'ap.ch.open311': 'Open311',
    'ap.act.submit': '提交诉求',
    'ap.act.accept': '受理',
    'ap.act.reject': '不予受理',
    'ap.act.assign': '交办',
    'ap.act.transfer': '转办',
    'ap.act.start': '开始办理',
    'ap.act.wait_resident': '等待群众补充',
    'ap.act.resume': '恢复办理',
    'ap.act.request_extension': '申请延期',
    'ap.act.approve_extension': '批准延期',
    'ap.act.resolve': '办结',
    'ap.act.feedback': '登记群众评价',
    'ap.act.close': '关闭',
    'ap.act.photo': '添加照片',
    'ap.photos': '照片',
    'ap.photos.none': '还没有照片。',
    'ap.photos.add': '添加照片',
    'ap.photos.hint': 'JPEG 或 PNG，每张不超过 5 MB；手机上可以直接拍照。',
    'ap.photos.uploading': '正在上传…',
    'ap.photos.done': '照片已添加',
    'ap.act.reopen': '重新办理',
    'ap.act.escalate': '升级督办',
    'ap.act.merge_into': '合并到其他诉求',
    'ap.act.comment': '添加备注',
    'ap.act.warn': '到期预警',
    'ap.act.overdue': '超期',
    'ap.act.merged': '合并',
    'ap.done': '已{action}',
    'ap.f.reason': '理由',
    'ap.f.resolution': '办理结果',
    'ap.f.days': '延期天数（1–60）',
    'ap.f.department_id': '部门',
    'ap.f.user_id': '承办人',
    'ap.f.keep': '（不指定）',
    'ap.f.assign_hint': '都不选则确认系统分派的承办人。',
    'ap.f.satisfaction': '满意程度',
    'ap.f.fixed': '问题确实已解决',
    'ap.f.comment': '备注',
    'ap.f.other_id': '合并到的诉求编号',
    'ap.sat.satisfied': '满意',
    'ap.sat.basically_satisfied': '基本满意',
    'ap.sat.dissatisfied': '不满意',
    'ap.actions': '可办理的操作',
    'ap.no_actions': '当前没有您可以执行的操作。',
    'ap.ev.sms': '已发短信请居民评价（{n} 人）',
    'ap.not_yours': '这件诉求没有交给您或您所在的部门承办：您可以补充备注，办理由承办人进行。',
    'ap.facts.receipt': '回执码',
    'ap.facts.channel': '来源',
    'ap.facts.urgency': '紧急程度',
    'ap.facts.submitter': '反映人',
    'ap.facts.anonymous': '匿名',
    'ap.facts.household': '所属户',
    'ap.facts.department': '承办部门',
    'ap.facts.accept_due': '受理期限',
    'ap.facts.due': '办结期限',
    'ap.facts.limits': '时限',
    'ap.facts.extension': '已申请延期 {n} 天，待批准',
    'ap.facts.resolution': '办理结果',
    'ap.facts.feedback': '群众评价',
    'ap.facts.merged': '已合并到诉求 #{id}',
    'ap.facts.escalated_to': '督办领导',
    'ap.timeline': '办理过程',
    'ap.tl.empty': '还没有记录。',
    'ap.back': '返回诉求列表',
    'ap.view_household': '查看该户档案',
    'ap.unit.working_hours': '个工作小时',
    'ap.unit.working_days': '个工作日',
    'ap.unit.natural_hours': '小时',
    'ap.unit.natural_days': '天',
    'ap.new.title': '登记群众诉求',
    'ap.new.intro': '替群众登记诉求（上门走访或电话反映）。提交后系统按类别分派，并给出回执码。',
    'ap.n.village_code': '村（社区）',
    'ap.n.category_id': '诉求类别',
    'ap.n.urgency': '紧急程度',
    'ap.n.title': '标题',
    'ap.n.title_hint': '一句话说明问题，如“村口路灯不亮”',
    'ap.n.description': '详细情况',
    'ap.n.channel': '来源',
    'ap.n.household_q': '查找所属户（户主姓名或户编号）',
    'ap.n.household_id': '所属户（选填）',
    'ap.n.no_household': '（不关联户）',
    'ap.n.submitter_name': '反映人姓名（选填）',
    'ap.n.submitter_phone': '反映人手机号（选填）',
    'ap.n.anonymous': '反映人要求匿名',
    'ap.n.public_consent': '反映人同意办结后在公开栏公开（隐去个人信息）',
    'ap.n.pick': '请选择',
    'ap.n.submit': '提交诉求',
    'ap.created': '诉求已登记，回执码 {code}',
    'ap.choose': '请选择',
  },
  en: {
    'ap.title': 'Appeals',
    'ap.tab.mine': 'Mine',
    'ap.tab.dept': 'My department',
    'ap.tab.soon': 'Due soon',
    'ap.tab.overdue': 'Overdue',
    'ap.tab.all': 'All',
    'ap.tabs': 'Appeal views',
    'ap.new': 'Enter an appeal',
    'ap.dept_pick': 'Department',
    'ap.no_dept': 'You belong to no department; choose one to view.',
    'ap.col.title': 'Appeal',
    'ap.col.state': 'State',
    'ap.col.category': 'Category',
    'ap.col.village': 'Village',
    'ap.col.due': 'Due',
    'ap.col.assignee': 'Assignee',
    'ap.badge.overdue': 'Overdue',
    'ap.badge.soon': 'Due soon',
    'ap.badge.paused': 'Clock paused',
    'ap.badge.escalated': 'Escalated',
    'ap.accept_by': 'Accept by {t}',
    'ap.due_none': 'Not set',
    'ap.state.submitted': 'Submitted',
    'ap.state.accepted': 'Accepted',
    'ap.state.rejected': 'Rejected',
    'ap.state.assigned': 'Assigned',
    'ap.state.in_progress': 'In progress',
    'ap.state.waiting_resident': 'Waiting on the resident',
    'ap.state.resolved': 'Resolved',
    'ap.state.reopened': 'Reopened',
    'ap.state.closed': 'Closed',
    'ap.urg.emergency': 'Emergency',
    'ap.urg.urgent': 'Urgent',
    'ap.urg.general': 'General',
    'ap.urg.complex': 'Complex',
    'ap.ch.cadre': 'Entered by a cadre',
    'ap.ch.phone': 'Phone call',
    'ap.ch.contact': 'Contact visit',
    'ap.ch.portal': 'Resident portal',
    'ap.ch.open311': 'Open311',
    'ap.act.submit': 'Submitted',
    'ap.act.accept': 'Accept',
    'ap.act.reject': 'Reject',
    'ap.act.assign': 'Assign',
    'ap.act.transfer': 'Transfer',
    'ap.act.start': 'Start',
    'ap.act.wait_resident': 'Wait on the resident',
    'ap.act.resume': 'Resume',
    'ap.act.request_extension': 'Request an extension',
    'ap.act.approve_extension': 'Approve the extension',
    'ap.act.resolve': 'Resolve',
    'ap.act.feedback': 'Record feedback',
    'ap.act.close': 'Close',
    'ap.act.photo': 'Photo added',
    'ap.photos': 'Photos',
    'ap.photos.none': 'No photos yet.',
    'ap.photos.add': 'Add a photo',
    'ap.photos.hint': 'JPEG or PNG, at most 5 MB each; on a phone you can take one now.',
    'ap.photos.uploading': 'Uploading…',
    'ap.photos.done': 'Photo added',
    'ap.act.reopen': 'Reopen',
    'ap.act.escalate': 'Escalate',
    'ap.act.merge_into': 'Merge into another',
    'ap.act.comment': 'Add a note',
    'ap.act.warn': 'Deadline warning',
    'ap.act.overdue': 'Overdue',
    'ap.act.merged': 'Merged',
    'ap.done': 'Done: {action}',
    'ap.f.reason': 'Reason',
    'ap.f.resolution': 'Resolution',
    'ap.f.days': 'Days (1–60)',
    'ap.f.department_id': 'Department',
    'ap.f.user_id': 'Assignee',
    'ap.f.keep': '(none)',
    'ap.f.assign_hint': 'Choose neither to confirm the routed cadre.',
    'ap.f.satisfaction': 'Satisfaction',
    'ap.f.fixed': 'The problem is really fixed',
    'ap.f.comment': 'Note',
    'ap.f.other_id': 'Merge into appeal number',
    'ap.sat.satisfied': 'Satisfied',
    'ap.sat.basically_satisfied': 'Basically satisfied',
    'ap.sat.dissatisfied': 'Dissatisfied',
    'ap.actions': 'Actions',
    'ap.no_actions': 'There is nothing you can do with this appeal now.',
    'ap.ev.sms': 'resident asked by SMS ({n})',
    'ap.not_yours': 'This appeal is not assigned to you or to your department: you can add a comment; whoever handles it does the rest.',
    'ap.facts.receipt': 'Receipt code',
    'ap.facts.channel': 'Channel',
    'ap.facts.urgency': 'Urgency',
    'ap.facts.submitter': 'Resident',
    'ap.facts.anonymous': 'Anonymous',
    'ap.facts.household': 'Household',
    'ap.facts.department': 'Department',
    'ap.facts.accept_due': 'Accept by',
    'ap.facts.due': 'Resolve by',
    'ap.facts.limits': 'Time limits',
    'ap.facts.extension': 'Extension of {n} days requested, awaiting approval',
    'ap.facts.resolution': 'Resolution',
    'ap.facts.feedback': 'Feedback',
    'ap.facts.merged': 'Merged into appeal #{id}',
    'ap.facts.escalated_to': 'Supervising leader',
    'ap.timeline': 'History',
    'ap.tl.empty': 'Nothing recorded yet.',
    'ap.back': 'Back to appeals',
    'ap.view_household': 'Open the household file',
    'ap.unit.working_hours': ' working hours',
    'ap.unit.working_days': ' working days',
    'ap.unit.natural_hours': ' hours',
    'ap.unit.natural_days': ' days',
    'ap.new.title': 'Enter a resident\'s appeal',
    'ap.new.intro': 'Enter an appeal for a resident (a visit or a phone call). It is routed by category and gets a receipt code.',
    'ap.n.village_code': 'Village',
    'ap.n.category_id': 'Category',
    'ap.n.urgency': 'Urgency',
    'ap.n.title': 'Title',
    'ap.n.title_hint': 'One line, e.g. "the street light at the village gate is out"',
    'ap.n.description': 'Details',
    'ap.n.channel': 'Channel',
    'ap.n.household_q': 'Find the household (head\'s name or code)',
    'ap.n.household_id': 'Household (optional)',
    'ap.n.no_household': '(no household)',
    'ap.n.submitter_name': 'Resident\'s name (optional)',
    'ap.n.submitter_phone': 'Resident\'s mobile (optional)',
    'ap.n.anonymous': 'The resident asks to stay anonymous',
    'ap.n.public_consent': 'The resident agrees to publication on the public board (personal data removed)',
    'ap.n.pick': 'Choose',
    'ap.n.submit': 'Submit',
    'ap.created': 'Appeal entered; receipt code {code}',
    'ap.choose': 'Choose',
  },
});

// ---------------------------------------------------------------- shared

export const stateLabel = (s) => (STATES.includes(s) ? t(`ap.state.${s}`) : String(s || ''));
export const actionLabel = (a) => { const k = `ap.act.${a}`; const v = t(k); return v === k ? String(a) : v; };
const urgencyLabel = (u) => (URGENCIES.includes(u) ? t(`ap.urg.${u}`) : String(u || ''));
const channelLabel = (c) => { const k = `ap.ch.${c}`; const v = t(k); return v === k ? String(c || '') : v; };
export const unitLabel = (u) => (UNITS.includes(u) ? t(`ap.unit.${u}`) : ` ${u}`);
const limitText = (l) => (l ? `${l.amount}${unitLabel(l.unit)}` : '');
export const catName = (c) => (c ? (getLang() === 'en' && c.name_en ? c.name_en : c.name) : '');

/** The deadline that counts now: accepting while submitted, else resolving. */
function currentDue(a) {
  if (a.state === 'submitted') return a.accept_due_at;
  return a.due_at;
}

/** {kind: 'overdue'|'soon'|null, due} for an open appeal. */
export function dueStatus(a, now = Date.now()) {
  const due = currentDue(a);
  if (!OPEN.has(a.state)) return { kind: null, due };
  const at = due ? Date.parse(due) : NaN;
  if (a.overdue || (!Number.isNaN(at) && at < now && !a.paused)) return { kind: 'overdue', due };
  if (a.warned_at || (!Number.isNaN(at) && at - now < SOON_MS && !a.paused)) return { kind: 'soon', due };
  return { kind: null, due };
}

/** The due time with its badge ("超期" red, "即将到期" amber). */
export function dueCell(a) {
  const { kind, due } = dueStatus(a);
  const text = due ? (a.state === 'submitted' ? t('ap.accept_by', { t: formatTime(due) }) : formatTime(due)) : t('ap.due_none');
  return h('span', { class: 'ap-due' }, h('span', { class: 'ap-due-time' }, text),
    kind === 'overdue' ? h('span', { class: 'badge badge-danger ap-badge-overdue' }, t('ap.badge.overdue')) : null,
    kind === 'soon' ? h('span', { class: 'badge badge-warn ap-badge-soon' }, t('ap.badge.soon')) : null,
    a.paused && OPEN.has(a.state) ? h('span', { class: 'badge badge-off' }, t('ap.badge.paused')) : null,
    a.escalated && OPEN.has(a.state) ? h('span', { class: 'badge badge-danger' }, t('ap.badge.escalated')) : null);
}

export function stateBadge(s) {
  return h('span', { class: ['badge', 'ap-state', `ap-state-${s}`], dataset: { state: s } }, stateLabel(s));
}

/** The list of appeals as a table (cards on a phone). */
export function appealTable(cls) {
  return dataTable([
    { key: 'title', label: t('ap.col.title'), class: 'col-strong', render: (a) => h('a', { href: `#/appeal/${a.id}` }, `#${a.id} ${a.title}`) },
    { key: 'state', label: t('ap.col.state'), render: (a) => stateBadge(a.state) },
    { key: 'category', label: t('ap.col.category'), render: (a) => catName(a.category) },
    { key: 'village', label: t('ap.col.village'), render: (a) => (a.village ? a.village.name : '') },
    { key: 'due', label: t('ap.col.due'), class: 'col-time', render: dueCell },
    { key: 'assignee', label: t('ap.col.assignee'), render: (a) => (a.assignee ? a.assignee.display_name : '') },
  ], { rowKey: (a) => a.id, class: ['ap-table', cls].filter(Boolean).join(' '), caption: t('ap.title') });
}

/** A labelled textarea with the shape of ui.field (wrap.input, data-field). */
export function textArea(name, label, { required, value, hint, rows = 4 } = {}) {
  const wrap = field({ name, label, required, hint, value });
  const old = wrap.input;
  const ta = h('textarea', { id: old.id, name, rows: String(rows), required, 'aria-describedby': old.getAttribute('aria-describedby') });
  ta.value = value || '';
  old.replaceWith(ta);
  wrap.input = ta;
  return wrap;
}

/** Today's Shanghai time plus ms as RFC 3339 with +08:00. */
function shanghaiIso(ms) {
  return `${new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19)}+08:00`;
}

// ---------------------------------------------------------------- inbox

const TABS = ['mine', 'dept', 'soon', 'overdue', 'all'];

/** The departments the user belongs to (looked up through the members lists). */
async function myDepartments(user, signal) {
  const deps = (await loadAll('/api/v1/departments', {}, signal)).filter((d) => !d.retired);
  const mine = [];
  await Promise.all(deps.filter((d) => d.member_count > 0).map(async (d) => {
    const r = await api.get(`/api/v1/departments/${d.id}/members`, { signal });
    const items = Array.isArray(r) ? r : (r.items || r.members || []);
    if (items.some((m) => m.user_id === user.id && m.current !== false)) mine.push(d);
  }));
  return { all: deps, mine };
}

async function renderInbox(root, ctx) {
  const q = ctx.query;
  const staff = ctx.user.role !== 'viewer';
  const tab = TABS.includes(q.get('tab')) ? q.get('tab') : (ctx.user.role === 'cadre' ? 'mine' : 'all');
  root.append(pageHeader(t('ap.title'),
    staff ? h('a', { href: '#/appeals/new', class: 'btn btn-primary', id: 'appeal-new' }, t('ap.new')) : null));
  const tabs = h('nav', { class: 'ap-tabs', 'aria-label': t('ap.tabs') },
    TABS.map((k) => h('a', {
      href: `#/appeals?tab=${k}`, class: ['ap-tab', k === tab ? 'is-active' : null],
      'aria-current': k === tab ? 'page' : null, dataset: { tab: k },
    }, t(`ap.tab.${k}`))));
  root.append(tabs);
  const area = h('div', { class: 'list-area' });
  root.append(area);

  const query = { limit: pageSize(q) };
  if (tab === 'mine') query.mine = 1;
  if (tab === 'overdue') query.overdue = 1;
  if (tab === 'soon') query.due_before = shanghaiIso(Date.now() + SOON_MS);
  if (tab === 'dept') {
    const { all, mine } = await myDepartments(ctx.user, ctx.signal);
    const chosen = q.get('department') || (mine[0] && String(mine[0].id)) || '';
    const sel = field({
      name: 'department', label: t('ap.dept_pick'), value: chosen,
      options: [{ value: '', label: t('ap.choose') }, ...all.map((d) => ({ value: String(d.id), label: d.name }))],
    });
    sel.input.addEventListener('change', () => navigate(`#/appeals?tab=dept&department=${sel.input.value}`));
    area.append(h('div', { class: 'filters' }, sel));
    if (!mine.length && !chosen) { area.append(h('p', { class: 'empty' }, t('ap.no_dept'))); area.dataset.loaded = '1'; return; }
    query.department = chosen;
  }

  const table = appealTable();
  const count = h('p', { class: 'count', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
  const empty = h('p', { class: 'empty', hidden: true }, t('common.empty'));
  area.append(count, table.el, empty, more);
  let cursor = null;
  const keep = (a) => tab !== 'soon' || OPEN.has(a.state);
  async function load() {
    const res = await api.get('/api/v1/appeals', { query: { ...query, cursor }, signal: ctx.signal });
    table.add((res.items || []).filter(keep));
    cursor = res.next_cursor;
    more.hidden = !cursor;
    count.textContent = countText(table.count(), !!cursor);
    empty.hidden = table.count() > 0;
    table.el.hidden = table.count() === 0;
    area.dataset.loaded = '1';
  }
  more.addEventListener('click', async () => {
    const restore = busy(more, t('common.loading'));
    try { await load(); } catch (e) { area.append(errorPanel(e)); } finally { restore(); }
  });
  await load();
}

// ---------------------------------------------------------------- detail

/** The inputs each action needs (besides {action}). */
function actionFields(action, ctx, pickers) {
  switch (action) {
    case 'reject': case 'wait_resident': case 'reopen': case 'escalate':
      return [textArea('reason', t('ap.f.reason'), { required: true, rows: 3 })];
    case 'transfer':
      return [field({ name: 'department_id', label: t('ap.f.department_id'), required: true, options: pickers.departments(t('ap.choose')) }),
        textArea('reason', t('ap.f.reason'), { required: true, rows: 3 })];
    case 'assign':
      return [field({ name: 'user_id', label: t('ap.f.user_id'), options: pickers.users(t('ap.f.keep')) }),
        field({ name: 'department_id', label: t('ap.f.department_id'), options: pickers.departments(t('ap.f.keep')), hint: t('ap.f.assign_hint') })];
    case 'request_extension':
      return [field({ name: 'days', label: t('ap.f.days'), type: 'number', required: true, inputmode: 'numeric', attrs: { min: '1', max: '60' } }),
        textArea('reason', t('ap.f.reason'), { required: true, rows: 3 })];
    case 'resolve':
      return [textArea('resolution', t('ap.f.resolution'), { required: true, rows: 5 })];
    case 'feedback':
      return [field({ name: 'satisfaction', label: t('ap.f.satisfaction'), required: true,
        options: ['satisfied', 'basically_satisfied', 'dissatisfied'].map((s) => ({ value: s, label: t(`ap.sat.${s}`) })) }),
      field({ name: 'fixed', label: t('ap.f.fixed'), checkbox: true, value: true }),
      textArea('comment', t('ap.f.comment'), { rows: 3 })];
    case 'merge_into':
      return [field({ name: 'other_id', label: t('ap.f.other_id'), type: 'number', required: true, inputmode: 'numeric' })];
    case 'comment':
      return [textArea('comment', t('ap.f.comment'), { required: true, rows: 3 })];
    default:
      return [];
  }
}

/** The body of an action from the dialog's values (numbers as numbers, blanks dropped). */
function actionBody(action, values) {
  const body = { action, ...compact(values) };
  for (const k of ['department_id', 'user_id', 'days', 'other_id']) if (body[k] !== undefined) body[k] = Number(body[k]);
  return body;
}

/**
 * The buttons to show: the server's allowed actions, less those whose
 * precondition the appeal shows is unmet (approving with no extension asked).
 */
export function shownActions(a, allowed) {
  return (allowed || []).filter((x) => x !== 'approve_extension' || a.extension_requested_days);
}

const PRIMARY = new Set(['accept', 'start', 'resolve', 'resume', 'close']);
const DANGER = new Set(['reject', 'escalate', 'reopen']);

function factRow(label, value, cls) {
  if (value === null || value === undefined || value === '') return null;
  return h('div', { class: cls }, h('dt', null, label), h('dd', null, value));
}

function eventDetail(ev) {
  const p = ev.payload || {};
  const parts = [];
  for (const k of ['reason', 'resolution', 'comment']) if (p[k]) parts.push(String(p[k]));
  if (p.days) parts.push(`${t('ap.f.days')}: ${p.days}`);
  if (p.satisfaction) parts.push(t(`ap.sat.${p.satisfaction}`));
  if (p.receipt_code) parts.push(`${t('ap.facts.receipt')} ${p.receipt_code}`);
  if (p.due_at) parts.push(`${t('ap.facts.due')} ${formatTime(p.due_at)}`);
  if (p.assignee && p.assignee.display_name) parts.push(`${t('ap.f.user_id')}: ${p.assignee.display_name}`);
  if (p.sms) parts.push(t('ap.ev.sms', { n: p.sms }));
  return parts.join('；');
}

/**
 * Sends one photo (a File) as the raw body of a POST to path; resolves to
 * the photo JSON, rejects with an ApiError. Used by the portal too.
 */
export async function uploadPhoto(path, file, { csrf = true } = {}) {
  const headers = { Accept: 'application/json, application/problem+json', 'Content-Type': file.type || 'application/octet-stream' };
  if (csrf && getCsrf()) headers['X-CSRF-Token'] = getCsrf();
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers, body: file, credentials: 'same-origin', cache: 'no-store' });
  } catch (_) {
    throw new ApiError(0, { title: t('error.network'), detail: t('error.network_detail'), code: 'network' });
  }
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Thumbnails linking to the full photos; query is added to each URL. */
export function photoGrid(photos, query = '') {
  // width as an attribute (no inline styles under the CSP); images flow inline
  return h('div', { class: 'ap-photos photo-grid' },
    (photos || []).map((p) => [h('a', { href: p.url + query, target: '_blank', rel: 'noopener', class: 'photo-thumb' },
      h('img', { src: p.url + query, alt: t('ap.photos'), loading: 'lazy', width: 112 })), ' ']));
}

function photoSection(a, ctx) {
  const box = h('section', { class: 'card ap-photos-card' }, h('h2', null, t('ap.photos')));
  box.append((a.photos || []).length ? photoGrid(a.photos) : h('p', { class: 'muted' }, t('ap.photos.none')));
  if (ctx.user.role === 'viewer') return box;
  const alert = alertBox();
  const input = h('input', { type: 'file', id: 'appeal-photo-input', accept: 'image/*', capture: 'environment' });
  const status = h('span', { class: 'muted', role: 'status' });
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    alert.hidden = true;
    status.textContent = t('ap.photos.uploading');
    try {
      await uploadPhoto(`/api/v1/appeals/${a.id}/photos`, file);
      notify(t('ap.photos.done'), 'ok');
      navigate(`#/appeal/${a.id}`);
    } catch (e) {
      status.textContent = '';
      input.value = '';
      alert.replaceChildren(h('strong', null, e.title || String(e)), e.detail ? h('p', null, e.detail) : null);
      alert.hidden = false;
    }
  });
  box.append(alert, h('label', { for: 'appeal-photo-input' }, t('ap.photos.add')), ' ', input, ' ', status,
    h('p', { class: 'muted' }, t('ap.photos.hint')));
  return box;
}

async function renderDetail(root, ctx) {
  const id = ctx.params.id;
  const [appeal, events] = await Promise.all([
    api.get(`/api/v1/appeals/${encodeURIComponent(id)}`, { signal: ctx.signal }),
    api.get(`/api/v1/appeals/${encodeURIComponent(id)}/events`, { signal: ctx.signal }),
  ]);
  let allowed = Array.isArray(appeal.allowed_actions) ? appeal.allowed_actions : null;
  let pickerData = null;
  async function pickers() {
    if (!pickerData) {
      const [deps, users] = await Promise.all([
        loadAll('/api/v1/departments', {}, ctx.signal).catch(() => []),
        assignableUsers(ctx.user, ctx.signal).catch(() => [ctx.user]),
      ]);
      pickerData = {
        departments: (empty) => [{ value: '', label: empty }, ...deps.filter((d) => !d.retired).map((d) => ({ value: String(d.id), label: d.name }))],
        users: (empty) => userOptions(users, { empty }),
      };
    }
    return pickerData;
  }

  const a = appeal;
  root.append(pageHeader(`#${a.id} ${a.title}`, h('a', { href: '#/appeals', class: 'btn' }, t('ap.back'))));
  const status = h('p', { class: 'ap-status' }, stateBadge(a.state), ' ', OPEN.has(a.state) ? dueCell(a) : null);
  const facts = h('dl', { class: 'facts ap-facts' },
    factRow(t('ap.col.category'), catName(a.category)),
    factRow(t('ap.col.village'), a.village && a.village.name),
    factRow(t('ap.facts.urgency'), urgencyLabel(a.urgency)),
    factRow(t('ap.facts.channel'), channelLabel(a.channel)),
    factRow(t('ap.facts.receipt'), h('span', { class: 'mono' }, a.receipt_code)),
    factRow(t('ap.col.assignee'), a.assignee && a.assignee.display_name),
    factRow(t('ap.facts.department'), a.department && a.department.name),
    factRow(t('ap.facts.submitter'), a.anonymous ? t('ap.facts.anonymous')
      : [a.submitter && a.submitter.name, a.submitter && a.submitter.phone].filter(Boolean).join(' ')),
    factRow(t('ap.facts.household'), a.household_id ? h('a', { href: `#/household/${a.household_id}` }, t('ap.view_household')) : null),
    factRow(t('ap.facts.accept_due'), formatTime(a.accept_due_at)),
    factRow(t('ap.facts.due'), formatTime(a.due_at)),
    factRow(t('ap.facts.limits'), a.limits ? `${t('ap.act.accept')} ${limitText(a.limits.accept)} · ${t('ap.act.resolve')} ${limitText(a.limits.resolve)}` : null),
    factRow(t('ap.facts.escalated_to'), a.escalated_to && a.escalated_to.display_name));
  const notes = [
    a.extension_requested_days ? h('p', { class: 'alert alert-warn' }, t('ap.facts.extension', { n: a.extension_requested_days })) : null,
    a.merged_into_id ? h('p', { class: 'alert alert-info' }, h('a', { href: `#/appeal/${a.merged_into_id}` }, t('ap.facts.merged', { id: a.merged_into_id }))) : null,
  ];
  const desc = h('p', { class: 'ap-desc' }, a.description);
  const resolution = a.resolution ? h('div', null, h('h3', null, t('ap.facts.resolution')), h('p', { class: 'ap-desc' }, a.resolution)) : null;
  const feedback = a.feedback ? h('p', null, `${t('ap.facts.feedback')}：${t(`ap.sat.${a.feedback}`)}${a.feedback_comment ? `（${a.feedback_comment}）` : ''}`) : null;
  root.append(h('section', { class: 'card ap-detail' }, status, notes, desc, facts, resolution, feedback));
  root.append(photoSection(a, ctx));

  const actionsBox = h('section', { class: 'card ap-actions-card' }, h('h2', null, t('ap.actions')));
  const buttons = h('div', { class: 'ap-actions', id: 'appeal-actions' });
  const actionAlert = alertBox();
  const notYours = h('p', { class: 'muted', id: 'appeal-not-yours', hidden: true }, t('ap.not_yours'));
  actionsBox.append(actionAlert, notYours, buttons);
  if (ctx.user.role !== 'viewer') root.append(actionsBox);

  function drawButtons() {
    buttons.replaceChildren();
    const list = shownActions(a, allowed);
    if (!list.length) { buttons.append(h('p', { class: 'muted' }, t('ap.no_actions'))); return; }
    // a cadre on somebody else's open appeal: say why only "comment" is offered
    notYours.hidden = !(ctx.user.role === 'cadre' && list.length === 1 && list[0] === 'comment'
      && a.state !== 'rejected' && a.state !== 'closed');
    for (const act of list) {
      buttons.append(h('button', {
        type: 'button', class: ['btn', PRIMARY.has(act) ? 'btn-primary' : null, DANGER.has(act) ? 'btn-danger' : null],
        dataset: { action: act }, onclick: () => openAction(act),
      }, actionLabel(act)));
    }
  }

  async function openAction(act) {
    const p = await pickers();
    formDialog({
      title: actionLabel(act),
      fields: actionFields(act, ctx, p),
      submitLabel: actionLabel(act),
      onSubmit: async (values) => {
        try {
          return await api.post(`/api/v1/appeals/${a.id}/actions`, actionBody(act, values));
        } catch (e) {
          // the state changed under us: take the server's list of actions
          if (e instanceof ApiError && Array.isArray(e.problem.allowed_actions)) {
            allowed = e.problem.allowed_actions;
            drawButtons();
          }
          throw e;
        }
      },
      done: () => { notify(t('ap.done', { action: actionLabel(act) }), 'ok'); navigate(`#/appeal/${a.id}`); },
    }).dialog.classList.add('ap-action-dialog');
  }

  if (allowed) drawButtons();
  else buttons.append(h('p', { class: 'muted' }, t('ap.no_actions')));

  const tl = h('ol', { class: 'ap-timeline', id: 'appeal-timeline' });
  for (const ev of (events.items || [])) {
    const detail = eventDetail(ev);
    tl.append(h('li', { class: 'ap-event', dataset: { action: ev.action } },
      h('p', { class: 'ap-event-head' },
        h('span', { class: 'ap-event-time' }, formatTime(ev.at)), ' ',
        h('strong', null, actionLabel(ev.action)),
        ev.to_state && ev.to_state !== ev.from_state ? h('span', { class: 'ap-event-state' }, ` → ${stateLabel(ev.to_state)}`) : null,
        ev.appeal_id !== a.id ? h('span', { class: 'muted' }, ` (#${ev.appeal_id})`) : null),
      h('p', { class: 'ap-event-who muted' }, ev.user ? ev.user.display_name : ''),
      detail ? h('p', { class: 'ap-event-detail' }, detail) : null));
  }
  root.append(h('section', { class: 'card' }, h('h2', null, t('ap.timeline')),
    tl.childNodes.length ? tl : h('p', { class: 'muted' }, t('ap.tl.empty'))));
}

// ---------------------------------------------------------------- new appeal

async function renderNew(root, ctx) {
  const [vills, cats] = await Promise.all([
    villages(ctx.signal),
    api.get('/api/v1/appeal-categories', { signal: ctx.signal }).then((r) => r.items || []),
  ]);
  const pick = { value: '', label: t('ap.n.pick') };
  const presetVillage = ctx.query.get('village') || (vills.length === 1 ? vills[0].code : '');
  const f = {
    village_code: field({ name: 'village_code', label: t('ap.n.village_code'), required: true, value: presetVillage,
      options: [pick, ...vills.map((v) => ({ value: v.code, label: v.name }))] }),
    category_id: field({ name: 'category_id', label: t('ap.n.category_id'), required: true,
      options: [pick, ...cats.filter((c) => !c.retired).map((c) => ({ value: String(c.id), label: (c.parent_id ? '　' : '') + catName(c) }))] }),
    urgency: field({ name: 'urgency', label: t('ap.n.urgency'), value: 'general',
      options: URGENCIES.map((u) => ({ value: u, label: urgencyLabel(u) })) }),
    title: field({ name: 'title', label: t('ap.n.title'), required: true, hint: t('ap.n.title_hint'), attrs: { maxlength: '100' } }),
    description: textArea('description', t('ap.n.description'), { required: true, rows: 5 }),
    channel: field({ name: 'channel', label: t('ap.n.channel'), value: 'cadre',
      options: ['cadre', 'phone', 'contact'].map((c) => ({ value: c, label: channelLabel(c) })) }),
    household_id: field({ name: 'household_id', label: t('ap.n.household_id'), options: [{ value: '', label: t('ap.n.no_household') }] }),
    submitter_name: field({ name: 'submitter_name', label: t('ap.n.submitter_name'), attrs: { maxlength: '32' } }),
    submitter_phone: field({ name: 'submitter_phone', label: t('ap.n.submitter_phone'), inputmode: 'numeric', autocomplete: 'tel' }),
    anonymous: field({ name: 'anonymous', label: t('ap.n.anonymous'), checkbox: true }),
    public_consent: field({ name: 'public_consent', label: t('ap.n.public_consent'), checkbox: true }),
  };
  const hhQuery = field({ name: 'household_q', label: t('ap.n.household_q'), type: 'search' });
  const presetHousehold = ctx.query.get('household');

  async function loadHouseholds() {
    const sel = f.household_id.input;
    const village = f.village_code.input.value;
    const keep = sel.value || presetHousehold || '';
    sel.replaceChildren(h('option', { value: '' }, t('ap.n.no_household')));
    if (!village) return;
    const res = await api.get('/api/v1/households', { query: { region: village, q: hhQuery.input.value.trim(), limit: 100 }, signal: ctx.signal });
    for (const hh of res.items || []) {
      sel.append(h('option', { value: String(hh.id), selected: String(hh.id) === keep }, `${hh.head_name}（${hh.code}）`));
    }
  }
  f.village_code.input.addEventListener('change', () => loadHouseholds().catch(() => {}));
  let timer = null;
  hhQuery.input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => loadHouseholds().catch(() => {}), 300); });

  const box = alertBox();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('ap.n.submit'));
  const form = h('form', { class: 'form card narrow', id: 'appeal-new-form', novalidate: true },
    h('p', { class: 'hint' }, t('ap.new.intro')), box,
    f.village_code, f.category_id, f.urgency, f.title, f.description, f.channel,
    hhQuery, f.household_id, f.submitter_name, f.submitter_phone, f.anonymous, f.public_consent,
    h('div', { class: 'form-actions' }, h('a', { href: '#/appeals', class: 'btn' }, t('common.cancel')), submit));
  root.append(pageHeader(t('ap.new.title')), form);
  await loadHouseholds();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const v = {};
    for (const [k, w] of Object.entries(f)) v[k] = w.input.type === 'checkbox' ? w.input.checked : w.input.value.trim();
    const body = compact(v);
    if (body.category_id) body.category_id = Number(body.category_id);
    if (body.household_id) body.household_id = Number(body.household_id);
    const restore = busy(submit, t('common.working'));
    try {
      const created = await api.post('/api/v1/appeals', body, { headers: { 'Idempotency-Key': `web-${Date.now()}-${Math.random().toString(36).slice(2)}` } });
      notify(t('ap.created', { code: created.receipt_code }), 'ok');
      navigate(`#/appeal/${created.id}`);
    } catch (err) {
      restore();
      showProblem(form, box, err);
    }
  });
}

// ---------------------------------------------------------------- pages

registerPage({
  id: 'appeals',
  path: '#/appeals',
  title: { zh: '诉求办理', en: 'Appeals' },
  roles: ['admin', 'leader', 'cadre'],
  order: 40,
  render: renderInbox,
});

registerPage({
  id: 'appeal-new',
  path: '#/appeals/new',
  title: { zh: '登记群众诉求', en: 'Enter an appeal' },
  roles: ['admin', 'leader', 'cadre'],
  nav: false,
  render: renderNew,
});

registerPage({
  id: 'appeal',
  path: '#/appeal/:id',
  title: { zh: '诉求详情', en: 'Appeal' },
  roles: ['admin', 'leader', 'cadre', 'viewer'],
  render: renderDetail,
});

export { OPEN };
