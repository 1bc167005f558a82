// app.js: the shell every module extends — page registry, hash router,
// navigation, language switch and the signed-in user.
//
// A module adds a page by writing web/pages/NAME.js:
//
//   import { registerPage } from '../app.js';
//   import { addStrings, t } from '../i18n.js';
//   addStrings({ zh: { 'appeals.title': '诉求办理' }, en: { 'appeals.title': 'Appeals' } });
//   registerPage({
//     id: 'appeals',                       // unique
//     path: '#/appeals',                   // or '#/appeals/:id' (params; not in the menu)
//     title: { zh: '诉求办理', en: 'Appeals' },
//     roles: ['admin', 'leader', 'cadre'], // omit: every signed-in role
//     order: 40,                           // menu position (smaller first)
//     render(root, ctx) { ... },           // may be async; may return a cleanup function
//   });
//
// and adding './pages/NAME.js' to PAGE_MODULES below. ctx holds
// {user, params, query (URLSearchParams of '#/path?a=b'), signal (aborted
// when the user leaves the page), lang, page}. Other options: public: true
// (no sign-in, e.g. the login page), nav: false (not in the menu),
// allowDuringPasswordChange: true (reachable while a new password is due).

import { t, pick, getLang, setLang, onLangChange, htmlLang, roleLabel } from './i18n.js';
import { api, setCsrf, onUnauthorized, onPasswordChangeRequired, isAbort } from './api.js';
import { h, errorPanel } from './ui.js';
import { startOffline } from './offline.js';

/** Page modules, loaded in this order after the shell is ready. */
const PAGE_MODULES = [
  './pages/login.js',
  './pages/home.js',
  './pages/users.js',
  './pages/audit.js',
  './pages/tokens.js',
  './pages/password.js',
  './pages/org-regions.js',
  './pages/org-departments.js',
  './pages/org-teams.js',
  './pages/org-assignments.js',
  './pages/households.js',
  './pages/import.js',
  './pages/appeals.js',
  './pages/appeals-admin.js',
  './pages/portal.js',
  './pages/plans.js',
  './pages/contacts.js',
  './pages/reception.js',
  './pages/meetings.js',
  './pages/diary.js',
  './pages/record.js',
  './pages/confirm.js',
  './pages/outbox.js',
  './pages/apikeys.js',
  './pages/outbound.js',
  './pages/inbox.js',
];

export const ROLES = ['admin', 'leader', 'cadre', 'viewer'];
const INTENDED_KEY = 'zl.intended';
const HOME = '#/home';

