// 消息推送 (admin): where notifications are delivered outside the program —
// webhooks (signed with HMAC-SHA256), email addresses and SMS numbers — and
// the delivery queue: pending messages and the dead letters, with replay.

import { registerPage, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import {
  h, field, alertBox, clearErrors, showProblem, busy, pageHeader, dataTable, errorPanel, formatTime,
  copyText, countText, openDialog, pageSize,
} from '../ui.js';

/** The notification kinds the server sends (README "Notifications"). */
const EVENT_KINDS = ['assignment.station', 'handover.in', 'handover.out', 'appeal.new', 'appeal.assigned',
  'appeal.warning', 'appeal.overdue', 'appeal.escalated', 'appeal.follow_up'];
const KINDS = ['webhook', 'email', 'sms'];
const TABS = ['endpoints', 'pending', 'dead', 'sent'];

addStrings({
  zh: {
    'ob.title': '消息推送',
    'ob.intro': '把系统通知（新任务、交接、诉求提醒等）同时推送到其他系统的网络回调（Webhook）、邮箱或手机短信。发送在后台排队进行，失败后会按 30 秒、2 分钟、10 分钟、1 小时、6 小时重试，第六次仍失败即转入“发送失败”。',
    'ob.tabs': '消息推送分类查看',
    'ob.tab.endpoints': '接收端',
    'ob.tab.pending': '待发送',
    'ob.tab.dead': '发送失败',
    'ob.tab.sent': '已发送',
    'ob.kind': '类型',
    'ob.kind.webhook': '网络回调',
    'ob.kind.email': '邮件',
    'ob.kind.sms': '短信',
    'ob.target': '接收地址',
    'ob.target_hint.webhook': '以 http:// 或 https:// 开头的网址，系统会向它 POST JSON。',
    'ob.target_hint.email': '接收通知的邮箱地址。',
    'ob.target_hint.sms': '接收通知的手机号码。',
    'ob.server_url': '服务器地址',
    'ob.server_url_hint.email': '选填：smtp:// 或 smtps:// 开头，不填则用系统设置。',
    'ob.server_url_hint.sms': '选填：短信网关地址模板，含 {phone} 和 {text}，不填则用系统设置。',
    'ob.events': '推送哪些通知',
    'ob.events_hint': '填 * 表示全部；或用逗号分隔的类型，可用前缀如 appeal.*。类型有：{kinds}',
    'ob.secret': '签名密钥',
    'ob.secret_hint': '选填：16-256 个字符；不填则由系统生成。',
    'ob.active': '启用',
    'ob.create': '添加接收端',
    'ob.new': '添加接收端',
    'ob.edit_title': '修改接收端 #{id}',
    'ob.rotate': '更换签名密钥（生成新密钥，旧密钥立即失效）',
    'ob.saved': '已保存接收端 #{id}。',
    'ob.secret_title': '签名密钥',
    'ob.secret_warning': '请现在复制并交给接收方系统的开发人员。密钥只显示这一次，离开本页后无法再次查看；遗失了只能更换新密钥。',
    'ob.secret_label': '签名密钥（secret）',
    'ob.verify_title': '如何验证签名',
    'ob.verify_1': '每次推送都是一个 POST 请求，正文为 JSON。请求头 X-Zhilian-Signature 的值为 sha256= 加上用此密钥对原始请求正文计算的 HMAC-SHA256（十六进制）。',
    'ob.verify_2': '接收方应先用同样方法计算并以常量时间比较，一致才处理正文；X-Zhilian-Delivery 是消息编号，重试时不变，可用来去重。请在 5 秒内回复 2xx。',
    'ob.col.kind': '类型',
    'ob.col.target': '接收地址',
    'ob.col.events': '通知类型',
    'ob.col.status': '状态',
    'ob.col.secret': '签名',
    'ob.col.updated': '修改时间',
    'ob.col.actions': '操作',
    'ob.col.id': '编号',
    'ob.col.endpoint': '接收端',
    'ob.col.event': '通知类型',
    'ob.col.attempts': '已尝试',
    'ob.col.error': '最近错误',
    'ob.col.last_try': '最后尝试',
    'ob.col.next': '下次发送',
    'ob.col.sent': '发送时间',
    'ob.direct_sms': '短信给群众',
    'ob.held.pending': '待发 {n} 条',
    'ob.held.waiting': '{n} 条等待启用后发送',
    'ob.held.dead': '失败 {n} 条',
    'ob.status.on': '启用',
    'ob.status.off': '停用',
    'ob.has_secret': '已设置',
    'ob.no_secret': '无',
    'ob.replay': '重新发送',
    'ob.replayed': '消息 #{id} 已重新排队，将很快发送。',
    'ob.none.endpoints': '还没有接收端。',
    'ob.none.pending': '没有待发送的消息。',
    'ob.none.dead': '没有发送失败的消息。',
    'ob.none.sent': '还没有发送成功的消息。',
    'ob.attempts_n': '{n} 次',
  },
  en: {
    'ob.title': 'Outbound delivery',
    'ob.intro': 'Deliver the program\u2019s notifications (new work, handovers, appeal reminders\u2026) to another system\u2019s webhook, an email address or an SMS number as well. Sending is queued in the background; a failure is retried after 30 s, 2 min, 10 min, 1 h and 6 h, and after the sixth failure the message is dead.',
    'ob.tabs': 'Outbound views',
    'ob.tab.endpoints': 'Endpoints',
    'ob.tab.pending': 'Pending',
    'ob.tab.dead': 'Dead letters',
    'ob.tab.sent': 'Sent',
    'ob.kind': 'Kind',
    'ob.kind.webhook': 'Webhook',
    'ob.kind.email': 'Email',
    'ob.kind.sms': 'SMS',
    'ob.target': 'Target',
    'ob.target_hint.webhook': 'An http:// or https:// URL; the server POSTs JSON to it.',
    'ob.target_hint.email': 'The email address to notify.',
    'ob.target_hint.sms': 'The mobile number to notify.',
    'ob.server_url': 'Server URL',
    'ob.server_url_hint.email': 'Optional: smtp:// or smtps://; the settings are used if empty.',
    'ob.server_url_hint.sms': 'Optional: a gateway URL template with {phone} and {text}; the settings are used if empty.',
    'ob.events': 'Notifications to deliver',
    'ob.events_hint': '* for all, or a comma list of kinds and prefixes such as appeal.*. The kinds: {kinds}',
    'ob.secret': 'Signing secret',
    'ob.secret_hint': 'Optional: 16 to 256 characters; the server makes one if empty.',
    'ob.active': 'Active',
    'ob.create': 'Add endpoint',
    'ob.new': 'Add an endpoint',
    'ob.edit_title': 'Change endpoint #{id}',
    'ob.rotate': 'Rotate the signing secret (a new one; the old one stops working at once)',
    'ob.saved': 'Endpoint #{id} saved.',
    'ob.secret_title': 'Signing secret',
    'ob.secret_warning': 'Copy it now and hand it to the receiving system\u2019s developers. It is shown only this once and cannot be seen again after you leave this page; if it is lost, rotate it.',
    'ob.secret_label': 'Signing secret',
    'ob.verify_title': 'Verifying the signature',
    'ob.verify_1': 'Each delivery is a POST with a JSON body. The X-Zhilian-Signature header is sha256= followed by the hex HMAC-SHA256 of the raw body under this secret.',
    'ob.verify_2': 'Compute the same and compare in constant time before trusting the body; X-Zhilian-Delivery is the message id, the same on every retry, for dropping duplicates. Answer 2xx within 5 seconds.',
    'ob.col.kind': 'Kind',
    'ob.col.target': 'Target',
    'ob.col.events': 'Notifications',
    'ob.col.status': 'Status',
    'ob.col.secret': 'Signature',
    'ob.col.updated': 'Changed',
    'ob.col.actions': 'Actions',
    'ob.col.id': 'No.',
    'ob.col.endpoint': 'Endpoint',
    'ob.col.event': 'Notification',
    'ob.col.attempts': 'Attempts',
    'ob.col.error': 'Last error',
    'ob.col.last_try': 'Last try',
    'ob.col.next': 'Next try',
    'ob.col.sent': 'Sent',
    'ob.direct_sms': 'SMS to a resident',
    'ob.held.pending': '{n} pending',
    'ob.held.waiting': '{n} waiting until it is active again',
    'ob.held.dead': '{n} dead',
    'ob.status.on': 'Active',
    'ob.status.off': 'Inactive',
    'ob.has_secret': 'Set',
    'ob.no_secret': 'None',
    'ob.replay': 'Send again',
    'ob.replayed': 'Message #{id} is queued again and will be sent shortly.',
    'ob.none.endpoints': 'No endpoint yet.',
    'ob.none.pending': 'No message is waiting to be sent.',
    'ob.none.dead': 'No dead message.',
    'ob.none.sent': 'No message has been sent yet.',
    'ob.attempts_n': '{n}',
  },
});

const kindLabel = (k) => (KINDS.includes(k) ? t(`ob.kind.${k}`) : k);

/** A random 64-hex-digit secret for a rotation (the server makes one only on create). */
function newSecret() {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The secret, shown once, with a copy button and how to verify a signature. */
function secretPanel(ep, secret) {
  const input = h('input', { type: 'text', readonly: true, value: secret, class: 'mono secret', id: 'obd-secret' });
  const status = h('p', { class: 'copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary', id: 'obd-copy' }, t('tokens.copy'));
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(secret, input)) ? t('tokens.copied') : t('tokens.copy_failed');
  });
  input.addEventListener('focus', () => input.select());
  const done = h('button', { type: 'button', class: 'btn', id: 'obd-secret-done' }, t('tokens.secret_done'));
  const panel = h('section', { class: 'card secret-panel', id: 'obd-secret-panel', 'aria-labelledby': 'obd-secret-h' },
    h('h2', { id: 'obd-secret-h' }, t('ob.secret_title'), `：#${ep.id} `, h('span', { class: 'obd-url' }, ep.target)),
    h('p', { class: 'alert alert-warn' }, t('ob.secret_warning')),
    h('label', { for: 'obd-secret' }, t('ob.secret_label')),
    h('div', { class: 'secret-row' }, input, copy),
    status,
    h('h3', null, t('ob.verify_title')),
    h('p', null, t('ob.verify_1')),
    h('pre', { class: 'obd-code mono' },
      'want = "sha256=" + hmac.new(SECRET, raw_body, hashlib.sha256).hexdigest()\n'
      + 'ok = hmac.compare_digest(want, request.headers["X-Zhilian-Signature"])'),
    h('p', null, t('ob.verify_2')),
    h('div', { class: 'form-actions' }, done));
  done.addEventListener('click', () => panel.remove());
  return panel;
}

