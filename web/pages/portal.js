// portal.js: the resident portal, no account needed: #/portal/:village (the
// liaison card's QR code opens it; submit an appeal in three screens),
// #/track (status, timeline, "is it fixed?" and satisfaction) and
// #/board/:village (the village's public board with a plain-SVG chart).
// Phone first, large type, Chinese first; styles in web/portal.css.

import { registerPage, navigate } from '../app.js';
import { addStrings, t, getLang } from '../i18n.js';
import { api, isAbort } from '../api.js';
import { h, field, alertBox, clearErrors, showErrors, showProblem, busy } from '../ui.js';
import { uploadPhoto, photoGrid } from './appeals.js';

addStrings({
  zh: {
    'portal.title': '反映问题',
    'portal.choose_title': '选择您的村',
    'portal.choose_intro': '请点您所在的村。',
    'portal.bad_village': '没有找到这个村，请在下面选择。',
    'portal.heading': '向{village}反映问题',
    'portal.step': '第 {n} 步，共 3 步',
    'portal.step1': '是哪方面的问题？',
    'portal.step1_hint': '点一下最接近的一项，拿不准就点“其他”。',
    'portal.step2': '请说说是什么问题',
    'portal.description': '问题是什么',
    'portal.description_hint': '在哪里、什么情况、多久了。写几句就行。',
    'portal.name': '您的姓名（可不填）',
    'portal.phone': '手机号（可不填）',
    'portal.phone_hint': '留了手机号，干部可以联系您；查进度时输入后四位能看到处理详情。',
    'portal.anonymous': '不公开我的名字（匿名）',
    'portal.consent': '办好后可以在村公开栏公布（不显示姓名和电话）',
    'portal.submit': '提交',
    'portal.busy': '正在提交…',
    'portal.back': '上一步',
    'portal.need_description': '请写一下是什么问题',
    'portal.done_title': '已经收到您的问题',
    'portal.code_label': '您的查询码',
    'portal.write_down': '请把这个查询码抄下来或拍照保存，查进度要用它。',
    'portal.track_now': '查看办理进度',
    'portal.photo_title': '补充照片（可不填）',
    'portal.photo_intro': '拍一张现场照片，干部看得更清楚。提交后 24 小时内都可以补充。',
    'portal.photo_add': '拍照或选择照片',
    'portal.photo_busy': '正在上传照片…',
    'portal.photo_done': '已上传 {n} 张照片',
    'track.photos': '照片',
    'portal.another': '再反映一个问题',
    'portal.board_link': '看看本村公开栏',
    'portal.meet_title': '也可以当面说',
    'portal.meet_next': '驻点干部 {date}（{weekday}）{start}–{end} 在{place}接访。',
    'portal.meet_then': '再下一次：{date}（{weekday}）。',
    'portal.track_link': '已经反映过？查进度',
    'track.title': '查进度',
    'track.heading': '查询办理进度',
    'track.code': '查询码',
    'track.code_hint': '提交时给您的 10 位字母和数字，例如 7KQM-X2HD-9P',
    'track.last4': '手机号后四位（留过手机号才填）',
    'track.submit': '查询',
    'track.busy': '正在查询…',
    'track.need_code': '请输入查询码',
    'track.state': '现在的状态',
    'track.merged': '您的问题和同类问题一起办理，下面是合并后的进度。',
    'track.more_hint': '输入登记手机号的后四位，可以看到处理详情并评价。',
    'track.timeline': '办理经过',
    'track.description': '您反映的问题',
    'track.resolution': '处理结果',
    'track.your_feedback': '您的评价',
    'track.feedback_title': '请您评价',
    'track.fixed_q': '问题解决了吗？',
    'track.fixed_yes': '解决了',
    'track.fixed_no': '没解决',
    'track.sat_q': '您满意吗？',
    'track.comment': '还想说的话（可不填）',
    'track.send': '提交评价',
    'track.sending': '正在提交…',
    'track.need_fixed': '请选“解决了”或“没解决”',
    'track.need_sat': '请选一项满意程度',
    'track.thanks': '谢谢您的评价！',
    'track.thanks_reopen': '已告诉干部问题还没解决，会重新办理。',
    'track.follow_up': '这件问题办结已满 7 天，请您评价一下。',
    'sat.satisfied': '满意',
    'sat.basically_satisfied': '基本满意',
    'sat.dissatisfied': '不满意',
    'pstate.submitted': '已收到，等待受理',
    'pstate.accepted': '已受理',
    'pstate.rejected': '不予受理',
    'pstate.assigned': '已交给专人办理',
    'pstate.in_progress': '正在办理',
    'pstate.waiting_resident': '需要您补充情况',
    'pstate.resolved': '已办结，请您评价',
    'pstate.reopened': '重新办理中',
    'pstate.closed': '已办结',
    'pact.submit': '提交问题',
    'pact.accept': '受理',
    'pact.reject': '不予受理',
    'pact.assign': '交给承办人',
    'pact.start': '开始办理',
    'pact.transfer': '转交有关部门',
    'pact.wait_resident': '需要您补充情况',
    'pact.resume': '继续办理',
    'pact.approve_extension': '延长办理期限',
    'pact.escalate': '上级督办',
    'pact.resolve': '办结',
    'pact.follow_up': '回访：请您评价',
    'pact.feedback': '您已评价',
    'pact.reopen': '重新办理',
    'pact.close': '结案',
    'pact.merge_into': '与同类问题合并办理',
    'board.title': '公开栏',
    'board.heading': '{village}公开栏',
    'board.intro': '村民同意公开的已办结问题，不含姓名、电话等个人信息。',
    'board.figures': '近 12 个月',
    'board.received': '收到',
    'board.resolved': '办结',
    'board.on_time': '按时办结',
    'board.satisfied': '满意率',
    'board.chart_label': '近 12 个月每月收到和办结的问题数',
    'board.month': '月份',
    'board.list': '已办结的问题',
    'board.empty': '还没有可以公开的问题。',
    'board.none': '—',
    'board.month_label': '{m}',
    'board.resolved_on': '{date} 办结',
    'board.feedback': '村民评价：{sat}',
  },
  en: {
    'portal.title': 'Report a problem',
    'portal.choose_title': 'Choose your village',
    'portal.choose_intro': 'Tap the village you live in.',
    'portal.bad_village': 'That village was not found; choose it below.',
    'portal.heading': 'Report a problem to {village}',
    'portal.step': 'Step {n} of 3',
    'portal.step1': 'What is it about?',
    'portal.step1_hint': 'Tap the closest one; if unsure, tap "other".',
    'portal.step2': 'Tell us about the problem',
    'portal.description': 'The problem',
    'portal.description_hint': 'Where, what, and since when. A few sentences are enough.',
    'portal.name': 'Your name (optional)',
    'portal.phone': 'Mobile number (optional)',
    'portal.phone_hint': 'With a number a cadre can call you; its last four digits show the details when you track.',
    'portal.anonymous': 'Keep my name private (anonymous)',
    'portal.consent': 'It may be shown on the village board once solved (no name or phone)',
    'portal.submit': 'Send',
    'portal.busy': 'Sending…',
    'portal.back': 'Back',
    'portal.need_description': 'Please describe the problem',
    'portal.done_title': 'Your problem has been received',
    'portal.code_label': 'Your tracking code',
    'portal.write_down': 'Write this code down or take a photo: you need it to track the progress.',
    'portal.track_now': 'Track the progress',
    'portal.photo_title': 'Add photos (optional)',
    'portal.photo_intro': 'A photo of the place helps the cadre. You can add photos for 24 hours after sending.',
    'portal.photo_add': 'Take or choose a photo',
    'portal.photo_busy': 'Uploading the photo…',
    'portal.photo_done': '{n} photo(s) uploaded',
    'track.photos': 'Photos',
    'portal.another': 'Report another problem',
    'portal.board_link': 'See the village board',
    'portal.meet_title': 'Or say it face to face',
    'portal.meet_next': 'The stationed cadres receive residents on {date} ({weekday}), {start}–{end}, at {place}.',
    'portal.meet_then': 'The time after: {date} ({weekday}).',
    'portal.track_link': 'Reported already? Track it',
    'track.title': 'Track',
    'track.heading': 'Track your problem',
    'track.code': 'Tracking code',
    'track.code_hint': 'The 10 letters and digits you were given, e.g. 7KQM-X2HD-9P',
    'track.last4': 'Last 4 digits of your mobile (if you gave one)',
    'track.submit': 'Look up',
    'track.busy': 'Looking up…',
    'track.need_code': 'Enter the tracking code',
    'track.state': 'Status',
    'track.merged': 'Your problem is handled together with a similar one; this is the joint progress.',
    'track.more_hint': 'Enter the last 4 digits of your mobile to see the details and give feedback.',
    'track.timeline': 'What has happened',
    'track.description': 'Your problem',
    'track.resolution': 'The result',
    'track.your_feedback': 'Your feedback',
    'track.feedback_title': 'Your feedback',
    'track.fixed_q': 'Is it fixed?',
    'track.fixed_yes': 'Fixed',
    'track.fixed_no': 'Not fixed',
    'track.sat_q': 'Are you satisfied?',
    'track.comment': 'Anything else (optional)',
    'track.send': 'Send feedback',
    'track.sending': 'Sending…',
    'track.need_fixed': 'Choose "fixed" or "not fixed"',
    'track.need_sat': 'Choose how satisfied you are',
    'track.thanks': 'Thank you for your feedback!',
    'track.thanks_reopen': 'The cadres have been told it is not fixed; it will be handled again.',
    'track.follow_up': 'It was solved 7 days ago; please tell us how it went.',
    'sat.satisfied': 'Satisfied',
    'sat.basically_satisfied': 'Mostly satisfied',
    'sat.dissatisfied': 'Not satisfied',
    'pstate.submitted': 'Received, waiting to be accepted',
    'pstate.accepted': 'Accepted',
    'pstate.rejected': 'Not accepted',
    'pstate.assigned': 'Given to a cadre',
    'pstate.in_progress': 'Being handled',
    'pstate.waiting_resident': 'We need more information from you',
    'pstate.resolved': 'Solved, please give feedback',
    'pstate.reopened': 'Being handled again',
    'pstate.closed': 'Solved and closed',
    'pact.submit': 'Reported',
    'pact.accept': 'Accepted',
    'pact.reject': 'Not accepted',
    'pact.assign': 'Given to a cadre',
    'pact.start': 'Work started',
    'pact.transfer': 'Passed to a department',
    'pact.wait_resident': 'More information needed from you',
    'pact.resume': 'Work resumed',
    'pact.approve_extension': 'Time limit extended',
    'pact.escalate': 'Supervised by a leader',
    'pact.resolve': 'Solved',
    'pact.follow_up': 'Follow-up: please give feedback',
    'pact.feedback': 'Feedback given',
    'pact.reopen': 'Handled again',
    'pact.close': 'Closed',
    'pact.merge_into': 'Joined with a similar problem',
    'board.title': 'Public board',
    'board.heading': '{village} public board',
    'board.intro': 'Solved problems the residents agreed to publish, without names, phones or other personal data.',
    'board.figures': 'The last 12 months',
    'board.received': 'Received',
    'board.resolved': 'Solved',
    'board.on_time': 'On time',
    'board.satisfied': 'Satisfied',
    'board.chart_label': 'Problems received and solved each month over the last 12 months',
    'board.month': 'Month',
    'board.list': 'Solved problems',
    'board.empty': 'Nothing to show yet.',
    'board.none': '—',
    'board.month_label': '{m}',
    'board.resolved_on': 'solved {date}',
    'board.feedback': 'Resident: {sat}',
  },
});

