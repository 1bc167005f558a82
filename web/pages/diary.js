// diary.js: the people's-condition diary (民情日记). A cadre writes dated notes,
// optionally linked to their recent contacts (and so to those households),
// reads and, for 24 hours, edits their own; leaders and viewers read the
// entries of their area by village and month. The village's monthly records
// (驻点日志, 驻点团队记录本) are downloaded here as PDF.

import { registerPage, notify } from '../app.js';
import { api, isAbort, ApiError } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, pageHeader, field, alertBox, showProblem, clearErrors, errorPanel, busy, formatTime } from '../ui.js';
import { textArea } from './appeals.js';
import { downloadPdf } from './cards.js';

addStrings({
  zh: {
    'diary.title': '民情日记',
    'diary.write': '写日记',
    'diary.date': '日期',
    'diary.text': '记下今天了解到的民情',
    'diary.text_hint': '最多 4000 字；写好 24 小时内可以修改',
    'diary.tags': '标签',
    'diary.village': '所属村',
    'diary.village_auto': '（按驻点村或关联记录）',
    'diary.link': '关联最近的联系记录',
    'diary.link_none': '最近没有联系记录',
    'diary.submit': '保存日记',
    'diary.saved': '日记已保存',
    'diary.list': '日记',
    'diary.month': '月份',
    'diary.whose': '范围',
    'diary.whose.mine': '我的日记',
    'diary.whose.all': '辖区内全部',
    'diary.all_villages': '全部村',
    'diary.filter': '查看',
    'diary.empty': '这段时间没有日记',
    'diary.more': '加载更多',
    'diary.edit': '修改',
    'diary.edit_until': '{time} 前可修改',
    'diary.contacts': '联系记录：',
    'diary.households': '农户：',
    'diary.records': '驻点记录打印',
    'diary.records_hint': '按村和月份生成 A4 PDF，可直接打印归档',
    'diary.station_log': '驻点日志 PDF',
    'diary.team_book': '驻点团队记录本 PDF',
    'diary.preparing': '正在生成…',
    'diary.downloaded': '已下载 ',
  },
  en: {
    'diary.title': 'Diary',
    'diary.write': 'Write an entry',
    'diary.date': 'Date',
    'diary.text': 'What you learned today',
    'diary.text_hint': 'Up to 4000 characters; you can change it for 24 hours',
    'diary.tags': 'Tags',
    'diary.village': 'Village',
    'diary.village_auto': '(your station village or the linked records)',
    'diary.link': 'Link recent contacts',
    'diary.link_none': 'No recent contacts',
    'diary.submit': 'Save entry',
    'diary.saved': 'Entry saved',
    'diary.list': 'Entries',
    'diary.month': 'Month',
    'diary.whose': 'Whose',
    'diary.whose.mine': 'Mine',
    'diary.whose.all': 'Everyone in my area',
    'diary.all_villages': 'All villages',
    'diary.filter': 'Show',
    'diary.empty': 'No entries for this period',
    'diary.more': 'Load more',
    'diary.edit': 'Edit',
    'diary.edit_until': 'editable until {time}',
    'diary.contacts': 'Contacts: ',
    'diary.households': 'Households: ',
    'diary.records': 'Station records',
    'diary.records_hint': 'A4 PDF for a village and month, ready to print and file',
    'diary.station_log': 'Station log PDF',
    'diary.team_book': 'Team record book PDF',
    'diary.preparing': 'Preparing…',
    'diary.downloaded': 'Downloaded ',
  },
});

const TAGS = ['民生', '矛盾', '建议', '产业', '安全', '环境', '政策'];
const METHOD = { home_visit: '入户走访', phone: '电话', wechat: '微信', meeting: '座谈会', reception_day: '接访日', online: '网上', other: '其他' };

/** Today and this month in Asia/Shanghai. */
function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** A select of this month and the twelve before it ("YYYY-MM"). */
function monthField(name, value) {
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const options = [];
  for (let i = 0; i < 13; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    const v = d.toISOString().slice(0, 7);
    options.push({ value: v, label: `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月` });
  }
  return field({ name, label: t('diary.month'), value: value || options[0].value, options });
}

/** The villages in the user's scope: [{code, name}]. */
async function villages(signal) {
  const r = await api.get('/api/v1/regions', { query: { level: 'village', limit: 500 }, signal });
  return r.items.map((v) => ({ code: v.code, name: v.name }));
}

function tagBoxes(selected = []) {
  const box = h('fieldset', { class: 'field diary-tags', 'data-field': 'tags' },
    h('legend', {}, t('diary.tags')),
    h('div', { class: 'badges' }, TAGS.map((tag) => h('label', { class: 'badge badge-off' },
      h('input', { type: 'checkbox', name: 'tag', value: tag, checked: selected.includes(tag) }), ` ${tag}`))),
    h('p', { class: 'field-error', hidden: true }));
  box.input = box.querySelector('input');
  return box;
}