function showSecret(slot, ep, secret) {
  slot.replaceChildren(secretPanel(ep, secret));
  slot.querySelector('#obd-copy').focus();
  slot.scrollIntoView({ block: 'nearest' });
}

const eventsHint = () => t('ob.events_hint', { kinds: EVENT_KINDS.join(', ') });

/** The form fields shared by create and edit; kind decides hints and which show. */
function endpointFields(kind, ep = {}) {
  const f = {
    target: field({ name: 'target', label: t('ob.target'), required: true, value: ep.target, hint: t(`ob.target_hint.${kind}`), attrs: { maxlength: '500' } }),
    server_url: field({ name: 'server_url', label: t('ob.server_url'), value: ep.server_url, hint: t(`ob.server_url_hint.${kind === 'sms' ? 'sms' : 'email'}`), attrs: { maxlength: '500' } }),
    events: field({ name: 'events', label: t('ob.events'), value: ep.events || '*', hint: eventsHint(), attrs: { maxlength: '500', class: 'mono' } }),
    active: field({ name: 'active', label: t('ob.active'), checkbox: true, value: ep.active !== false }),
  };
  f.setKind = (k) => {
    f.target.querySelector('.hint').textContent = t(`ob.target_hint.${k}`);
    // type=text (the form styles text inputs); the keyboard follows the kind
    f.target.input.inputMode = k === 'email' ? 'email' : k === 'sms' ? 'tel' : 'url';
    f.server_url.hidden = k === 'webhook';
    if (k !== 'webhook') f.server_url.querySelector('.hint').textContent = t(`ob.server_url_hint.${k}`);
  };
  f.setKind(kind);
  return f;
}

