// confirm.js: 请户主确认 (#/contacts/:id/confirm), the household confirms a
// home visit on the cadre's phone: a signature drawn with a finger (sent as
// a PNG) or a 6-digit code the household reads from an SMS to its phone
// (shown masked). :id is the contact's id, or the UUID the record page gave
// it (the page waits until the outbox has sent it). Everyone who can read
// the contact sees how it was confirmed; only the author or a cadre present
// can collect it, within 7 days.

import { registerPage } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { h, field, pageHeader, alertBox, showMessage, hideBox, clearErrors, showErrors, showProblem, errorPanel, formatTime, busy } from '../ui.js';
import { uploadPhoto } from './appeals.js';

addStrings({
  zh: {
    'confirm.title': '请户主确认',
    'confirm.ask': '请户主确认',
    'confirm.waiting': '这条记录正在上传，上传后即可请户主确认…',
    'confirm.visit': '{time} · {households}',
    'confirm.s.none': '未确认',
    'confirm.s.pending': '等待输入验证码',
    'confirm.s.confirmed': '户主已确认',
    'confirm.by.signature': '签名确认',
    'confirm.by.sms_code': '短信验证码确认',
    'confirm.done': '{how}：{who}，{time}',
    'confirm.collected_by': '经办干部：{name}',
    'confirm.signature_alt': '户主签名',
    'confirm.cannot.method': '只有走访了农户的入户走访才能请户主确认。',
    'confirm.cannot.late': '走访已超过 7 天（{deadline} 截止），不能再请户主确认。',
    'confirm.cannot.who': '只有记录人或在场的干部可以请户主确认。',
    'confirm.deadline': '请在 {deadline} 前完成确认',
    'confirm.household': '确认的农户',
    'confirm.member': '确认人姓名（选填）',
    'confirm.member_hint': '不填则视为户主本人',
    'confirm.tab.sign': '手机签名',
    'confirm.tab.sms': '短信验证码',
    'confirm.no_gateway': '本系统尚未配置短信网关，发不了验证码，请户主在手机上签名确认。',
    'confirm.sign_hint': '请户主用手指在下面框内签名',
    'confirm.pad': '签名板',
    'confirm.clear': '清除',
    'confirm.submit_sign': '提交签名',
    'confirm.need_sign': '请先在框内签名',
    'confirm.no_phone': '该户没有登记手机号码，请改用手机签名。',
    'confirm.sms_to': '验证码将发送到户主手机 {phone}',
    'confirm.send': '发送验证码',
    'confirm.resend_in': '{s} 秒后可重发',
    'confirm.sent': '已发送到 {phone}，{time} 前有效，还可输错 {n} 次',
    'confirm.expired': '验证码已过期，请重新发送',
    'confirm.locked': '输错次数过多，请重新发送验证码',
    'confirm.sends_left': '24 小时内还可发送 {n} 次',
    'confirm.code': '户主收到的 6 位验证码',
    'confirm.check': '确认',
    'confirm.need_code': '请输入 6 位数字验证码',
    'confirm.ok': '户主已确认这次走访',
    'confirm.back': '返回',
  },
  en: {
    'confirm.title': 'Household confirmation',
    'confirm.ask': 'Ask the household to confirm',
    'confirm.waiting': 'The record is still uploading; the household can confirm once it is stored…',
    'confirm.visit': '{time} · {households}',
    'confirm.s.none': 'Not confirmed',
    'confirm.s.pending': 'Waiting for the code',
    'confirm.s.confirmed': 'Confirmed by the household',
    'confirm.by.signature': 'Signature',
    'confirm.by.sms_code': 'SMS code',
    'confirm.done': '{how}: {who}, {time}',
    'confirm.collected_by': 'Collected by {name}',
    'confirm.signature_alt': 'Household signature',
    'confirm.cannot.method': 'Only a home visit with households can be confirmed by the household.',
    'confirm.cannot.late': 'The visit is more than 7 days ago (deadline {deadline}); it can no longer be confirmed.',
    'confirm.cannot.who': 'Only the author or a cadre present can ask the household to confirm.',
    'confirm.deadline': 'Confirm before {deadline}',
    'confirm.household': 'Household',
    'confirm.member': 'Name of the person confirming (optional)',
    'confirm.member_hint': 'Leave empty for the head of household',
    'confirm.tab.sign': 'Signature',
    'confirm.tab.sms': 'SMS code',
    'confirm.no_gateway': 'No SMS gateway is set up, so no code can be sent: ask the household to sign on the phone.',
    'confirm.sign_hint': 'Ask the household to sign in the box with a finger',
    'confirm.pad': 'Signature pad',
    'confirm.clear': 'Clear',
    'confirm.submit_sign': 'Submit signature',
    'confirm.need_sign': 'Sign in the box first',
    'confirm.no_phone': 'The household has no mobile number on file; use a signature.',
    'confirm.sms_to': 'The code goes to the household\'s phone {phone}',
    'confirm.send': 'Send code',
    'confirm.resend_in': 'Resend in {s} s',
    'confirm.sent': 'Sent to {phone}; valid until {time}; {n} tries left',
    'confirm.expired': 'The code has expired; send a new one',
    'confirm.locked': 'Too many wrong codes; send a new one',
    'confirm.sends_left': '{n} more codes can be sent in 24 hours',
    'confirm.code': '6-digit code the household received',
    'confirm.check': 'Confirm',
    'confirm.need_code': 'Enter the 6-digit code',
    'confirm.ok': 'The household confirmed the visit',
    'confirm.back': 'Back',
  },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WAIT_MS = 2000;
const WAIT_TRIES = 30;

/** The confirmation page's URL for a contact (id or UUID). */
export function confirmHref(id) {
  return `#/contacts/${encodeURIComponent(id)}/confirm`;
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
});

/** The confirmation; for a UUID not stored yet, waits for the outbox to send it. */
async function loadConfirmation(id, ctx, onWait) {
  for (let i = 0; ; i++) {
    try {
      return await api.get(`/api/v1/contacts/${encodeURIComponent(id)}/confirmation`, { signal: ctx.signal });
    } catch (e) {
      if (isAbort(e) || !UUID.test(id) || e.status !== 404 || i >= WAIT_TRIES) throw e;
      onWait();
      await sleep(WAIT_MS, ctx.signal);
    }
  }
}

/**
 * A signature pad: a canvas drawn on with a finger, a pen or a mouse
 * (pointer events), white background so the PNG reads anywhere.
 * Returns {el, canvas, clear(), isEmpty(), toBlob()}.
 */
function signaturePad(onStroke) {
  const canvas = h('canvas', { id: 'confirm-canvas', class: 'card cf-pad', role: 'img', 'aria-label': t('confirm.pad') });
  let strokes = 0;
  let last = null;
  let g = null;

  function setup() {
    const scale = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, Math.round(canvas.clientWidth * scale));
    const hh = Math.max(1, Math.round(canvas.clientHeight * scale));
    if (canvas.width === w && canvas.height === hh && g) return;
    canvas.width = w;
    canvas.height = hh;
    g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, w, hh);
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.strokeStyle = '#111';
    g.lineWidth = 3 * scale;
    strokes = 0;
  }
  function point(ev) {
    const r = canvas.getBoundingClientRect();
    return { x: (ev.clientX - r.left) * (canvas.width / r.width), y: (ev.clientY - r.top) * (canvas.height / r.height) };
  }
  canvas.addEventListener('pointerdown', (ev) => {
    setup();
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    last = point(ev);
    g.beginPath();
    g.arc(last.x, last.y, g.lineWidth / 2, 0, Math.PI * 2);
    g.fillStyle = '#111';
    g.fill();
    strokes += 1;
    if (onStroke) onStroke();
  });
  canvas.addEventListener('pointermove', (ev) => {
    if (!last) return;
    ev.preventDefault();
    const p = point(ev);
    g.beginPath();
    g.moveTo(last.x, last.y);
    g.lineTo(p.x, p.y);
    g.stroke();
    last = p;
    strokes += 1;
  });
  const end = () => { last = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return {
    el: canvas,
    canvas,
    setup,
    clear() { g = null; canvas.width = 0; setup(); },
    isEmpty() { return strokes < 3; },
    toBlob() { return new Promise((resolve) => canvas.toBlob(resolve, 'image/png')); },
  };
}

