// ui.js: small DOM helpers shared by the pages. Text always goes in as text
// nodes (never innerHTML), classes instead of inline styles (the CSP forbids
// them).

import { t } from './i18n.js';
import { ApiError } from './api.js';

/**
 * h('button', {class: 'btn', type: 'button', onclick: fn}, 'text', child...)
 * Props: class, dataset, for, on<event> functions, boolean properties
 * (disabled, hidden, checked, required, ...), value; the rest become
 * attributes. null/undefined/false props and children are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'for') el.htmlFor = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (v === true) { el.setAttribute(k, ''); if (k in el) el[k] = true; }
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

let uid = 0;
/** A unique element id with a prefix. */
export function newId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Page heading with optional actions on the right. */
export function pageHeader(title, ...actions) {
  actions = actions.filter(Boolean);
  return h('div', { class: 'page-head' },
    h('h1', { tabindex: '-1' }, title),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

/**
 * A labelled form field. spec: {name, label, type='text', value, hint,
 * required, autocomplete, inputmode, options:[{value,label}] (select),
 * checkbox: true, attrs: {...extra input attributes}}.
 * Returns the wrapper; its input is wrapper.input. The error line is filled
 * by showErrors().
 */
export function field(spec) {
  const id = newId(`f-${spec.name}`);
  const hintId = spec.hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  const describedBy = [hintId, errId].filter(Boolean).join(' ');
  let input;
  if (spec.options) {
    input = h('select', { id, name: spec.name, required: spec.required, 'aria-describedby': describedBy, ...(spec.attrs || {}) },
      spec.options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(spec.value ?? '') }, o.label)));
  } else if (spec.checkbox) {
    input = h('input', { id, name: spec.name, type: 'checkbox', checked: !!spec.value, 'aria-describedby': describedBy, ...(spec.attrs || {}) });
  } else {
    input = h('input', {
      id, name: spec.name, type: spec.type || 'text', value: spec.value ?? '',
      required: spec.required, autocomplete: spec.autocomplete || 'off', inputmode: spec.inputmode,
      'aria-describedby': describedBy, ...(spec.attrs || {}),
    });
  }
  const label = h('label', { for: id }, spec.label,
    spec.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const wrap = spec.checkbox
    ? h('div', { class: 'field field-check' }, input, label,
      spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null,
      h('p', { class: 'field-error', id: errId, hidden: true }))
    : h('div', { class: 'field' }, label,
      spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null,
      input,
      h('p', { class: 'field-error', id: errId, hidden: true }));
  wrap.input = input;
  wrap.dataset.field = spec.name;
  return wrap;
}

/** An alert box (role=alert) that showProblem() fills; starts hidden. */
export function alertBox() {
  return h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
}

/** A polite status line for successes. */
export function statusBox() {
  return h('div', { class: 'alert alert-ok', role: 'status', hidden: true });
}

/** Shows a message (and optional detail) in an alert or status box. */
export function showMessage(box, title, detail) {
  box.replaceChildren(h('p', { class: 'alert-title' }, title));
  if (detail && detail !== title) box.append(h('p', { class: 'alert-detail' }, detail));
  box.hidden = false;
}

export function hideBox(box) {
  box.hidden = true;
  box.replaceChildren();
}

/** Removes the field errors and the alert of a form. */
export function clearErrors(form, box) {
  for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (box) hideBox(box);
}

/**
 * Sets field errors: errors is [{field, message}] (problem.errors[] or
 * client checks). Returns the errors whose field is not in the form.
 */
export function showErrors(form, errors) {
  const rest = [];
  let first = null;
  for (const e of errors) {
    const wrap = e.field ? form.querySelector(`[data-field="${CSS.escape(e.field)}"]`) : null;
    if (!wrap) { rest.push(e); continue; }
    const p = wrap.querySelector('.field-error');
    p.textContent = p.textContent ? `${p.textContent}；${e.message}` : e.message;
    p.hidden = false;
    wrap.input.setAttribute('aria-invalid', 'true');
    if (!first) first = wrap.input;
  }
  if (first) first.focus();
  return rest;
}

