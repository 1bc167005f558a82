// Open311 API keys (admin): list, issue (the key is shown once, with a copy
// button, a warning and how to point an Open311 client at the town), revoke
// after a confirmation. The server keeps revoked keys in the list.

import { registerPage, notify } from '../app.js';
import { api, isAbort } from '../api.js';
import { addStrings, t } from '../i18n.js';
import {
  h, field, alertBox, clearErrors, showProblem, busy, pageHeader, dataTable, errorPanel, formatTime, confirmDialog,
  copyText, countText,
} from '../ui.js';

addStrings({
  zh: {
    'apikeys.title': 'Open311 接口密钥',
    'apikeys.intro': '接口密钥让外部的 Open311 应用（如随手拍、市民服务 App）向本镇提交诉求。每个应用单独发一把密钥，不再使用时立即吊销。',
    'apikeys.name': '密钥名称',
    'apikeys.name_hint': '写明给哪个应用使用，例如“市民随手拍”。',
    'apikeys.rate': '每分钟请求上限',
    'apikeys.rate_hint': '1-10000，默认 60。',
    'apikeys.create': '生成密钥',
    'apikeys.secret_title': '新密钥已生成',
    'apikeys.secret_warning': '请现在复制并交给应用的开发方。这个密钥只显示这一次，离开本页后无法再次查看；遗失了只能吊销后重新生成。',
    'apikeys.secret_label': '接口密钥（api_key）',
    'apikeys.help_title': '如何接入 Open311 应用',
    'apikeys.help_base': '在应用里把服务地址（base URL）设为：',
    'apikeys.help_discovery': '应用可以从发现文档自动读取各项接口：',
    'apikeys.help_key': '提交诉求（POST requests.json）时，把上面的密钥作为 api_key 参数一起发送；查询诉求和服务类别不需要密钥。',
    'apikeys.col.rate': '每分钟上限',
    'apikeys.revoke_confirm': '确定吊销密钥“{name}”吗？使用它的应用将立即无法提交诉求，此操作不能撤销。',
    'apikeys.revoked': '已吊销密钥“{name}”。',
    'apikeys.none': '还没有生成过接口密钥。',
  },
  en: {
    'apikeys.title': 'Open311 API keys',
    'apikeys.intro': 'An API key lets an outside Open311 app (a report-it app, a city services app) file appeals with the town. Give each app its own key and revoke it as soon as it is no longer used.',
    'apikeys.name': 'Key name',
    'apikeys.name_hint': 'Say which app will use it, e.g. \u201cFixMyStreet\u201d.',
    'apikeys.rate': 'Requests per minute',
    'apikeys.rate_hint': '1 to 10000; 60 if left empty.',
    'apikeys.create': 'Issue key',
    'apikeys.secret_title': 'New key issued',
    'apikeys.secret_warning': 'Copy it now and hand it to the app\u2019s developers. The key is shown only this once and cannot be seen again after you leave this page; if it is lost, revoke it and issue a new one.',
    'apikeys.secret_label': 'API key (api_key)',
    'apikeys.help_title': 'Pointing an Open311 client at the town',
    'apikeys.help_base': 'In the app, set the service\u2019s base URL to:',
    'apikeys.help_discovery': 'The app can read every endpoint from the discovery document:',
    'apikeys.help_key': 'Send the key above as the api_key parameter when filing an appeal (POST requests.json); reading requests and services needs no key.',
    'apikeys.col.rate': 'Per minute',
    'apikeys.revoke_confirm': 'Revoke the key \u201c{name}\u201d? The app using it can no longer file appeals. This cannot be undone.',
    'apikeys.revoked': 'The key \u201c{name}\u201d was revoked.',
    'apikeys.none': 'No API key has been issued yet.',
  },
});

/** The connection help: base URL and discovery document of this server. */
function helpBlock() {
  const base = `${location.origin}/open311/v2/`;
  return h('div', { class: 'apikey-help' },
    h('p', null, t('apikeys.help_base')),
    h('p', null, h('code', { class: 'mono url' }, base)),
    h('p', null, t('apikeys.help_discovery')),
    h('p', null, h('code', { class: 'mono url' }, `${base}discovery.json`)),
    h('p', null, h('code', { class: 'mono url' }, `${base}discovery.xml`)),
    h('p', null, t('apikeys.help_key')));
}

function keyPanel(res, onDone) {
  const input = h('input', { type: 'text', readonly: true, value: res.key, class: 'mono secret', id: 'apikey-secret' });
  const status = h('p', { class: 'copy-status', role: 'status' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary', id: 'apikey-copy' }, t('tokens.copy'));
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(res.key, input)) ? t('tokens.copied') : t('tokens.copy_failed');
  });
  input.addEventListener('focus', () => input.select());
  const done = h('button', { type: 'button', class: 'btn', id: 'apikey-done' }, t('tokens.secret_done'));
  const panel = h('section', { class: 'card secret-panel', id: 'apikey-secret-panel', 'aria-labelledby': 'apikey-secret-h' },
    h('h2', { id: 'apikey-secret-h' }, t('apikeys.secret_title'), `：${res.name}`),
    h('p', { class: 'alert alert-warn' }, t('apikeys.secret_warning')),
    h('label', { for: 'apikey-secret' }, t('apikeys.secret_label')),
    h('div', { class: 'secret-row' }, input, copy),
    status,
    h('h3', null, t('apikeys.help_title')),
    helpBlock(),
    h('div', { class: 'form-actions' }, done));
  done.addEventListener('click', () => { panel.remove(); onDone(); });
  return panel;
}

