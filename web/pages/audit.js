// Audit log (admin): filter by user id, entity, action and dates; each row
// opens a before/after view of what changed. Filters live in the hash
// (#/audit?entity=user&action=user.create&from=2026-03-01).

import { registerPage, navigate } from '../app.js';
import { api, isAbort } from '../api.js';
import { t } from '../i18n.js';
import { h, field, alertBox, showMessage, clearErrors, showErrors, showProblem, pageHeader, dataTable, errorPanel, busy, formatTime, countText, pageSize } from '../ui.js';

const FILTERS = ['user', 'entity', 'action', 'from', 'to'];
// The township's offset: dates typed in the form are local (UTC+8) days.
const OFFSET_MS = 8 * 3600 * 1000;

/** "2026-03-01" -> the UTC instant its day starts (or, end=true, its last second) at UTC+8. */
export function dayBound(day, end) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return '';
  let ms = Date.UTC(+m[1], +m[2] - 1, +m[3]) - OFFSET_MS;
  if (end) ms += 24 * 3600 * 1000 - 1000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function parseMaybe(v) {
  if (typeof v !== 'string') return v ?? null;
  try { return JSON.parse(v); } catch (_) { return v; }
}

/** Flattens an object to [path, text] pairs: {a: {b: 1}} -> [['a.b', '1']]. */
export function flatten(v, prefix = '', out = new Map()) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (!keys.length && prefix) out.set(prefix, '{}');
    for (const k of keys) flatten(v[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix || v !== null) {
    out.set(prefix || '(value)', typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

function diffView(row) {
  const before = parseMaybe(row.before);
  const after = parseMaybe(row.after);
  const parts = [];
  if (before == null && after == null) {
    parts.push(h('p', { class: 'muted' }, t('audit.diff.none')));
  } else {
    const a = flatten(before);
    const b = flatten(after);
    const keys = [...b.keys()];
    for (const k of a.keys()) if (!b.has(k)) keys.push(k);
    const L = { f: t('audit.diff.field'), b: t('audit.diff.before'), a: t('audit.diff.after') };
    const cell = (m, k, label) => (m.has(k)
      ? h('td', { 'data-label': label, class: 'mono' }, m.get(k))
      : h('td', { 'data-label': label, class: 'mono muted' }, '—'));
    parts.push(h('table', { class: 'diff' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, L.f), h('th', { scope: 'col' }, L.b), h('th', { scope: 'col' }, L.a))),
      h('tbody', null, keys.map((k) => {
        // On a creation or removal every field "changes"; mark only real edits.
        const changed = before != null && after != null && a.get(k) !== b.get(k);
        return h('tr', { class: changed ? 'changed' : null },
          h('th', { scope: 'row', 'data-label': L.f }, k, changed ? h('span', { class: 'sr-only' }, ` (${t('audit.diff.changed')})`) : null),
          cell(a, k, L.b), cell(b, k, L.a));
      }))));
  }
  if (row.hash) parts.push(h('p', { class: 'hash' }, `${t('audit.hash')}: `, h('span', { class: 'mono' }, row.hash)));
  return h('div', { class: 'diff-wrap' }, parts);
}

registerPage({
  id: 'audit',
  path: '#/audit',
  title: { zh: '审计日志', en: 'Audit log' },
  roles: ['admin'],
  order: 30,
  render(root, ctx) {
    const f = {};
    for (const k of FILTERS) f[k] = ctx.query.get(k) || '';

    const box = alertBox();
    const fields = {
      user: field({ name: 'user', label: t('audit.filter.user'), value: f.user, inputmode: 'numeric', attrs: { pattern: '[0-9]*' } }),
      entity: field({ name: 'entity', label: t('audit.filter.entity'), value: f.entity, attrs: { autocapitalize: 'none', spellcheck: 'false' } }),
      action: field({ name: 'action', label: t('audit.filter.action'), value: f.action, attrs: { autocapitalize: 'none', spellcheck: 'false' } }),
      from: field({ name: 'from', label: t('audit.filter.from'), type: 'date', value: f.from }),
      to: field({ name: 'to', label: t('audit.filter.to'), type: 'date', value: f.to }),
    };
    const any = FILTERS.some((k) => f[k]);
    const filters = h('form', { class: 'filters filters-audit', role: 'search', id: 'audit-filters', novalidate: true },
      box, Object.values(fields),
      h('div', { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.search')),
        any ? h('a', { class: 'btn', href: '#/audit' }, t('common.reset')) : null));
    filters.addEventListener('submit', (e) => {
      e.preventDefault();
      clearErrors(filters, box);
      const v = {};
      for (const k of FILTERS) v[k] = fields[k].input.value.trim();
      if (v.from && v.to && v.from > v.to) {
        showErrors(filters, [{ field: 'to', message: t('audit.bad_range') }]);
        showMessage(box, t('error.fix_fields'));
        return;
      }
      const p = new URLSearchParams();
      for (const k of FILTERS) if (v[k]) p.set(k, v[k]);
      const s = p.toString();
      navigate(s ? `#/audit?${s}` : '#/audit');
    });

    const table = dataTable([
      { key: 'at', label: t('audit.col.time'), class: 'col-time', render: (r) => formatTime(r.at, { seconds: true }) },
      { key: 'user', label: t('audit.col.user'), render: (r) => (r.user_id ? `${r.username || ''} (#${r.user_id})` : (r.username && r.username !== 'system' ? r.username : t('audit.system'))) },
      { key: 'addr', label: t('audit.col.addr'), class: 'mono' },
      { key: 'action', label: t('audit.col.action'), class: 'mono' },
      { key: 'entity', label: t('audit.col.entity'), class: 'mono' },
      { key: 'entity_id', label: t('audit.col.id'), class: 'mono' },
    ], {
      rowKey: (r) => r.id,
      caption: t('audit.title'),
      class: 'audit-table',
      expand: diffView,
      expandHeader: t('audit.col.details'),
      expandLabels: [t('audit.show_diff'), t('audit.hide_diff')],
    });
    const listArea = h('div', { class: 'list-area' });
    const empty = h('p', { class: 'empty', hidden: true }, t('common.empty'));
    const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
    const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
    listArea.append(table.el, empty, countLine, more);

    const query = {
      user: f.user, entity: f.entity, action: f.action,
      from: dayBound(f.from, false), to: dayBound(f.to, true), limit: pageSize(ctx.query),
    };
    let cursor = null;
    async function load() {
      const done = busy(more, t('common.loading'));
      try {
        const res = await api.get('/api/v1/audit', { query: { ...query, cursor }, signal: ctx.signal });
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
        if (err.status === 422 && err.errors && err.errors.length) {
          // A filter the server refuses: say so at the filter.
          filterBox.open = true;
          showProblem(filters, box, err);
          return;
        }
        const panel = errorPanel(err, () => { panel.remove(); load(); });
        listArea.append(panel);
      }
    }
    more.addEventListener('click', load);

    // On a phone the five filters fold away unless some are in use.
    const wide = window.matchMedia('(min-width: 720px)').matches;
    const filterBox = h('details', { class: 'card filter-box', open: wide || any },
      h('summary', null, t('audit.filters'), any ? h('span', { class: 'filter-count' }, ` (${FILTERS.filter((k) => f[k]).length})`) : null),
      filters);
    root.append(pageHeader(t('audit.title')),
      h('p', { class: 'lead' }, t('audit.intro')),
      filterBox,
      listArea);
    return load();
  },
});
