// offline.js: field entry with no signal. Registers the service worker
// (web/sw.js), keeps the outbox of contacts in IndexedDB, sends it when the
// phone is online (online event + retry with back-off) and shows "待同步 N"
// in the top bar. Each entry carries a client UUID, so a resend is harmless:
// the server stores a contact once. Nothing is ever dropped here: 409s and
// validation errors stay listed with the server's message until retried.

import { api, ApiError } from './api.js';
import { addStrings, t, onLangChange } from './i18n.js';
import { h } from './ui.js';
import { currentUser } from './app.js';

addStrings({
  zh: {
    'outbox.badge': '待同步 {n}',
    'outbox.badge_label': '有 {n} 条记录等待上传，查看待同步',
    'outbox.offline': '离线：新记录先存在本手机，联网后自动上传。',
  },
  en: {
    'outbox.badge': 'To sync {n}',
    'outbox.badge_label': '{n} records waiting to upload: open the outbox',
    'outbox.offline': 'Offline: new records are kept on this phone and uploaded when online.',
  },
});

const DB_NAME = 'zhilian-offline';
const STORES = { outbox: 'outbox', kv: 'kv' };
const RETRY_MIN_MS = 5000;
const RETRY_MAX_MS = 5 * 60 * 1000;
const POLL_MS = 30000;

// ---------------------------------------------------------------- IndexedDB

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains(STORES.outbox)) d.createObjectStore(STORES.outbox, { keyPath: 'uuid' });
        if (!d.objectStoreNames.contains(STORES.kv)) d.createObjectStore(STORES.kv, { keyPath: 'key' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => { dbPromise = null; reject(req.error); };
    });
  }
  return dbPromise;
}

async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const x = d.transaction(store, mode);
    const s = x.objectStore(store);
    let out;
    const r = fn(s);
    if (r) r.onsuccess = () => { out = r.result; };
    x.oncomplete = () => resolve(out);
    x.onerror = () => reject(x.error);
    x.onabort = () => reject(x.error);
  });
}

/** Remembers a value on this device (e.g. the household list for offline use). */
export function kvSet(key, value) {
  return tx(STORES.kv, 'readwrite', (s) => s.put({ key, value, saved_at: new Date().toISOString() }));
}

/** The remembered {key, value, saved_at} or undefined. */
export function kvGet(key) {
  return tx(STORES.kv, 'readonly', (s) => s.get(key));
}

// ---------------------------------------------------------------- outbox

const events = new EventTarget();
/** fn() runs whenever the outbox or the sync state changes; returns an unsubscribe function. */
export function onOutboxChange(fn) {
  events.addEventListener('change', fn);
  return () => events.removeEventListener('change', fn);
}
function changed() { events.dispatchEvent(new Event('change')); }

/**
 * All entries of the signed-in user, oldest first. An entry:
 * {uuid, user_id, body (the POST body, uuid included), label, created_at,
 * status: pending | failed | conflict, attempts, last_attempt_at,
 * error: {status, code, title, detail, errors} | null, contact_id}.
 * failed: the server refused it (409, 422, 404...); conflict: stored, but
 * flagged by the server (the household moved to another cadre).
 */