const PUBLIC = '/api/v1/public';

// The portal's styles, loaded once beside app.css.
function loadStyles() {
  if (document.getElementById('portal-css')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/portal.css', id: 'portal-css' }));
}

const catName = (c) => (getLang() === 'en' && c.name_en ? c.name_en : c.name);
const dateOf = (s) => (s ? s.slice(0, 10) : '');
const timeOf = (s) => (s ? `${s.slice(0, 10)} ${s.slice(11, 16)}` : '');
const pct = (v) => (v == null ? t('board.none') : `${Math.round(v * 100)}%`);

function shell(root, title, ...children) {
  loadStyles();
  root.classList.add('portal');
  root.append(h('div', { class: 'portal-wrap' }, h('h1', { tabindex: '-1' }, title), ...children));
}

function stepLine(n) {
  return h('p', { class: 'portal-step' }, t('portal.step', { n }));
}

// ---------------------------------------------------------------- portal

async function villages(signal) {
  return (await api.get(`${PUBLIC}/villages`, { signal, redirect401: false })).items;
}

function villageChooser(list, target) {
  return h('ul', { class: 'portal-choices' }, list.map((v) => h('li', null,
    h('a', { class: 'btn portal-choice', href: `${target}/${encodeURIComponent(v.code)}` }, v.name))));
}

async function renderChooser(root, ctx, bad) {
  const list = await villages(ctx.signal);
  shell(root, t('portal.choose_title'),
    bad ? h('div', { class: 'alert alert-error', role: 'alert' }, h('p', { class: 'alert-title' }, t('portal.bad_village'))) : null,
    h('p', { class: 'portal-lead' }, t('portal.choose_intro')),
    villageChooser(list, '#/portal'),
    h('p', { class: 'portal-links' }, h('a', { href: '#/track' }, t('portal.track_link'))));
}

/** The village's next reception days (接访日), for a resident who would
 * rather come in person; null when there are none or they cannot be read. */
function meetInPerson(days) {
  const items = (days && days.items) || [];
  if (!items.length) return null;
  const wd = (s) => new Intl.DateTimeFormat(getLang() === 'zh' ? 'zh-CN' : 'en', { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${s}T00:00:00Z`));
  const [a, b] = items;
  return h('section', { class: 'portal-meet', id: 'portal-meet' },
    h('h2', null, t('portal.meet_title')),
    h('p', null, t('portal.meet_next', { date: a.date, weekday: wd(a.date), start: a.start || '', end: a.end || '', place: a.place || '' })),
    b ? h('p', { class: 'hint' }, t('portal.meet_then', { date: b.date, weekday: wd(b.date) })) : null);
}

async function renderPortal(root, ctx) {
  const [list, cats, days] = await Promise.all([villages(ctx.signal),
    api.get(`${PUBLIC}/categories`, { signal: ctx.signal, redirect401: false }),
    api.get(`${PUBLIC}/villages/${encodeURIComponent(ctx.params.village)}/reception-days`,
      { query: { weeks: 4 }, signal: ctx.signal, redirect401: false }).catch((e) => { if (isAbort(e)) throw e; return null; })]);
  const village = list.find((v) => v.code === ctx.params.village);
  if (!village) { await renderChooser(root, ctx, true); return; }
  const top = cats.items.filter((c) => c.parent_id == null);
  const stage = h('div', { class: 'portal-stage' });
  const idemKey = `portal-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  shell(root, t('portal.heading', { village: village.name }), stage);
  const heading = root.querySelector('h1');

  const show = (...nodes) => {
    stage.replaceChildren(...nodes);
    window.scrollTo(0, 0);
    heading.focus({ preventScroll: true });
  };

  const step1 = () => show(stepLine(1), h('h2', null, t('portal.step1')),
    h('p', { class: 'hint' }, t('portal.step1_hint')),
    h('ul', { class: 'portal-choices portal-cats' }, top.map((c) => h('li', null,
      h('button', { type: 'button', class: 'btn portal-choice', dataset: { category: c.id }, onclick: () => step2(c) },
        catName(c))))),
    h('p', { class: 'portal-links' }, h('a', { href: '#/track' }, t('portal.track_link')), ' · ',
      h('a', { href: `#/board/${village.code}` }, t('portal.board_link'))),
    meetInPerson(days));

  const step2 = (cat) => {
    const box = alertBox();
    const desc = h('textarea', { id: 'portal-desc', name: 'description', rows: 5, maxlength: 4000, 'aria-describedby': 'portal-desc-hint portal-desc-err' });
    const descField = h('div', { class: 'field', dataset: { field: 'description' } },
      h('label', { for: 'portal-desc' }, t('portal.description')),
      h('p', { class: 'hint', id: 'portal-desc-hint' }, t('portal.description_hint')),
      desc, h('p', { class: 'field-error', id: 'portal-desc-err', hidden: true }));
    descField.input = desc;
    const name = field({ name: 'submitter_name', label: t('portal.name'), autocomplete: 'name', attrs: { maxlength: 32 } });
    const phone = field({ name: 'submitter_phone', label: t('portal.phone'), type: 'tel', inputmode: 'numeric', autocomplete: 'tel', hint: t('portal.phone_hint'), attrs: { maxlength: 20 } });
    const anon = field({ name: 'anonymous', label: t('portal.anonymous'), checkbox: true });
    const consent = field({ name: 'public_consent', label: t('portal.consent'), checkbox: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block portal-big' }, t('portal.submit'));
    const form = h('form', { class: 'form', id: 'portal-form', novalidate: true }, box,
      h('p', { class: 'portal-chosen' }, catName(cat)), descField, name, phone, anon, consent, submit,
      h('button', { type: 'button', class: 'btn btn-block portal-back', onclick: step1 }, t('portal.back')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form, box);
      if (!desc.value.trim()) { showErrors(form, [{ field: 'description', message: t('portal.need_description') }]); return; }
      const body = {
        village_code: village.code, category_id: cat.id, description: desc.value.trim(),
        anonymous: anon.input.checked, public_consent: consent.input.checked,
      };
      if (name.input.value.trim()) body.submitter_name = name.input.value.trim();
      if (phone.input.value.trim()) body.submitter_phone = phone.input.value.trim();
      const done = busy(submit, t('portal.busy'));
      try {
        const res = await api.post(`${PUBLIC}/appeals`, body, { headers: { 'Idempotency-Key': idemKey }, redirect401: false });
        done();
        step3(res, (body.submitter_phone || '').replace(/\D/g, '').slice(-4));
      } catch (err) {
        done();
        if (!isAbort(err)) showProblem(form, box, err);
      }
    });
    show(stepLine(2), h('h2', null, t('portal.step2')), form);
    desc.focus();
  };

  const step3 = (res, last4) => show(stepLine(3),
    h('div', { class: 'alert alert-ok', role: 'status' }, h('p', { class: 'alert-title' }, t('portal.done_title'))),
    h('p', { class: 'portal-code-label' }, t('portal.code_label')),
    h('p', { class: 'portal-code', id: 'portal-code', lang: 'en' }, res.receipt_code),
    h('p', { class: 'portal-write' }, t('portal.write_down')),
    photoStep(res.receipt_code, res.phone_given ? last4 : ''),
    h('a', { class: 'btn btn-primary btn-block portal-big', href: `#/track?code=${encodeURIComponent(res.receipt_code)}` }, t('portal.track_now')),
    h('button', { type: 'button', class: 'btn btn-block portal-back', onclick: () => navigate(`#/portal/${village.code}`) }, t('portal.another')));

  step1();
}

// The optional photo step after the receipt code ("补充照片"): each photo
// chosen goes to the public route at once (the phone's last four digits
// when one was given).
function photoStep(code, last4) {
  const box = alertBox();
  const query = last4 ? `?phone_last4=${encodeURIComponent(last4)}` : '';
  const input = h('input', { type: 'file', id: 'portal-photo', accept: 'image/*', capture: 'environment', class: 'portal-file' });
  const status = h('p', { class: 'hint', role: 'status', id: 'portal-photo-status' });
  const thumbs = h('div');
  const sent = [];
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    box.hidden = true;
    status.textContent = t('portal.photo_busy');
    try {
      const ph = await uploadPhoto(`${PUBLIC}/track/${encodeURIComponent(code)}/photos${query}`, file, { csrf: false });
      if (!sent.some((x) => x.sha256 === ph.sha256)) sent.push(ph);
      status.textContent = t('portal.photo_done', { n: sent.length });
      thumbs.replaceChildren(photoGrid(sent, query));
    } catch (err) {
      status.textContent = '';
      box.replaceChildren(h('p', { class: 'alert-title' }, err.title || String(err)), err.detail ? h('p', null, err.detail) : null);
      box.hidden = false;
    }
    input.value = '';
  });
  return h('section', { class: 'card portal-photos', id: 'portal-photos' },
    h('h2', null, t('portal.photo_title')), h('p', { class: 'hint' }, t('portal.photo_intro')), box,
    h('label', { for: 'portal-photo', class: 'portal-file-label' }, t('portal.photo_add')), input, status, thumbs);
}

// ---------------------------------------------------------------- track

function choiceGroup(name, label, options) {
  const group = h('fieldset', { class: 'portal-group field', dataset: { field: name } },
    h('legend', null, label),
    h('div', { class: 'portal-toggle' }, options.map(([value, text]) => {
      const id = `pf-${name}-${value}`;
      return h('span', null,
        h('input', { type: 'radio', name, id, value, class: 'portal-radio' }),
        h('label', { for: id, class: 'btn portal-choice' }, text));
    })),
    h('p', { class: 'field-error', hidden: true }));
  group.input = group.querySelector('input');
  group.value = () => { const c = group.querySelector('input:checked'); return c ? c.value : null; };
  return group;
}

function feedbackForm(res, last4, onDone) {
  const box = alertBox();
  const fixed = choiceGroup('fixed', t('track.fixed_q'), [['yes', t('track.fixed_yes')], ['no', t('track.fixed_no')]]);
  const sat = choiceGroup('satisfaction', t('track.sat_q'),
    ['satisfied', 'basically_satisfied', 'dissatisfied'].map((s) => [s, t(`sat.${s}`)]));
  const comment = h('textarea', { id: 'track-comment', name: 'comment', rows: 3, maxlength: 500 });
  const commentField = h('div', { class: 'field', dataset: { field: 'comment' } },
    h('label', { for: 'track-comment' }, t('track.comment')), comment, h('p', { class: 'field-error', hidden: true }));
  commentField.input = comment;
  const send = h('button', { type: 'submit', class: 'btn btn-primary btn-block portal-big' }, t('track.send'));
  const form = h('form', { class: 'form card', id: 'feedback-form', novalidate: true },
    h('h2', null, t('track.feedback_title')),
    res.follow_up_at ? h('p', { class: 'hint' }, t('track.follow_up')) : null,
    box, fixed, sat, commentField, send);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const missing = [];
    if (!fixed.value()) missing.push({ field: 'fixed', message: t('track.need_fixed') });
    if (!sat.value()) missing.push({ field: 'satisfaction', message: t('track.need_sat') });
    if (missing.length) { showErrors(form, missing); return; }
    const body = { fixed: fixed.value() === 'yes', satisfaction: sat.value() };
    if (comment.value.trim()) body.comment = comment.value.trim();
    if (last4) body.phone_last4 = last4;
    const done = busy(send, t('track.sending'));
    try {
      const after = await api.post(`${PUBLIC}/track/${encodeURIComponent(res.receipt_code)}/feedback`, body, { redirect401: false });
      done();
      onDone(after);
    } catch (err) {
      done();
      if (!isAbort(err)) showProblem(form, box, err);
    }
  });
  return form;
}