function checkedTags(form) {
  return [...form.querySelectorAll('input[name=tag]:checked')].map((i) => i.value);
}

/** The write form: date, text, tags, village (when the user has several), recent contacts. */
function writeSection(ctx, villageList, onSaved) {
  const box = alertBox();
  const date = field({ name: 'date', label: t('diary.date'), type: 'date', value: today(), required: true, attrs: { max: today() } });
  const text = textArea('text', t('diary.text'), { required: true, rows: 5, hint: t('diary.text_hint') });
  const village = field({ name: 'village_code', label: t('diary.village'),
    options: [{ value: '', label: t('diary.village_auto') }, ...villageList.map((v) => ({ value: v.code, label: v.name }))] });
  const links = h('fieldset', { class: 'field', 'data-field': 'contacts' }, h('legend', {}, t('diary.link')),
    h('div', { class: 'diary-links muted' }, t('common.loading')), h('p', { class: 'field-error', hidden: true }));
  links.input = links;
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, t('diary.submit'));
  const form = h('form', { class: 'form', id: 'diary-form', novalidate: true },
    box, date, text, tagBoxes(), villageList.length > 1 ? village : null, links,
    h('div', { class: 'form-actions' }, button));
  const recent = new Map();
  (async () => {
    try {
      const r = await api.get('/api/v1/contacts', { query: { cadre: ctx.user.id, limit: 8 }, signal: ctx.signal });
      for (const k of r.items) recent.set(String(k.id), k);
      links.children[1].replaceWith(r.items.length
        ? h('div', { class: 'diary-links' }, r.items.map((k) => h('div', { class: 'field-check' },
          h('input', { type: 'checkbox', name: 'contact', value: String(k.id), id: `diary-k-${k.id}` }),
          h('label', { for: `diary-k-${k.id}` }, `${formatTime(k.started_at)} ${METHOD[k.method] || k.method} · `,
            (k.households || []).map((x) => x.head_name).join('、') || k.village.name))))
        : h('p', { class: 'muted' }, t('diary.link_none')));
    } catch (e) {
      if (!isAbort(e)) links.children[1].replaceWith(errorPanel(e));
    }
  })();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form, box);
    const contacts = [...form.querySelectorAll('input[name=contact]:checked')].map((i) => Number(i.value));
    const households = [...new Set(contacts.flatMap((id) => (recent.get(String(id)).households || []).map((x) => x.id)))];
    const body = { date: date.input.value, text: text.input.value, tags: checkedTags(form), contacts, households };
    if (villageList.length > 1 && village.input.value) body.village_code = village.input.value;
    const restore = busy(button);
    try {
      await api.post('/api/v1/diary', body);
      notify(t('diary.saved'));
      text.input.value = '';
      for (const i of form.querySelectorAll('input[type=checkbox]')) i.checked = false;
      onSaved();
    } catch (e) {
      showProblem(form, box, e);
    } finally {
      restore();
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'diary-write-h' }, h('h2', { id: 'diary-write-h' }, t('diary.write')), form);
}

/** The text as paragraphs (line breaks kept without inline styles). */
function paragraphs(text) {
  return text.split('\n').map((line) => h('p', { class: 'diary-line' }, line || '\u00a0'));
}

function entryView(e, onChanged) {
  const item = h('article', { class: 'card diary-entry', 'data-id': String(e.id) });
  function show() {
    item.replaceChildren(...[
      h('p', {}, h('strong', {}, e.date), ' · ', e.author.display_name, ' · ', e.village.name, ' ',
        h('span', { class: 'badges' }, e.tags.map((tag) => h('span', { class: 'badge badge-off' }, tag)))),
      ...paragraphs(e.text),
      e.contacts.length ? h('p', { class: 'muted' }, t('diary.contacts'),
        e.contacts.map((k) => `${formatTime(k.started_at)} ${METHOD[k.method] || k.method}`).join('；')) : null,
      e.households.length ? h('p', { class: 'muted' }, t('diary.households'),
        e.households.map((x) => h('a', { href: `#/household/${x.id}` }, x.head_name)).flatMap((a, i) => (i ? ['、', a] : [a]))) : null,
      e.editable ? h('div', { class: 'form-actions' },
        h('span', { class: 'muted' }, t('diary.edit_until', { time: formatTime(e.editable_until) })),
        h('button', { type: 'button', class: 'btn btn-small diary-edit', onclick: edit }, t('diary.edit'))) : null,
    ].filter(Boolean));
  }
  function edit() {
    const box = alertBox();
    const text = textArea('text', t('diary.text'), { required: true, rows: 5, value: e.text });
    const form = h('form', { class: 'form', novalidate: true }, box, text, tagBoxes(e.tags),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn', onclick: show }, t('common.cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        e = await api.patch(`/api/v1/diary/${e.id}`, { text: text.input.value, tags: checkedTags(form) });
        show();
        onChanged();
      } catch (err) {
        showProblem(form, box, err);
      }
    });
    item.replaceChildren(form);
    text.input.focus();
  }
  show();
  return item;
}

