// Checks that need no browser or server: both languages have every string,
// the pages obey the CSP (no inline script, style or handlers; no innerHTML),
// and every page module app.js loads exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

function files(dir, ext) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

test('i18n: zh and en have the same keys, no empty strings, the same {holes}', async () => {
  const { _tables } = await import(join(WEB, 'i18n.js'));
  const { zh, en } = _tables();
  assert.deepEqual(Object.keys(en).filter((k) => !(k in zh)), [], 'keys only in en');
  assert.deepEqual(Object.keys(zh).filter((k) => !(k in en)), [], 'keys only in zh');
  const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const k of Object.keys(zh)) {
    assert.ok(zh[k] && en[k], `empty string for ${k}`);
    assert.equal(holes(zh[k]), holes(en[k]), `placeholders differ for ${k}`);
  }
});

test('i18n: every t(\'key\') used in the pages exists', async () => {
  const { _tables } = await import(join(WEB, 'i18n.js'));
  const { zh } = _tables();
  // Page modules register their own strings with addStrings({zh: {...},
  // en: {...}}); such a key must be given in both languages in that file.
  const known = new Set(Object.keys(zh));
  const halfGiven = [];
  for (const f of files(WEB, '.js')) {
    const src = readFileSync(f, 'utf8');
    if (f.endsWith('i18n.js') || !/\baddStrings\(/.test(src)) continue; // i18n.js defines it
    const counts = new Map();
    for (const m of src.matchAll(/'([\w.]+)':\s*['`"]/g)) counts.set(m[1], (counts.get(m[1]) || 0) + 1);
    for (const [k, n] of counts) {
      known.add(k);
      if (n < 2) halfGiven.push(`${f}: ${k}`);
    }
  }
  assert.deepEqual(halfGiven, [], 'keys registered in one language only');
  const missing = [];
  for (const f of files(WEB, '.js')) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\('([\w.]+)'/g)) if (!known.has(m[1])) missing.push(`${f}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
});

test('CSP: no inline script, style or event handler in the HTML', () => {
  for (const f of files(WEB, '.html')) {
    const html = readFileSync(f, 'utf8');
    for (const m of html.matchAll(/<script\b([^>]*)>/gi)) assert.match(m[1], /\bsrc=/, `${f}: inline <script>`);
    assert.doesNotMatch(html, /<style\b/i, `${f}: <style>`);
    assert.doesNotMatch(html, /\sstyle\s*=/i, `${f}: style attribute`);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${f}: inline event handler`);
    assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//i, `${f}: asset from another site`);
  }
});

test('CSP and safety: no innerHTML, inline styles, eval or remote imports in the scripts', () => {
  for (const f of files(WEB, '.js')) {
    const src = readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML/, `${f}: HTML from strings`);
    assert.doesNotMatch(src, /\.style\.|setAttribute\(\s*'style'|style:\s*['{]/, `${f}: inline style`);
    assert.doesNotMatch(src, /\beval\(|new Function\(/, `${f}: eval`);
    assert.doesNotMatch(src, /from\s+'https?:|import\(\s*'https?:/, `${f}: remote import`);
  }
});

test('every page module app.js loads exists, and the assets index.html names', () => {
  const app = readFileSync(join(WEB, 'app.js'), 'utf8');
  const list = app.match(/const PAGE_MODULES = \[([\s\S]*?)\];/);
  assert.ok(list, 'PAGE_MODULES not found');
  const mods = [...list[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
  assert.ok(mods.length >= 6);
  for (const m of mods) assert.ok(existsSync(join(WEB, m)), `missing ${m}`);
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  for (const m of html.matchAll(/(?:src|href)="\/([^"#]+)"/g)) assert.ok(existsSync(join(WEB, m[1])), `missing /${m[1]}`);
});
