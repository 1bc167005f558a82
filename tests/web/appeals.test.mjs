// Appeals in the browser: a cadre enters an appeal for a household of 东坑村,
// a leader accepts it and assigns it back to the cadre, the cadre starts and
// resolves it; at each step the buttons shown are exactly the actions the
// state allows. A cadre of the same village sees only "comment" on an appeal
// handled by someone else. A viewer sees no action buttons; the inbox, the supervision
// view and the holiday calendar render on a phone without overflow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SKIP, DEMO, PHONE, DESKTOP, launch, open, signIn, scrollWidth, apiCall } from './helpers.mjs';

let browser;
let cadre; // {context, page, errors}
let leader;
let appealId = null;
const title = `村口路灯不亮 ${Date.now() % 100000}`;

before(async () => {
  if (SKIP) return;
  browser = await launch();
  cadre = await open(browser, { viewport: DESKTOP, path: '/#/login' });
  await signIn(cadre.page, ...DEMO.cadre);
  leader = await open(browser, { viewport: DESKTOP, path: '/#/login' });
  await signIn(leader.page, ...DEMO.leader);
});
after(async () => { if (browser) await browser.close(); });

/** The data-action of every action button on the detail page. */
async function buttons(page) {
  await page.locator('#appeal-actions').waitFor();
  return page.locator('#appeal-actions button').evaluateAll((bs) => bs.map((b) => b.dataset.action));
}

/** The appeal as the server sends it to this page's user. */
function fetchAppeal(page, id) {
  return page.evaluate(async (i) => (await fetch(`/api/v1/appeals/${i}`)).json(), id);
}

/** Opens the detail page and checks the buttons against the state's expected list and the server's. */
async function expectButtons(page, state, expected) {
  await page.goto(`${BASE}/#/appeal/${appealId}`);
  await page.locator(`.ap-status [data-state="${state}"]`).waitFor();
  const shown = await buttons(page);
  assert.deepEqual(shown, expected, `buttons in ${state}`);
  const a = await fetchAppeal(page, appealId);
  assert.equal(a.state, state);
  assert.deepEqual(shown, a.allowed_actions.filter((x) => x !== 'approve_extension' || a.extension_requested_days));
}

/** Clicks an action button, fills the dialog and waits for the new state. */
async function act(page, action, fill, state) {
  await page.locator(`#appeal-actions button[data-action="${action}"]`).click();
  const dlg = page.locator('dialog.ap-action-dialog');
  await dlg.waitFor();
  if (fill) await fill(dlg);
  await dlg.locator('button[type=submit]').click();
  await page.locator(`.ap-status [data-state="${state}"]`).waitFor();
}