/**
 * Shows an error from the API in a form: field errors under their fields,
 * the problem's title and detail (and any field errors with no field in the
 * form) in the alert box. Non-API errors show their message.
 */
export function showProblem(form, box, err) {
  clearErrors(form, box);
  if (!(err instanceof ApiError)) {
    showMessage(box, t('error.page_failed'), String((err && err.message) || err));
    box.focus && box.focus();
    return;
  }
  const rest = showErrors(form, err.errors);
  const detail = [err.detail && err.detail !== err.title ? err.detail : '',
    ...rest.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message))].filter(Boolean).join('\n');
  showMessage(box, err.title, detail);
  box.dataset.code = err.code;
}

/** A block showing an error that stops a page from loading, with a retry button. */
export function errorPanel(err, retry) {
  const title = err instanceof ApiError ? err.title : t('error.page_failed');
  const detail = err instanceof ApiError ? err.detail : String((err && err.message) || err);
  return h('div', { class: 'alert alert-error', role: 'alert', dataset: { code: err && err.code ? err.code : '' } },
    h('p', { class: 'alert-title' }, title),
    detail && detail !== title ? h('p', { class: 'alert-detail' }, detail) : null,
    err instanceof ApiError && err.requestId ? h('p', { class: 'alert-detail muted' }, `${t('error.request_id')}: ${err.requestId}`) : null,
    retry ? h('button', { type: 'button', class: 'btn', onclick: retry }, t('common.retry')) : null);
}

/** Sets a button busy (disabled, label swapped) and returns a function that restores it. */
export function busy(button, label) {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (label) button.textContent = label;
  return () => {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = old;
  };
}

/**
 * A table that becomes stacked cards on a phone. columns:
 * [{key, label, render(row) -> node|string, class}]. Each cell carries
 * data-label for the card view. Returns {el, tbody, add(rows), replace(key,
 * row), remove(key), clear(), count()}; opts.rowKey(row) names rows, opts.expand(row)
 * (optional) returns the node shown under a row when its toggle is pressed,
 * with opts.expandLabels [show, hide].
 */
export function dataTable(columns, opts = {}) {
  const thead = h('thead', null, h('tr', null,
    columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)),
    opts.expand ? h('th', { scope: 'col', class: 'col-toggle' }, opts.expandHeader || '') : null));
  const tbody = h('tbody');
  const table = h('table', { class: ['data', opts.class] }, opts.caption ? h('caption', { class: 'sr-only' }, opts.caption) : null, thead, tbody);
  const wrap = h('div', { class: 'table-wrap' }, table);
  const byKey = new Map();
  let n = 0;

  function rowNodes(row) {
    const key = opts.rowKey ? String(opts.rowKey(row)) : String(n);
    const tr = h('tr', { dataset: { key } },
      columns.map((c) => {
        const v = c.render ? c.render(row) : row[c.key];
        return h('td', { 'data-label': c.label, class: c.class }, v === undefined || v === null || v === '' ? '—' : v);
      }));
    const nodes = [tr];
    if (opts.expand) {
      const detailId = newId('detail');
      const detail = h('tr', { class: 'detail-row', id: detailId, hidden: true },
        h('td', { colspan: String(columns.length + 1) }));
      const [showLabel, hideLabel] = opts.expandLabels || ['+', '−'];
      const btn = h('button', {
        type: 'button', class: 'btn btn-small toggle', 'aria-expanded': 'false', 'aria-controls': detailId,
        onclick: () => {
          const open = btn.getAttribute('aria-expanded') !== 'true';
          btn.setAttribute('aria-expanded', String(open));
          btn.textContent = open ? hideLabel : showLabel;
          if (open && !detail.firstChild.firstChild) detail.firstChild.appendChild(opts.expand(row));
          detail.hidden = !open;
          tr.classList.toggle('expanded', open);
        },
      }, showLabel);
      tr.appendChild(h('td', { class: 'col-toggle', 'data-label': opts.expandHeader || '' }, btn));
      nodes.push(detail);
    }
    return { key, nodes };
  }

  return {
    el: wrap,
    table,
    tbody,
    add(rows) {
      for (const row of rows) {
        const { key, nodes } = rowNodes(row);
        for (const node of nodes) tbody.appendChild(node);
        byKey.set(key, nodes);
        n += 1;
      }
    },
    prepend(row) {
      const { key, nodes } = rowNodes(row);
      for (const node of nodes.reverse()) tbody.insertBefore(node, tbody.firstChild);
      byKey.set(key, nodes.reverse());
      n += 1;
    },
    replace(key, row) {
      const old = byKey.get(String(key));
      if (!old) return;
      const { nodes } = rowNodes(row);
      old[0].replaceWith(...nodes);
      for (const o of old.slice(1)) o.remove();
      byKey.set(String(key), nodes);
    },
    remove(key) {
      const old = byKey.get(String(key));
      if (!old) return;
      for (const o of old) o.remove();
      byKey.delete(String(key));
      n -= 1;
    },
    clear() { tbody.replaceChildren(); byKey.clear(); n = 0; },
    count() { return n; },
  };
}

