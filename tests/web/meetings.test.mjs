// Analysis meetings (分析研判) in the browser: a leader opens a village's
// meetings, starts a new one whose drawn agenda shows an issue a resident
// raised on the station day, decides that item as an appeal (the minutes link
// the appeal made), and finalises the minutes; the server has the appeal with
// contact_issue_id and the issue converted. The pages fit a 375-pixel phone.
// ZHILIAN_SHOTS=DIR also saves phone and desktop screenshots there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { BASE, SKIP, DEMO, PHONE, DESKTOP, launch, open, signIn, scrollWidth, apiCall } from './helpers.mjs';

const SHOTS = process.env.ZHILIAN_SHOTS || '';
const VILLAGE = '440881104201';
let browser;

before(async () => {
  if (SKIP) return;
  browser = await launch();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => { if (browser) await browser.close(); });

async function shot(page, name) {
  if (!SHOTS) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** The server's clock (the test clock may have been moved by other files). */
async function serverNow(page) {
  const r = await apiCall(page, 'POST', '/api/v1/test/clock', { advance: 'PT1S' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data.now;
}

for (const [label, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  test(`a leader holds a meeting, sends one item up as an appeal and finalises (${label})`, { skip: SKIP }, async () => {
    const { page, errors, context } = await open(browser, { viewport, path: '/#/login' });
    await signIn(page, ...DEMO.leader);
    const now = await serverNow(page);
    const text = `村口桥头护栏松动-${label}-${Date.now() % 100000}`;
    const started = new Date(Date.parse(now) - 30 * 60000).toISOString();
    const c = await apiCall(page, 'POST', '/api/v1/contacts', {
      method: 'reception_day', started_at: started, duration_min: 20, village_code: VILLAGE,
      summary: '驻点日来访', issues: [text] });
    assert.equal(c.status, 201, JSON.stringify(c.data));

    await page.goto(`${BASE}/#/meetings?village=${VILLAGE}`);
    await page.locator('#mt-list').waitFor();
    await page.locator('#mt-new').click();
    await page.locator('#mt-agenda', { hasText: text }).waitFor();
    await page.locator('[name=held_at]').fill(now.slice(0, 16));
    await shot(page, `meetings-new-${label}`);
    assert.ok(await scrollWidth(page) <= viewport.width + 1, 'the new-meeting form fits the screen');
    await page.locator('#mt-create').click();
    await page.waitForURL(/#\/meeting\/\d+$/);
    const id = Number(/meeting\/(\d+)$/.exec(page.url())[1]);

    const item = page.locator('#mt-items > li', { hasText: text });
    await item.locator('[name=decision]').selectOption('appeal');
    await item.locator('[name=category_id]').selectOption({ index: 0 });
    await item.locator('button[type=submit]').click();
    await page.locator('#mt-items > li', { hasText: text }).locator('.mt-result').waitFor();
    await shot(page, `meetings-minutes-${label}`);
    assert.ok(await scrollWidth(page) <= viewport.width + 1, 'the minutes fit the screen');

    await page.locator('#mt-finalise').click();
    await page.getByRole('button', { name: '纪要定稿' }).last().click();
    await page.locator('#mt-state', { hasText: '已定稿' }).waitFor();
    assert.equal(await page.locator('#mt-finalise').count(), 0);
    assert.equal(await page.locator('#mt-items form').count(), 0, 'no decision forms once final');

    const m = await apiCall(page, 'GET', `/api/v1/meetings/${id}`);
    assert.equal(m.data.state, 'final');
    const it = m.data.items.find((x) => x.text === text);
    assert.equal(it.decision, 'appeal');
    const a = await apiCall(page, 'GET', `/api/v1/appeals/${it.result_appeal_id}`);
    assert.equal(a.data.contact_issue_id, it.contact_issue_id);
    assert.equal(a.data.channel, 'contact');
    assert.equal(it.source.status, 'converted');
    const again = await apiCall(page, 'POST', `/api/v1/meetings/${id}/finalise`, {});
    assert.equal(again.status, 409);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
