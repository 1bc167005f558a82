// An administrator's day: users (list, field errors, create, search, edit),
// English with an English server error, the audit log, API tokens, a new
// user's forced password change and a lost session. The tests run in order
// and share one signed-in page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SKIP, DEMO, DESKTOP, launch, open, signIn, navHrefs } from './helpers.mjs';

let browser;
let ctx; // {context, page, errors} of the administrator
const uname = `web${Date.now() % 1000000}`;
const initialPassword = 'Start-Pass-2026';
let newUserId = null;

before(async () => {
  if (SKIP) return;
  browser = await launch();
  ctx = await open(browser, { viewport: DESKTOP, path: '/#/login' });
});
after(async () => { if (browser) await browser.close(); });

test('an administrator signs in and sees the user list', { skip: SKIP }, async () => {
  const { page } = ctx;
  await signIn(page, ...DEMO.admin);
  await page.waitForURL(/#\/home$/);
  await page.getByRole('heading', { name: /陈立明/ }).waitFor();
  assert.equal(await page.locator('#home-role').textContent(), '管理员');
  assert.match(await page.locator('#home-scope').textContent(), /440881104000/);
  const hrefs = await navHrefs(page);
  for (const h of ['#/home', '#/users', '#/audit', '#/tokens', '#/password']) assert.ok(hrefs.includes(h), `menu lacks ${h}: ${hrefs}`);
  assert.ok(await page.locator('#nav').isVisible(), 'side menu hidden on a desktop');
  assert.ok(!(await page.locator('#menu-button').isVisible()), 'menu button shown on a desktop');

  await page.locator('#nav-list a[href="#/users"]').click();
  await page.getByRole('heading', { name: '用户管理' }).waitFor();
  const rows = page.locator('.users-table tbody tr');
  await rows.first().waitFor();
  const names = await rows.locator('td:first-child').allTextContents();
  for (const n of ['admin', 'leader', 'cadre', 'viewer']) assert.ok(names.includes(n), `list lacks ${n}: ${names}`);
  assert.equal(await page.locator('.users-table thead th').first().textContent(), '用户名');
  assert.equal(await page.locator('[aria-current=page]').getAttribute('href'), '#/users');
  // The CSRF token is kept for a reload.
  assert.ok(await page.evaluate(() => sessionStorage.getItem('zl.csrf')));
});

test('"load more" pages through the list with the server\'s cursor', { skip: SKIP }, async () => {
  const { page } = ctx;
  await page.goto(`${BASE}/#/users?limit=3`);
  const rows = page.locator('.users-table tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  const more = page.locator('.load-more');
  assert.ok(await more.isVisible());
  const next = page.waitForRequest((r) => r.url().includes('/api/v1/users') && r.url().includes('cursor='));
  await more.click();
  await next;
  await page.waitForFunction(() => document.querySelectorAll('.users-table tbody tr').length > 3);
  // the demo town has some seventy accounts: keep going to the end
  for (let i = 0; i < 40 && (await more.isVisible()); i++) {
    const shown = await rows.count();
    await more.click();
    await page.waitForFunction((n) => document.querySelectorAll('.users-table tbody tr').length > n, shown);
  }
  await more.waitFor({ state: 'hidden' });
  const names = await rows.locator('td:first-child').allTextContents();
  assert.equal(new Set(names).size, names.length, `a row came twice: ${names}`);
  assert.match(await page.locator('.count').textContent(), /已全部显示/);
  await page.goto(`${BASE}/#/users`);
  await rows.first().waitFor();
});

test('creating a user shows the server\'s field errors, then creates it', { skip: SKIP }, async () => {
  const { page } = ctx;
  await page.locator('#user-new').click();
  const form = page.locator('#user-create-form');
  await form.waitFor();
  await form.locator('[name=scope_code]').fill('');
  await form.locator('button[type=submit]').click();
  const err = form.locator('[data-field=username] .field-error');
  await err.waitFor();
  assert.ok((await err.textContent()).length > 0);
  assert.equal(await form.locator('[name=username]').getAttribute('aria-invalid'), 'true');
  assert.ok(await form.locator('[data-field=password] .field-error').isVisible());
  assert.match(await form.locator('.alert-error').textContent(), /有误/);

  // A password containing the username: the server's rule, shown under the field.
  await form.locator('[name=username]').fill(uname);
  await form.locator('[name=display_name]').fill('测试 王小明');
  await form.locator('[name=role]').selectOption('cadre');
  await form.locator('[name=scope_code]').fill('440881104201');
  await form.locator('[name=password]').fill(`${uname}-2026xx`);
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => {
    const p = document.querySelector('#user-create-form [data-field=password] .field-error');
    return p && !p.hidden && /用户名/.test(p.textContent);
  });
  assert.ok(!(await form.locator('[data-field=username] .field-error').isVisible()), 'old errors stay');

  await form.locator('[name=password]').fill(initialPassword);
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/users') && r.request().method() === 'POST' && r.status() === 201);
  await form.locator('button[type=submit]').click();
  const body = await (await created).json();
  newUserId = body.id;
  await form.waitFor({ state: 'detached' });
  assert.match(await page.locator('#notice').textContent(), new RegExp(`已创建用户 ${uname}`));
  const row = page.locator('.users-table tbody tr', { hasText: uname });
  await row.waitFor();
  assert.match(await row.textContent(), /待修改密码/);
});

test('searching and editing a user', { skip: SKIP }, async () => {
  const { page } = ctx;
  await page.locator('#user-filters [name=q]').fill(uname);
  await page.locator('#user-filters button[type=submit]').click();
  await page.waitForURL(new RegExp(`#/users\\?q=${uname}$`));
  await page.waitForFunction((u) => {
    const rows = [...document.querySelectorAll('.users-table tbody tr')];
    return rows.length === 1 && rows[0].textContent.includes(u);
  }, uname);

  await page.locator('#user-filters [name=role]').selectOption('leader');
  await page.waitForURL(/role=leader/);
  await page.waitForFunction(() => !document.querySelector('.users-table tbody tr') || document.querySelector('.empty:not([hidden])'));
  await page.goto(`${BASE}/#/users?q=${uname}`);

  const row = page.locator('.users-table tbody tr', { hasText: uname });
  await row.locator('button', { hasText: '编辑' }).click();
  const form = page.locator('#user-edit-form');
  await form.waitFor();
  assert.equal(await form.locator('[name=display_name]').inputValue(), '测试 王小明');
  await form.locator('[name=display_name]').fill('测试 王晓明');
  const patched = page.waitForRequest((r) => r.method() === 'PATCH');
  await form.locator('button[type=submit]').click();
  const req = await patched;
  assert.deepEqual(JSON.parse(req.postData()), { display_name: '测试 王晓明' });
  assert.ok(req.headers()['x-csrf-token'], 'no X-CSRF-Token on PATCH');
  await form.waitFor({ state: 'detached' });
  await page.locator('.users-table tbody tr', { hasText: '测试 王晓明' }).waitFor();
});

test('English labels and an English server error', { skip: SKIP }, async () => {
  const { page } = ctx;
  await page.goto(`${BASE}/#/users`);
  await page.getByRole('heading', { name: '用户管理' }).waitFor();
  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  assert.equal(await page.locator('#nav-list a[href="#/users"]').textContent(), 'Users');
  assert.equal(await page.locator('#logout').textContent(), 'Sign out');
  await page.locator('.users-table tbody tr').first().waitFor();
  assert.equal(await page.locator('.users-table thead th').first().textContent(), 'Username');

  const langs = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/users') && r.method() === 'POST') langs.push(r.headers()['accept-language']); });
  await page.locator('#user-new').click();
  const form = page.locator('#user-create-form');
  await form.waitFor();
  await form.locator('[name=username]').fill(uname);
  await form.locator('[name=display_name]').fill('Duplicate');
  await form.locator('[name=password]').fill(initialPassword);
  await form.locator('button[type=submit]').click();
  const alert = form.locator('.alert-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /already taken/i);
  assert.equal(await alert.getAttribute('data-code'), 'user.exists');
  assert.deepEqual(langs, ['en']);
  await page.keyboard.press('Escape');
  await form.waitFor({ state: 'detached' });
  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { name: '用户管理' }).waitFor();
});

test('the audit log lists the user creation with its details', { skip: SKIP }, async () => {
  const { page } = ctx;
  assert.ok(newUserId, 'no user was created');
  await page.locator('#nav-list a[href="#/audit"]').click();
  await page.getByRole('heading', { name: '审计日志' }).waitFor();
  const row = page.locator('.audit-table tbody tr:not(.detail-row)', { hasText: 'user.create' }).filter({ has: page.locator(`td:text-is("${newUserId}")`) });
  await row.waitFor();
  assert.match(await row.textContent(), /admin \(#1\)/);
  await row.locator('.toggle').click();
  const detail = page.locator('.audit-table .detail-row:not([hidden])');
  await detail.waitFor();
  assert.match(await detail.textContent(), new RegExp(uname));
  assert.equal(await row.locator('.toggle').textContent(), '收起变更');

  // Filters go into the address and come back from it.
  await page.locator('#audit-filters [name=entity]').fill('user');
  await page.locator('#audit-filters [name=action]').fill('user.update');
  await page.locator('#audit-filters button[type=submit]').click();
  await page.waitForURL(/#\/audit\?entity=user&action=user.update$/);
  const rows = page.locator('.audit-table tbody tr:not(.detail-row)');
  await rows.first().waitFor();
  const actions = await page.locator('.audit-table tbody tr:not(.detail-row) td:nth-child(4)').allTextContents();
  assert.ok(actions.length >= 1 && actions.every((a) => a === 'user.update'), `actions: ${actions}`);
  await rows.first().locator('.toggle').click();
  await page.locator('.audit-table .diff tr.changed', { hasText: 'display_name' }).waitFor();

  // A filter the server refuses is marked at its field.
  await page.goto(`${BASE}/#/audit?user=abc`);
  await page.locator('#audit-filters [data-field=user] .field-error').waitFor();
  assert.equal(await page.locator('#audit-filters [name=user]').getAttribute('aria-invalid'), 'true');
});

test('API tokens: create shows the secret once, revoke', { skip: SKIP }, async () => {
  const { page } = ctx;
  await page.locator('#nav-list a[href="#/tokens"]').click();
  await page.getByRole('heading', { name: '我的 API 令牌' }).waitFor();
  await page.locator('#token-form [name=name]').fill('报表导出');
  await page.locator('#token-form button[type=submit]').click();
  const secret = page.locator('#token-secret');
  await secret.waitFor();
  assert.match(await secret.inputValue(), /^zl_/);
  assert.match(await page.locator('#token-secret-panel').textContent(), /只显示这一次/);
  const row = page.locator('.tokens-table tbody tr', { hasText: '报表导出' });
  await row.waitFor();
  await row.locator('button', { hasText: '吊销' }).click();
  assert.match(await page.locator('dialog').textContent(), /报表导出/);
  await page.locator('dialog button.btn-danger').click();
  await row.waitFor({ state: 'detached' });
  await page.locator('#notice', { hasText: '已吊销令牌' }).waitFor();
  // After a reload the secret is gone and so is the revoked token.
  await page.reload();
  await page.locator('.list-area .table-wrap:not([hidden]), .list-area .empty:not([hidden])').first().waitFor();
  assert.equal(await page.locator('#token-secret').count(), 0);
  assert.equal(await page.locator('.tokens-table tbody tr', { hasText: '报表导出' }).count(), 0);
  assert.deepEqual(ctx.errors, []);
});

test('a new user must change the password first', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { path: '/#/login' });
  await signIn(page, uname, initialPassword);
  await page.waitForURL(/#\/password$/);
  await page.locator('#password-forced').waitFor();
  assert.deepEqual(await navHrefs(page), ['#/password']);
  // Any other page leads back here.
  await page.goto(`${BASE}/#/tokens`);
  await page.waitForURL(/#\/password$/);
  // So does a server answer 403 auth.password_change_required, should the
  // page not know yet.
  const refused = page.waitForResponse((r) => r.url().includes('/api/v1/tokens') && r.status() === 403);
  await page.evaluate(async () => {
    const app = await import('/app.js');
    app.currentUser().must_change_password = false;
    location.hash = '#/tokens';
  });
  assert.equal((await (await refused).json()).code, 'auth.password_change_required');
  await page.waitForURL(/#\/password$/);
  await page.locator('#password-forced').waitFor();

  const form = page.locator('#password-form');
  await form.locator('[name=old_password]').fill(initialPassword);
  await form.locator('[name=new_password]').fill(`${uname}-New-2026`);
  await form.locator('[name=repeat_password]').fill(`${uname}-New-2026`);
  await form.locator('button[type=submit]').click();
  assert.match(await form.locator('[data-field=new_password] .field-error').textContent(), /用户名/);

  // The server's own answers show too: a wrong current password...
  await form.locator('[name=old_password]').fill('Not-The-Password-1');
  await form.locator('[name=new_password]').fill('Fresh-Pass-2026!');
  await form.locator('[name=repeat_password]').fill('Fresh-Pass-2026!');
  await form.locator('button[type=submit]').click();
  await form.locator('.alert-error').waitFor();
  assert.equal(await form.locator('.alert-error').getAttribute('data-code'), 'auth.old_password');
  assert.ok(await form.locator('[data-field=old_password] .field-error').isVisible());
  // ...and a rule only the server checks (the same password again), under its field.
  await form.locator('[name=old_password]').fill(initialPassword);
  await form.locator('[name=new_password]').fill(initialPassword);
  await form.locator('[name=repeat_password]').fill(initialPassword);
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => {
    const p = document.querySelector('#password-form [data-field=new_password] .field-error');
    return p && !p.hidden && document.querySelector('#password-form .alert-error').dataset.code === 'auth.password_rule';
  });
  assert.ok(!(await form.locator('[data-field=old_password] .field-error').isVisible()));

  await form.locator('[name=old_password]').fill(initialPassword);
  await form.locator('[name=new_password]').fill('Fresh-Pass-2026!');
  await form.locator('[name=repeat_password]').fill('Fresh-Pass-2026!');
  await form.locator('button[type=submit]').click();
  await page.waitForURL(/#\/(home|tokens)$/);
  await page.locator('#notice', { hasText: '密码已修改' }).waitFor();
  assert.ok((await navHrefs(page)).includes('#/home'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a lost session leads to sign-in and back to the page asked for', { skip: SKIP }, async () => {
  const { context, page } = ctx;
  await context.clearCookies();
  await page.goto(`${BASE}/#/audit?entity=user`);
  await page.waitForURL(/#\/login$/);
  await page.locator('#notice.alert-error, #notice .alert-title').first().waitFor();
  await signIn(page, ...DEMO.admin);
  await page.waitForURL(/#\/audit\?entity=user$/);
  await page.getByRole('heading', { name: '审计日志' }).waitFor();
  // Sign out: back to the sign-in page; the session is gone on the server.
  await page.locator('#logout').click();
  await page.waitForURL(/#\/login$/);
  await page.locator('#notice', { hasText: '已安全退出' }).waitFor();
  const status = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
  assert.equal(status, 401);
});