/** The list with its filters: month, and for readers of the area whose and which village. */
function listSection(ctx, villageList) {
  const readsAll = ctx.user.role !== 'cadre';
  const month = monthField('month', ctx.query.get('month'));
  const whose = field({ name: 'whose', label: t('diary.whose'), value: readsAll && ctx.user.role === 'viewer' ? 'all' : 'mine',
    options: [{ value: 'mine', label: t('diary.whose.mine') }, { value: 'all', label: t('diary.whose.all') }] });
  const village = field({ name: 'village', label: t('diary.village'),
    options: [{ value: '', label: t('diary.all_villages') }, ...villageList.map((v) => ({ value: v.code, label: v.name }))] });
  const list = h('div', { class: 'diary-list', id: 'diary-list' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, t('diary.more'));
  let cursor = null;
  async function load(append) {
    const query = { limit: 20 };
    if (month.input.value) query.month = month.input.value;
    if (readsAll && whose.input.value === 'all') {
      query.mine = 0;
      if (village.input.value) query.village = village.input.value;
    }
    if (append && cursor) query.cursor = cursor;
    if (!append) list.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
    try {
      const r = await api.get('/api/v1/diary', { query, signal: ctx.signal });
      const items = r.items.map((e) => entryView(e, () => {}));
      if (append) list.append(...items);
      else list.replaceChildren(...(items.length ? items : [h('p', { class: 'muted' }, t('diary.empty'))]));
      cursor = r.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      if (!isAbort(e)) list.replaceChildren(errorPanel(e, () => load(false)));
    }
  }
  more.addEventListener('click', () => load(true));
  const filters = h('form', { class: 'form form-inline', id: 'diary-filters' }, month,
    readsAll ? whose : null, readsAll ? village : null,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, t('diary.filter'))));
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); load(false); });
  load(false);
  return {
    el: h('section', { 'aria-labelledby': 'diary-list-h' }, h('h2', { id: 'diary-list-h' }, t('diary.list')), filters, list, more),
    reload: () => load(false),
  };
}

/** The two monthly records of a village, as PDF downloads. */
function recordsSection(villageList) {
  const village = field({ name: 'village', label: t('diary.village'), options: villageList.map((v) => ({ value: v.code, label: v.name })) });
  const month = monthField('month');
  const box = alertBox();
  const form = h('form', { class: 'form form-inline', id: 'diary-records' }, box, village, month);
  const button = (kind, label) => {
    const b = h('button', { type: 'button', class: 'btn', 'data-kind': kind }, label);
    b.addEventListener('click', async () => {
      clearErrors(form, box);
      const restore = busy(b, t('diary.preparing'));
      try {
        const path = `/api/v1/villages/${encodeURIComponent(village.input.value)}/records/${kind}.pdf?month=${encodeURIComponent(month.input.value)}`;
        notify(t('diary.downloaded') + await downloadPdf(path, `${kind}-${village.input.value}-${month.input.value}.pdf`));
      } catch (e) {
        if (e instanceof ApiError) showProblem(form, box, e); else notify(String(e), 'error');
      } finally {
        restore();
      }
    });
    return b;
  };
  form.append(h('div', { class: 'form-actions' }, button('station-log', t('diary.station_log')), button('team-book', t('diary.team_book'))));
  return h('section', { class: 'card', 'aria-labelledby': 'diary-records-h' },
    h('h2', { id: 'diary-records-h' }, t('diary.records')), h('p', { class: 'hint' }, t('diary.records_hint')), form);
}

registerPage({
  id: 'diary',
  path: '#/diary',
  title: { zh: '民情日记', en: 'Diary' },
  order: 27,
  async render(root, ctx) {
    root.append(pageHeader(t('diary.title')));
    let villageList = [];
    try {
      villageList = await villages(ctx.signal);
    } catch (e) {
      if (isAbort(e)) return;
      root.append(errorPanel(e));
    }
    const writes = ctx.user.role !== 'viewer';
    const list = listSection(ctx, villageList);
    if (writes) root.append(writeSection(ctx, villageList, list.reload));
    // the two PDFs before the list, which may run long
    if (writes && villageList.length) root.append(recordsSection(villageList));
    root.append(list.el);
  },
});