const pages = [];
const state = {
  user: null,
  booted: false,
  controller: null, // AbortController of the page on screen
  cleanup: null,
  notice: null,     // {text, kind, routes}: shown on the next page(s)
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- registry

function compilePath(path) {
  const keys = [];
  const src = path.split('/').map((seg) => {
    if (seg.startsWith(':')) { keys.push(seg.slice(1)); return '([^/]+)'; }
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('/');
  return { re: new RegExp(`^${src}$`), keys };
}

/** Adds a page; see the top of this file. */
export function registerPage(def) {
  if (!def || !def.id || typeof def.render !== 'function') throw new Error('registerPage: id and render are required');
  if (typeof def.path !== 'string' || !def.path.startsWith('#/')) throw new Error(`registerPage ${def.id}: path must start with #/`);
  if (pages.some((p) => p.id === def.id)) throw new Error(`registerPage: duplicate id ${def.id}`);
  if (pages.some((p) => p.path === def.path)) throw new Error(`registerPage: duplicate path ${def.path}`);
  if (def.roles && !def.roles.every((r) => ROLES.includes(r))) throw new Error(`registerPage ${def.id}: unknown role`);
  const { re, keys } = compilePath(def.path);
  const page = {
    order: 100,
    nav: !def.public && keys.length === 0,
    ...def,
    re,
    keys,
  };
  pages.push(page);
  pages.sort((a, b) => a.order - b.order);
  if (state.booted) renderNav();
  return page;
}

/** May this user use this page? */
export function canUse(page, user) {
  if (page.public) return true;
  if (!user) return false;
  return !page.roles || page.roles.includes(user.role);
}

/** The menu pages this user may use, in menu order. */
export function navPages(user = state.user) {
  return pages.filter((p) => p.nav && canUse(p, user));
}

function findPage(path) {
  for (const page of pages) {
    const m = page.re.exec(path);
    if (m) {
      const params = {};
      page.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { page, params };
    }
  }
  return null;
}

// ---------------------------------------------------------------- session

/** The signed-in user ({id, username, display_name, role, scope_code, must_change_password}) or null. */
export function currentUser() { return state.user; }

export function hasRole(...roles) { return !!state.user && roles.includes(state.user.role); }

/** Takes the answer of POST or GET /api/v1/session. */
export function signIn(session) {
  state.user = session.user;
  setCsrf(session.csrf_token);
  renderShell();
}

function clearSession() {
  state.user = null;
  setCsrf(null);
  renderShell();
}

/** Asks the server who is signed in; returns the user or null (401). */
export async function refreshSession() {
  try {
    const s = await api.get('/api/v1/session', { redirect401: false });
    signIn(s);
    return s.user;
  } catch (e) {
    if (e.status === 401) { clearSession(); return null; }
    throw e;
  }
}

/** Signs out on the server and here, then shows the sign-in page. */
export async function signOut() {
  try { await api.del('/api/v1/session', { redirect401: false }); } catch (_) { /* signed out anyway */ }
  clearSession();
  notify(t('login.signed_out'), 'ok');
  navigate('#/login');
}

function rememberIntended(hash) {
  if (!hash || hash.startsWith('#/login') || hash.startsWith('#/password')) return;
  try { sessionStorage.setItem(INTENDED_KEY, hash); } catch (_) { /* ignore */ }
}

/** The page the user wanted before being sent to sign in (and forgets it), or the home page. */
export function takeIntended() {
  let hash = null;
  try { hash = sessionStorage.getItem(INTENDED_KEY); sessionStorage.removeItem(INTENDED_KEY); } catch (_) { /* ignore */ }
  return hash && hash.startsWith('#/') ? hash : HOME;
}

// ---------------------------------------------------------------- notices

/** Shows a message at the top of the page; it stays through the next navigation. */
export function notify(text, kind = 'ok') {
  state.notice = { text, kind, routes: 0 };
  showNotice();
}

function showNotice() {
  const box = $('notice');
  if (!box) return;
  const n = state.notice;
  box.replaceChildren();
  box.className = 'notice';
  if (!n) { box.hidden = true; return; }
  box.classList.add(n.kind === 'error' ? 'alert-error' : 'alert-ok', 'alert');
  box.append(h('p', { class: 'alert-title' }, n.text),
    h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'aria-label': t('common.close'), onclick: () => { state.notice = null; showNotice(); } }, '×'));
  box.hidden = false;
}

// ---------------------------------------------------------------- routing

/** Goes to a hash such as '#/users?q=li'; re-renders if it is the current one. */
export function navigate(hash, { replace = false } = {}) {
  if (location.hash === hash) { route(); return; }
  if (replace) location.replace(hash);
  else location.hash = hash;
}

function abortPage() {
  for (const d of document.querySelectorAll('dialog.dialog')) if (d.open) d.close();
  if (state.controller) state.controller.abort();
  state.controller = null;
  if (state.cleanup) { try { state.cleanup(); } catch (e) { console.error(e); } }
  state.cleanup = null;
}

async function route() {
  const raw = location.hash || '';
  if (!raw.startsWith('#/')) { navigate(state.user ? HOME : '#/login', { replace: true }); return; }
  const [path, qs] = raw.split('?');
  const found = findPage(path);
  const user = state.user;

  if (found && !found.page.public && !user) { rememberIntended(raw); navigate('#/login', { replace: true }); return; }
  if (found && found.page.id === 'login' && user) { navigate(user.must_change_password ? '#/password' : HOME, { replace: true }); return; }
  if (user && user.must_change_password && !(found && found.page.allowDuringPasswordChange)) {
    rememberIntended(raw);
    navigate('#/password', { replace: true });
    return;
  }

  abortPage();
  closeMenu();
  window.scrollTo(0, 0);
  const main = $('main');
  main.replaceChildren();
  main.className = 'main';
  if (state.notice) {
    state.notice.routes += 1;
    if (state.notice.routes > 1) state.notice = null;
    showNotice();
  }

  if (!found) {
    renderProblemPage(main, t('error.not_found_title'), t('error.not_found_page'));
    document.title = `${t('error.not_found_title')} · ${t('app.name')}`;
    markNav(null);
    return;
  }
  const { page, params } = found;
  if (!canUse(page, user)) {
    renderProblemPage(main, t('error.forbidden_title'), t('error.forbidden_page'));
    document.title = `${t('error.forbidden_title')} · ${t('app.name')}`;
    markNav(null);
    return;
  }

  document.title = `${pick(page.title)} · ${t('app.name')}`;
  main.classList.add(`page-${page.id}`);
  markNav(page);
  const controller = new AbortController();
  state.controller = controller;
  const ctx = { user, params, query: new URLSearchParams(qs || ''), signal: controller.signal, lang: getLang(), page };
  try {
    const cleanup = await page.render(main, ctx);
    if (controller.signal.aborted) { if (typeof cleanup === 'function') cleanup(); return; }
    if (typeof cleanup === 'function') state.cleanup = cleanup;
  } catch (e) {
    if (isAbort(e) || controller.signal.aborted) return;
    console.error(e);
    main.append(errorPanel(e, () => route()));
  }
  if (!controller.signal.aborted && main.contains(document.activeElement) === false) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
  }
}

