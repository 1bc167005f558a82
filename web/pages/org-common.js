// org-common.js: what the organisation pages (org-regions, org-departments,
// org-teams, org-assignments) share: their strings in both languages (keys
// "org.*", looked up with tr('key')), labels for levels, kinds, weekdays
// and team roles, a form-in-a-dialog helper, and look-ups of villages and
// cadres for the pickers.

import { api } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, field, alertBox, clearErrors, showProblem, busy, openDialog, showMessage } from '../ui.js';

const zh = {
  'regions.title': '区域',
  'regions.intro': '县、镇、村、村民小组，按统计用区划代码排列。点“展开”看下级，点名称看详情。',
  'regions.show_retired': '显示已停用的区域',
  'regions.expand': '展开',
  'regions.collapse': '收起',
  'regions.detail': '区域详情',
  'regions.path': '位置',
  'regions.children': '下级区域',
  'regions.households': '农户',
  'regions.users': '用户',
  'regions.retired': '已停用',
  'regions.add_child': '新增下级',
  'regions.rename': '改名',
  'regions.move': '移动',
  'regions.retire': '停用',
  'regions.delete': '删除',
  'regions.retire_q': '停用“{name}”？停用后不能再在其下新增区域。',
  'regions.delete_q': '删除“{name}”？只有没有任何记录引用的区域才能删除。',
  'regions.created': '已新增区域 {name}',
  'regions.saved': '已保存',
  'regions.deleted': '已删除 {name}',
  'regions.f.code': '区划代码',
  'regions.f.code_hint': '12 位统计用区划代码；村民小组为所属村代码加 3 位',
  'regions.f.name': '名称',
  'regions.f.level': '级别',
  'regions.f.parent': '新的上级区域代码',
  'regions.none': '没有下级区域。',
  'level.province': '省',
  'level.city': '市',
  'level.county': '县',
  'level.town': '镇',
  'level.village': '村',
  'level.group': '村民小组',

  'depts.title': '部门',
  'depts.new': '新建部门',
  'depts.kind': '类型',
  'depts.region': '所属区域代码',
  'depts.show_retired': '显示已撤销的部门',
  'depts.col.name': '名称',
  'depts.col.kind': '类型',
  'depts.col.region': '区域',
  'depts.col.head': '负责人',
  'depts.col.members': '成员数',
  'depts.members': '成员',
  'depts.add_member': '添加成员',
  'depts.end_member': '结束任职',
  'depts.retire': '撤销部门',
  'depts.retire_q': '撤销“{name}”？现任成员的任职将于今天结束。',
  'depts.f.name': '部门名称',
  'depts.f.kind': '类型',
  'depts.f.region': '所属区域代码',
  'depts.f.head': '负责人',
  'depts.f.phone': '电话',
  'depts.f.user': '成员',
  'depts.f.position': '职务',
  'depts.saved': '部门已保存',
  'kind.town_office': '镇机关部门',
  'kind.village_committee': '村（居）委会',
  'kind.station': '站所',
  'kind.other': '其他',

  'teams.title': '驻点团队',
  'teams.village': '村',
  'teams.choose_village': '请选择一个村',
  'teams.station': '驻点团队',
  'teams.auxiliary': '辅助团队',
  'teams.fixed': '三固定',
  'teams.leader': '带队领导',
  'teams.day': '驻点日',
  'teams.hours': '时间',
  'teams.place': '地点',
  'teams.every1': '每周',
  'teams.every2': '每两周',
  'teams.not_set': '尚未设定',
  'teams.members': '成员',
  'teams.no_members': '还没有成员。',
  'teams.edit_fixed': '设定三固定',
  'teams.add_member': '添加成员',
  'teams.end_member': '结束',
  'teams.saved': '已保存',
  'teams.f.leader': '带队领导（驻点团队须为镇领导）',
  'teams.f.weekday': '驻点日',
  'teams.f.every': '周期',
  'teams.f.remote': '偏远村',
  'teams.f.remote_hint': '只有偏远村可以每两周驻点一次',
  'teams.remote_no': '否',
  'teams.remote_yes': '偏远村',
  'teams.f.start': '开始时间',
  'teams.f.end': '结束时间',
  'teams.f.hours_hint': '驻点日至少半天，如 08:30 至 12:00',
  'teams.f.place': '地点',
  'teams.f.user': '系统用户',
  'teams.f.no_user': '（没有账号，填写姓名）',
  'teams.f.name': '姓名',
  'teams.f.role': '团队角色',
  'teams.f.position': '职务',
  'teams.f.phone': '电话',
  'weekday.1': '星期一',
  'weekday.2': '星期二',
  'weekday.3': '星期三',
  'weekday.4': '星期四',
  'weekday.5': '星期五',
  'weekday.6': '星期六',
  'weekday.7': '星期日',
  'trole.leader': '带队领导',
  'trole.cadre': '驻点干部',
  'trole.department_head': '部门负责人',
  'trole.party_member': '党员',
  'trole.deputy': '人大代表',
  'trole.cppcc_member': '政协委员',
  'trole.village_committee': '村委会成员',
  'trole.service_centre': '服务中心人员',
  'trole.graduate_official': '大学生村官',
  'trole.legal_adviser': '法律顾问',
  'trole.volunteer': '志愿者',
  'trole.other': '其他',

  'asg.title': '驻点与联系户',
  'asg.by_user': '按干部',
  'asg.by_village': '按村',
  'asg.user': '干部',
  'asg.stations': '驻点村',
  'asg.households': '联系户',
  'asg.current': '现任',
  'asg.past': '已结束',
  'asg.col.village': '村',
  'asg.col.household': '农户',
  'asg.col.cadre': '干部',
  'asg.col.from': '开始',
  'asg.col.to': '结束',
  'asg.col.handover': '交接',
  'asg.new_station': '安排驻点',
  'asg.assign_household': '指定联系户',
  'asg.end': '结束',
  'asg.end_q': '结束 {name} 在 {village} 的驻点？',
  'asg.handover': '交接',
  'asg.handover_title': '交接 {name} 的职责',
  'asg.handover_to': '接手干部',
  'asg.handover_date': '生效日期',
  'asg.handover_all': '全部交接（本人管辖范围内的所有驻点和联系户）',
  'asg.handover_pick': '只交接勾选的村和农户（勾选村会连同该村的联系户一起交接）',
  'asg.handover_note': '备注',
  'asg.handover_submit': '确认交接',
  'asg.handover_done': '交接完成：{stations} 个驻点村，{households} 户联系户',
  'asg.responsible': '查某户某日的联系干部',
  'asg.household_id': '农户编号',
  'asg.date': '日期',
  'asg.nobody': '当天没有联系干部',
  'asg.who': '{date} 的联系干部：{name}（{from} 起{to}）',
  'asg.who_to': '，至 {to} 止',
  'asg.history': '交接记录',
  'asg.f.start': '开始日期',
  'asg.f.household_id': '农户编号',
  'asg.saved': '已保存',
  'asg.nothing': '没有记录。',
};