function trackResult(res, last4, notice) {
  const out = h('div', { class: 'portal-result', id: 'track-result' });
  const draw = (r, msg) => {
    out.replaceChildren(...[
      msg ? h('div', { class: 'alert alert-ok', role: 'status' }, h('p', { class: 'alert-title' }, msg)) : null,
      h('section', { class: 'card' },
        h('p', { class: 'portal-code-label' }, t('track.state')),
        h('p', { class: `portal-state ps-${r.state}`, id: 'track-state', dataset: { state: r.state } }, t(`pstate.${r.state}`)),
        h('p', { class: 'muted' }, `${r.receipt_code} · ${r.village.name} · ${catName(r.category)}`),
        r.merged ? h('p', { class: 'hint' }, t('track.merged')) : null,
        !r.details ? h('p', { class: 'hint' }, t('track.more_hint')) : null,
        r.description ? h('div', null, h('h2', null, t('track.description')), h('p', { class: 'portal-text' }, r.description)) : null,
        r.resolution ? h('div', null, h('h2', null, t('track.resolution')), h('p', { class: 'portal-text' }, r.resolution)) : null,
        r.photos && r.photos.length ? h('div', null, h('h2', null, t('track.photos')),
          photoGrid(r.photos, last4 ? `?phone_last4=${encodeURIComponent(last4)}` : '')) : null,
        r.feedback ? h('p', null, `${t('track.your_feedback')}：${t(`sat.${r.feedback}`)}`) : null),
      r.details && r.feedback_open ? feedbackForm(r, last4, (after) => draw(after,
        after.state === 'reopened' ? t('track.thanks_reopen') : t('track.thanks'))) : null,
      h('section', { class: 'card' }, h('h2', null, t('track.timeline')),
        h('ol', { class: 'portal-timeline' }, r.timeline.map((e) => h('li', null,
          h('span', { class: 'portal-when' }, timeOf(e.at)),
          h('span', { class: 'portal-what' }, t(`pact.${e.action}`)),
          e.note ? h('span', { class: 'portal-note' }, e.note) : null)))),
      h('p', { class: 'portal-links' }, h('a', { href: `#/board/${r.village.code}` }, t('portal.board_link')))].filter(Boolean));
  };
  draw(res, notice);
  return out;
}

