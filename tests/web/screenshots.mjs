// Takes screenshots of the main pages on a phone (375x740) and a desktop
// (1280x800) for a person to look at. Not a test.
// usage: ZHILIAN_URL=http://127.0.0.1:8080 node tests/web/screenshots.mjs [OUT_DIR]
import { mkdirSync } from 'node:fs';
import { BASE, DEMO, PHONE, DESKTOP, launch, open, signIn } from './helpers.mjs';

const out = process.argv[2] || '/tmp/shots';
if (!BASE) { console.error('set ZHILIAN_URL'); process.exit(2); }
mkdirSync(out, { recursive: true });
const browser = await launch();
for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
  const { context, page, errors } = await open(browser, { viewport, path: '/#/login' });
  const shot = async (what, opts = {}) => {
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${out}/${name}-${what}.png`, fullPage: !!opts.full });
    console.log(`${out}/${name}-${what}.png`);
  };
  await page.locator('#login-form').waitFor();
  await shot('login');
  await page.locator('#login-form [name=username]').fill('nosuchuser');
  await page.locator('#login-form [name=password]').fill('wrong-password');
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#login-form .alert-error').waitFor();
  await shot('login-error');
  await signIn(page, ...DEMO.admin);
  await page.waitForURL(/#\/home$/);
  await shot('home', { full: true });
  if (name === 'phone') {
    await page.locator('#menu-button').click();
    await shot('menu');
    await page.locator('#menu-button').click();
  }
  await page.goto(`${BASE}/#/users`);
  await page.locator('.users-table tbody tr').first().waitFor();
  await shot('users');
  await shot('users-full', { full: true });
  await page.locator('#user-new').click();
  await page.locator('#user-create-form button[type=submit]').click();
  await page.locator('#user-create-form .alert-error').waitFor();
  await shot('user-create-errors');
  await page.keyboard.press('Escape');
  await page.goto(`${BASE}/#/audit`);
  await page.locator('.audit-table tbody tr').first().waitFor();
  await shot('audit');
  await page.locator('.audit-table .toggle').first().click();
  await page.locator('.audit-table .diff, .audit-table .detail-row p').first().waitFor();
  await shot('audit-diff', { full: true });
  await page.goto(`${BASE}/#/tokens`);
  await page.locator('#token-form').waitFor();
  await page.locator('#token-form [name=name]').fill(`shot-${name}`);
  await page.locator('#token-form button[type=submit]').click();
  await page.locator('#token-secret').waitFor();
  await shot('tokens', { full: true });
  await page.goto(`${BASE}/#/password`);
  await page.locator('#password-form').waitFor();
  await shot('password');
  await page.locator('#lang-switch').click();
  await page.goto(`${BASE}/#/users`);
  await page.locator('.users-table tbody tr').first().waitFor();
  await shot('users-en');
  await page.locator('#lang-switch').click();
  if (errors.length) console.error('console errors:', errors);
  await context.close();
}
await browser.close();
