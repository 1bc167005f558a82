// A village's stationed team in the browser: an administrator sets the fixed
// station day (三固定); every two weeks is refused until the village is
// marked remote (偏远驻点), then saved and shown; put back afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SKIP, DEMO, DESKTOP, launch, open, signIn, apiCall } from './helpers.mjs';

const VILLAGE = '440881104205'; // a village the demo keeps weekly
let browser;

before(async () => { if (!SKIP) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test('every two weeks only for a remote village', { skip: SKIP }, async () => {
  const { page, errors, context } = await open(browser, { viewport: DESKTOP, path: '/#/login' });
  await signIn(page, ...DEMO.admin);
  const station = async () => {
    const r = await apiCall(page, 'GET', `/api/v1/villages/${VILLAGE}/teams`);
    assert.equal(r.status, 200, JSON.stringify(r.data));
    return r.data.station;
  };
  assert.equal((await station()).station_remote, false);
  await page.goto(`${BASE}/#/org/teams?village=${VILLAGE}`);
  const card = page.locator('#team-station');
  const edit = async () => {
    await card.getByRole('button', { name: '设定三固定' }).click();
    return page.locator('dialog form');
  };
  let form = await edit();
  await form.locator('[name=station_every_weeks]').selectOption('2');
  await form.locator('button[type=submit]').click();
  await form.locator('.alert', { hasText: '偏远村' }).waitFor();
  await form.locator('[name=station_remote]').selectOption('1');
  await form.locator('button[type=submit]').click();
  await card.locator('.team-day', { hasText: '每两周' }).waitFor();
  assert.match(await card.locator('.team-day').textContent(), /偏远村/);
  const now = await station();
  assert.equal(now.station_remote, true);
  assert.equal(now.station_every_weeks, 2);
  // back as the demo had it, for the tests after this one
  form = await edit();
  await form.locator('[name=station_every_weeks]').selectOption('1');
  await form.locator('[name=station_remote]').selectOption('0');
  await form.locator('button[type=submit]').click();
  await card.locator('.team-day', { hasText: '每周' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
