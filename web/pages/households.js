// Household files (民情档案): the list with its filters (cards on a phone),
// and one household's page with its members, tags and timeline. ID numbers
// and phones come masked; "show in full" asks the server with ?reveal=1,
// which it records in the audit log. Filters live in the hash
// (#/households?tag=低保户&days=30) so the back button keeps them.

import { registerPage, navigate, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import {
  h, field, alertBox, showMessage, clearErrors, showProblem, busy, pageHeader, dataTable, openDialog,
  errorPanel, countText, pageSize, formatTime, confirmDialog,
} from '../ui.js';
import { householdCardButton, villageCardsButton } from './cards.js';

addStrings({
  zh: {
    'hh.title': '民情档案',
    'hh.new': '新建户档案',
    'hh.f.region': '村（社区）',
    'hh.f.group': '村民小组',
    'hh.f.tag': '标签',
    'hh.f.cadre': '联系干部',
    'hh.f.mine': '只看我联系的户',
    'hh.f.q': '查找',
    'hh.f.q_ph': '户主或成员姓名、户编号',
    'hh.f.exact': '身份证号或手机号',
    'hh.f.exact_hint': '须完整填写，精确查找',
    'hh.f.days': '多少天未联系',
    'hh.f.days_hint': '含从未联系的户',
    'hh.f.appeal': '只看有未办结诉求的户',
    'hh.f.more': '更多筛选条件',
    'hh.f.more_n': '更多筛选条件（已选 {n} 项）',
    'hh.total': '共 {n} 户',
    'hh.col.code': '户编号',
    'hh.col.head': '户主',
    'hh.col.region': '村组',
    'hh.col.phone': '电话',
    'hh.col.tags': '标签',
    'hh.col.cadre': '联系干部',
    'hh.col.members': '人数',
    'hh.col.contact': '最近联系',
    'hh.col.appeals': '未办结诉求',
    'hh.reveal': '显示完整号码',
    'hh.reveal_q': '完整的身份证号和电话会显示出来，这次查看将记入审计日志。确定吗？',
    'hh.revealed': '正在显示完整号码（已记入审计日志）',
    'hh.mask': '重新隐藏',
    'hh.detail_title': '{name} 户',
    'hh.back': '返回列表',
    'hh.edit': '修改户信息',
    'hh.edit_tags': '修改标签',
    'hh.field.village_code': '村（社区）',
    'hh.field.group_code': '村民小组（选填）',
    'hh.field.head_name': '户主姓名',
    'hh.field.phone': '联系电话（手机）',
    'hh.field.address': '住址',
    'hh.field.lat': '纬度',
    'hh.field.lng': '经度',
    'hh.field.notes': '备注',
    'hh.field.tags': '标签',
    'hh.field.code': '户编号（选填，不填自动生成）',
    'hh.no_group': '（不分组）',
    'hh.created': '已建立 {name} 户的档案',
    'hh.saved': '已保存',
    'hh.nothing': '没有修改任何内容。',
    'hh.facts.region': '村组',
    'hh.facts.address': '住址',
    'hh.facts.phone': '电话',
    'hh.facts.cadre': '联系干部',
    'hh.facts.since': '自 {date} 起',
    'hh.facts.contact': '最近联系',
    'hh.facts.appeals': '未办结诉求',
    'hh.facts.notes': '备注',
    'hh.facts.coords': '坐标',
    'hh.none': '无',
    'hh.members': '家庭成员',
    'hh.member_add': '添加成员',
    'hh.member_edit': '修改成员 {name}',
    'hh.member_remove': '移出',
    'hh.member_remove_title': '将 {name} 移出本户',
    'hh.member_removed': '已移出',
    'hh.m.name': '姓名',
    'hh.m.relation': '与户主关系',
    'hh.m.id_number': '身份证号',
    'hh.m.id_hint': '出生日期和性别将按身份证号填写',
    'hh.m.phone': '手机号',
    'hh.m.birth': '出生日期',
    'hh.m.age': '{n} 岁',
    'hh.m.sex': '性别',
    'hh.m.sex.M': '男',
    'hh.m.sex.F': '女',
    'hh.m.occupation': '职业',
    'hh.m.remarks': '备注',
    'hh.m.status': '状态',
    'hh.m.reason': '移出原因',
    'hh.m.reason_hint': '如：迁出、分户、去世',
    'hh.m.keep_id': '留空则不修改',
    'hh.timeline': '动态',
    'hh.tl.time': '时间',
    'hh.tl.what': '事项',
    'hh.tl.who': '经办人',
    'hh.tl.empty': '还没有记录。',
  },
  en: {
    'hh.title': 'Household files',
    'hh.new': 'New household',
    'hh.f.region': 'Village',
    'hh.f.group': 'Group',
    'hh.f.tag': 'Tag',
    'hh.f.cadre': 'Responsible cadre',
    'hh.f.mine': 'Only the households I am responsible for',
    'hh.f.q': 'Find',
    'hh.f.q_ph': 'head or member name, household code',
    'hh.f.exact': 'ID number or mobile',
    'hh.f.exact_hint': 'In full: exact match',
    'hh.f.days': 'Not contacted for (days)',
    'hh.f.days_hint': 'Never contacted households included',
    'hh.f.appeal': 'Only households with an open appeal',
    'hh.f.more': 'More filters',
    'hh.f.more_n': 'More filters ({n} set)',
    'hh.total': '{n} households',
    'hh.col.code': 'Code',
    'hh.col.head': 'Head',
    'hh.col.region': 'Village / group',
    'hh.col.phone': 'Phone',
    'hh.col.tags': 'Tags',
    'hh.col.cadre': 'Cadre',
    'hh.col.members': 'Members',
    'hh.col.contact': 'Last contact',
    'hh.col.appeals': 'Open appeals',
    'hh.reveal': 'Show numbers in full',
    'hh.reveal_q': 'Full ID numbers and phones will be shown, and this viewing is recorded in the audit log. Continue?',
    'hh.revealed': 'Numbers shown in full (recorded in the audit log)',
    'hh.mask': 'Mask again',
    'hh.detail_title': 'Household of {name}',
    'hh.back': 'Back to the list',
    'hh.edit': 'Edit household',
    'hh.edit_tags': 'Edit tags',
    'hh.field.village_code': 'Village',
    'hh.field.group_code': 'Group (optional)',
    'hh.field.head_name': 'Head of household',
    'hh.field.phone': 'Phone (mobile)',
    'hh.field.address': 'Address',
    'hh.field.lat': 'Latitude',
    'hh.field.lng': 'Longitude',
    'hh.field.notes': 'Notes',
    'hh.field.tags': 'Tags',
    'hh.field.code': 'Code (optional, made if empty)',
    'hh.no_group': '(no group)',
    'hh.created': 'Household of {name} created',
    'hh.saved': 'Saved',
    'hh.nothing': 'Nothing was changed.',
    'hh.facts.region': 'Village / group',
    'hh.facts.address': 'Address',
    'hh.facts.phone': 'Phone',
    'hh.facts.cadre': 'Responsible cadre',
    'hh.facts.since': 'since {date}',
    'hh.facts.contact': 'Last contact',
    'hh.facts.appeals': 'Open appeals',
    'hh.facts.notes': 'Notes',
    'hh.facts.coords': 'Coordinates',
    'hh.none': 'none',
    'hh.members': 'Members',
    'hh.member_add': 'Add member',
    'hh.member_edit': 'Edit {name}',
    'hh.member_remove': 'Remove',
    'hh.member_remove_title': 'Remove {name} from the household',
    'hh.member_removed': 'Removed',
    'hh.m.name': 'Name',
    'hh.m.relation': 'Relation to the head',
    'hh.m.id_number': 'ID number',
    'hh.m.id_hint': 'Birth date and sex are taken from the ID number',
    'hh.m.phone': 'Mobile',
    'hh.m.birth': 'Birth date',
    'hh.m.age': '{n} years',
    'hh.m.sex': 'Sex',
    'hh.m.sex.M': 'male',
    'hh.m.sex.F': 'female',
    'hh.m.occupation': 'Occupation',
    'hh.m.remarks': 'Remarks',
    'hh.m.status': 'Status',
    'hh.m.reason': 'Reason',
    'hh.m.reason_hint': 'e.g. moved out, new household, died',
    'hh.m.keep_id': 'Leave empty to keep it',
    'hh.timeline': 'Timeline',
    'hh.tl.time': 'Time',
    'hh.tl.what': 'What',
    'hh.tl.who': 'By',
    'hh.tl.empty': 'Nothing recorded yet.',
  },
});

const RELATIONS = ['户主', '配偶', '子女', '父母', '孙子女', '兄弟姐妹', '祖父母', '儿媳', '女婿', '其他'];
const WRITERS = ['admin', 'leader', 'cadre'];
const canWrite = (u) => WRITERS.includes(u.role);
const canReveal = (u) => WRITERS.includes(u.role); // household.reveal
const enc = encodeURIComponent;

// ---------------------------------------------------------------- small pieces

function tagBadges(tags) {
  if (!tags || !tags.length) return '';
  return h('span', { class: 'badges' }, tags.map((n) => h('span', { class: 'badge badge-warn' }, n)));
}

function regionText(x) {
  return x.group ? `${x.village.name} ${x.group.name}` : x.village.name;
}

function cadreText(x) {
  return x.responsible ? x.responsible.display_name : '';
}

/** A <textarea> field that showErrors() understands like field() ones. */
function textArea(name, label, value) {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('textarea', { id, name, rows: '3', 'aria-describedby': `${id}-err` });
  input.value = value || '';
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input,
    h('p', { class: 'field-error', id: `${id}-err`, hidden: true }));
  wrap.input = input;
  wrap.dataset.field = name;
  return wrap;
}