test('a cadre enters an appeal for a household of 东坑村', { skip: SKIP }, async () => {
  const { page, errors } = cadre;
  await page.goto(`${BASE}/#/appeals`);
  await page.locator('#appeal-new').click();
  const form = page.locator('#appeal-new-form');
  await form.waitFor();
  // the cadre's only village is chosen already
  assert.equal(await form.locator('[name=village_code] option:checked').textContent(), '东坑村');
  await form.locator('[name=category_id]').selectOption({ label: '道路交通' });
  // required fields first: the page shows the server's field errors
  await form.locator('button[type=submit]').click();
  await form.locator('[data-field=title] .field-error').waitFor();
  await form.locator('[name=title]').fill(title);
  await form.locator('[name=description]').fill('村口那盏路灯已经三个晚上不亮了，老人晚上出门看不见路。');
  await page.waitForFunction(() => document.querySelectorAll('#appeal-new-form [name=household_id] option').length > 1);
  await form.locator('[name=household_q]').fill('黄志成');
  await page.waitForFunction(() => [...document.querySelectorAll('#appeal-new-form [name=household_id] option')].some((o) => o.textContent.startsWith('黄志成')));
  const hh = await form.locator('[name=household_id] option').nth(1).getAttribute('value');
  await form.locator('[name=household_id]').selectOption(hh);
  await form.locator('button[type=submit]').click();
  await page.waitForURL(/#\/appeal\/\d+$/);
  appealId = Number(/#\/appeal\/(\d+)$/.exec(page.url())[1]);
  await page.getByRole('heading', { name: title }).waitFor();
  assert.match(await page.locator('#notice').textContent(), /回执码/);
  const a = await fetchAppeal(page, appealId);
  assert.equal(a.village.name, '东坑村');
  assert.equal(a.household_id, Number(hh));
  assert.equal(await page.locator('.ap-status [data-state]').textContent(), '待受理');
  // a cadre may accept it but not escalate it (that is the leader's)
  await expectButtons(page, 'submitted', ['accept', 'reject', 'transfer', 'merge_into', 'comment']);
  const tl = await page.locator('#appeal-timeline li').allTextContents();
  assert.equal(tl.length, 1);
  assert.match(tl[0], /提交诉求/);
  assert.deepEqual(errors, []);
});

test('the cadre\'s inbox lists it under "mine" with its state, village and due time', { skip: SKIP }, async () => {
  const { page } = cadre;
  await page.goto(`${BASE}/#/appeals?tab=mine`);
  const row = page.locator(`.ap-table tr[data-key="${appealId}"]`);
  await row.waitFor();
  const text = await row.textContent();
  for (const s of ['待受理', '道路交通', '东坑村', '受理期限']) assert.ok(text.includes(s), `row lacks ${s}: ${text}`);
  assert.equal(await page.locator('.ap-tab[aria-current=page]').getAttribute('data-tab'), 'mine');
  for (const tab of ['overdue', 'soon', 'dept']) {
    await page.locator(`.ap-tab[data-tab=${tab}]`).click();
    await page.locator(`.ap-tab[aria-current=page][data-tab=${tab}]`).waitFor();
    await page.locator('.list-area[data-loaded]').waitFor({ state: 'attached' });
  }
  // overdue lists only flagged appeals: a fresh one is not among them
  await page.goto(`${BASE}/#/appeals?tab=overdue`);
  await page.locator('.list-area[data-loaded]').waitFor({ state: 'attached' });
  assert.equal(await page.locator(`.ap-table tr[data-key="${appealId}"]`).count(), 0);
});

test('a leader accepts it and assigns it to the cadre', { skip: SKIP }, async () => {
  const { page, errors } = leader;
  // while it is open, the supervision view counts it for 东坑村
  await page.goto(`${BASE}/#/appeals/supervise`);
  const bar = page.locator('#apa-by-village [data-village="东坑村"]');
  await bar.waitFor();
  assert.match(await bar.textContent(), /东坑村\s*\d+/);
  await expectButtons(page, 'submitted', ['accept', 'reject', 'transfer', 'merge_into', 'escalate', 'comment']);
  await act(page, 'accept', null, 'accepted');
  // no extension was asked for, so there is nothing to approve
  await expectButtons(page, 'accepted', ['assign', 'transfer', 'request_extension', 'merge_into', 'escalate', 'comment']);
  await act(page, 'assign', async (dlg) => {
    await dlg.locator('[name=user_id]').selectOption({ label: '林秀英 (cadre)' });
  }, 'assigned');
  const a = await fetchAppeal(page, appealId);
  assert.equal(a.assignee.display_name, '林秀英');
  assert.ok(a.due_at, 'accepting sets the resolve deadline');
  assert.deepEqual(errors, []);
});

test('a reason is required to reject or escalate: the dialog shows the server\'s error', { skip: SKIP }, async () => {
  const { page } = leader;
  await page.locator('#appeal-actions button[data-action="escalate"]').click();
  const dlg = page.locator('dialog.ap-action-dialog');
  await dlg.locator('button[type=submit]').click();
  await dlg.locator('[data-field=reason] .field-error, .alert-error:not([hidden])').first().waitFor();
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert.equal((await fetchAppeal(page, appealId)).escalated, false);
});

test('the cadre starts and resolves it', { skip: SKIP }, async () => {
  const { page, errors } = cadre;
  await expectButtons(page, 'assigned', ['start', 'assign', 'transfer', 'request_extension', 'merge_into', 'comment']);
  await act(page, 'start', null, 'in_progress');
  await expectButtons(page, 'in_progress',
    ['resolve', 'wait_resident', 'assign', 'transfer', 'request_extension', 'merge_into', 'comment']);
  await act(page, 'resolve', async (dlg) => {
    await dlg.locator('[name=resolution]').fill('已联系供电所更换灯泡，当晚恢复照明。');
  }, 'resolved');
  await expectButtons(page, 'resolved', ['feedback', 'close', 'comment']);
  const tl = (await page.locator('#appeal-timeline li').allTextContents()).join('\n');
  for (const s of ['提交诉求', '受理', '交办', '开始办理', '办结', '已联系供电所更换灯泡']) assert.ok(tl.includes(s), `timeline lacks ${s}: ${tl}`);
  assert.match(await page.locator('.ap-detail').textContent(), /已联系供电所更换灯泡/);
  assert.deepEqual(errors, []);
});

test('a cadre sees no resolve button on an appeal another cadre handles', { skip: SKIP }, async () => {
  const me = (await apiCall(cadre.page, 'GET', '/api/v1/session')).data.user.id;
  const users = (await apiCall(leader.page, 'GET', '/api/v1/users?role=cadre&limit=500')).data.items;
  const other = users.find((u) => u.scope_code === '440881104201' && u.id !== me && !u.disabled);
  assert.ok(other, 'the demo village has a second cadre');
  const made = await apiCall(leader.page, 'POST', '/api/v1/appeals', {
    village_code: '440881104201', category_id: 3, title: `${title} 另案`, description: '村道边水沟堵塞', channel: 'phone' });
  assert.equal(made.status, 201, JSON.stringify(made.data));
  const id = made.data.id;
  for (const body of [{ action: 'accept' }, { action: 'assign', user_id: other.id }, { action: 'start' }]) {
    const r = await apiCall(leader.page, 'POST', `/api/v1/appeals/${id}/actions`, body);
    assert.equal(r.status, 200, JSON.stringify(r.data));
  }
  const { page, errors } = cadre;
  await page.goto(`${BASE}/#/appeal/${id}`);
  await page.locator('.ap-status [data-state="in_progress"]').waitFor();
  assert.deepEqual(await buttons(page), ['comment']);
  assert.equal(await page.locator('#appeal-actions button[data-action="resolve"]').count(), 0);
  assert.ok(await page.locator('#appeal-not-yours').isVisible(), 'the page says why only comment is offered');
  assert.deepEqual((await fetchAppeal(page, id)).allowed_actions, ['comment']);
  assert.deepEqual(errors, []);
});

test('a viewer sees the appeal but no action buttons', { skip: SKIP }, async () => {
  const v = await open(browser, { viewport: PHONE, path: '/#/login' });
  try {
    await signIn(v.page, ...DEMO.viewer);
    await v.page.goto(`${BASE}/#/appeal/${appealId}`);
    await v.page.getByRole('heading', { name: title }).waitFor();
    await v.page.locator('#appeal-timeline').waitFor();
    assert.equal(await v.page.locator('[data-action]').filter({ has: v.page.locator('xpath=self::button') }).count(), 0);
    assert.equal(await v.page.locator('#appeal-actions').count(), 0);
    assert.deepEqual((await fetchAppeal(v.page, appealId)).allowed_actions, []);
    // and the inbox is not for viewers
    assert.ok(!(await v.page.locator('#nav-list a[href="#/appeals"]').count()));
    assert.ok(await scrollWidth(v.page) <= PHONE.width, 'detail wider than a phone');
    assert.deepEqual(v.errors, []);
  } finally { await v.context.close(); }
});

test('on a phone the inbox shows cards with the due badge and nothing overflows', { skip: SKIP }, async () => {
  const { page, errors } = leader;
  await page.setViewportSize(PHONE);
  try {
    await page.goto(`${BASE}/#/appeals?tab=all`);
    const row = page.locator(`.ap-table tr[data-key="${appealId}"]`);
    await row.waitFor();
    assert.equal(await row.evaluate((tr) => getComputedStyle(tr).display), 'block');
    assert.ok(await scrollWidth(page) <= PHONE.width, 'inbox wider than a phone');
    await page.goto(`${BASE}/#/appeals/supervise`);
    await page.locator('#apa-by-village').waitFor();
    assert.ok(await scrollWidth(page) <= PHONE.width, 'supervision wider than a phone');
    // the calendar is the administrator's
    await page.goto(`${BASE}/#/appeals/calendar`);
    await page.getByRole('heading', { name: '没有权限' }).waitFor();
    assert.deepEqual(errors, []);
  } finally { await page.setViewportSize(DESKTOP); }
});

let admin = null;
async function adminPage(viewport) {
  if (!admin) {
    admin = await open(browser, { viewport, path: '/#/login' });
    await signIn(admin.page, ...DEMO.admin);
  }
  await admin.page.setViewportSize(viewport);
  return admin;
}

test('an administrator marks a day on the holiday calendar and clears it again', { skip: SKIP }, async () => {
  const a = await adminPage(PHONE);
  {
    const { page } = a;
    await page.goto(`${BASE}/#/appeals/calendar?month=2026-10`);
    await page.locator('#calendar-grid').waitFor();
    assert.equal(await page.locator('#cal-month').textContent(), '2026年10月');
    // the shipped calendar: National Day is a holiday
    assert.equal(await page.locator('[data-day="2026-10-01"]').getAttribute('data-kind'), 'holiday');
    assert.match(await page.locator('[data-day="2026-10-01"]').getAttribute('class'), /is-holiday/);
    const workdays = await page.locator('[data-kind=workday]').allTextContents();
    for (const w of workdays) assert.match(w, /班/);
    assert.ok(await scrollWidth(page) <= PHONE.width, 'calendar wider than a phone');
    // 2026-10-21 is an ordinary Wednesday: make it a holiday, then undo
    const day = page.locator('[data-day="2026-10-21"]');
    assert.equal(await day.getAttribute('data-kind'), 'normal');
    await day.click();
    const dlg = page.locator('dialog.apa-cal-dialog');
    await dlg.locator('[name=kind]').selectOption('holiday');
    await dlg.locator('[name=name]').fill('测试假日');
    await dlg.locator('button[type=submit]').click();
    await page.locator('[data-day="2026-10-21"][data-kind=holiday]').waitFor();
    const cal = await page.evaluate(async () => (await fetch('/api/v1/calendar?year=2026')).json());
    assert.ok(cal.items.some((d) => d.day === '2026-10-21' && d.kind === 'holiday' && d.name === '测试假日'));
    await page.locator('[data-day="2026-10-21"]').click();
    await dlg.locator('[name=kind]').selectOption('normal');
    await dlg.locator('button[type=submit]').click();
    await page.locator('[data-day="2026-10-21"][data-kind=normal]').waitFor();
    await page.locator('#cal-next').click();
    await page.waitForFunction(() => document.getElementById('cal-month')?.textContent === '2026年11月');
    assert.deepEqual(a.errors, []);
  }
});

test('an administrator sees the categories with their time limits', { skip: SKIP }, async () => {
  const a = await adminPage(DESKTOP);
  {
    const { page } = a;
    await page.goto(`${BASE}/#/appeals/categories`);
    const rows = page.locator('.apa-cat-table tbody tr');
    await rows.first().waitFor();
    const names = await rows.locator('td:first-child').allTextContents();
    for (const n of ['道路交通', '水电气暖', '邻里纠纷', '其他']) assert.ok(names.includes(n), `no ${n}: ${names}`);
    assert.match(await rows.first().textContent(), /2个工作小时 \/ 7个工作日/);
    assert.deepEqual(a.errors, []);
  }
});
