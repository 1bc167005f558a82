// Change password (every signed-in user). Also the page a user is sent to
// when they must change their password (must_change_password, or any call
// answering 403 auth.password_change_required).

import { registerPage, refreshSession, navigate, notify, takeIntended, currentUser } from '../app.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, alertBox, statusBox, showMessage, clearErrors, showErrors, showProblem, busy, pageHeader } from '../ui.js';

/** The client-side checks (length, username); the server checks these and more and has the last word. */
export function checkNewPassword(username, newPw, repeat) {
  const errors = [];
  if ([...newPw].length < 10) errors.push({ field: 'new_password', message: t('password.too_short') });
  else if (username && newPw.toLowerCase().includes(username.toLowerCase())) {
    errors.push({ field: 'new_password', message: t('password.contains_username') });
  }
  if (newPw !== repeat) errors.push({ field: 'repeat_password', message: t('password.mismatch') });
  return errors;
}

registerPage({
  id: 'password',
  path: '#/password',
  title: { zh: '修改密码', en: 'Change password' },
  order: 90,
  allowDuringPasswordChange: true,
  render(root, ctx) {
    const user = ctx.user;
    const forced = !!user.must_change_password;
    const box = alertBox();
    const ok = statusBox();
    const oldPw = field({ name: 'old_password', label: t('password.old'), type: 'password', required: true, autocomplete: 'current-password' });
    const newPw = field({ name: 'new_password', label: t('password.new'), type: 'password', required: true, autocomplete: 'new-password', hint: t('password.rules') });
    const repeat = field({ name: 'repeat_password', label: t('password.repeat'), type: 'password', required: true, autocomplete: 'new-password' });
    // A hidden username helps password managers file the new password.
    const hiddenUser = h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, hidden: true, readonly: true, tabindex: '-1' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('password.submit'));
    const form = h('form', { class: 'form', novalidate: true, id: 'password-form' },
      box, hiddenUser, oldPw, newPw, repeat, h('div', { class: 'form-actions' }, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form, box);
      ok.hidden = true;
      const o = oldPw.input.value;
      const n = newPw.input.value;
      const r = repeat.input.value;
      const errors = [];
      if (!o) errors.push({ field: 'old_password', message: t('login.need_password') });
      errors.push(...checkNewPassword(user.username, n, r));
      if (errors.length) {
        showErrors(form, errors);
        showMessage(box, t('error.fix_fields'));
        return;
      }
      const done = busy(submit, t('common.working'));
      try {
        await api.post('/api/v1/session/password', { old_password: o, new_password: n }, { signal: ctx.signal });
      } catch (err) {
        done();
        if (ctx.signal.aborted) return;
        // A wrong current password comes without a field; show it at the field too.
        if (err.code === 'auth.old_password' && err.errors && !err.errors.length) {
          err.errors.push({ field: 'old_password', message: err.title });
        }
        showProblem(form, box, err);
        return;
      }
      done();
      form.reset();
      let now = null;
      try { now = await refreshSession(); } catch (_) { now = currentUser(); }
      if (!now) {
        notify(t('password.relogin'), 'ok');
        navigate('#/login', { replace: true });
        return;
      }
      if (forced) {
        notify(t('password.done'), 'ok');
        navigate(takeIntended(), { replace: true });
      } else {
        showMessage(ok, t('password.done'));
      }
    });

    root.append(pageHeader(t('password.title')),
      h('div', { class: 'card narrow' },
        forced ? h('p', { class: 'alert alert-warn', id: 'password-forced' }, t('password.forced')) : null,
        ok,
        form));
    if (forced) oldPw.input.focus();
  },
});