/** Checkboxes for the tags; .value() gives the chosen names. */
function tagPicker(all, chosen) {
  const set = new Set(chosen || []);
  const shown = all.filter((tg) => !tg.retired || set.has(tg.name));
  const boxes = shown.map((tg) => field({ name: `tag-${tg.id}`, label: tg.name, checkbox: true, value: set.has(tg.name) }));
  const err = h('p', { class: 'field-error', hidden: true });
  const wrap = h('fieldset', { class: 'field tag-picker' }, h('legend', null, t('hh.field.tags')), boxes, err);
  wrap.dataset.field = 'tags';
  wrap.input = boxes.length ? boxes[0].input : h('input');
  wrap.value = () => shown.filter((tg, i) => boxes[i].input.checked).map((tg) => tg.name);
  return wrap;
}

/** The villages in scope (none if the region list cannot be read) and every tag. */
async function lookups(signal) {
  const [villages, tags] = await Promise.all([
    api.get('/api/v1/regions', { query: { level: 'village', limit: 500 }, signal }).then((r) => r.items || []).catch((e) => {
      if (isAbort(e)) throw e;
      return [];
    }),
    api.get('/api/v1/tags', { query: { include_retired: 1 }, signal }).then((r) => r.items || []),
  ]);
  return { villages, tags };
}

