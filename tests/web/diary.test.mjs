// The people's-condition diary (民情日记) on a phone: the cadre finds it in the
// menu, an empty entry shows the server's field error, an entry linked to a
// recent contact is saved and listed, edited within the 24 hours, and the
// station log of the village downloads as a PDF. One sign-in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP, DEMO, PHONE, launch, open, signIn, navHrefs, scrollWidth, apiCall } from './helpers.mjs';

let browser;
let ctx;

before(async () => {
  if (SKIP) return;
  browser = await launch();
  ctx = await open(browser, { viewport: PHONE, path: '/#/login' });
});
after(async () => { if (browser) await browser.close(); });

test('a cadre writes, lists and edits a diary entry and prints the station log', { skip: SKIP }, async () => {
  const { page, errors } = ctx;
  await signIn(page, ...DEMO.cadre);
  assert.ok((await navHrefs(page)).includes('#/diary'), 'the menu lacks #/diary');
  await page.goto(page.url().replace(/#.*$/, '#/diary'));
  await page.getByRole('heading', { name: '民情日记', level: 1 }).waitFor();
  const form = page.locator('#diary-form');

  // nothing written: the server's error shows under the text
  await form.locator('button[type=submit]').click();
  await form.locator('[data-field=text] .field-error').waitFor();

  const text = `网页测试日记 ${Date.now() % 100000}`;
  await form.locator('[name=text]').fill(`${text}\n第二行`);
  await form.locator('input[name=tag][value=民生]').check();
  const link = form.locator('input[name=contact]').first();
  await link.waitFor();
  await link.check();
  await form.locator('button[type=submit]').click();
  const entry = page.locator('.diary-entry', { hasText: text });
  await entry.waitFor();
  assert.match(await entry.textContent(), /民生/);
  assert.match(await entry.textContent(), /第二行/);
  assert.match(await entry.textContent(), /联系记录：/);

  // the server agrees, with the contact and its household linked
  const mine = await apiCall(page, 'GET', '/api/v1/diary?mine=1&limit=3');
  assert.equal(mine.status, 200);
  const saved = mine.data.items.find((e) => e.text.startsWith(text));
  assert.ok(saved, 'the entry is not in the API list');
  assert.equal(saved.contacts.length, 1);
  assert.deepEqual(saved.tags, ['民生']);

  // edited within the 24 hours
  const item = page.locator(`.diary-entry[data-id="${saved.id}"]`);
  await item.locator('.diary-edit').click();
  await item.locator('textarea[name=text]').fill(`${text} 已修改`);
  await item.locator('button[type=submit]').click();
  await page.locator('.diary-entry', { hasText: `${text} 已修改` }).waitFor();

  // the village's station log for this month
  const records = page.locator('#diary-records');
  await records.waitFor();
  const download = page.waitForEvent('download');
  await records.locator('button[data-kind=station-log]').click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^驻点日志-.+\.pdf$/);

  assert.ok(await scrollWidth(page) <= PHONE.width, 'the page scrolls sideways on a phone');
  assert.deepEqual(errors, []);
});