const en = {
  'regions.title': 'Regions',
  'regions.intro': 'Counties, towns, villages and groups by division code. "Expand" shows what lies below; a name shows its details.',
  'regions.show_retired': 'Show retired regions',
  'regions.expand': 'Expand',
  'regions.collapse': 'Collapse',
  'regions.detail': 'Region',
  'regions.path': 'Where',
  'regions.children': 'Regions below',
  'regions.households': 'Households',
  'regions.users': 'Users',
  'regions.retired': 'Retired',
  'regions.add_child': 'Add below',
  'regions.rename': 'Rename',
  'regions.move': 'Move',
  'regions.retire': 'Retire',
  'regions.delete': 'Delete',
  'regions.retire_q': 'Retire "{name}"? Nothing new can be added under it afterwards.',
  'regions.delete_q': 'Delete "{name}"? Only a region no record refers to can be deleted.',
  'regions.created': 'Region {name} added',
  'regions.saved': 'Saved',
  'regions.deleted': '{name} deleted',
  'regions.f.code': 'Division code',
  'regions.f.code_hint': '12-digit statistical code; a group: its village\'s code and 3 more digits',
  'regions.f.name': 'Name',
  'regions.f.level': 'Level',
  'regions.f.parent': 'Code of the new parent',
  'regions.none': 'Nothing below.',
  'level.province': 'Province',
  'level.city': 'City',
  'level.county': 'County',
  'level.town': 'Town',
  'level.village': 'Village',
  'level.group': 'Group',

  'depts.title': 'Departments',
  'depts.new': 'New department',
  'depts.kind': 'Kind',
  'depts.region': 'Region code',
  'depts.show_retired': 'Show retired departments',
  'depts.col.name': 'Name',
  'depts.col.kind': 'Kind',
  'depts.col.region': 'Region',
  'depts.col.head': 'Head',
  'depts.col.members': 'Members',
  'depts.members': 'Members',
  'depts.add_member': 'Add member',
  'depts.end_member': 'End membership',
  'depts.retire': 'Retire department',
  'depts.retire_q': 'Retire "{name}"? Current memberships end today.',
  'depts.f.name': 'Department name',
  'depts.f.kind': 'Kind',
  'depts.f.region': 'Region code',
  'depts.f.head': 'Head',
  'depts.f.phone': 'Phone',
  'depts.f.user': 'Member',
  'depts.f.position': 'Position',
  'depts.saved': 'Department saved',
  'kind.town_office': 'Town office',
  'kind.village_committee': 'Village committee',
  'kind.station': 'Station',
  'kind.other': 'Other',

  'teams.title': 'Village teams',
  'teams.village': 'Village',
  'teams.choose_village': 'Choose a village',
  'teams.station': 'Stationed team',
  'teams.auxiliary': 'Auxiliary team',
  'teams.fixed': 'Three fixed things',
  'teams.leader': 'Leader',
  'teams.day': 'Station day',
  'teams.hours': 'Hours',
  'teams.place': 'Place',
  'teams.every1': 'every week',
  'teams.every2': 'every two weeks',
  'teams.not_set': 'not set',
  'teams.members': 'Members',
  'teams.no_members': 'No members yet.',
  'teams.edit_fixed': 'Set day, hours and place',
  'teams.add_member': 'Add member',
  'teams.end_member': 'End',
  'teams.saved': 'Saved',
  'teams.f.leader': 'Leader (a town leader for the stationed team)',
  'teams.f.weekday': 'Station day',
  'teams.f.every': 'How often',
  'teams.f.remote': 'Remote village',
  'teams.f.remote_hint': 'only a remote village may have its station day every two weeks',
  'teams.remote_no': 'no',
  'teams.remote_yes': 'remote village',
  'teams.f.start': 'From',
  'teams.f.end': 'To',
  'teams.f.hours_hint': 'At least half a day, e.g. 08:30 to 12:00',
  'teams.f.place': 'Place',
  'teams.f.user': 'User',
  'teams.f.no_user': '(no account: give the name)',
  'teams.f.name': 'Name',
  'teams.f.role': 'Role in the team',
  'teams.f.position': 'Position',
  'teams.f.phone': 'Phone',
  'weekday.1': 'Monday',
  'weekday.2': 'Tuesday',
  'weekday.3': 'Wednesday',
  'weekday.4': 'Thursday',
  'weekday.5': 'Friday',
  'weekday.6': 'Saturday',
  'weekday.7': 'Sunday',
  'trole.leader': 'Leader',
  'trole.cadre': 'Cadre',
  'trole.department_head': 'Department head',
  'trole.party_member': 'Party member',
  'trole.deputy': 'People\'s congress deputy',
  'trole.cppcc_member': 'CPPCC member',
  'trole.village_committee': 'Village committee',
  'trole.service_centre': 'Service centre',
  'trole.graduate_official': 'Graduate village official',
  'trole.legal_adviser': 'Legal adviser',
  'trole.volunteer': 'Volunteer',
  'trole.other': 'Other',

  'asg.title': 'Stations and households',
  'asg.by_user': 'By cadre',
  'asg.by_village': 'By village',
  'asg.user': 'Cadre',
  'asg.stations': 'Stations',
  'asg.households': 'Households',
  'asg.current': 'Current',
  'asg.past': 'Ended',
  'asg.col.village': 'Village',
  'asg.col.household': 'Household',
  'asg.col.cadre': 'Cadre',
  'asg.col.from': 'From',
  'asg.col.to': 'To',
  'asg.col.handover': 'Handover',
  'asg.new_station': 'Station a cadre',
  'asg.assign_household': 'Assign a household',
  'asg.end': 'End',
  'asg.end_q': 'End {name}\'s stationing at {village}?',
  'asg.handover': 'Hand over',
  'asg.handover_title': 'Hand over {name}\'s work',
  'asg.handover_to': 'Successor',
  'asg.handover_date': 'Effective date',
  'asg.handover_all': 'Everything (all stations and households within your scope)',
  'asg.handover_pick': 'Only what is ticked (a ticked village takes its households along)',
  'asg.handover_note': 'Note',
  'asg.handover_submit': 'Hand over',
  'asg.handover_done': 'Handed over: {stations} station(s), {households} household(s)',
  'asg.responsible': 'Who was responsible for a household on a date',
  'asg.household_id': 'Household id',
  'asg.date': 'Date',
  'asg.nobody': 'Nobody was responsible that day',
  'asg.who': 'Responsible on {date}: {name} (from {from}{to})',
  'asg.who_to': ' to {to}',
  'asg.history': 'Handovers',
  'asg.f.start': 'Start date',
  'asg.f.household_id': 'Household id',
  'asg.saved': 'Saved',
  'asg.nothing': 'Nothing here.',
};