async function groupsOf(village, signal) {
  if (!village) return [];
  try {
    const r = await api.get('/api/v1/regions', { query: { parent: village, level: 'group', limit: 500 }, signal });
    return r.items || [];
  } catch (e) {
    if (isAbort(e)) throw e;
    return [];
  }
}

function setOptions(select, items, blankLabel, value) {
  select.replaceChildren(h('option', { value: '' }, blankLabel),
    ...items.map((r) => h('option', { value: r.code, selected: r.code === value }, r.name)));
}

/** Asks before showing numbers in full: the server records each viewing. */
async function askReveal() {
  return confirmDialog(t('hh.reveal_q'), { okLabel: t('hh.reveal') });
}

// ---------------------------------------------------------------- household form

function coordText(hh, k) {
  return hh && hh[k] != null ? String(Number(Number(hh[k]).toFixed(6))) : '';
}

/** Create (h null) or edit a household in a dialog; onSaved(household). */
function openHouseholdForm(hh, lk, me, onSaved) {
  const box = alertBox();
  const villages = lk.villages.length ? lk.villages
    : [{ code: (hh && hh.village.code) || me.scope_code, name: (hh && hh.village.name) || me.scope_code }];
  const fVillage = field({ name: 'village_code', label: t('hh.field.village_code'), required: true,
    options: villages.map((v) => ({ value: v.code, label: v.name })), value: hh ? hh.village.code : villages[0].code });
  const fGroup = field({ name: 'group_code', label: t('hh.field.group_code'), options: [{ value: '', label: t('hh.no_group') }],
    value: hh && hh.group ? hh.group.code : '' });
  const fields = [
    hh ? null : field({ name: 'code', label: t('hh.field.code') }),
    fVillage, fGroup,
    field({ name: 'head_name', label: t('hh.field.head_name'), required: true, value: hh ? hh.head_name : '' }),
    field({ name: 'phone', label: t('hh.field.phone'), inputmode: 'tel', autocomplete: 'tel',
      hint: hh && hh.phone ? `${hh.phone} · ${t('hh.m.keep_id')}` : null }),
    field({ name: 'address', label: t('hh.field.address'), value: hh ? hh.address : '' }),
    field({ name: 'lat', label: t('hh.field.lat'), inputmode: 'decimal', value: coordText(hh, 'lat') }),
    field({ name: 'lng', label: t('hh.field.lng'), inputmode: 'decimal', value: coordText(hh, 'lng') }),
    textArea('notes', t('hh.field.notes'), hh ? hh.notes : ''),
  ].filter(Boolean);
  const tags = tagPicker(lk.tags, hh ? hh.tags : []);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, hh ? t('common.save') : t('hh.new'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'household-form' },
    box, fields, tags, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title: hh ? t('hh.edit') : t('hh.new'), content: form });
  cancel.addEventListener('click', () => dlg.close());

  const loadGroups = async () => {
    const gs = await groupsOf(fVillage.input.value);
    setOptions(fGroup.input, gs, t('hh.no_group'), hh && hh.group ? hh.group.code : '');
  };
  fVillage.input.addEventListener('change', loadGroups);
  loadGroups();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const v = {};
    for (const f of fields) v[f.dataset.field] = f.input.value.trim();
    const body = {
      village_code: v.village_code,
      group_code: v.group_code || null,
      head_name: v.head_name,
      address: v.address || null,
      notes: v.notes || null,
      tags: tags.value(),
    };
    // coordinates only when changed (the form rounds them to 6 places)
    if (v.lat !== coordText(hh, 'lat') || v.lng !== coordText(hh, 'lng')) {
      body.lat = v.lat === '' ? null : Number(v.lat);
      body.lng = v.lng === '' ? null : Number(v.lng);
    }
    if (v.phone) body.phone = v.phone;
    if (!hh) {
      if (v.code) body.code = v.code;
      if (!v.phone) delete body.phone;
    }
    const done = busy(submit, t('common.working'));
    try {
      const saved = hh ? await api.patch(`/api/v1/households/${enc(hh.id)}`, body) : await api.post('/api/v1/households', body);
      done();
      dlg.close();
      onSaved(saved);
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

// ---------------------------------------------------------------- list

function listFilters(ctx, lk, me) {
  const q = ctx.query;
  const fRegion = field({ name: 'region', label: t('hh.f.region'),
    options: [{ value: '', label: t('common.all') }, ...lk.villages.map((v) => ({ value: v.code, label: v.name }))], value: q.get('region') || '' });
  const fGroup = field({ name: 'group', label: t('hh.f.group'), options: [{ value: '', label: t('common.all') }], value: q.get('group') || '' });
  const fTag = field({ name: 'tag', label: t('hh.f.tag'),
    options: [{ value: '', label: t('common.all') }, ...lk.tags.filter((tg) => !tg.retired).map((tg) => ({ value: tg.name, label: tg.name }))],
    value: q.get('tag') || '' });
  const fQ = field({ name: 'q', label: t('hh.f.q'), type: 'search', value: q.get('q') || '', attrs: { placeholder: t('hh.f.q_ph') } });
  const fExact = field({ name: 'exact', label: t('hh.f.exact'), value: q.get('exact') || '', hint: t('hh.f.exact_hint'),
    attrs: { autocapitalize: 'characters', spellcheck: 'false' } });
  const fDays = field({ name: 'days', label: t('hh.f.days'), type: 'number', inputmode: 'numeric', value: q.get('days') || '',
    hint: t('hh.f.days_hint'), attrs: { min: '0', max: '36500' } });
  const fAppeal = field({ name: 'appeal', label: t('hh.f.appeal'), checkbox: true, value: q.get('appeal') === '1' });
  let fCadre;
  if (me.role === 'cadre') {
    fCadre = field({ name: 'mine', label: t('hh.f.mine'), checkbox: true, value: q.get('cadre') === String(me.id) });
  } else {
    fCadre = field({ name: 'cadre', label: t('hh.f.cadre'), options: [{ value: '', label: t('common.all') }], value: q.get('cadre') || '' });
    if (['admin', 'leader'].includes(me.role)) {
      api.get('/api/v1/users', { query: { role: 'cadre', limit: 500 }, signal: ctx.signal }).then((r) => {
        setOptions(fCadre.input, (r.items || []).map((u) => ({ code: String(u.id), name: u.display_name })), t('common.all'), q.get('cadre') || '');
      }).catch(() => {});
    }
  }
  groupsOf(q.get('region'), ctx.signal).then((gs) => setOptions(fGroup.input, gs, t('common.all'), q.get('group') || '')).catch(() => {});
  const hasAny = ['region', 'group', 'tag', 'q', 'exact', 'days', 'appeal', 'cadre'].some((k) => q.get(k));
  const nMore = ['region', 'group', 'tag', 'days', 'appeal', 'cadre'].filter((k) => q.get(k)).length;
  // On a phone the search comes first and the other filters fold away.
  const form = h('form', { class: 'filters', role: 'search', id: 'household-search' }, fQ, fExact,
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.search')),
      hasAny ? h('a', { class: 'btn', href: '#/households' }, t('common.reset')) : null));
  const more = h('form', { class: 'filters', id: 'household-filters' }, fRegion, fGroup, fTag, fCadre, fDays, fAppeal);
  const wide = typeof matchMedia === 'function' && matchMedia('(min-width: 720px)').matches;
  const fold = h('details', { class: 'card', id: 'household-more-filters', open: wide || nMore > 0 },
    h('summary', null, nMore ? t('hh.f.more_n', { n: nMore }) : t('hh.f.more')), more);
  const apply = () => {
    const p = new URLSearchParams();
    const set = (k, v) => { if (v) p.set(k, v); };
    set('region', fRegion.input.value);
    if (fRegion.input.value === (q.get('region') || '')) set('group', fGroup.input.value);
    set('tag', fTag.input.value);
    if (fCadre.input.type === 'checkbox') { if (fCadre.input.checked) p.set('cadre', String(me.id)); } else set('cadre', fCadre.input.value);
    set('q', fQ.input.value.trim());
    set('exact', fExact.input.value.replace(/[\s-]/g, ''));
    set('days', fDays.input.value.trim());
    if (fAppeal.input.checked) p.set('appeal', '1');
    const s = p.toString();
    navigate(s ? `#/households?${s}` : '#/households');
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  more.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  for (const f of [fRegion, fGroup, fTag, fCadre, fAppeal]) f.input.addEventListener('change', apply);
  fDays.input.addEventListener('change', apply);
  return [h('section', { class: 'card' }, form), fold];
}

/** The API query for the filters in the hash. */
function apiQuery(q) {
  const out = {};
  for (const k of ['region', 'group', 'tag', 'cadre', 'q']) if (q.get(k)) out[k] = q.get(k);
  const exact = q.get('exact');
  if (exact) {
    if (/^1\d{10}$/.test(exact) || /^\+?86/.test(exact)) out.phone = exact;
    else out.id_number = exact;
  }
  if (q.get('days')) out.not_contacted_days = q.get('days');
  if (q.get('appeal') === '1') out.has_open_appeal = 1;
  return out;
}

async function renderList(root, ctx) {
  const me = ctx.user;
  const lk = await lookups(ctx.signal);
  let reveal = false;
  const newBtn = canWrite(me) ? h('button', { type: 'button', class: 'btn btn-primary', id: 'household-new' }, t('hh.new')) : null;
  const revealBtn = canReveal(me) ? h('button', { type: 'button', class: 'btn', id: 'household-reveal' }, t('hh.reveal')) : null;
  const region = ctx.query.get('region');
  const cardsBtn = region && canWrite(me) ? villageCardsButton(region) : null;

  const columns = [
    { key: 'head_name', label: t('hh.col.head'), class: 'col-strong',
      render: (x) => h('a', { href: `#/household/${enc(x.id)}` }, x.head_name) },
    { key: 'code', label: t('hh.col.code'), class: 'mono' },
    { key: 'region', label: t('hh.col.region'), render: regionText },
    // a masked number cannot be dialled: a link only once shown in full
    { key: 'phone', label: t('hh.col.phone'), class: 'mono', render: (x) => (x.phone && x.revealed ? h('a', { href: `tel:${x.phone}` }, x.phone) : x.phone) },
    { key: 'tags', label: t('hh.col.tags'), render: (x) => tagBadges(x.tags) },
    { key: 'cadre', label: t('hh.col.cadre'), render: cadreText },
    { key: 'member_count', label: t('hh.col.members') },
    { key: 'last_contact_at', label: t('hh.col.contact'), class: 'col-time', render: (x) => (x.last_contact_at ? formatTime(x.last_contact_at) : t('common.never')) },
    { key: 'open_appeal_count', label: t('hh.col.appeals'), render: (x) => (x.open_appeal_count ? h('span', { class: 'badge badge-warn' }, String(x.open_appeal_count)) : '0') },
  ];
  const table = dataTable(columns, { rowKey: (x) => x.id, caption: t('hh.title'), class: 'households-table' });
  const total = h('p', { class: 'count', id: 'household-total', 'aria-live': 'polite' });
  const empty = h('p', { class: 'empty', hidden: true }, t('common.empty'));
  const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
  const revealNote = h('p', { class: 'alert alert-info', hidden: true, id: 'household-revealed' }, t('hh.revealed'));
  const listArea = h('div', { class: 'list-area' }, revealNote, total, table.el, empty, countLine, more);
  const query = apiQuery(ctx.query);

  let cursor = null;
  async function load() {
    const done = busy(more, t('common.loading'));
    try {
      const res = await api.get('/api/v1/households', {
        query: { ...query, limit: pageSize(ctx.query), cursor, reveal: reveal ? 1 : undefined }, signal: ctx.signal,
      });
      done();
      table.add(res.items || []);
      cursor = res.next_cursor || null;
      more.hidden = !cursor;
      empty.hidden = table.count() > 0;
      table.el.hidden = table.count() === 0;
      countLine.textContent = countText(table.count(), cursor);
    } catch (err) {
      done();
      if (isAbort(err) || ctx.signal.aborted) return;
      listArea.append(errorPanel(err, () => { listArea.lastChild.remove(); load(); }));
    }
  }
  more.addEventListener('click', load);
  api.get('/api/v1/households/counts', { query, signal: ctx.signal })
    .then((c) => { total.textContent = t('hh.total', { n: c.total }); }).catch(() => {});

  if (revealBtn) {
    revealBtn.addEventListener('click', async () => {
      if (!reveal && !(await askReveal())) return;
      reveal = !reveal;
      revealBtn.textContent = reveal ? t('hh.mask') : t('hh.reveal');
      revealNote.hidden = !reveal;
      table.clear();
      cursor = null;
      await load();
    });
  }
  if (newBtn) {
    newBtn.addEventListener('click', () => openHouseholdForm(null, lk, me, (saved) => {
      notify(t('hh.created', { name: saved.head_name }), 'ok');
      navigate(`#/household/${enc(saved.id)}`);
    }));
  }
  root.append(pageHeader(t('hh.title'), newBtn, revealBtn, cardsBtn), ...listFilters(ctx, lk, me), listArea);
  return load();
}

// ---------------------------------------------------------------- one household

function memberForm(m, onSubmit) {
  const box = alertBox();
  const fields = [
    field({ name: 'name', label: t('hh.m.name'), required: true, value: m ? m.name : '' }),
    field({ name: 'relation', label: t('hh.m.relation'), required: true,
      options: RELATIONS.map((r) => ({ value: r, label: r })), value: m ? m.relation : '子女' }),
    field({ name: 'id_number', label: t('hh.m.id_number'), hint: m && m.id_number ? `${m.id_number} · ${t('hh.m.keep_id')}` : t('hh.m.id_hint'),
      attrs: { autocapitalize: 'characters', spellcheck: 'false', maxlength: '18' } }),
    field({ name: 'phone', label: t('hh.m.phone'), inputmode: 'tel',
      hint: m && m.phone ? `${m.phone} · ${t('hh.m.keep_id')}` : null }),
    field({ name: 'birth_date', label: t('hh.m.birth'), type: 'date', value: m && m.birth_date ? m.birth_date : '' }),
    field({ name: 'sex', label: t('hh.m.sex'),
      options: [{ value: '', label: '—' }, { value: 'M', label: t('hh.m.sex.M') }, { value: 'F', label: t('hh.m.sex.F') }], value: m ? m.sex || '' : '' }),
    field({ name: 'occupation', label: t('hh.m.occupation'), value: m ? m.occupation || '' : '' }),
    textArea('remarks', t('hh.m.remarks'), m ? m.remarks : ''),
  ];
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'member-form' }, box, fields, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title: m ? t('hh.member_edit', { name: m.name }) : t('hh.member_add'), content: form });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const v = {};
    for (const f of fields) v[f.dataset.field] = f.input.value.trim();
    const body = {};
    for (const k of ['name', 'relation', 'occupation', 'remarks']) {
      if (!m || (m[k] || '') !== v[k]) body[k] = v[k] || (m ? null : undefined);
    }
    if (v.id_number) body.id_number = v.id_number;
    if (v.phone) body.phone = v.phone;
    // with an ID number the server derives birth date and sex
    if (!v.id_number) {
      if (!m || (m.birth_date || '') !== v.birth_date) body.birth_date = v.birth_date || null;
      if (!m || (m.sex || '') !== v.sex) body.sex = v.sex || null;
    }
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    if (m && !Object.keys(body).length) { showMessage(box, t('hh.nothing')); return; }
    const done = busy(submit, t('common.working'));
    try {
      await onSubmit(body);
      done();
      dlg.close();
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

function removeForm(hid, m, onDone) {
  const box = alertBox();
  const fReason = field({ name: 'reason', label: t('hh.m.reason'), required: true, hint: t('hh.m.reason_hint') });
  const submit = h('button', { type: 'submit', class: 'btn btn-danger' }, t('hh.member_remove'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'member-remove-form' }, box, fReason, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title: t('hh.member_remove_title', { name: m.name }), content: form });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const done = busy(submit, t('common.working'));
    try {
      await api.post(`/api/v1/households/${enc(hid)}/members/${enc(m.id)}/remove`, { reason: fReason.input.value.trim() });
      done();
      dlg.close();
      onDone();
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

function tagsForm(hh, lk, onSaved) {
  const box = alertBox();
  const picker = tagPicker(lk.tags, hh.tags);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'tags-form' }, box, picker, h('div', { class: 'form-actions' }, cancel, submit));
  const dlg = openDialog({ title: t('hh.edit_tags'), content: form });
  cancel.addEventListener('click', () => dlg.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const done = busy(submit, t('common.working'));
    try {
      const saved = await api.put(`/api/v1/households/${enc(hh.id)}/tags`, { tags: picker.value() });
      done();
      dlg.close();
      onSaved(saved);
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

function facts(x) {
  const row = (label, value, id) => h('div', null, h('dt', null, label), h('dd', { id }, value === '' || value == null ? '—' : value));
  return h('dl', { class: 'facts', id: 'household-facts' },
    row(t('hh.col.code'), x.code),
    row(t('hh.facts.region'), regionText(x)),
    row(t('hh.facts.address'), x.address),
    row(t('hh.facts.phone'), x.phone && x.revealed ? h('a', { href: `tel:${x.phone}` }, x.phone) : x.phone, 'household-phone'),
    row(t('hh.col.tags'), tagBadges(x.tags) || t('hh.none'), 'household-tags'),
    row(t('hh.facts.cadre'), x.responsible ? `${x.responsible.display_name}（${t('hh.facts.since', { date: x.responsible.since })}）` : t('hh.none')),
    row(t('hh.facts.contact'), x.last_contact_at ? formatTime(x.last_contact_at) : t('common.never')),
    row(t('hh.facts.appeals'), String(x.open_appeal_count)),
    x.lat != null ? row(t('hh.facts.coords'), `${Number(x.lat).toFixed(6)}, ${Number(x.lng).toFixed(6)}`) : null,
    row(t('hh.facts.notes'), x.notes));
}

function memberTable(x, me, actions) {
  const columns = [
    { key: 'name', label: t('hh.m.name'), class: 'col-strong' },
    { key: 'relation', label: t('hh.m.relation') },
    { key: 'id_number', label: t('hh.m.id_number'), class: 'mono' },
    { key: 'phone', label: t('hh.m.phone'), class: 'mono' },
    { key: 'birth_date', label: t('hh.m.birth'), render: (m) => (m.birth_date ? `${m.birth_date}（${t('hh.m.age', { n: m.age })}）` : '') },
    { key: 'sex', label: t('hh.m.sex'), render: (m) => (m.sex ? t(`hh.m.sex.${m.sex}`) : '') },
    { key: 'occupation', label: t('hh.m.occupation') },
    { key: 'remarks', label: t('hh.m.remarks') },
    { key: 'status', label: t('hh.m.status'), render: (m) => (m.removed_at
      ? h('span', { class: 'badge badge-off', title: m.removed_reason || '' }, `${t('hh.member_removed')}：${m.removed_reason || ''}`)
      : '') },
  ];
  if (canWrite(me)) {
    columns.push({ key: 'actions', label: '', class: 'col-actions', render: (m) => (m.removed_at ? '' : h('span', { class: 'badges' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => actions.edit(m) }, t('common.edit')),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => actions.remove(m) }, t('hh.member_remove')))) });
  }
  const table = dataTable(columns, { rowKey: (m) => m.id, caption: t('hh.members'), class: 'members-table' });
  table.add(x.members || []);
  return table;
}