/** The edit dialog: target, server URL, events, active, rotate the secret. */
function editDialog(ep, onSaved) {
  const box = alertBox();
  const f = endpointFields(ep.kind, ep);
  const rotate = ep.kind === 'webhook' ? field({ name: 'rotate', label: t('ob.rotate'), checkbox: true }) : null;
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('common.save'));
  const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
  const form = h('form', { class: 'form', novalidate: true, id: 'obd-edit-form' }, box, f.target, f.server_url, f.events, f.active, rotate,
    h('div', { class: 'form-actions' }, cancel, save));
  const d = openDialog({ title: t('ob.edit_title', { id: ep.id }), content: form });
  cancel.addEventListener('click', () => d.close());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const body = { target: f.target.input.value.trim(), events: f.events.input.value.trim() || '*', active: f.active.input.checked };
    if (ep.kind !== 'webhook') body.server_url = f.server_url.input.value.trim() || null;
    const secret = rotate && rotate.input.checked ? newSecret() : null;
    if (secret) body.secret = secret;
    const done = busy(save, t('common.working'));
    try {
      const res = await api.patch(`/api/v1/outbound/endpoints/${encodeURIComponent(ep.id)}`, body);
      done();
      d.close();
      onSaved(res, res.secret || secret);
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });
}

function tabsNav(tab) {
  return h('nav', { class: 'ap-tabs obd-tabs', 'aria-label': t('ob.tabs') },
    TABS.map((k) => h('a', {
      href: `#/outbound?tab=${k}`, class: ['ap-tab', k === tab ? 'is-active' : null],
      'aria-current': k === tab ? 'page' : null, dataset: { tab: k },
    }, t(`ob.tab.${k}`))));
}

