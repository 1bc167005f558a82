// 消息推送 (outbound delivery): an administrator adds a webhook pointing at
// an unused loopback port (so every delivery fails), sees its secret once,
// edits it (filter, active, a rotated secret); stationing a leader queues a
// message, the test clock drives the retries until it is dead, the
// dead-letter tab lists it and "重新发送" puts it back in the queue. One
// sign-in in all (the server rate-limits them). The clock part needs the
// server started with ZHILIAN_TEST_CLOCK=1 and is skipped without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BASE, SKIP, DEMO, DESKTOP, PHONE, launch, open, signIn, navHrefs, scrollWidth, apiCall } from './helpers.mjs';

let browser;
let ctx; // {context, page, errors}
let target; // the webhook URL (an unused loopback port)
let epId;
let firstSecret;

/** A loopback port nobody listens on (bound, then closed). */
function unusedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

before(async () => {
  if (SKIP) return;
  target = `http://127.0.0.1:${await unusedPort()}/zhilian-hook`;
  browser = await launch();
  ctx = await open(browser, { viewport: DESKTOP, path: '/#/login' });
});
after(async () => { if (browser) await browser.close(); });

test('an administrator adds a webhook and sees its secret only once', { skip: SKIP }, async () => {
  const { page } = ctx;
  await signIn(page, ...DEMO.admin);
  await page.waitForURL(/#\/home$/);
  const hrefs = await navHrefs(page);
  assert.ok(hrefs.includes('#/outbound'), `menu lacks #/outbound: ${hrefs}`);
  assert.equal((await page.locator('#nav-list a[href="#/outbound"]').textContent()).trim(), '消息推送');
  await page.locator('#nav-list a[href="#/outbound"]').click();
  await page.getByRole('heading', { name: '消息推送', level: 1 }).waitFor();
  assert.equal(await page.locator('.obd-tabs a[aria-current=page]').getAttribute('data-tab'), 'endpoints');

  const form = page.locator('#obd-form');
  // the hint names the notification kinds
  assert.match(await form.locator('[data-field=events] .hint').textContent(), /assignment\.station/);
  // no target: the server's field error shows under the field
  await form.locator('button[type=submit]').click();
  await form.locator('[data-field=target] .field-error').waitFor();
  // not a URL, a bad filter, a short secret
  await form.locator('[name=target]').fill('ftp://nowhere');
  await form.locator('[name=events]').fill('Appeal!');
  await form.locator('[name=secret]').fill('short');
  await form.locator('button[type=submit]').click();
  await form.locator('[data-field=target] .field-error').waitFor();
  await form.locator('[data-field=events] .field-error').waitFor();
  await form.locator('[data-field=secret] .field-error').waitFor();
  assert.equal(await page.locator('#obd-secret').count(), 0);
  // an email endpoint has no secret field, and asks for an address
  await form.locator('[name=kind]').selectOption('email');
  assert.ok(await form.locator('[data-field=secret]').isHidden());
  assert.match(await form.locator('[data-field=target] .hint').textContent(), /邮箱/);
  await form.locator('[name=kind]').selectOption('webhook');
  assert.ok(await form.locator('[data-field=secret]').isVisible());

  await form.locator('[name=target]').fill(target);
  await form.locator('[name=events]').fill('assignment.station');
  await form.locator('[name=secret]').fill('');
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/outbound/endpoints'));
  await form.locator('button[type=submit]').click();
  const res = await created;
  assert.equal(res.status(), 201);
  epId = (await res.json()).id;
  await page.locator('#obd-secret').waitFor();
  firstSecret = await page.locator('#obd-secret').inputValue();
  assert.match(firstSecret, /^[0-9a-f]{64}$/);
  const panel = page.locator('#obd-secret-panel');
  const text = await panel.textContent();
  assert.match(text, /只显示这一次/);
  assert.ok(text.includes('X-Zhilian-Signature') && text.includes('HMAC-SHA256'), 'the panel lacks how to verify');
  await page.locator('#obd-copy').click();
  await panel.locator('.copy-status').filter({ hasText: /复制/ }).waitFor();

  const row = page.locator('.obd-endpoints tbody tr', { hasText: target });
  await row.waitFor();
  assert.match(await row.textContent(), /网络回调/);
  assert.match(await row.textContent(), /assignment\.station/);
  assert.match(await row.textContent(), /启用/);
  assert.ok(!(await row.textContent()).includes(firstSecret), 'the row shows the secret');
  // the form is ready for the next one
  assert.equal(await form.locator('[name=target]').inputValue(), '');

  // after a reload the endpoint is listed and the secret is nowhere
  await page.reload();
  await row.waitFor();
  assert.equal(await page.locator('#obd-secret').count(), 0);
  assert.ok(!(await page.content()).includes(firstSecret), 'the secret is still on the page');
  assert.match(await row.textContent(), /已设置/);
});

test('the administrator edits the endpoint: filter, active, a rotated secret', { skip: SKIP }, async () => {
  const { page } = ctx;
  const row = page.locator('.obd-endpoints tbody tr', { hasText: target });
  await row.getByRole('button', { name: /编辑/ }).click();
  let dialog = page.locator('dialog.dialog');
  await dialog.waitFor();
  const edit = dialog.locator('#obd-edit-form');
  assert.equal(await edit.locator('[name=target]').inputValue(), target);
  // a bad target is refused and nothing changes
  await edit.locator('[name=target]').fill('not a url');
  await edit.locator('button[type=submit]').click();
  await edit.locator('[data-field=target] .field-error').waitFor();
  await edit.locator('[name=target]').fill(target);
  await edit.locator('[name=events]').fill('assignment.*');
  await edit.locator('[name=active]').uncheck();
  await edit.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('#notice', { hasText: `#${epId}` }).waitFor();
  await row.locator('.badge-off').waitFor();
  assert.match(await row.textContent(), /assignment\.\*/);
  assert.equal(await page.locator('#obd-secret').count(), 0);

  // active again, with a new secret shown once
  await row.getByRole('button', { name: /编辑/ }).click();
  dialog = page.locator('dialog.dialog');
  await dialog.waitFor();
  await dialog.locator('[name=active]').check();
  await dialog.locator('[name=rotate]').check();
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await dialog.locator('button[type=submit]').click();
  assert.equal((await patched).status(), 200);
  await dialog.waitFor({ state: 'detached' });
  await page.locator('#obd-secret').waitFor();
  const second = await page.locator('#obd-secret').inputValue();
  assert.match(second, /^[0-9a-f]{64}$/);
  assert.notEqual(second, firstSecret);
  await row.locator('.badge-on').waitFor();
  await page.locator('#obd-secret-done').click();
  assert.equal(await page.locator('#obd-secret').count(), 0);

  // the server agrees
  const eps = await apiCall(page, 'GET', '/api/v1/outbound/endpoints');
  const ep = eps.data.items.find((e) => e.id === epId);
  assert.deepEqual([ep.events, ep.active, ep.has_secret, 'secret' in ep], ['assignment.*', true, true, false]);

  // fits a phone
  await page.setViewportSize(PHONE);
  await row.waitFor();
  assert.ok(await scrollWidth(page) <= PHONE.width, 'the endpoints scroll sideways on a phone');
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(ctx.errors, []);
});

test('a failing delivery ends in the dead-letter tab and is sent again', { skip: SKIP }, async (t) => {
  const { page } = ctx;
  const probe = await apiCall(page, 'POST', '/api/v1/test/clock', { advance: 'PT1S' });
  if (probe.status === 404) { t.skip('the server runs without ZHILIAN_TEST_CLOCK=1'); return; }
  assert.equal(probe.status, 200, JSON.stringify(probe.data));

  // Station a leader (not the demo "leader", whom apikeys.test.mjs counts
  // messages for) at a village where they are not stationed yet: a notification.
  const users = await apiCall(page, 'GET', '/api/v1/users?role=leader&limit=200');
  const regions = await apiCall(page, 'GET', '/api/v1/regions?limit=200');
  const stations = await apiCall(page, 'GET', '/api/v1/assignments/stations?current=1&limit=500');
  const taken = new Set(stations.data.items.map((s) => `${s.user_id}:${s.village_code}`));
  const villages = regions.data.items.filter((r) => r.level === 'village' && !r.retired);
  let who;
  let free;
  for (const u of users.data.items.filter((x) => x.role === 'leader' && x.username !== 'leader' && !x.disabled)) {
    free = villages.find((v) => v.code.startsWith(u.scope_code.replace(/0+$/, '')) && !taken.has(`${u.id}:${v.code}`));
    if (free) { who = u; break; }
  }
  assert.ok(who && free, 'no leader free to be stationed');
  const st = await apiCall(page, 'POST', '/api/v1/assignments/stations', { user_id: who.id, village_code: free.code });
  assert.equal(st.status, 201, JSON.stringify(st.data));

  const mine = async (state) => (await apiCall(page, 'GET', `/api/v1/outbound/messages?state=${state}&endpoint_id=${epId}`)).data.items;
  // the first try fails at once (nobody listens): pending, with the error, in the pending tab
  await apiCall(page, 'POST', '/api/v1/test/clock', { advance: 'PT1S' });
  const pending = await mine('pending');
  assert.equal(pending.length, 1, JSON.stringify(pending));
  assert.equal(pending[0].kind, 'assignment.station');
  assert.ok(pending[0].attempts >= 1 && pending[0].last_error, JSON.stringify(pending[0]));
  await page.locator('.obd-tabs a[data-tab=pending]').click();
  const pendingRow = page.locator('.obd-pending tbody tr', { hasText: target });
  await pendingRow.waitFor();
  assert.match(await pendingRow.textContent(), /assignment\.station/);

  // Back-offs of 30 s, 2 min, 10 min, 1 h and 6 h: move the clock 20 minutes
  // at a time (each move runs the delivery tick) and touch the session in
  // between, so it never sits idle for its 30 minutes.
  let dead = [];
  for (let i = 0; i < 40 && dead.length === 0; i += 1) {
    const c = await apiCall(page, 'POST', '/api/v1/test/clock', { advance: 'PT20M' });
    assert.equal(c.status, 200, JSON.stringify(c.data));
    dead = await mine('dead');
  }
  assert.equal(dead.length, 1, 'the message never died');
  assert.equal(dead[0].attempts, 6);
  assert.deepEqual(await mine('pending'), []);

  await page.locator('.obd-tabs a[data-tab=dead]').click();
  await page.getByRole('heading', { name: '消息推送', level: 1 }).waitFor();
  const deadRow = page.locator('.obd-dead tbody tr', { hasText: target });
  await deadRow.waitFor();
  const text = await deadRow.textContent();
  assert.ok(text.includes(`#${dead[0].id}`), text);
  assert.match(text, /assignment\.station/);
  assert.match(text, /6/);
  assert.ok(text.includes(dead[0].last_error), `no last error in ${text}`);
  assert.match(await deadRow.locator('td.col-time').textContent(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

  // fits a phone
  await page.setViewportSize(PHONE);
  await deadRow.waitFor();
  assert.ok(await scrollWidth(page) <= PHONE.width, 'the dead letters scroll sideways on a phone');
  await page.setViewportSize(DESKTOP);

  // replay: back in the queue
  const replay = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/v1/outbound/messages/${dead[0].id}/replay`));
  await deadRow.getByRole('button', { name: /重新发送/ }).click();
  assert.equal((await replay).status(), 200);
  await page.locator('#notice', { hasText: `#${dead[0].id}` }).waitFor();
  await deadRow.waitFor({ state: 'detached' });
  assert.deepEqual(await mine('dead'), []);
  const again = (await mine('pending')).map((m) => m.id);
  assert.deepEqual(again, [dead[0].id]);
  await page.locator('.obd-tabs a[data-tab=pending]').click();
  await page.locator('.obd-pending tbody tr', { hasText: target }).waitFor();

  // replaying a message that is not dead is refused
  const twice = await apiCall(page, 'POST', `/api/v1/outbound/messages/${dead[0].id}/replay`);
  assert.equal(twice.status, 409);
  assert.deepEqual(ctx.errors, []);
});
