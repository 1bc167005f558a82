// The resident portal on a phone (375x740), without an account: a resident
// opens the QR link, submits an appeal in three screens, sees the receipt
// code, tracks it; the public board draws its chart; English switch works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SKIP, PHONE, launch, open, scrollWidth } from './helpers.mjs';

const VILLAGE = '440881104201'; // 东坑村

let browser;
before(async () => { if (!SKIP) browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

test('a resident submits an appeal on a phone and tracks it', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: `/#/portal/${VILLAGE}` });
  await page.getByRole('heading', { name: '向东坑村反映问题' }).waitFor();
  assert.match(await page.locator('.portal-step').textContent(), /第 1 步/);
  // the village's next reception day, for one who would rather come in person
  assert.match(await page.locator('#portal-meet').textContent(), /也可以当面说.*\d{4}-\d{2}-\d{2}（星期三）08:30–12:00 在东坑村村委会办公室接访/);
  await page.getByRole('button', { name: '环境卫生' }).click();
  await page.locator('#portal-form').waitFor();
  // an empty description is caught before sending
  await page.locator('#portal-form button[type=submit]').click();
  assert.match(await page.locator('[data-field=description] .field-error').textContent(), /请写一下/);
  await page.getByLabel('问题是什么').fill('村口垃圾堆三天没人清理');
  await page.getByLabel('手机号（可不填）').fill('13912345678');
  await page.getByLabel(/公开栏/).check();
  await page.locator('#portal-form button[type=submit]').click();
  const codeEl = page.locator('#portal-code');
  await codeEl.waitFor();
  const code = (await codeEl.textContent()).trim();
  assert.match(code, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}$/);
  assert.match(await page.locator('.portal-write').textContent(), /抄下来/);
  const size = await codeEl.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 32, `receipt code font ${size}px`);
  assert.ok(await scrollWidth(page) <= PHONE.width);

  await page.getByRole('link', { name: '查看办理进度' }).click();
  await page.waitForURL(/#\/track\?code=/);
  assert.equal(await page.locator('[name=receipt_code]').inputValue(), code);
  await page.locator('#track-form button[type=submit]').click();
  await page.locator('#track-state').waitFor();
  assert.equal(await page.locator('#track-state').getAttribute('data-state'), 'submitted');
  assert.match(await page.locator('.portal-timeline').textContent(), /提交问题/);
  assert.match(await page.locator('#track-result').textContent(), /后四位/);
  // wrong digits: the server's message, in Chinese
  await page.locator('[name=phone_last4]').fill('0000');
  await page.locator('#track-form button[type=submit]').click();
  await page.locator('#track-form .alert-error').waitFor();
  assert.match(await page.locator('#track-form .alert-error').textContent(), /后四位不对/);
  await page.locator('[name=phone_last4]').fill('5678');
  await page.locator('#track-form button[type=submit]').click();
  await page.locator('#track-result .portal-text').waitFor();
  assert.match(await page.locator('#track-result').textContent(), /村口垃圾堆三天没人清理/);
  assert.ok(await scrollWidth(page) <= PHONE.width);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the public board draws the monthly chart with plain SVG', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: `/#/board/${VILLAGE}` });
  await page.getByRole('heading', { name: '东坑村公开栏' }).waitFor();
  assert.equal(await page.locator('svg.portal-chart g').count(), 12);
  assert.equal(await page.locator('.portal-table tbody tr').count(), 12);
  assert.ok(await scrollWidth(page) <= PHONE.width);
  await page.locator('#lang-switch').click();
  await page.getByRole('heading', { name: /public board/ }).waitFor();
  await page.locator('#lang-switch').click();
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unknown village offers the chooser', { skip: SKIP }, async () => {
  const { context, page, errors } = await open(browser, { viewport: PHONE, path: '/#/portal/440881104299' });
  await page.getByRole('heading', { name: '选择您的村' }).waitFor();
  await page.getByRole('link', { name: '东坑村' }).click();
  await page.getByRole('heading', { name: '向东坑村反映问题' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
