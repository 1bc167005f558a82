// api.js: the one way pages talk to the server.
//
//   import { api, ApiError } from '/api.js';
//   const list = await api.get('/api/v1/users', { query: { q, role }, signal });
//   const user = await api.post('/api/v1/users', body);
//   await api.patch(`/api/v1/users/${id}`, changes);
//   await api.del(`/api/v1/tokens/${id}`);
//
// Every call sends Accept-Language for the chosen language (so the server's
// messages come in it) and, on unsafe methods, the X-CSRF-Token of the
// session. A failed call throws ApiError carrying the RFC 9457 problem:
// status, code ("auth.locked"), title, detail, errors [{field, message}] and
// request_id. 401 (signed out or expired) and 403
// auth.password_change_required also call the handlers app.js installs, so
// pages need not handle them; pass {redirect401: false} to opt out (the
// sign-in form does). An aborted call (signal) throws the AbortError as is.

import { acceptLanguage, t } from './i18n.js';

const CSRF_KEY = 'zl.csrf';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrf = null;
try { csrf = sessionStorage.getItem(CSRF_KEY); } catch (_) { /* no storage */ }

const handlers = { unauthorized: null, passwordChange: null };

/** Keeps the session's CSRF token in memory and in sessionStorage (null clears it). */
export function setCsrf(token) {
  csrf = token || null;
  try {
    if (csrf) sessionStorage.setItem(CSRF_KEY, csrf);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch (_) { /* ignore */ }
}

export function getCsrf() { return csrf; }

/** fn(err) runs when a call answers 401 (unless the call opted out). */
export function onUnauthorized(fn) { handlers.unauthorized = fn; }
/** fn(err) runs when a call answers 403 auth.password_change_required. */
export function onPasswordChangeRequired(fn) { handlers.passwordChange = fn; }

/** The server writes English messages in lower case; a page shows them as sentences. */
export function sentence(s) {
  if (typeof s !== 'string' || !s) return s || '';
  return /^[a-z]/.test(s) ? s[0].toUpperCase() + s.slice(1) : s;
}

export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem && typeof problem === 'object' ? problem : {};
    super(p.title || p.detail || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = p;
    this.code = p.code || (status ? `http.${status}` : 'network');
    this.title = sentence(p.title) || t('error.http', { status });
    this.detail = sentence(p.detail);
    this.errors = Array.isArray(p.errors)
      ? p.errors.map((e) => (e && typeof e === 'object' ? { ...e, message: sentence(e.message) } : { message: String(e) }))
      : [];
    this.requestId = p.request_id || '';
  }

  /** The field errors as {field: message}; the first message per field wins. */
  fieldErrors() {
    const out = {};
    for (const e of this.errors) {
      if (e && e.field && !(e.field in out)) out[e.field] = e.message || '';
    }
    return out;
  }
}

function buildUrl(path, query) {
  const url = new URL(path, location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      url.searchParams.set(k, String(v));
    }
  }
  return url;
}

/**
 * Sends one request. Returns {status, data, headers}; data is the parsed
 * JSON body, or the text, or null for an empty body.
 * opts: {body, query, signal, headers, redirect401 = true}
 */
export async function request(method, path, opts = {}) {
  const { body, query, signal, redirect401 = true } = opts;
  const headers = {
    Accept: 'application/json, application/problem+json',
    'Accept-Language': acceptLanguage(),
    ...(opts.headers || {}),
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method) && csrf) headers['X-CSRF-Token'] = csrf;

  let res;
  try {
    res = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: t('error.network'), detail: t('error.network_detail'), code: 'network' });
  }

  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    const type = res.headers.get('Content-Type') || '';
    if (text && /json/i.test(type)) {
      try { data = JSON.parse(text); } catch (_) { data = text; }
    } else if (text) {
      data = text;
    }
  }

  if (!res.ok) {
    const problem = data && typeof data === 'object' ? data : { status: res.status };
    const err = new ApiError(res.status, problem);
    if (res.status === 401 && redirect401 && handlers.unauthorized) handlers.unauthorized(err);
    if (res.status === 403 && err.code === 'auth.password_change_required' && handlers.passwordChange) {
      handlers.passwordChange(err);
    }
    throw err;
  }
  return { status: res.status, data, headers: res.headers };
}

export const api = {
  request,
  get: (path, opts) => request('GET', path, opts).then((r) => r.data),
  post: (path, body, opts) => request('POST', path, { ...opts, body: body ?? {} }).then((r) => r.data),
  put: (path, body, opts) => request('PUT', path, { ...opts, body: body ?? {} }).then((r) => r.data),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body: body ?? {} }).then((r) => r.data),
  del: (path, opts) => request('DELETE', path, opts).then((r) => r.data),
};

/** True for the error an aborted request throws. */
export function isAbort(e) {
  return !!e && e.name === 'AbortError';
}