registerPage({
  id: 'apikeys',
  path: '#/apikeys',
  title: { zh: 'Open311 接口密钥', en: 'Open311 API keys' },
  roles: ['admin'],
  order: 85,
  render(root, ctx) {
    const box = alertBox();
    const fName = field({ name: 'name', label: t('apikeys.name'), required: true, hint: t('apikeys.name_hint'), attrs: { maxlength: '64' } });
    const fRate = field({
      name: 'rate_per_minute', label: t('apikeys.rate'), type: 'number', hint: t('apikeys.rate_hint'),
      inputmode: 'numeric', attrs: { min: '1', max: '10000', placeholder: '60' },
    });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('apikeys.create'));
    const form = h('form', { class: 'form form-inline', novalidate: true, id: 'apikey-form' }, box, fName, fRate,
      h('div', { class: 'form-actions' }, submit));
    const secretSlot = h('div');
    let table;

    async function revoke(k) {
      if (!(await confirmDialog(t('apikeys.revoke_confirm', { name: k.name }), { okLabel: t('tokens.revoke'), danger: true }))) return;
      try {
        await api.del(`/api/v1/apikeys/${encodeURIComponent(k.id)}`);
        notify(t('apikeys.revoked', { name: k.name }), 'ok');
        await load();
      } catch (err) {
        if (!isAbort(err)) notify(err.title || String(err), 'error');
      }
    }

    const columns = [
      { key: 'name', label: t('tokens.col.name'), class: 'col-strong' },
      { key: 'prefix', label: t('tokens.col.prefix'), class: 'mono col-nowrap', render: (k) => (k.prefix ? `${k.prefix}…` : '') },
      { key: 'rate_per_minute', label: t('apikeys.col.rate') },
      { key: 'created_at', label: t('tokens.col.created'), class: 'col-nowrap', render: (k) => formatTime(k.created_at) },
      { key: 'last_used_at', label: t('tokens.col.last_used'), class: 'col-nowrap', render: (k) => (k.last_used_at ? formatTime(k.last_used_at) : t('common.never')) },
      {
        key: 'revoked_at', label: t('tokens.col.status'),
        render: (k) => (k.revoked_at
          ? h('span', { class: 'apikey-revoked' }, h('span', { class: 'badge badge-off' }, t('tokens.status.revoked')),
            h('span', { class: 'muted apikey-revoked-at' }, formatTime(k.revoked_at)))
          : h('span', { class: 'badge badge-on' }, t('tokens.status.active'))),
      },
      {
        key: 'actions', label: t('tokens.col.actions'), class: 'col-actions',
        render: (k) => (k.revoked_at ? '' : h('button', {
          type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `${t('tokens.revoke')} ${k.name}`, onclick: () => revoke(k),
        }, t('tokens.revoke'))),
      },
    ];
    table = dataTable(columns, { rowKey: (k) => k.id, caption: t('apikeys.title'), class: 'apikeys-table' });
    const listArea = h('div', { class: 'list-area' });
    const empty = h('p', { class: 'empty', hidden: true }, t('apikeys.none'));
    const countLine = h('p', { class: 'count', 'aria-live': 'polite' });
    listArea.append(table.el, empty, countLine);

    function refreshEmpty() {
      empty.hidden = table.count() > 0;
      table.el.hidden = table.count() === 0;
      countLine.textContent = countText(table.count(), false);
    }

    // The server answers every key at once (next_cursor is always null).
    async function load() {
      try {
        const res = await api.get('/api/v1/apikeys', { signal: ctx.signal });
        table.clear();
        table.add((res && res.items) || []);
        refreshEmpty();
      } catch (err) {
        if (isAbort(err) || ctx.signal.aborted) return;
        const panel = errorPanel(err, () => { panel.remove(); load(); });
        listArea.append(panel);
      }
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form, box);
      const body = { name: fName.input.value.trim() };
      const rate = fRate.input.value.trim();
      if (rate) body.rate_per_minute = /^\d+$/.test(rate) ? Number(rate) : rate;
      const done = busy(submit, t('common.working'));
      try {
        const res = await api.post('/api/v1/apikeys', body);
        done();
        form.reset();
        secretSlot.replaceChildren(keyPanel(res, () => fName.input.focus()));
        secretSlot.querySelector('#apikey-copy').focus();
        const { key: _secret, ...row } = res;
        table.prepend(row);
        refreshEmpty();
      } catch (err) {
        done();
        showProblem(form, box, err);
      }
    });

    root.append(pageHeader(t('apikeys.title')),
      h('p', { class: 'lead' }, t('apikeys.intro')),
      secretSlot,
      h('section', { class: 'card' }, form),
      h('details', { class: 'card apikey-help-card' }, h('summary', null, t('apikeys.help_title')), helpBlock()),
      listArea);
    return load();
  },
});