function renderProblemPage(main, title, text) {
  main.append(h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, title)),
    h('div', { class: 'card' }, h('p', null, text),
      h('p', null, h('a', { href: state.user ? HOME : '#/login', class: 'btn' }, t('error.go_home')))));
}

// ---------------------------------------------------------------- shell

function markNav(page) {
  for (const a of document.querySelectorAll('#nav-list a')) {
    if (page && a.dataset.page === page.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/**
 * The menu's groups, in order: the day's work first, then supervision, the
 * set-up, and the user's own account. A page not named here is work.
 */
const MENU_GROUPS = [
  { id: 'work', title: { zh: '日常工作', en: 'Daily work' }, pages: [] },
  { id: 'supervise', title: { zh: '督办与记录', en: 'Supervision' }, pages: ['appeals-supervise', 'audit'] },
  {
    id: 'setup', title: { zh: '机构与设置', en: 'Set-up' },
    pages: ['users', 'org-regions', 'org-departments', 'org-teams', 'org-assignments', 'import',
      'appeals-categories', 'appeals-calendar', 'apikeys', 'outbound'],
  },
  { id: 'account', title: { zh: '我的账户', en: 'My account' }, pages: ['tokens', 'password'] },
];

function menuGroupOf(page) {
  const g = MENU_GROUPS.find((x) => x.pages.includes(page.id));
  return g ? g.id : 'work';
}

function renderNav() {
  const list = $('nav-list');
  if (!list) return;
  const user = state.user;
  const items = user && user.must_change_password
    ? navPages(user).filter((p) => p.allowDuringPasswordChange)
    : navPages(user);
  const link = (p) => h('li', null, h('a', { href: p.path, dataset: { page: p.id } }, pick(p.title)));
  // one group alone needs no heading (a cadre's short menu, a forced password change)
  const groups = MENU_GROUPS.map((g) => ({ g, pages: items.filter((p) => menuGroupOf(p) === g.id) }))
    .filter((x) => x.pages.length);
  if (groups.length < 2) {
    list.replaceChildren(...items.map(link));
  } else {
    list.replaceChildren(...groups.map(({ g, pages: ps }) => h('li', { class: 'nav-group' },
      h('span', { class: 'nav-group-title', id: `nav-group-${g.id}` }, pick(g.title)),
      h('ul', { class: 'nav-sublist', 'aria-labelledby': `nav-group-${g.id}` }, ...ps.map(link)))));
  }
  const who = $('nav-user-name');
  if (who) {
    who.replaceChildren();
    if (user) {
      who.append(h('span', { class: 'nav-user-display' }, user.display_name || user.username),
        h('span', { class: 'nav-user-role' }, roleLabel(user.role)));
    }
  }
}

/** Puts the shell's texts in the current language and shows what fits the session. */
function renderShell() {
  document.documentElement.lang = htmlLang();
  const signedIn = !!state.user;
  document.body.classList.toggle('signed-in', signedIn);
  document.body.classList.toggle('signed-out', !signedIn);
  $('brand-name').textContent = t('app.name');
  $('brand-sub').textContent = t('app.subtitle');
  const langBtn = $('lang-switch');
  langBtn.textContent = t('lang.switch_to');
  langBtn.lang = getLang() === 'zh' ? 'en' : 'zh-CN';
  langBtn.setAttribute('aria-label', t('lang.switch_label'));
  $('menu-label').textContent = t('nav.menu');
  $('nav').setAttribute('aria-label', t('nav.label'));
  $('logout').textContent = t('nav.logout');
  $('nav-user-label').textContent = t('nav.signed_in_as');
  $('skip-link').textContent = t('nav.skip');
  renderNav();
  showNotice();
}

function openMenu(open) {
  document.body.classList.toggle('nav-open', open);
  $('menu-button').setAttribute('aria-expanded', String(open));
  $('menu-label').textContent = open ? t('nav.menu_close') : t('nav.menu');
}

function closeMenu() { openMenu(false); }

function bindShell() {
  $('lang-switch').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  $('menu-button').addEventListener('click', () => openMenu(!document.body.classList.contains('nav-open')));
  $('logout').addEventListener('click', () => signOut());
  $('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    const main = $('main');
    const h1 = main.querySelector('h1');
    (h1 || main).focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('nav-open')) { closeMenu(); $('menu-button').focus(); }
  });
  onLangChange(() => { renderShell(); if (state.booted) route(); });

  onUnauthorized((err) => {
    const hadUser = !!state.user;
    abortPage();
    rememberIntended(location.hash);
    clearSession();
    notify(hadUser ? err.title || t('login.expired') : t('login.expired'), 'error');
    navigate('#/login', { replace: true });
  });
  onPasswordChangeRequired(() => {
    if (state.user) state.user.must_change_password = true;
    abortPage();
    renderNav();
    rememberIntended(location.hash);
    navigate('#/password', { replace: true });
  });
}

async function loadSession() {
  try {
    await refreshSession();
    return null;
  } catch (e) {
    return e;
  }
}

async function boot() {
  bindShell();
  renderShell();
  startOffline(); // service worker (https or this machine only), outbox badge and sync loop
  const results = await Promise.allSettled(PAGE_MODULES.map((m) => import(m)));
  const failed = results.filter((r) => r.status === 'rejected');
  for (const f of failed) console.error('page module failed to load', f.reason);

  const err = await loadSession();
  document.body.classList.remove('booting');
  if (err) {
    const main = $('main');
    main.replaceChildren(h('div', { class: 'page-head' }, h('h1', null, t('app.name'))),
      errorPanel(err, () => { location.reload(); }));
    return;
  }
  state.booted = true;
  renderShell();
  if (failed.length) notify(t('app.module_failed'), 'error');
  window.addEventListener('hashchange', () => route());
  route();
}

boot();