/**
 * A modal dialog. Returns {dialog, body, close}. onClose runs once when it
 * closes by any means (Esc, close button, close()). The dialog is removed
 * from the document when closed.
 */
export function openDialog({ title, content, onClose, class: cls }) {
  const titleId = newId('dlg-title');
  const closeBtn = h('button', { type: 'button', class: 'btn btn-quiet dialog-close', 'aria-label': t('common.close') }, '×');
  const body = h('div', { class: 'dialog-body' }, content);
  const dialog = h('dialog', { class: ['dialog', cls], 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, title), closeBtn),
    body);
  let closed = false;
  const close = () => { if (dialog.open) dialog.close(); };
  dialog.addEventListener('close', () => {
    if (closed) return;
    closed = true;
    dialog.remove();
    if (onClose) onClose();
  });
  closeBtn.addEventListener('click', close);
  document.body.appendChild(dialog);
  dialog.showModal();
  const first = body.querySelector('input:not([type=hidden]), select, textarea');
  if (first) first.focus();
  return { dialog, body, close };
}

/** Asks a yes/no question in a dialog; resolves true for OK. */
export function confirmDialog(message, { okLabel, danger } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] }, okLabel || t('common.confirm'));
    const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
    const d = openDialog({
      title: okLabel || t('common.confirm'),
      content: [h('p', null, message), h('div', { class: 'form-actions' }, cancel, ok)],
      onClose: () => resolve(answer),
    });
    ok.addEventListener('click', () => { answer = true; d.close(); });
    cancel.addEventListener('click', () => d.close());
    cancel.focus();
  });
}

/**
 * "2026-03-02T09:05:07+08:00" -> "2026-03-02 09:05:07", keeping the time as
 * the server wrote it (the township's local time). Other text is returned
 * as is, empty for null.
 */
export function formatTime(s, { seconds = false } = {}) {
  if (!s) return '';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?/.exec(String(s));
  if (!m) return String(s);
  return `${m[1]} ${m[2]}${seconds && m[3] ? m[3] : ''}`;
}

/** Copies text to the clipboard; resolves true on success. */
export async function copyText(text, fallbackInput) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall through */ }
  if (fallbackInput) {
    fallbackInput.focus();
    fallbackInput.select();
    try { return document.execCommand('copy'); } catch (_) { return false; }
  }
  return false;
}

/** The form's named controls as an object of trimmed strings (checkboxes as booleans). */
export function formValues(form, { trim = true } = {}) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'password') out[el.name] = el.value;
    else out[el.name] = trim ? el.value.trim() : el.value;
  }
  return out;
}

/** "已显示 50 条" while more can be loaded, "共 7 条，已全部显示" at the end. */
export function countText(n, more) {
  if (!n) return '';
  return more ? t('common.shown', { n }) : t('common.shown_all', { n });
}

/** List page size: 50, or ?limit= from the hash (1..500), e.g. to try "load more". */
export function pageSize(query, fallback = 50) {
  const n = parseInt((query && query.get('limit')) || '', 10);
  return n >= 1 && n <= 500 ? n : fallback;
}