function statusBadge(ep) {
  const badge = h('span', { class: ['badge', ep.active ? 'badge-on' : 'badge-off'] }, t(ep.active ? 'ob.status.on' : 'ob.status.off'));
  // what the endpoint holds: an inactive one's messages wait for it silently otherwise
  const held = [];
  if (ep.pending) held.push(t(ep.active ? 'ob.held.pending' : 'ob.held.waiting', { n: ep.pending }));
  if (ep.dead) held.push(t('ob.held.dead', { n: ep.dead }));
  return held.length ? h('span', null, badge, h('span', { class: 'muted obd-held' }, ` ${held.join(' · ')}`)) : badge;
}

/** The endpoints tab: the secret slot, the create form and the list. */
async function renderEndpoints(root, ctx) {
  const secretSlot = h('div');
  const box = alertBox();
  const kindField = field({ name: 'kind', label: t('ob.kind'), required: true, value: 'webhook', options: KINDS.map((k) => ({ value: k, label: kindLabel(k) })) });
  const f = endpointFields('webhook');
  const fSecret = field({ name: 'secret', label: t('ob.secret'), hint: t('ob.secret_hint'), attrs: { maxlength: '256', class: 'mono' } });
  kindField.input.addEventListener('change', () => {
    const k = kindField.input.value;
    f.setKind(k);
    fSecret.hidden = k !== 'webhook';
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('ob.create'));
  const form = h('form', { class: 'form form-inline', novalidate: true, id: 'obd-form' },
    h('h2', null, t('ob.new')), box, kindField, f.target, f.server_url, f.events, fSecret, f.active,
    h('div', { class: 'form-actions' }, submit));

  const columns = [
    { key: 'id', label: t('ob.col.id'), class: 'col-nowrap', render: (ep) => `#${ep.id}` },
    { key: 'kind', label: t('ob.col.kind'), class: 'col-nowrap', render: (ep) => kindLabel(ep.kind) },
    { key: 'target', label: t('ob.col.target'), class: 'col-strong obd-url', render: (ep) => ep.target },
    { key: 'events', label: t('ob.col.events'), class: 'mono obd-events', render: (ep) => ep.events.split(',').map((e) => e.trim()).join(', ') },
    { key: 'active', label: t('ob.col.status'), render: statusBadge },
    { key: 'has_secret', label: t('ob.col.secret'), render: (ep) => (ep.kind === 'webhook' ? t(ep.has_secret ? 'ob.has_secret' : 'ob.no_secret') : '') },
    { key: 'updated_at', label: t('ob.col.updated'), class: 'col-time', render: (ep) => formatTime(ep.updated_at) },
    {
      key: 'actions', label: t('ob.col.actions'), class: 'col-actions',
      render: (ep) => h('button', {
        type: 'button', class: 'btn btn-small obd-edit', 'aria-label': `${t('common.edit')} #${ep.id}`,
        onclick: () => editDialog(ep, (res, secret) => {
          table.replace(ep.id, res);
          notify(t('ob.saved', { id: ep.id }), 'ok');
          if (secret) showSecret(secretSlot, res, secret);
        }),
      }, t('common.edit')),
    },
  ];
  const table = dataTable(columns, { rowKey: (ep) => ep.id, caption: t('ob.tab.endpoints'), class: 'obd-endpoints' });
  const empty = h('p', { class: 'empty', hidden: true }, t('ob.none.endpoints'));
  const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
  const listArea = h('div', { class: 'list-area' }, table.el, empty, countLine);
  const refresh = () => {
    empty.hidden = table.count() > 0;
    table.el.hidden = table.count() === 0;
    countLine.textContent = countText(table.count(), false);
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const kind = kindField.input.value;
    const body = { kind, target: f.target.input.value.trim(), events: f.events.input.value.trim() || '*', active: f.active.input.checked };
    const su = f.server_url.input.value.trim();
    if (kind !== 'webhook' && su) body.server_url = su;
    const secret = fSecret.input.value;
    if (kind === 'webhook' && secret) body.secret = secret;
    const done = busy(submit, t('common.working'));
    try {
      const res = await api.post('/api/v1/outbound/endpoints', body);
      done();
      form.reset();
      f.events.input.value = '*';
      f.active.input.checked = true;
      f.setKind('webhook');
      fSecret.hidden = false;
      const { secret: s, ...row } = res;
      if (s) showSecret(secretSlot, row, s);
      table.prepend(row);
      refresh();
    } catch (err) {
      done();
      showProblem(form, box, err);
    }
  });

  root.append(secretSlot, listArea, h('section', { class: 'card' }, form));
  try {
    const res = await api.get('/api/v1/outbound/endpoints', { signal: ctx.signal });
    table.add(((res && res.items) || []).slice().reverse()); // newest first
    refresh();
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) return;
    const panel = errorPanel(err, () => { panel.remove(); renderEndpoints(root, ctx); });
    listArea.replaceChildren(panel);
  }
}