async function renderTrack(root, ctx) {
  const box = alertBox();
  const code = field({ name: 'receipt_code', label: t('track.code'), hint: t('track.code_hint'), value: ctx.query.get('code') || '',
    attrs: { autocapitalize: 'characters', spellcheck: 'false', maxlength: 20, class: 'portal-code-input' } });
  const last4 = field({ name: 'phone_last4', label: t('track.last4'), inputmode: 'numeric', attrs: { maxlength: 4, pattern: '[0-9]*' } });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block portal-big' }, t('track.submit'));
  const form = h('form', { class: 'form card', id: 'track-form', novalidate: true }, box, code, last4, submit);
  const result = h('div', { class: 'portal-result-box' });
  shell(root, t('track.heading'), form, result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form, box);
    const c = code.input.value.trim();
    const d = last4.input.value.trim();
    if (!c) { showErrors(form, [{ field: 'receipt_code', message: t('track.need_code') }]); return; }
    const done = busy(submit, t('track.busy'));
    try {
      const res = await api.get(`${PUBLIC}/track/${encodeURIComponent(c)}`, { query: d ? { phone_last4: d } : {}, signal: ctx.signal, redirect401: false });
      done();
      result.replaceChildren(trackResult(res, d));
      result.scrollIntoView({ block: 'start' });
    } catch (err) {
      done();
      result.replaceChildren();
      if (!isAbort(err)) showProblem(form, box, err);
    }
  });
  if (code.input.value) last4.input.focus();
  else code.input.focus();
}

