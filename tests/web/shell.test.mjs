// The shell: sign-in page, language switch, menus by role, phone layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SKIP, DEMO, PHONE, launch, open, signIn, navHrefs, scrollWidth } from './helpers.mjs';

let browser;
before(async () => { if (!SKIP) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test('the sign-in page renders in Chinese', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser);
  await page.waitForURL(/#\/login$/);
  await assert.doesNotReject(page.getByRole('heading', { name: '登录直联' }).waitFor());
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.getByLabel('用户名').count(), 1);
  assert.equal(await page.getByLabel(/^密码/).getAttribute('name'), 'password');
  assert.equal((await page.locator('#login-form button[type=submit]').textContent()).trim(), '登录');
  assert.equal((await page.locator('#lang-switch').textContent()).trim(), 'English');
  assert.equal(await page.title(), '登录 · 直联');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a wrong password shows the server\'s Chinese error', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { path: '/#/login' });
  const langs = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/session') && r.method() === 'POST') langs.push(r.headers()['accept-language']); });
  await page.locator('#login-form [name=username]').fill('nosuchuser');
  await page.locator('#login-form [name=password]').fill('wrong-password-1');
  await page.locator('#login-form button[type=submit]').click();
  const alert = page.locator('#login-form .alert-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /用户名或密码错误/);
  assert.doesNotMatch(await page.locator('main').textContent(), /null|undefined/);
  assert.equal(await alert.getAttribute('data-code'), 'auth.failed');
  assert.equal(await page.locator('#login-form [name=password]').inputValue(), '');
  assert.deepEqual(langs, ['zh-CN']);
  assert.match(page.url(), /#\/login$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('English: labels switch, the choice is kept, server errors come in English', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { path: '/#/login' });
  await page.getByRole('heading', { name: '登录直联' }).waitFor();
  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { name: 'Sign in to Zhilian' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.getByLabel('Username').count(), 1);
  assert.equal((await page.locator('#lang-switch').textContent()).trim(), '中文');
  assert.equal(await page.evaluate(() => localStorage.getItem('zl.lang')), 'en');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to Zhilian' }).waitFor();

  const langs = [];
  page.on('request', (r) => { if (r.url().includes('/api/')) langs.push(r.headers()['accept-language']); });
  await page.locator('#login-form [name=username]').fill('nosuchuser2');
  await page.locator('#login-form [name=password]').fill('wrong-password-2');
  await page.locator('#login-form button[type=submit]').click();
  const alert = page.locator('#login-form .alert-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /wrong username or password/i);
  assert.ok(langs.length > 0 && langs.every((l) => l === 'en'), `Accept-Language sent: ${langs}`);

  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { name: '登录直联' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('zl.lang')), 'zh');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a viewer sees no user administration or audit in the menu', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { path: '/#/login' });
  await signIn(page, ...DEMO.viewer);
  await page.waitForURL(/#\/home$/);
  await page.getByRole('heading', { name: /周建华/ }).waitFor();
  assert.equal(await page.locator('#home-role').textContent(), '只读用户');
  const hrefs = await navHrefs(page);
  assert.ok(!hrefs.includes('#/users'), `menu: ${hrefs}`);
  assert.ok(!hrefs.includes('#/audit'), `menu: ${hrefs}`);
  assert.ok(hrefs.includes('#/home') && hrefs.includes('#/tokens') && hrefs.includes('#/password'), `menu: ${hrefs}`);
  // Typing the address shows a refusal, not the page.
  await page.goto(`${BASE}/#/users`);
  await page.getByRole('heading', { name: '没有权限' }).waitFor();
  assert.equal(await page.locator('.users-table').count(), 0);
  // Tokens: a viewer reads but may not create.
  await page.goto(`${BASE}/#/tokens`);
  await page.getByRole('heading', { name: '我的 API 令牌' }).waitFor();
  assert.equal(await page.locator('#token-form').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a leader reads the user list but may not change it, and has no audit log', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { path: '/#/users' });
  await page.waitForURL(/#\/login$/);
  await signIn(page, ...DEMO.leader);
  await page.waitForURL(/#\/users$/); // the page asked for before signing in
  await page.locator('.users-table tbody tr').first().waitFor();
  await page.locator('#users-readonly').waitFor();
  assert.equal(await page.locator('#user-new').count(), 0);
  assert.equal(await page.locator('.users-table button').count(), 0);
  assert.ok(!(await navHrefs(page)).includes('#/audit'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone (375x740): menu button, stacked cards, no horizontal overflow, large type and targets', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: '/#/login' });
  await page.getByRole('heading', { name: '登录直联' }).waitFor();
  assert.ok(await scrollWidth(page) <= 375, 'login page overflows');
  await signIn(page, ...DEMO.admin);
  await page.waitForURL(/#\/home$/);

  const menu = page.locator('#menu-button');
  assert.ok(await menu.isVisible(), 'menu button hidden on a phone');
  assert.ok(!(await page.locator('#nav').isVisible()), 'menu open before it is asked for');
  await menu.click();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  await page.locator('#nav-list a[href="#/users"]').click();
  await page.waitForURL(/#\/users$/);
  await page.locator('.users-table tbody tr').first().waitFor();
  assert.ok(!(await page.locator('#nav').isVisible()), 'menu stays open after choosing a page');
  assert.ok(!(await page.locator('.users-table thead').isVisible()) ||
    (await page.locator('.users-table thead').boundingBox()).height <= 1, 'table head shown on a phone');
  assert.ok(await scrollWidth(page) <= 375, `users page overflows: ${await scrollWidth(page)}`);

  const small = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (hasText && parseFloat(getComputedStyle(el).fontSize) < 16) bad.push(`font ${el.tagName}.${el.className}`);
      if (el.matches('button, a.btn, input:not([type=checkbox]), select') && r.height < 44) bad.push(`target ${el.tagName}#${el.id}.${el.className} ${r.height}`);
    }
    return bad;
  });
  assert.deepEqual(small, []);

  await page.goto(`${BASE}/#/audit`);
  await page.locator('.audit-table tbody tr').first().waitFor();
  await page.locator('.audit-table .toggle').first().click();
  await page.locator('.audit-table .diff').first().waitFor();
  assert.ok(await scrollWidth(page) <= 375, `audit page overflows: ${await scrollWidth(page)}`);
  assert.deepEqual(errors, []);
  await context.close();
});