const prefix = (table) => Object.fromEntries(Object.entries(table).map(([k, v]) => [`org.${k}`, v]));
addStrings({ zh: prefix(zh), en: prefix(en) });

/** The organisation pages' strings: tr('regions.title') looks up "org.regions.title". */
export function tr(key, vars) { return t(`org.${key}`, vars); }

export const LEVELS = ['province', 'city', 'county', 'town', 'village', 'group'];
export const KINDS = ['town_office', 'village_committee', 'station', 'other'];
export const TEAM_ROLES = ['leader', 'cadre', 'department_head', 'party_member', 'deputy', 'cppcc_member',
  'village_committee', 'service_centre', 'graduate_official', 'legal_adviser', 'volunteer', 'other'];

export const levelLabel = (l) => (LEVELS.includes(l) ? tr(`level.${l}`) : String(l || ''));
export const kindLabel = (k) => (KINDS.includes(k) ? tr(`kind.${k}`) : String(k || ''));
export const teamRoleLabel = (r) => (TEAM_ROLES.includes(r) ? tr(`trole.${r}`) : String(r || ''));
export const weekdayLabel = (n) => (n >= 1 && n <= 7 ? tr(`weekday.${n}`) : tr('teams.not_set'));

/** Today as YYYY-MM-DD in Asia/Shanghai. */
export function today() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