/** A message tab (pending, dead or sent): newest first, load more, replay on the dead ones. */
async function renderMessages(root, ctx, state) {
  const endpoints = new Map();
  const listArea = h('div', { class: 'list-area' });
  root.append(listArea);
  const epCell = (m) => {
    // no endpoint: an SMS to a person (a resident, a household), phone masked
    if (m.endpoint_id == null) return h('span', { class: 'obd-ep' }, h('span', { class: 'muted' }, `${t('ob.direct_sms')} `), h('span', { class: 'obd-url' }, m.recipient || ''));
    const ep = endpoints.get(m.endpoint_id);
    return ep ? h('span', { class: 'obd-ep' }, h('span', { class: 'muted' }, `${kindLabel(ep.kind)} #${ep.id} `), h('span', { class: 'obd-url' }, ep.target)) : `#${m.endpoint_id}`;
  };
  const timeCol = state === 'pending'
    ? { key: 'next_attempt_at', label: t('ob.col.next'), class: 'col-time', render: (m) => formatTime(m.next_attempt_at) }
    : state === 'sent'
      ? { key: 'sent_at', label: t('ob.col.sent'), class: 'col-time', render: (m) => formatTime(m.sent_at) }
      : { key: 'dead_at', label: t('ob.col.last_try'), class: 'col-time', render: (m) => formatTime(m.dead_at || m.next_attempt_at || m.created_at) };
  const columns = [
    { key: 'id', label: t('ob.col.id'), class: 'col-nowrap', render: (m) => `#${m.id}` },
    { key: 'endpoint', label: t('ob.col.endpoint'), render: epCell },
    { key: 'kind', label: t('ob.col.event'), class: 'mono col-nowrap', render: (m) => m.kind },
    { key: 'attempts', label: t('ob.col.attempts'), render: (m) => t('ob.attempts_n', { n: m.attempts }) },
    state === 'sent' ? null : { key: 'last_error', label: t('ob.col.error'), class: 'obd-error' },
    timeCol,
    state === 'dead' ? {
      key: 'actions', label: t('ob.col.actions'), class: 'col-actions',
      render: (m) => h('button', {
        type: 'button', class: 'btn btn-small btn-primary obd-replay', 'aria-label': `${t('ob.replay')} #${m.id}`,
        onclick: (e) => replay(m, e.currentTarget),
      }, t('ob.replay')),
    } : null,
  ].filter(Boolean);
  const table = dataTable(columns, { rowKey: (m) => m.id, caption: t(`ob.tab.${state}`), class: `obd-messages obd-${state}` });
  const empty = h('p', { class: 'empty', hidden: true }, t(`ob.none.${state}`));
  const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-block load-more', hidden: true }, t('common.load_more'));
  let cursor = null;
  const refresh = () => {
    empty.hidden = table.count() > 0;
    table.el.hidden = table.count() === 0;
    more.hidden = !cursor;
    countLine.textContent = countText(table.count(), !!cursor);
  };

  async function replay(m, btn) {
    const done = busy(btn, t('common.working'));
    try {
      await api.post(`/api/v1/outbound/messages/${encodeURIComponent(m.id)}/replay`);
      table.remove(m.id);
      refresh();
      notify(t('ob.replayed', { id: m.id }), 'ok');
    } catch (err) {
      done();
      if (!isAbort(err)) notify(err.title || String(err), 'error');
    }
  }

  async function load() {
    const limit = pageSize(ctx.query);
    const res = await api.get('/api/v1/outbound/messages', { query: { state, limit, cursor }, signal: ctx.signal });
    table.add((res && res.items) || []);
    cursor = res && res.next_cursor ? res.next_cursor : null;
    refresh();
  }
  more.addEventListener('click', async () => {
    const done = busy(more, t('common.loading'));
    try { await load(); } catch (err) { if (!isAbort(err)) notify(err.title || String(err), 'error'); }
    done();
    more.hidden = !cursor;
  });

  listArea.append(table.el, empty, countLine, more);
  try {
    const eps = await api.get('/api/v1/outbound/endpoints', { signal: ctx.signal });
    for (const ep of (eps && eps.items) || []) endpoints.set(ep.id, ep);
    await load();
  } catch (err) {
    if (isAbort(err) || ctx.signal.aborted) return;
    const panel = errorPanel(err, () => { listArea.remove(); renderMessages(root, ctx, state); });
    listArea.replaceChildren(panel);
  }
}

registerPage({
  id: 'outbound',
  path: '#/outbound',
  title: { zh: '消息推送', en: 'Outbound delivery' },
  roles: ['admin'],
  order: 86,
  render(root, ctx) {
    const tab = TABS.includes(ctx.query.get('tab')) ? ctx.query.get('tab') : 'endpoints';
    root.append(pageHeader(t('ob.title')), h('p', { class: 'lead' }, t('ob.intro')), tabsNav(tab));
    return tab === 'endpoints' ? renderEndpoints(root, ctx) : renderMessages(root, ctx, tab);
  },
});
