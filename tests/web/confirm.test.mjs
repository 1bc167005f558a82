// Household confirmation on a phone: the cadre records a home visit in 记录联系,
// taps 请户主确认, the household signs on the canvas with a finger (mouse
// strokes here), the cadre submits and the page and the server show the
// visit confirmed by signature. Also: submitting an empty pad is refused in
// the page, and the page fits a 375-pixel screen.
// ZHILIAN_SHOTS=DIR also saves phone and desktop screenshots there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { BASE, SKIP, DEMO, PHONE, DESKTOP, launch, open, signIn, scrollWidth, apiCall } from './helpers.mjs';

const SHOTS = process.env.ZHILIAN_SHOTS || '';
let browser;
let cadre;

before(async () => {
  if (SKIP) return;
  browser = await launch();
  cadre = await open(browser, { viewport: PHONE, path: '/#/login' });
  await signIn(cadre.page, ...DEMO.cadre);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
after(async () => { if (browser) await browser.close(); });

async function shot(page, name) {
  if (!SHOTS) return;
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** A signature-like scribble across the canvas with the mouse. */
async function scribble(page) {
  const box = await page.locator('#confirm-canvas').boundingBox();
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + 20, y);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 20 + i * 20, y + (i % 2 ? -30 : 30), { steps: 3 });
  await page.mouse.up();
}

test('the household signs a home visit on the cadre\'s phone', { skip: SKIP }, async () => {
  const { page, errors } = cadre;
  await page.goto(`${BASE}/#/record`);
  await page.locator('#record-households .rc-hh').first().click();
  await page.locator('.rc-chip').first().click();
  await page.locator('#record-save').click();
  const link = page.locator('#record-confirm');
  await link.waitFor();
  await link.click();

  // the page waits for the outbox, then offers the pad
  await page.locator('#confirm-canvas').waitFor();
  assert.equal(await page.locator('#confirm-status').getAttribute('data-status'), 'none');
  assert.match(page.url(), /#\/contacts\/\d+\/confirm$/);
  const id = Number(/contacts\/(\d+)\//.exec(page.url())[1]);
  await shot(page, 'confirm-phone-empty');
  await page.locator('#confirm-tab-sms').click();
  await page.locator('#confirm-send').waitFor();
  await shot(page, 'confirm-phone-sms');
  await page.locator('#confirm-tab-sign').click();

  // an empty pad is refused in the page
  await page.locator('#confirm-sign-submit').click();
  await page.locator('#confirm-form .alert-error').waitFor();

  await scribble(page);
  assert.ok(await page.locator('#confirm-form .alert-error').isHidden(), 'drawing clears the message');
  await shot(page, 'confirm-phone-signed');
  await page.locator('#confirm-sign-submit').click();
  await page.locator('#confirm-status[data-status=confirmed]').waitFor();
  assert.equal(await page.locator('#confirm-status').getAttribute('data-method'), 'signature');
  await page.locator('#confirm-signature').waitFor();
  assert.ok(await page.locator('#confirm-signature').evaluate((img) => img.complete && img.naturalWidth > 0));
  assert.equal(await page.locator('#confirm-form').count(), 0);
  assert.ok(await scrollWidth(page) <= PHONE.width, 'no sideways scrolling on a phone');
  await shot(page, 'confirm-phone-done');

  const c = await apiCall(page, 'GET', `/api/v1/contacts/${id}`);
  assert.equal(c.status, 200);
  assert.equal(c.data.confirmation, 'signature');
  const conf = await apiCall(page, 'GET', `/api/v1/contacts/${id}/confirmation`);
  assert.equal(conf.data.status, 'confirmed');
  assert.ok(conf.data.signature.bytes > 100 && conf.data.signature.bytes <= 512 * 1024);
  // a second signature is refused by the server
  const again = await apiCall(page, 'POST', `/api/v1/contacts/${id}/confirmation/code`, {});
  assert.equal(again.status, 409);

  if (SHOTS) {
    await page.setViewportSize(DESKTOP);
    await page.reload();
    await page.locator('#confirm-status').waitFor();
    await shot(page, 'confirm-desktop-done');
    await page.setViewportSize(PHONE);
  }
  assert.deepEqual(errors, []);
});