function timelineSection(hid, ctx) {
  const table = dataTable([
    { key: 'at', label: t('hh.tl.time'), class: 'col-time', render: (i) => formatTime(i.at) },
    { key: 'summary', label: t('hh.tl.what') },
    { key: 'user', label: t('hh.tl.who'), render: (i) => (i.user ? i.user.display_name : '') },
  ], { rowKey: (i) => `${i.source}-${i.id}`, caption: t('hh.timeline'), class: 'timeline-table' });
  const empty = h('p', { class: 'empty', hidden: true }, t('hh.tl.empty'));
  const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
  const section = h('section', { id: 'household-timeline' }, h('h2', null, t('hh.timeline')), table.el, empty, more);
  let cursor = null;
  async function load() {
    const done = busy(more, t('common.loading'));
    try {
      const res = await api.get(`/api/v1/households/${enc(hid)}/timeline`, { query: { limit: 20, cursor }, signal: ctx.signal });
      done();
      table.add(res.items || []);
      cursor = res.next_cursor || null;
      more.hidden = !cursor;
      empty.hidden = table.count() > 0;
      table.el.hidden = table.count() === 0;
    } catch (err) {
      done();
      if (isAbort(err) || ctx.signal.aborted) return;
      section.append(errorPanel(err, () => { section.lastChild.remove(); load(); }));
    }
  }
  more.addEventListener('click', load);
  section.reload = () => { table.clear(); cursor = null; return load(); };
  load();
  return section;
}

