// Offline field entry: a cadre on a phone opens 记录联系 online, loses the
// signal, records a routine home visit in three taps, sees it waiting (badge
// and outbox), gets the signal back and the outbox syncs; the server holds
// the contact exactly once, also after the same outbox entry is sent again;
// the same uuid with other content is refused (409) and stays listed.
// Two sign-ins in all (cadre in the page, admin through the API).
// ZHILIAN_SHOTS=DIR also saves phone screenshots there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { BASE, SKIP, DEMO, PHONE, launch, open, signIn, scrollWidth } from './helpers.mjs';

const SHOTS = process.env.ZHILIAN_SHOTS || '';
let browser;
let cadre; // {context, page, errors}
let admin; // an APIRequestContext signed in as admin

before(async () => {
  if (SKIP) return;
  browser = await launch();
  cadre = await open(browser, { viewport: PHONE, path: '/#/login' });
  await signIn(cadre.page, ...DEMO.cadre);
  admin = (await browser.newContext()).request;
  const r = await admin.post(`${BASE}/api/v1/session`, { data: { username: DEMO.admin[0], password: DEMO.admin[1] } });
  assert.equal(r.status(), 200, await r.text());
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => { if (browser) await browser.close(); });

async function shot(page, name) {
  if (!SHOTS) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** The server's contacts of a household with this uuid (as admin). */
async function stored(householdId, uuid) {
  const r = await admin.get(`${BASE}/api/v1/contacts`, { params: { household: householdId, limit: 500 } });
  assert.equal(r.status(), 200);
  return (await r.json()).items.filter((c) => c.uuid === uuid);
}

/** The outbox entries in the page's IndexedDB. */
function outbox(page) {
  return page.evaluate(async () => (await import('/offline.js')).outboxItems());
}

async function badge(page) {
  const b = page.locator('#outbox-badge');
  return (await b.isVisible()) ? (await b.textContent()).trim() : '';
}

test('a contact recorded offline waits, syncs when online and is stored once', { skip: SKIP }, async () => {
  const { context, page, errors } = cadre;
  await page.goto(`${BASE}/#/record`);
  const first = page.locator('#record-households .rc-hh').first();
  await first.waitFor();
  // the record page comes first in the cadre's menu
  assert.equal(await page.locator('#nav-list a').first().getAttribute('href'), '#/record');
  // the service worker controls the page and holds the shell and the page modules
  await page.waitForFunction(async () => {
    if (!navigator.serviceWorker.controller) return false;
    const keys = (await (await caches.open('zl-1-shell')).keys()).map((r) => new URL(r.url).pathname);
    const session = await (await caches.open('zl-1-data')).match('/api/v1/session');
    return !!session && ['/index.html', '/app.js', '/pages/record.js', '/pages/plans.js', '/pages/households.js'].every((p) => keys.includes(p));
  }, null, { timeout: 15000 });
  await shot(page, 'record-online');

  await context.setOffline(true);
  // with no signal the page still opens from the worker's cache
  await page.reload();
  await page.locator('#offline-flag').waitFor();
  assert.match(await page.locator('#offline-flag').textContent(), /离线/);
  await first.waitFor();

  // three taps: household, phrase, save
  const hid = Number(await first.getAttribute('data-id'));
  const headName = await first.locator('.rc-hh-name').textContent();
  await first.click();
  await page.locator('.rc-chip', { hasText: '走访了解情况' }).click();
  assert.ok(headName.startsWith(await page.locator('#record-chosen').textContent()), headName);
  await shot(page, 'record-filled');
  await page.locator('#record-save').click();
  await page.locator('#record-done').waitFor();
  assert.match(await page.locator('#record-done').textContent(), /待同步/);
  assert.equal(await badge(page), '待同步 1');
  const [entry] = await outbox(page);
  assert.equal(entry.status, 'pending');
  assert.match(entry.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(entry.body.households, [hid]);
  assert.equal(entry.body.method, 'home_visit');
  assert.equal(entry.body.duration_min, 30);
  assert.equal(entry.body.summary, '走访了解情况');
  await shot(page, 'record-offline');

  await page.locator('#outbox-badge').click();
  await page.waitForURL(/#\/outbox$/);
  const item = page.locator(`#outbox-pending li[data-uuid="${entry.uuid}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /走访了解情况/);
  assert.match(await page.locator('#outbox-status').textContent(), /等待联网/);
  assert.equal(await scrollWidth(page), PHONE.width);
  await shot(page, 'outbox-offline');
  assert.deepEqual(await stored(hid, entry.uuid), []);

  // the signal returns: the online event sends it (201)
  const sent = page.waitForResponse((r) => r.url().endsWith('/api/v1/contacts') && r.request().method() === 'POST');
  await context.setOffline(false);
  assert.equal((await sent).status(), 201);
  await page.locator('#outbox-empty').waitFor();
  await page.locator('#outbox-badge').waitFor({ state: 'hidden' });
  await page.locator('#offline-flag').waitFor({ state: 'hidden' });
  assert.deepEqual(await outbox(page), []);
  let rows = await stored(hid, entry.uuid);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].summary, '走访了解情况');

  // the same entry sent again (a lost answer, a second tab): 200, still once
  const resent = page.waitForResponse((r) => r.url().endsWith('/api/v1/contacts') && r.request().method() === 'POST');
  await page.evaluate(async (e) => { const o = await import('/offline.js'); await o.putEntry(e); await o.syncNow(); }, entry);
  assert.equal((await resent).status(), 200);
  await page.locator('#outbox-empty').waitFor();
  rows = await stored(hid, entry.uuid);
  assert.equal(rows.length, 1);

  // the same uuid with other content: 409, kept and shown with the server's message
  const changed = { ...entry, body: { ...entry.body, summary: '政策宣传' } };
  const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/contacts') && r.request().method() === 'POST');
  await page.evaluate(async (e) => { const o = await import('/offline.js'); await o.putEntry(e); await o.syncNow(); }, changed);
  assert.equal((await refused).status(), 409);
  const failed = page.locator(`#outbox-failed li[data-uuid="${entry.uuid}"]`);
  await failed.waitFor();
  assert.equal(await failed.locator('.ob-error').getAttribute('data-code'), 'contact.uuid_conflict');
  assert.match(await failed.textContent(), new RegExp(entry.uuid));
  assert.equal(await badge(page), '待同步 1');
  await shot(page, 'outbox-failed');
  // "retry now" sends it again; it is refused again and never dropped
  const again = page.waitForResponse((r) => r.url().endsWith('/api/v1/contacts') && r.request().method() === 'POST');
  await page.locator('#outbox-retry').click();
  assert.equal((await again).status(), 409);
  await failed.waitFor();
  const [kept] = await outbox(page);
  assert.equal(kept.status, 'failed');
  assert.ok(kept.attempts >= 2);
  rows = await stored(hid, entry.uuid);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].summary, '走访了解情况');
  assert.deepEqual(errors, []);
});
