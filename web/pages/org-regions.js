// Regions: the tree of the caller's scope (county > town > village > group)
// with expandable nodes, a region's details, and for administrators create,
// rename, move, retire and delete. The chosen region lives in the hash
// (#/org/regions?code=440881104201) so a reload or a link comes back to it.

import { registerPage, navigate, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { t } from '../i18n.js';
import { h, field, pageHeader, errorPanel, confirmDialog } from '../ui.js';
import { tr, LEVELS, levelLabel, formDialog, textField } from './org-common.js';

const ROUTE = '#/org/regions';

function regionHash(code, retired) {
  const p = new URLSearchParams();
  if (code) p.set('code', code);
  if (retired) p.set('retired', '1');
  const s = p.toString();
  return s ? `${ROUTE}?${s}` : ROUTE;
}

function badges(r) {
  return [
    h('span', { class: 'badge' }, levelLabel(r.level)),
    r.retired ? [' ', h('span', { class: 'badge badge-off' }, tr('regions.retired'))] : null,
  ];
}

/** One node of the tree: a list item whose children load on demand (or
 * are given, preloaded). */
function treeNode(r, opts, preloaded) {
  const kids = h('ul', { class: 'plain-list region-children', hidden: true });
  const li = h('li', { class: 'region-node', dataset: { code: r.code } });
  let loaded = false;
  const toggle = r.children > 0 || (preloaded && preloaded.length)
    ? h('button', { type: 'button', class: 'btn btn-small region-toggle', 'aria-expanded': 'false' }, '+')
    : null;
  const fill = (items) => {
    kids.replaceChildren(...items.map((c) => treeNode(c, opts)));
    if (!kids.firstChild) kids.append(h('li', { class: 'muted' }, tr('regions.none')));
  };
  const setOpen = (open) => {
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', `${tr(open ? 'regions.collapse' : 'regions.expand')} ${r.name}`);
    toggle.textContent = open ? '−' : '+';
    kids.hidden = !open;
  };
  async function expand(open) {
    if (!toggle) return;
    setOpen(open);
    if (!open || loaded) return;
    loaded = true;
    try {
      const res = await api.get('/api/v1/regions', {
        query: { parent: r.code, include_retired: opts.retired ? 1 : '', limit: 500 }, signal: opts.signal,
      });
      fill(res.items || []);
    } catch (err) {
      loaded = false;
      if (!isAbort(err)) kids.replaceChildren(h('li', null, errorPanel(err)));
    }
  }
  li.expand = expand;
  li.append(
    h('div', { class: 'region-line' }, toggle, ' ',
      h('a', { href: regionHash(r.code, opts.retired), class: 'region-name', 'aria-current': r.code === opts.selected ? 'true' : null }, r.name),
      ' ', h('span', { class: 'mono muted' }, r.code), ' ', badges(r)),
    kids);
  if (toggle) {
    toggle.addEventListener('click', () => expand(toggle.getAttribute('aria-expanded') !== 'true'));
    setOpen(false);
    if (preloaded) { loaded = true; fill(preloaded); setOpen(true); }
  }
  return li;
}

/** Opens the tree along a path of codes (root first). */
async function openPath(tree, path) {
  for (const p of path) {
    const li = tree.querySelector(`li[data-code="${CSS.escape(p.code)}"]`);
    if (!li) continue;
    const toggle = li.querySelector(':scope > .region-line > .region-toggle');
    if (toggle && toggle.getAttribute('aria-expanded') !== 'true') await li.expand(true);
  }
}

function childLevel(level) {
  const i = LEVELS.indexOf(level);
  return i >= 0 && i + 1 < LEVELS.length ? LEVELS[i + 1] : 'group';
}

function adminActions(r, retired) {
  const again = () => navigate(regionHash(r.code, retired));
  const addChild = () => {
    const level = childLevel(r.level);
    const prefix = level === 'group' ? r.code : r.code.slice(0, { city: 2, county: 4, town: 6, village: 9 }[level] || 0);
    formDialog({
      title: `${tr('regions.add_child')} · ${r.name}`,
      fields: [
        textField('code', tr('regions.f.code'), prefix, { required: true, inputmode: 'numeric', hint: tr('regions.f.code_hint') }),
        textField('name', tr('regions.f.name'), '', { required: true }),
        field({ name: 'level', label: tr('regions.f.level'), required: true, value: level,
          options: LEVELS.map((l) => ({ value: l, label: levelLabel(l) })) }),
      ],
      onSubmit: (v) => api.post('/api/v1/regions', { ...v, parent_code: r.code }),
      done: (c) => { notify(tr('regions.created', { name: c.name })); navigate(regionHash(c.code, retired)); },
    });
  };
  const rename = () => formDialog({
    title: `${tr('regions.rename')} · ${r.name}`,
    fields: [textField('name', tr('regions.f.name'), r.name, { required: true })],
    onSubmit: (v) => api.patch(`/api/v1/regions/${encodeURIComponent(r.code)}`, v),
    done: () => { notify(tr('regions.saved')); again(); },
  });
  const move = () => formDialog({
    title: `${tr('regions.move')} · ${r.name}`,
    fields: [textField('parent_code', tr('regions.f.parent'), r.parent_code || '', { required: true, inputmode: 'numeric' })],
    onSubmit: (v) => api.post(`/api/v1/regions/${encodeURIComponent(r.code)}/move`, v),
    done: () => { notify(tr('regions.saved')); again(); },
  });
  const act = async (question, call, message, after) => {
    if (!(await confirmDialog(question, { danger: true }))) return;
    try {
      await call();
      notify(message);
      after();
    } catch (err) {
      notify(err.detail && err.detail !== err.title ? `${err.title} — ${err.detail}` : err.title || String(err), 'error');
      again();
    }
  };
  const retire = () => act(tr('regions.retire_q', { name: r.name }),
    () => api.post(`/api/v1/regions/${encodeURIComponent(r.code)}/retire`), tr('regions.saved'), again);
  const del = () => act(tr('regions.delete_q', { name: r.name }),
    () => api.del(`/api/v1/regions/${encodeURIComponent(r.code)}`), tr('regions.deleted', { name: r.name }),
    () => navigate(regionHash(r.parent_code, retired)));
  return h('div', { class: 'form-actions region-actions' },
    r.retired ? null : h('button', { type: 'button', class: 'btn', id: 'region-add', onclick: addChild }, tr('regions.add_child')),
    h('button', { type: 'button', class: 'btn', id: 'region-rename', onclick: rename }, tr('regions.rename')),
    h('button', { type: 'button', class: 'btn', id: 'region-move', onclick: move }, tr('regions.move')),
    r.retired ? null : h('button', { type: 'button', class: 'btn', id: 'region-retire', onclick: retire }, tr('regions.retire')),
    h('button', { type: 'button', class: 'btn btn-danger', id: 'region-delete', onclick: del }, tr('regions.delete')));
}

function detailCard(r, canWrite, retired) {
  const desc = Object.entries(r.descendants || {}).map(([l, n]) => `${levelLabel(l)} ${n}`).join('，') || '0';
  return h('section', { class: 'card', id: 'region-detail', 'aria-labelledby': 'region-detail-title' },
    h('h2', { id: 'region-detail-title' }, r.name, ' ', badges(r)),
    h('p', { class: 'muted' }, (r.path || []).map((p) => p.name).join(' › ')),
    h('dl', { class: 'facts' },
      h('div', null, h('dt', null, tr('regions.f.code')), h('dd', { class: 'mono' }, r.code)),
      h('div', null, h('dt', null, tr('regions.children')), h('dd', { id: 'region-descendants' }, desc)),
      h('div', null, h('dt', null, tr('regions.households')), h('dd', { id: 'region-households' }, String(r.households))),
      h('div', null, h('dt', null, tr('regions.users')), h('dd', { id: 'region-users' }, String(r.users)))),
    canWrite ? adminActions(r, retired) : null);
}

registerPage({
  id: 'org-regions',
  path: ROUTE,
  title: { zh: '区域', en: 'Regions' },
  order: 30,
  async render(root, ctx) {
    const selected = ctx.query.get('code') || '';
    const retired = ctx.query.get('retired') === '1';
    const canWrite = ctx.user.role === 'admin';
    const showRetired = field({ name: 'retired', label: tr('regions.show_retired'), checkbox: true, value: retired });
    showRetired.input.addEventListener('change', () => navigate(regionHash(selected, showRetired.input.checked)));
    const detail = h('div');
    const tree = h('ul', { class: 'plain-list region-tree', id: 'region-tree' });
    root.append(pageHeader(tr('regions.title')), h('p', { class: 'lead' }, tr('regions.intro')), detail,
      h('section', { class: 'card' }, showRetired, tree));

    const opts = { signal: ctx.signal, retired, selected };
    const [list, one] = await Promise.all([
      api.get('/api/v1/regions', { query: { include_retired: retired ? 1 : '', limit: 500 }, signal: ctx.signal }),
      selected ? api.get(`/api/v1/regions/${encodeURIComponent(selected)}`, { signal: ctx.signal }).catch((e) => e) : null,
    ]);
    // the answer holds the scope root and its children: nest them
    const items = list.items || [];
    const codes = new Set(items.map((r) => r.code));
    const roots = items.filter((r) => !r.parent_code || !codes.has(r.parent_code));
    for (const r of roots) tree.append(treeNode(r, opts, items.filter((c) => c.parent_code === r.code)));
    if (one && !(one instanceof Error)) {
      detail.append(detailCard(one, canWrite, retired));
      await openPath(tree, one.path || []);
    } else if (one instanceof Error && !isAbort(one)) {
      detail.append(errorPanel(one));
    }
  },
});