function howText(method) {
  return method === 'signature' || method === 'sms_code' ? t(`confirm.by.${method}`) : '';
}

/** What is known about the confirmation: status badge, who and when, the signature. */
function statusCard(conf) {
  const badge = conf.status === 'confirmed' ? 'badge badge-on' : conf.status === 'pending' ? 'badge badge-warn' : 'badge badge-off';
  const card = h('section', { class: 'card', id: 'confirm-status', dataset: { status: conf.status, method: conf.method } },
    h('p', null, h('span', { class: badge }, t(`confirm.s.${conf.status}`))));
  if (conf.status === 'confirmed') {
    const who = conf.member_name || (conf.household && conf.household.head_name) || '';
    card.append(h('p', null, t('confirm.done', { how: howText(conf.method), who, time: formatTime(conf.confirmed_at) })));
    if (conf.confirmed_by) card.append(h('p', { class: 'muted' }, t('confirm.collected_by', { name: conf.confirmed_by.display_name })));
    if (conf.signature) {
      const img = h('img', { src: conf.signature.url, alt: t('confirm.signature_alt'), id: 'confirm-signature', class: 'cf-signature', width: 320 });
      card.append(img);
    }
  }
  return card;
}

function cannotText(conf, contact) {
  if (contact.method !== 'home_visit' || !conf.households.length) return t('confirm.cannot.method');
  if (conf.deadline && Date.parse(conf.deadline) <= Date.now()) return t('confirm.cannot.late', { deadline: formatTime(conf.deadline) });
  return t('confirm.cannot.who');
}