// ---------------------------------------------------------------- board

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const k of kids) el.append(k);
  return el;
}

/** Bars of received (grey) and resolved (red) per month, plain SVG. */
function monthChart(months) {
  const W = 360, H = 210, left = 28, bottom = 28, top = 12;
  const max = Math.max(1, ...months.map((m) => Math.max(m.received, m.resolved)));
  const step = (W - left) / months.length;
  const bw = Math.max(4, step / 2 - 3);
  const y = (v) => H - bottom - (v / max) * (H - bottom - top);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'portal-chart', role: 'img', 'aria-label': t('board.chart_label') });
  svg.append(s('line', { x1: left, x2: W, y1: H - bottom, y2: H - bottom, stroke: '#7d776d', 'stroke-width': 1 }));
  svg.append(s('text', { x: left - 4, y: top + 10, 'text-anchor': 'end', class: 'pc-axis' }, String(max)));
  svg.append(s('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end', class: 'pc-axis' }, '0'));
  months.forEach((m, i) => {
    const x = left + i * step + 2;
    const title = `${m.month}: ${t('board.received')} ${m.received}, ${t('board.resolved')} ${m.resolved}`;
    const g = s('g', null, s('title', null, title));
    g.append(s('rect', { x, y: y(m.received), width: bw, height: H - bottom - y(m.received), class: 'pc-received' }));
    g.append(s('rect', { x: x + bw + 1, y: y(m.resolved), width: bw, height: H - bottom - y(m.resolved), class: 'pc-resolved' }));
    g.append(s('text', { x: x + bw, y: H - 8, 'text-anchor': 'middle', class: 'pc-label' },
      t('board.month_label', { m: String(Number(m.month.slice(5))) })));
    svg.append(g);
  });
  return svg;
}

