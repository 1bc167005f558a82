// Contacts pages and the home pages built on them: the leader's home draws
// the contact statistics (SVG stacked bars with a legend for the demo year,
// the villages × months table with the villages behind marked, overdue plan
// items, the reception-day link); the cadre's home shows the due list, the
// quick record button, the sync line and the diary; the contact list
// filters by method; a contact's page shows everything of the contact, turns
// an issue into an appeal and edits the summary within 24 hours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SKIP, DEMO, PHONE, DESKTOP, launch, open, signIn, scrollWidth, apiCall } from './helpers.mjs';

let browser;
before(async () => { if (!SKIP) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test('the leader sees contacts by method and village over the demo year', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: DESKTOP, path: '/#/login' });
  await signIn(page, ...DEMO.leader);
  await page.waitForURL(/#\/home$/);
  await page.locator('#cs-chart svg').waitFor();
  const bars = await page.locator('#cs-chart svg rect.cs-m').count();
  assert.ok(bars > 12, `stacked bar segments: ${bars}`);
  assert.ok(await page.locator('#cs-chart svg rect.cs-m-home_visit').count() >= 10, 'home visits in most months');
  assert.match(await page.locator('#cs-chart svg title').first().textContent(), /联系次数|堆叠柱状图/);
  const legend = await page.locator('#cs-legend li').allTextContents();
  assert.ok(legend.length >= 4 && legend.some((l) => l.includes('入户走访')), `legend: ${legend}`);
  const total = Number((await page.locator('#cs-totals [data-fig=contacts]').textContent()).replace(/\D/g, ''));
  assert.ok(total > 5000, `total contacts ${total}`);
  // the table fallback carries the same total
  await page.locator('.cs-details summary').click();
  const foot = await page.locator('.cs-details tfoot td').last().textContent();
  assert.equal(Number(foot.replace(/\D/g, '')), total);
  // villages × months, every demo village, the ones behind first and marked
  const rows = page.locator('#cs-villages tbody tr');
  assert.ok(await rows.count() >= 12);
  assert.ok(await page.locator('#cs-villages tbody tr.cs-behind').count() >= 1, 'no village marked behind');
  assert.equal(await rows.first().getAttribute('class'), 'cs-behind');
  // overdue plan items and the reception-day schedule
  await page.locator('#home-overdue .hm-overdue-total').waitFor();
  assert.equal(await page.locator('#home-reception').getAttribute('href'), '#/reception');
  // weeks instead of months redraws the chart
  await page.locator('#contact-stats select[name=interval]').selectOption('week');
  await page.locator('#cs-chart svg').waitFor();
  assert.ok(await page.locator('#cs-chart svg g.cs-bar').count() >= 13);
  // English labels
  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { name: 'Contact statistics' }).waitFor();
  await page.locator('#cs-legend li').first().waitFor();
  assert.ok((await page.locator('#cs-legend').textContent()).includes('Home visit'));
  await page.locator('#lang-switch').click();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a viewer on a phone reads the statistics without overflow', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: '/#/login' });
  await signIn(page, ...DEMO.viewer);
  await page.waitForURL(/#\/home$/);
  await page.locator('#cs-chart svg rect.cs-m').first().waitFor();
  assert.equal(await page.locator('#home-role').textContent(), '只读用户');
  const w = Number(await page.locator('#cs-chart svg').getAttribute('width'));
  assert.ok(w > 200 && w <= 375, `chart width ${w}`);
  assert.ok(await scrollWidth(page) <= 375, `home overflows: ${await scrollWidth(page)}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the cadre home shows the due list, quick record, sync state and diary', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: '/#/login' });
  await signIn(page, ...DEMO.cadre);
  await page.waitForURL(/#\/home$/);
  await page.locator('#home-due .hm-due-item').first().waitFor();
  assert.ok(await page.locator('#home-due .hm-due-item').count() > 0);
  assert.equal(await page.locator('.hm-tab').count(), 4);
  assert.equal(await page.locator('.hm-tab[aria-selected=true]').count(), 1);
  assert.equal(await page.locator('#home-record').getAttribute('href'), '#/record');
  await page.waitForFunction(() => document.querySelector('#home-sync').textContent.trim() !== '');
  assert.match(await page.locator('#home-sync').textContent(), /已上传|待同步/);
  assert.equal(await page.locator('#home-diary-write').getAttribute('href'), '#/diary');
  await page.waitForFunction(() => !document.querySelector('#home-diary').textContent.includes('…'));
  await page.locator('#home-recent a').first().waitFor();
  assert.ok(await scrollWidth(page) <= 375, `cadre home overflows: ${await scrollWidth(page)}`);
  // the record button opens the three-tap form
  await page.locator('#home-record').click();
  await page.waitForURL(/#\/record$/);
  await page.locator('#record-form').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('the contact list filters by method and pages on', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: DESKTOP, path: '/#/login' });
  await signIn(page, ...DEMO.leader);
  await page.goto(`${BASE}/#/contacts?limit=20`);
  await page.locator('.contacts-table tbody tr').first().waitFor();
  assert.equal(await page.locator('.contacts-table tbody tr').count(), 20);
  await page.locator('#contacts-more').click();
  await page.waitForFunction(() => document.querySelectorAll('.contacts-table tbody tr').length === 40);
  await page.locator('.filter-box summary').click();
  await page.locator('#contacts-filters select[name=method]').selectOption('phone');
  await page.locator('#contacts-filters button[type=submit]').click();
  await page.waitForURL(/method=phone/);
  await page.locator('.contacts-table tbody tr').first().waitFor();
  const methods = await page.locator('.contacts-table tbody td:nth-child(2)').allTextContents();
  assert.ok(methods.length > 0 && methods.every((m) => m === '电话'), `methods: ${methods.slice(0, 5)}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a contact page shows the contact, turns an issue into an appeal and edits within 24 hours', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: '/#/login' });
  await signIn(page, ...DEMO.cadre);
  const me = (await apiCall(page, 'GET', '/api/v1/session')).data.user;
  const hh = (await apiCall(page, 'GET', `/api/v1/households?cadre=${me.id}&limit=1`)).data.items[0];
  const clock = await apiCall(page, 'POST', '/api/v1/test/clock', { advance: 'PT1S' });
  const started = new Date(Date.parse(clock.data.now) - 30 * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
  const created = await apiCall(page, 'POST', '/api/v1/contacts', {
    method: 'home_visit', started_at: started, duration_min: 25, households: [hh.id], place: '农户家中',
    summary: '了解春耕准备情况', people: [{ name: '邻居陈伯' }], issues: ['村口排水沟堵塞'],
  });
  assert.equal(created.status, 201, JSON.stringify(created.data));
  const id = created.data.id;

  await page.goto(`${BASE}/#/contacts/${id}`);
  await page.locator('#ct-detail').waitFor();
  assert.equal(await page.locator('#ct-summary').textContent(), '了解春耕准备情况');
  assert.ok((await page.locator('#ct-households').textContent()).includes(hh.head_name));
  assert.ok((await page.locator('#ct-people').textContent()).includes('邻居陈伯'));
  assert.equal(await page.locator('#ct-ask-confirm').getAttribute('href'), `#/contacts/${id}/confirm`);
  assert.ok(await scrollWidth(page) <= 375, `contact page overflows: ${await scrollWidth(page)}`);

  // 转为诉求: category and urgency, then the issue links its appeal
  await page.locator('.ct-to-appeal').click();
  const dlg = page.locator('#ct-appeal-form');
  await dlg.waitFor();
  const options = await dlg.locator('select[name=category_id] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(options.length > 0);
  await dlg.locator('select[name=category_id]').selectOption(options[0]);
  await dlg.locator('button[type=submit]').click();
  await page.locator('#ct-issues a[href^="#/appeal/"]').waitFor();
  assert.equal(await page.locator('.ct-to-appeal').count(), 0);
  const issue = (await apiCall(page, 'GET', `/api/v1/contacts/${id}`)).data.issues[0];
  assert.equal(issue.status, 'converted');
  assert.equal(await page.locator('#ct-issues a[href^="#/appeal/"]').getAttribute('href'), `#/appeal/${issue.appeal_id}`);

  // the author edits within the window
  await page.locator('#ct-edit').click();
  const form = page.locator('#ct-edit-form');
  await form.locator('textarea[name=summary]').fill('了解春耕准备情况，化肥已到位');
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelector('#ct-summary')?.textContent === '了解春耕准备情况，化肥已到位');
  assert.equal((await apiCall(page, 'GET', `/api/v1/contacts/${id}`)).data.summary, '了解春耕准备情况，化肥已到位');

  // a contact out of the cadre's scope is not found
  await page.goto(`${BASE}/#/contacts/999999999`);
  await page.locator('.alert-error').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
