/*
 * collapse-lab service worker: the course keeps working offline after a first visit,
 * exercises included (helper Q, issue 6 item 3). Same-origin GET requests only; nothing else
 * is touched, and nothing ever leaves the machine.
 *
 * - Pages (navigations): network first, so an online reader always sees the current course;
 *   the copy is cached, and served when the network fails. A page never visited shows a short
 *   offline notice instead of the browser's error page.
 * - /_astro/ (our bundles, the editor and runner chunks and their workers, fonts): cache first.
 *   Astro's file names there carry a content hash, so a cached file is never stale; a new build
 *   brings new names.
 * - Other files (Pagefind's index, favicon, sitemap…): network first like pages, their names are
 *   not hashed.
 * - Files the page loaded before this worker took control (the first visit) are reported by
 *   /sw-register.js and cached on that message.
 * Bump VERSION to drop every cache of an older worker.
 */
const VERSION = 'v1';
const CACHE = 'collapse-lab-' + VERSION;

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('collapse-lab-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function sameOrigin(url) {
  return new URL(url, self.location.href).origin === self.location.origin;
}

async function put(request, response) {
  if (!response || !response.ok || response.type === 'opaque') return;
  const cache = await caches.open(CACHE);
  await cache.put(request, response);
}

self.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'cache-urls' || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter((u) => typeof u === 'string' && sameOrigin(u));
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        urls.map((u) =>
          cache.match(u, { ignoreSearch: false }).then((hit) =>
            hit ? undefined : fetch(u, { credentials: 'same-origin' }).then((r) => put(u, r)).catch(() => undefined),
          ),
        ),
      ),
    ),
  );
});

function offlinePage() {
  const html =
    '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Offline | collapse-lab</title><main style="font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem">' +
    '<h1>You are offline</h1><p>This page of the course has not been opened on this device yet, so it is not saved for offline use. ' +
    'Pages you have already visited work offline; go back, or reconnect and reload.</p></main>';
  return new Response(html, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

// The copy is written in the background (waitUntil): the page gets its response at once.
async function networkFirst(event, request) {
  try {
    const response = await fetch(request);
    if (response.ok) event.waitUntil(put(request, response.clone()));
    return response;
  } catch (e) {
    const cache = await caches.open(CACHE);
    const hit = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
    if (hit) return hit;
    if (request.mode === 'navigate') return offlinePage();
    throw e;
  }
}

async function cacheFirst(event, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) event.waitUntil(put(request, response.clone()));
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !sameOrigin(request.url)) return;
  if (request.headers.has('range')) return;
  const immutable = new URL(request.url).pathname.startsWith('/_astro/');
  event.respondWith(immutable ? cacheFirst(event, request) : networkFirst(event, request));
});