async function renderBoard(root, ctx) {
  let board;
  try {
    board = await api.get(`${PUBLIC}/board/${encodeURIComponent(ctx.params.village)}`, { signal: ctx.signal, redirect401: false });
  } catch (err) {
    if (isAbort(err) || err.status !== 404) throw err;
    await renderChooserFor(root, ctx, '#/board');
    return;
  }
  const sum = (k) => board.months.reduce((a, m) => a + m[k], 0);
  const share = (a, b) => (b ? sum(a) / sum(b) : null);
  const rated = sum('rated');
  const sat = sum('satisfied');
  const figure = (label, value) => h('div', { class: 'portal-figure' }, h('dt', null, label), h('dd', null, value));
  shell(root, t('board.heading', { village: board.village.name }),
    h('p', { class: 'portal-lead' }, t('board.intro')),
    h('section', { class: 'card' }, h('h2', null, t('board.figures')),
      h('dl', { class: 'portal-figures' },
        figure(t('board.received'), String(sum('received'))),
        figure(t('board.resolved'), String(sum('resolved'))),
        figure(t('board.on_time'), pct(share('on_time', 'resolved'))),
        figure(t('board.satisfied'), pct(rated ? sat / rated : null))),
      monthChart(board.months),
      h('p', { class: 'portal-legend' }, h('span', { class: 'pk pk-received' }), t('board.received'), ' ',
        h('span', { class: 'pk pk-resolved' }), t('board.resolved')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'portal-table' },
        h('thead', null, h('tr', null, [t('board.month'), t('board.received'), t('board.resolved'), t('board.on_time'), t('board.satisfied')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, board.months.slice().reverse().map((m) => h('tr', null,
          h('th', { scope: 'row' }, m.month), h('td', null, String(m.received)), h('td', null, String(m.resolved)),
          h('td', null, pct(m.on_time_share)), h('td', null, pct(m.satisfaction_share)))))))),
    h('section', { class: 'card' }, h('h2', null, t('board.list')),
      board.items.length ? h('ul', { class: 'portal-items', id: 'board-items' }, board.items.map((it) => h('li', null,
        h('p', { class: 'portal-item-head' }, h('strong', null, catName(it.category)), ' · ', t('board.resolved_on', { date: dateOf(it.resolved_at) })),
        h('p', { class: 'portal-text' }, it.description),
        it.resolution ? h('p', { class: 'portal-resolution' }, `${t('track.resolution')}：${it.resolution}`) : null,
        it.feedback ? h('p', { class: 'muted' }, t('board.feedback', { sat: t(`sat.${it.feedback}`) })) : null)))
        : h('p', { class: 'empty' }, t('board.empty'))),
    h('p', { class: 'portal-links' }, h('a', { href: `#/portal/${board.village.code}` }, t('portal.title')), ' · ',
      h('a', { href: '#/track' }, t('track.title'))));
}

async function renderChooserFor(root, ctx, target) {
  const list = await villages(ctx.signal);
  shell(root, t('portal.choose_title'),
    h('div', { class: 'alert alert-error', role: 'alert' }, h('p', { class: 'alert-title' }, t('portal.bad_village'))),
    villageChooser(list, target));
}

registerPage({ id: 'portal-choose', path: '#/portal', public: true, nav: false, title: { zh: '反映问题', en: 'Report a problem' }, render: (root, ctx) => renderChooser(root, ctx, false) });
registerPage({ id: 'portal', path: '#/portal/:village', public: true, title: { zh: '反映问题', en: 'Report a problem' }, render: renderPortal });
registerPage({ id: 'track', path: '#/track', public: true, nav: false, title: { zh: '查进度', en: 'Track' }, render: renderTrack });
registerPage({ id: 'board', path: '#/board/:village', public: true, title: { zh: '公开栏', en: 'Public board' }, render: renderBoard });
