// Sign-in page (public). Shows the server's problem title/detail on failure
// (wrong password 401, locked 423, too many attempts 429).

import { registerPage, signIn, navigate, takeIntended } from '../app.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, alertBox, clearErrors, showErrors, showProblem, busy } from '../ui.js';

registerPage({
  id: 'login',
  path: '#/login',
  public: true,
  nav: false,
  title: { zh: '登录', en: 'Sign in' },
  render(root) {
    const box = alertBox();
    const username = field({ name: 'username', label: t('login.username'), required: true, autocomplete: 'username',
      attrs: { autocapitalize: 'none', spellcheck: 'false' } });
    const password = field({ name: 'password', label: t('login.password'), type: 'password', required: true, autocomplete: 'current-password' });
    const show = h('input', { type: 'checkbox', id: 'login-show-password' });
    show.addEventListener('change', () => { password.input.type = show.checked ? 'text' : 'password'; });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
    const form = h('form', { class: 'form', novalidate: true, id: 'login-form' },
      box, username, password,
      h('div', { class: 'field field-check' }, show, h('label', { for: 'login-show-password' }, t('login.show_password'))),
      submit);

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form, box);
      const u = username.input.value.trim();
      const p = password.input.value;
      const missing = [];
      if (!u) missing.push({ field: 'username', message: t('login.need_username') });
      if (!p) missing.push({ field: 'password', message: t('login.need_password') });
      if (missing.length) { showErrors(form, missing); return; }
      const done = busy(submit, t('login.busy'));
      try {
        const s = await api.post('/api/v1/session', { username: u, password: p }, { redirect401: false });
        done();
        signIn(s);
        navigate(s.user.must_change_password ? '#/password' : takeIntended(), { replace: true });
      } catch (err) {
        done();
        showProblem(form, box, err);
        password.input.value = '';
        password.input.focus();
      }
    });

    root.append(h('div', { class: 'login-wrap' },
      h('section', { class: 'card login-card', 'aria-labelledby': 'login-h1' },
        h('h1', { id: 'login-h1', tabindex: '-1' }, t('login.heading')),
        h('p', { class: 'login-intro' }, t('login.intro')),
        form,
        h('p', { class: 'hint login-hint' }, t('login.hint')))));
    username.input.focus();
  },
});
