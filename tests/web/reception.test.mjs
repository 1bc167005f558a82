// Reception days (接访日): the leader opens the town-wide schedule (coming
// days with place, hours and who is on duty; past days; the missed ones) on
// a desktop; on a phone-sized page the cadre on duty registers a walk-in
// visitor with an appeal, and the server has the contact and the appeal.
// The clock moves to the next Wednesday 09:30 (the demo town's station day).
// ZHILIAN_SHOTS=DIR also saves phone and desktop screenshots there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { BASE, SKIP, DEMO, PHONE, DESKTOP, launch, open, signIn, scrollWidth, apiCall } from './helpers.mjs';

const SHOTS = process.env.ZHILIAN_SHOTS || '';
let browser;
let wednesday;

async function shot(page, name) {
  if (!SHOTS) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

before(async () => {
  if (SKIP) return;
  browser = await launch();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  const { context, page } = await open(browser, { path: '/#/login' });
  const now = await apiCall(page, 'POST', '/api/v1/test/clock', { advance: 'PT1S' });
  const today = new Date(`${now.data.now.slice(0, 10)}T00:00:00Z`);
  const add = ((3 - (today.getUTCDay() || 7) + 7) % 7) || 7; // the next Wednesday
  wednesday = new Date(today.getTime() + add * 86400000).toISOString().slice(0, 10);
  const r = await apiCall(page, 'POST', '/api/v1/test/clock', { now: `${wednesday}T09:30:00+08:00` });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  await context.close();
});
after(async () => { if (browser) await browser.close(); });

test('the leader opens the town-wide schedule', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: DESKTOP, path: '/#/login' });
  await signIn(page, ...DEMO.leader);
  await page.goto(`${BASE}/#/reception`);
  await page.locator('#rcp-coming tbody tr').first().waitFor();
  // today's rows are among the coming days, with who is on duty
  const rows = page.locator(`#rcp-coming tbody tr[data-date="${wednesday}"]`);
  assert.ok(await rows.count() >= 2, 'every village with a station day today is listed');
  const a = page.locator(`#rcp-coming tr[data-village="440881104201"][data-date="${wednesday}"]`);
  assert.match(await a.textContent(), /村委会/);
  assert.ok((await a.locator('.rcp-roster').textContent()).trim().length > 0);
  await page.locator('#rcp-missed').waitFor();
  await page.locator('#rcp-past').waitFor();
  // change the roster of next week's day through the dialog, then reset it
  const next = new Date(Date.parse(`${wednesday}T00:00:00Z`) + 7 * 86400000).toISOString().slice(0, 10);
  const row = page.locator(`#rcp-coming tr[data-village="440881104201"][data-date="${next}"]`);
  await row.locator('button').click();
  const boxes = page.locator('dialog input[type=checkbox]');
  await boxes.first().waitFor();
  assert.ok(await boxes.count() >= 2);
  await boxes.first().uncheck();
  await page.locator('dialog .btn-primary').click();
  await row.locator('.badge').waitFor();
  await shot(page, 'reception-desktop');
  const roster = await apiCall(page, 'GET', `/api/v1/reception-days/440881104201/${next}/roster`);
  assert.equal(roster.data.roster_set, true);
  await row.locator('button').click();
  await page.locator('dialog input[type=checkbox]').first().waitFor();
  await page.locator('dialog .btn:not(.btn-primary):not(.dialog-close)').click();
  await page.locator('dialog').waitFor({ state: 'detached' });
  const back = await apiCall(page, 'GET', `/api/v1/reception-days/440881104201/${next}/roster`);
  assert.equal(back.data.roster_set, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a cadre on duty registers a walk-in on a phone', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: '/#/login' });
  await signIn(page, ...DEMO.cadre);
  await page.goto(`${BASE}/#/reception`);
  await page.locator('#rcp-walkin').waitFor();
  await page.locator('#rcp-checkin').click();
  await page.waitForFunction(() => document.querySelector('#rcp-checkin').disabled);
  const form = page.locator('#rcp-walkin');
  await form.locator('[name=name]').fill('黄阿姨');
  await form.locator('[name=phone]').fill('13800138000');
  await form.locator('#rcp-raised').fill('村道边的排水沟堵了，下雨就漫到路上');
  await form.locator('[name=as_appeal]').check();
  await form.locator('[name="appeal.category_id"]').selectOption({ index: 0 });
  await shot(page, 'reception-phone');
  await form.locator('button[type=submit]').click();
  await form.locator('.alert-ok').waitFor();
  assert.match(await form.locator('.alert-ok').textContent(), /[A-Z0-9]{4}/);
  await page.locator('#rcp-walkins li', { hasText: '黄阿姨' }).waitFor();
  assert.ok(await scrollWidth(page) <= PHONE.width, 'the page fits a 375-pixel screen');
  const list = await apiCall(page, 'GET', `/api/v1/reception-days/440881104201/${wednesday}/walk-ins`);
  const w = list.data.items.find((x) => x.visitor === '黄阿姨');
  assert.ok(w && w.appeal && w.appeal.id, JSON.stringify(list.data));
  const contact = await apiCall(page, 'GET', `/api/v1/contacts/${w.contact_id}`);
  assert.equal(contact.data.method, 'reception_day');
  assert.equal(contact.data.issues[0].appeal_id, w.appeal.id);
  // a bad phone stays in the form with its error
  await form.locator('[name=name]').fill('林伯');
  await form.locator('[name=phone]').fill('12345');
  await form.locator('#rcp-raised').fill('咨询医保');
  await form.locator('button[type=submit]').click();
  await form.locator('[data-field=phone] .field-error:not([hidden])').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