export async function outboxItems() {
  const u = currentUser();
  if (!u) return [];
  const all = await tx(STORES.outbox, 'readonly', (s) => s.getAll());
  return (all || []).filter((e) => e.user_id === u.id).sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

/** Entries not yet stored on the server (what the badge counts). */
export async function waitingCount() {
  return (await outboxItems()).filter((e) => e.status !== 'conflict').length;
}

/**
 * Puts a contact in the outbox (body without uuid gets one) and starts a
 * send when online. Resolves the entry as stored.
 */
export async function enqueueContact(body, label) {
  const u = currentUser();
  if (!u) throw new Error('not signed in');
  const uuid = body.uuid || crypto.randomUUID();
  const entry = {
    uuid, user_id: u.id, body: { ...body, uuid }, label: label || '', created_at: new Date().toISOString(),
    status: 'pending', attempts: 0, last_attempt_at: null, error: null, contact_id: null,
  };
  await putEntry(entry);
  syncNow();
  return entry;
}

/** Writes an entry as is (also used to put a sent entry back, e.g. to replay it). */
export async function putEntry(entry) {
  await tx(STORES.outbox, 'readwrite', (s) => s.put(entry));
  changed();
}

/** Forgets a conflict notice (the contact is stored on the server). Refuses anything else. */
export async function dismissConflict(uuid) {
  const e = await tx(STORES.outbox, 'readonly', (s) => s.get(uuid));
  if (!e || e.status !== 'conflict') return false;
  await tx(STORES.outbox, 'readwrite', (s) => s.delete(uuid));
  changed();
  return true;
}

// ---------------------------------------------------------------- sync loop

const sync = { userId: null, running: false, timer: null, delay: RETRY_MIN_MS, nextAt: null, lastAt: null, lastError: null };

/** {running, nextAt, lastAt, lastError} for the outbox page. */
export function syncState() { return { ...sync, online: navigator.onLine }; }

function schedule(ms) {
  clearTimeout(sync.timer);
  sync.nextAt = Date.now() + ms;
  sync.timer = setTimeout(() => { syncNow(); }, ms);
}

function problemOf(err) {
  if (err instanceof ApiError) {
    return { status: err.status, code: err.code, title: err.title, detail: err.detail, errors: err.errors, request_id: err.requestId };
  }
  return { status: 0, code: 'network', title: t('error.network'), detail: String((err && err.message) || err) };
}

/** Is this answer worth sending again unchanged? (network, 5xx, 429, signed out, CSRF) */
function transient(err) {
  if (!(err instanceof ApiError)) return true;
  return err.status === 0 || err.status >= 500 || err.status === 429 || err.status === 401
    || (err.status === 403 && /csrf/i.test(err.code || ''));
}

async function sendOne(entry) {
  entry.attempts += 1;
  entry.last_attempt_at = new Date().toISOString();
  try {
    const r = await api.request('POST', '/api/v1/contacts', { body: entry.body, redirect401: false });
    const c = r.data || {};
    if (c.conflict) {
      await putEntry({ ...entry, status: 'conflict', error: null, contact_id: c.id ?? null, conflict: c.conflict });
    } else {
      await tx(STORES.outbox, 'readwrite', (s) => s.delete(entry.uuid));
      changed();
    }
    return true;
  } catch (err) {
    const p = problemOf(err);
    const again = transient(err);
    await putEntry({ ...entry, status: again ? 'pending' : 'failed', error: p });
    if (again) throw err;
    return false;
  }
}

/**
 * Sends every pending entry now (and, with {failed: true}, the refused ones
 * too: "retry now"). One run at a time; a transient failure stops the run
 * and schedules the next with back-off.
 */
export async function syncNow({ failed = false } = {}) {
  if (sync.running) return;
  // signed out, or the session is still loading: look again shortly
  if (!currentUser()) { schedule(2000); changed(); return; }
  if (currentUser().id !== sync.userId) { sync.userId = currentUser().id; tellWorker(); }
  if (!navigator.onLine) { changed(); return; }
  sync.running = true;
  changed();
  let trouble = null;
  try {
    const items = (await outboxItems()).filter((e) => e.status === 'pending' || (failed && e.status === 'failed'));
    for (const e of items) {
      try { await sendOne(e); } catch (err) { trouble = err; break; }
    }
  } catch (err) {
    trouble = err;
  } finally {
    sync.running = false;
    sync.lastAt = Date.now();
  }
  if (trouble) {
    sync.lastError = problemOf(trouble);
    sync.delay = Math.min(sync.delay * 2, RETRY_MAX_MS);
    schedule(sync.delay);
  } else {
    sync.lastError = null;
    sync.delay = RETRY_MIN_MS;
    schedule(POLL_MS);
  }
  changed();
}

// ---------------------------------------------------------------- badge

let badge = null;
async function renderBadge() {
  if (!badge) return;
  let n = 0;
  try { n = await waitingCount(); } catch (_) { n = 0; }
  const offline = !navigator.onLine;
  badge.link.hidden = n === 0;
  badge.link.dataset.count = String(n);
  badge.link.textContent = t('outbox.badge', { n });
  badge.link.setAttribute('aria-label', t('outbox.badge_label', { n }));
  badge.off.hidden = !offline;
  badge.off.textContent = t('outbox.offline');
}

function installBadge() {
  const bar = document.querySelector('.topbar-actions');
  if (!bar || document.getElementById('outbox-badge')) return;
  badge = {
    link: h('a', { id: 'outbox-badge', class: 'outbox-badge', href: '#/outbox', hidden: true }),
    off: h('div', { id: 'offline-flag', class: 'offline-bar', role: 'status', hidden: true }),
  };
  bar.prepend(badge.link);
  bar.closest('.topbar').after(badge.off);
  onOutboxChange(renderBadge);
  onLangChange(renderBadge);
  window.addEventListener('hashchange', renderBadge);
  renderBadge();
}

// ---------------------------------------------------------------- service worker

/** Same-origin scripts, styles and images this page loaded: the shell for the worker to keep. */
function loadedShell() {
  const urls = new Set(['/', '/index.html']);
  for (const e of performance.getEntriesByType('resource')) {
    const u = new URL(e.name, location.href);
    if (u.origin === location.origin && /\.(js|css|svg|png|ico|woff2)$/.test(u.pathname)) urls.add(u.pathname);
  }
  return [...urls];
}

function post(reg) {
  if (reg && reg.active) reg.active.postMessage({ type: 'precache', urls: loadedShell() });
}

/** Asks the worker to keep the shell and this session (after signing in: it has none yet). */
function tellWorker() {
  if ('serviceWorker' in navigator) navigator.serviceWorker.getRegistration('/').then(post).catch(() => {});
}

/** Registers /sw.js over https or on this machine (http://127.0.0.1 or localhost) only. */
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const local = location.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname);
  if (location.protocol !== 'https:' && !local) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(() => navigator.serviceWorker.ready).then((reg) => {
    post(reg);
    // page modules may still be loading: tell it again (it skips what it has)
    setTimeout(() => post(reg), 3000);
  }).catch((e) => console.warn('service worker not registered', e));
}

let started = false;
/** Starts the badge, the sync loop and the service worker; once per page load. */
export function startOffline() {
  if (started) return;
  started = true;
  installBadge();
  window.addEventListener('online', () => { sync.delay = RETRY_MIN_MS; syncNow(); });
  window.addEventListener('offline', () => changed());
  // after signing in (and on every page change while nothing failed lately)
  window.addEventListener('hashchange', () => { if (!sync.lastError) syncNow(); });
  schedule(1000);
  registerServiceWorker();
}