/** Every item of a cursor-paged list (at most max pages of 500). */
export async function loadAll(path, query, signal, max = 20) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < max; i += 1) {
    const res = await api.get(path, { query: { ...query, limit: 500, cursor }, signal });
    out.push(...(res.items || []));
    cursor = res.next_cursor;
    if (!cursor) break;
  }
  return out;
}

/** The villages in the caller's scope, by code. */
export function villages(signal) {
  return loadAll('/api/v1/regions', { level: 'village' }, signal);
}

/**
 * Cadres and leaders the caller may pick (admins and leaders read the user
 * list; anyone else gets only themselves).
 */
export async function assignableUsers(me, signal) {
  if (me.role !== 'admin' && me.role !== 'leader') return [me];
  const [cadres, leaders] = await Promise.all([
    loadAll('/api/v1/users', { role: 'cadre' }, signal),
    loadAll('/api/v1/users', { role: 'leader' }, signal),
  ]);
  return [...leaders, ...cadres].filter((u) => !u.disabled);
}

/** Options for a user select: "name (username)". */
export function userOptions(users, { empty } = {}) {
  const opts = users.map((u) => ({ value: String(u.id), label: `${u.display_name} (${u.username || u.id})` }));
  return empty ? [{ value: '', label: empty }, ...opts] : opts;
}

/**
 * A form in a dialog: fields (from ui.field), submit label, and
 * onSubmit(values) returning a promise. Field errors of the answer land
 * under their fields; success closes the dialog and calls done(result).
 */
export function formDialog({ title, fields, submitLabel, onSubmit, done, intro }) {
  const box = alertBox();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel || t('common.save'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true }, intro ? h('p', { class: 'hint' }, intro) : null,
    box, fields, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title, content: form });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const values = {};
    for (const f of fields.flat()) {
      if (!f || !f.dataset || !f.dataset.field) continue;
      const el = f.input;
      values[f.dataset.field] = el.type === 'checkbox' ? el.checked : el.value.trim();
    }
    const restore = busy(submit, t('common.working'));
    try {
      const result = await onSubmit(values, form);
      restore();
      dlg.close();
      if (done) done(result);
    } catch (err) {
      restore();
      if (err && err.clientMessage) showMessage(box, err.clientMessage);
      else showProblem(form, box, err);
    }
  });
  return dlg;
}

/** A text field (ui.field) shorthand. */
export function textField(name, label, value, extra = {}) {
  return field({ name, label, value: value ?? '', ...extra });
}

/** Drops empty strings from a body (optional fields left blank). */
export function compact(body) {
  const out = {};
  for (const [k, v] of Object.entries(body)) if (v !== '' && v !== undefined) out[k] = v;
  return out;
}

/** "date – date" or "date –" for an open-ended row. */
export function period(row) {
  return `${row.start_date} – ${row.end_date || ''}`;
}