async function renderDetail(root, ctx) {
  const me = ctx.user;
  const hid = ctx.params.id;
  const [lk, first] = await Promise.all([lookups(ctx.signal), api.get(`/api/v1/households/${enc(hid)}`, { signal: ctx.signal })]);
  let x = first;
  let reveal = false;
  const headerSlot = h('div');
  const factsCard = h('section', { class: 'card' });
  const membersSlot = h('div');
  const revealNote = h('p', { class: 'alert alert-info', hidden: true, id: 'household-revealed' }, t('hh.revealed'));
  const timeline = timelineSection(hid, ctx);

  const reload = async () => {
    x = await api.get(`/api/v1/households/${enc(hid)}`, { query: { reveal: reveal ? 1 : undefined }, signal: ctx.signal });
    draw();
    timeline.reload();
  };
  const actions = {
    edit: (m) => memberForm(m, async (body) => {
      await api.patch(`/api/v1/households/${enc(hid)}/members/${enc(m.id)}`, body);
      notify(t('hh.saved'), 'ok');
      await reload();
    }),
    remove: (m) => removeForm(hid, m, async () => { notify(t('hh.saved'), 'ok'); await reload(); }),
  };

  function draw() {
    const write = canWrite(me);
    const editBtn = write ? h('button', { type: 'button', class: 'btn', id: 'household-edit',
      onclick: () => openHouseholdForm(x, lk, me, async () => { notify(t('hh.saved'), 'ok'); await reload(); }) }, t('hh.edit')) : null;
    const tagsBtn = write ? h('button', { type: 'button', class: 'btn', id: 'household-tags-edit',
      onclick: () => tagsForm(x, lk, async () => { notify(t('hh.saved'), 'ok'); await reload(); }) }, t('hh.edit_tags')) : null;
    const revealBtn = canReveal(me) ? h('button', { type: 'button', class: 'btn', id: 'household-reveal',
      onclick: async () => {
        if (!reveal && !(await askReveal())) return;
        reveal = !reveal;
        await reload();
      } }, reveal ? t('hh.mask') : t('hh.reveal')) : null;
    const cardBtn = write ? householdCardButton(x) : null;
    headerSlot.replaceChildren(pageHeader(t('hh.detail_title', { name: x.head_name }),
      h('a', { class: 'btn btn-quiet', href: '#/households' }, t('hh.back')), editBtn, tagsBtn, revealBtn, cardBtn));
    revealNote.hidden = !reveal;
    factsCard.replaceChildren(facts(x));
    const addBtn = write ? h('button', { type: 'button', class: 'btn btn-primary', id: 'member-add',
      onclick: () => memberForm(null, async (body) => {
        await api.post(`/api/v1/households/${enc(hid)}/members`, body);
        notify(t('hh.saved'), 'ok');
        await reload();
      }) }, t('hh.member_add')) : null;
    membersSlot.replaceChildren(h('section', { id: 'household-members' },
      h('div', { class: 'page-head' }, h('h2', null, `${t('hh.members')}（${x.member_count}）`), addBtn),
      memberTable(x, me, actions).el));
  }
  draw();
  root.append(headerSlot, revealNote, factsCard, membersSlot, timeline);
}

registerPage({
  id: 'households',
  path: '#/households',
  title: { zh: '民情档案', en: 'Households' },
  order: 30,
  render: renderList,
});

registerPage({
  id: 'household',
  path: '#/household/:id',
  title: { zh: '户档案', en: 'Household' },
  nav: false,
  render: renderDetail,
});
