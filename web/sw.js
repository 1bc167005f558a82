// sw.js: the service worker that lets a cadre's phone open the app with no
// signal. The shell (index.html, scripts, styles, icon) is served from the
// cache first and refreshed in the background; the session, the cadre's
// household list and due list are fetched network-first, with the last good
// answer as the fallback. Writes are never touched (the outbox in
// offline.js handles them); signing out clears the cached data.

const VERSION = 'zl-1';
const SHELL = `${VERSION}-shell`;
const DATA = `${VERSION}-data`;
const CORE = ['/', '/index.html', '/app.js', '/api.js', '/i18n.js', '/ui.js', '/offline.js', '/app.css',
  '/favicon.svg', '/pages/record.js', '/pages/outbox.js'];
const STATIC = /\.(?:js|css|svg|png|ico|woff2|html)$/;
// API reads kept for offline use: exact paths, any query.
const DATA_PATHS = new Set(['/api/v1/session', '/api/v1/plans/due', '/api/v1/households']);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(CORE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => !k.startsWith(`${VERSION}-`)).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// The page sends the files it loaded (page modules and their helpers).
self.addEventListener('message', (event) => {
  const m = event.data || {};
  if (m.type !== 'precache' || !Array.isArray(m.urls)) return;
  const urls = m.urls.filter((u) => typeof u === 'string' && u.startsWith('/') && !u.startsWith('/api/'));
  const shell = caches.open(SHELL).then((c) => Promise.all(urls.map((u) => c.match(u).then((hit) => (hit ? null
    : fetch(u, { credentials: 'same-origin' }).then((r) => (r.ok ? c.put(u, r) : null)).catch(() => null))))));
  // the page asked for its session before this worker controlled it: keep one now
  const session = dataNetworkFirst(new Request('/api/v1/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } }),
    '/api/v1/session').catch(() => null);
  event.waitUntil(Promise.all([shell, session]));
});

async function shellFirst(event, key) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(key, { ignoreSearch: true });
  const fresh = fetch(event.request).then((r) => {
    if (r.ok && r.type === 'basic') return cache.put(key, r.clone()).then(() => r);
    return r;
  });
  if (hit) {
    event.waitUntil(fresh.catch(() => null));
    return hit;
  }
  return fresh;
}

async function dataNetworkFirst(request, path) {
  const cache = await caches.open(DATA);
  try {
    const r = await fetch(request);
    if (r.ok) await cache.put(request, r.clone());
    else if (r.status === 401 && path === '/api/v1/session') await caches.delete(DATA);
    return r;
  } catch (e) {
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method !== 'GET') {
    // signing in or out: whatever was cached belongs to the previous session
    if (url.pathname === '/api/v1/session') event.waitUntil(caches.delete(DATA));
    return;
  }
  if (url.pathname.startsWith('/api/')) {
    if (DATA_PATHS.has(url.pathname)) event.respondWith(dataNetworkFirst(req, url.pathname));
    return;
  }
  if (url.pathname === '/' || url.pathname === '/index.html') { event.respondWith(shellFirst(event, '/index.html')); return; }
  if (STATIC.test(url.pathname)) event.respondWith(shellFirst(event, url.pathname));
});
