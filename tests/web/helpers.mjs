// Shared helpers for the browser tests: launch Debian's chromium through
// playwright-core, sign in through the page, collect console errors (a CSP
// violation shows up there).
import { chromium } from 'playwright-core';

export const BASE = process.env.ZHILIAN_URL || '';
export const SKIP = BASE ? false : 'ZHILIAN_URL is not set (run scripts/run-web-tests.sh)';

export const DEMO = {
  admin: ['admin', 'Demo-2026-A1'],
  leader: ['leader', 'Demo-2026-L2'],
  cadre: ['cadre', 'Demo-2026-C3'],
  viewer: ['viewer', 'Demo-2026-V4'],
};

export const PHONE = { width: 375, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh context and page; errors collects console errors and page exceptions. */
export async function open(browser, { viewport = DESKTOP, path = '/' } = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => {
    // 401/403/409/422 answers the page handles are logged by chromium as
    // failed resource loads; they are expected, anything else is not.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  if (path) await page.goto(BASE + path);
  return { context, page, errors };
}

/** Signs in through the form; waits until the shell shows the signed-in state. */
export async function signIn(page, username, password) {
  if (!page.url().includes('#/login')) await page.goto(`${BASE}/#/login`);
  await page.locator('#login-form [name=username]').fill(username);
  await page.locator('#login-form [name=password]').fill(password);
  await page.locator('#login-form button[type=submit]').click();
  await page.waitForFunction(() => document.body.classList.contains('signed-in'));
}

/** The hrefs of the menu links. */
export async function navHrefs(page) {
  return page.locator('#nav-list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
}

/** Widest scrolling extent of the document (must not exceed the viewport). */
export function scrollWidth(page) {
  return page.evaluate(() => document.scrollingElement.scrollWidth);
}

/** Calls the API from the page with the session's cookie and CSRF token; {status, data}. */
export function apiCall(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const headers = { Accept: 'application/json' };
    if (b !== null) headers['Content-Type'] = 'application/json';
    if (m !== 'GET') headers['X-CSRF-Token'] = sessionStorage.getItem('zl.csrf');
    const res = await fetch(p, { method: m, headers, body: b === null ? undefined : JSON.stringify(b) });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
    return { status: res.status, data };
  }, [method, path, body ?? null]);
}