async function render(root, ctx) {
  const id = ctx.params.id;
  const timers = new Set();
  const head = pageHeader(t('confirm.title'));
  const body = h('div', { class: 'confirm-body' });
  root.append(head, body);
  const waitNote = h('p', { class: 'alert alert-info', role: 'status', id: 'confirm-wait' }, t('confirm.waiting'));

  let conf;
  let contact;
  try {
    conf = await loadConfirmation(id, ctx, () => { if (!waitNote.isConnected) body.append(waitNote); });
    contact = await api.get(`/api/v1/contacts/${conf.contact_id}`, { signal: ctx.signal });
  } catch (e) {
    if (isAbort(e)) return undefined;
    body.replaceChildren(errorPanel(e, () => { root.replaceChildren(); render(root, ctx); }));
    return undefined;
  }
  const cid = conf.contact_id;
  if (UUID.test(id)) history.replaceState(null, '', confirmHref(cid));

  const visit = h('section', { class: 'card' },
    h('p', null, h('strong', null, t('confirm.visit', {
      time: formatTime(contact.started_at),
      households: (contact.households || []).map((x) => x.head_name).join('、'),
    }))),
    h('p', { class: 'muted ap-desc' }, contact.summary));

  function draw() {
    for (const tm of timers) clearInterval(tm);
    timers.clear();
    body.replaceChildren(visit, statusCard(conf));
    if (conf.status === 'confirmed') return;
    if (!conf.can_confirm) {
      body.append(h('p', { class: 'alert alert-warn', id: 'confirm-cannot' }, cannotText(conf, contact)));
      return;
    }
    body.append(collectForm());
  }

  function collectForm() {
    const box = alertBox();
    const hhs = conf.households;
    const chosenId = () => Number(hhField ? hhField.input.value : hhs[0].id);
    const chosen = () => hhs.find((x) => x.id === chosenId()) || hhs[0];
    const hhField = hhs.length > 1 ? field({
      name: 'household_id', label: t('confirm.household'),
      value: conf.household ? conf.household.id : hhs[0].id,
      options: hhs.map((x) => ({ value: x.id, label: `${x.head_name} ${x.code}` })),
    }) : null;
    const member = field({ name: 'member_name', label: t('confirm.member'), hint: t('confirm.member_hint'), value: conf.member_name || '', attrs: { maxlength: '50' } });
    const who = () => ({ household_id: chosenId(), member_name: member.input.value.trim() || undefined });

    const signPanel = signPanelFor(box, who);
    const smsPanel = smsPanelFor(box, who, chosen);
    const tabs = ['sign', 'sms'].map((k) => h('button', {
      type: 'button', class: 'ap-tab', id: `confirm-tab-${k}`, role: 'tab',
      onclick: () => show(k),
    }, t(`confirm.tab.${k}`)));
    function show(k) {
      tabs.forEach((b, i) => {
        const on = ['sign', 'sms'][i] === k;
        b.classList.toggle('is-active', on);
        b.setAttribute('aria-selected', String(on));
      });
      signPanel.el.hidden = k !== 'sign';
      smsPanel.el.hidden = k !== 'sms';
      hideBox(box);
      if (k === 'sign') signPanel.pad.setup();
      else smsPanel.refresh();
    }
    if (hhField) hhField.input.addEventListener('change', () => smsPanel.refresh());
    const form = h('form', { class: 'form', id: 'confirm-form', novalidate: true, onsubmit: (ev) => ev.preventDefault() },
      h('p', { class: 'hint' }, t('confirm.deadline', { deadline: formatTime(conf.deadline) })),
      box, hhField, member, h('div', { class: 'ap-tabs', role: 'tablist' }, tabs), signPanel.el, smsPanel.el);
    queueMicrotask(() => show(conf.status === 'pending' ? 'sms' : 'sign'));
    return form;
  }

  function signPanelFor(box, who) {
    const pad = signaturePad(() => hideBox(box));
    const clear = h('button', { type: 'button', class: 'btn', id: 'confirm-clear', onclick: () => pad.clear() }, t('confirm.clear'));
    const submit = h('button', { type: 'button', class: 'btn btn-primary', id: 'confirm-sign-submit' }, t('confirm.submit_sign'));
    submit.addEventListener('click', async () => {
      clearErrors(submit.form, box);
      if (pad.isEmpty()) { showMessage(box, t('confirm.need_sign')); return; }
      const done = busy(submit);
      try {
        const blob = await pad.toBlob();
        const w = who();
        const q = new URLSearchParams({ household_id: String(w.household_id) });
        if (w.member_name) q.set('member_name', w.member_name);
        conf = await uploadPhoto(`/api/v1/contacts/${cid}/confirmation/signature?${q}`, blob);
        draw();
      } catch (e) {
        done();
        showProblem(submit.form, box, e);
      }
    });
    const el = h('div', { class: 'confirm-panel', id: 'confirm-sign', role: 'tabpanel' },
      h('p', { class: 'hint' }, t('confirm.sign_hint')), pad.el,
      h('div', { class: 'form-actions' }, clear, submit));
    return { el, pad };
  }

  function smsPanelFor(box, who, chosen) {
    const info = h('p', { class: 'hint', id: 'confirm-sms-info' });
    const state = h('p', { class: 'muted', id: 'confirm-sms-state', role: 'status' });
    const send = h('button', { type: 'button', class: 'btn', id: 'confirm-send' }, t('confirm.send'));
    const code = field({ name: 'code', label: t('confirm.code'), inputmode: 'numeric', autocomplete: 'one-time-code', attrs: { maxlength: '6', pattern: '[0-9]{6}', id: 'confirm-code' } });
    const check = h('button', { type: 'button', class: 'btn btn-primary', id: 'confirm-check' }, t('confirm.check'));
    const entry = h('div', null, code, h('div', { class: 'form-actions' }, check));

    function refresh() {
      const hh = chosen();
      for (const tm of timers) clearInterval(tm);
      timers.clear();
      if (conf.sms_available === false || !hh.has_phone) {
        info.textContent = t(conf.sms_available === false ? 'confirm.no_gateway' : 'confirm.no_phone');
        send.disabled = true;
        entry.hidden = true;
        state.textContent = '';
        return;
      }
      info.textContent = t('confirm.sms_to', { phone: hh.phone_mask || '' });
      const c = conf.code;
      entry.hidden = !(c && c.state === 'pending');
      if (!c) state.textContent = '';
      else if (c.state === 'pending') state.textContent = t('confirm.sent', { phone: c.phone_mask, time: formatTime(c.expires_at), n: c.tries_left });
      else state.textContent = t(c.state === 'locked' ? 'confirm.locked' : 'confirm.expired');
      if (conf.sends_left < 5) state.append(' · ', t('confirm.sends_left', { n: conf.sends_left }));
      const until = conf.resend_at ? Date.parse(conf.resend_at) : 0;
      const tick = () => {
        const s = Math.ceil((until - Date.now()) / 1000);
        send.disabled = s > 0;
        send.textContent = s > 0 ? t('confirm.resend_in', { s }) : t('confirm.send');
        return s > 0;
      };
      if (tick()) {
        const tm = setInterval(() => { if (!tick()) { clearInterval(tm); timers.delete(tm); } }, 1000);
        timers.add(tm);
      }
    }
    async function reload() {
      try { conf = await api.get(`/api/v1/contacts/${cid}/confirmation`, { signal: ctx.signal }); } catch (_) { /* keep what we have */ }
      refresh();
    }
    send.addEventListener('click', async () => {
      clearErrors(send.form, box);
      const done = busy(send);
      try {
        conf = await api.post(`/api/v1/contacts/${cid}/confirmation/code`, who());
        done();
        refresh();
        code.input.value = '';
        code.input.focus();
      } catch (e) {
        done();
        showProblem(send.form, box, e);
        reload();
      }
    });
    check.addEventListener('click', async () => {
      clearErrors(check.form, box);
      const v = code.input.value.trim();
      if (!/^[0-9]{6}$/.test(v)) { showErrors(check.form, [{ field: 'code', message: t('confirm.need_code') }]); return; }
      const done = busy(check);
      try {
        conf = await api.post(`/api/v1/contacts/${cid}/confirmation/code/check`, { code: v });
        draw();
      } catch (e) {
        done();
        showProblem(check.form, box, e);
        code.input.select();
        reload();
      }
    });
    const el = h('div', { class: 'confirm-panel', id: 'confirm-sms', role: 'tabpanel', hidden: true },
      info, h('div', { class: 'form-actions' }, send), state, entry);
    return { el, refresh };
  }

  draw();
  return () => { for (const tm of timers) clearInterval(tm); };
}

registerPage({
  id: 'confirm',
  path: '#/contacts/:id/confirm',
  title: { zh: '请户主确认', en: 'Household confirmation' },
  nav: false,
  render,
});
