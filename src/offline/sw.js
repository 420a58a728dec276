/*
 * collapse-lab service worker — SOURCE. The build (./integration.ts, after `astro build`) bundles it
 * with the Workbox modules it imports and injects the precache manifest: every file of the built
 * site (pages, /_astro/ bundles including the editor and runner chunks and their workers, the
 * Pagefind search index), each with a revision, into dist/sw.js. Plain JavaScript on purpose: a
 * service worker's globals (ServiceWorkerGlobalScope) cannot share a TypeScript program with the
 * DOM pages of the rest of src/.
 *
 * What it does (same-origin GET requests only; nothing else is touched, nothing leaves the machine):
 * - Install: the whole course is fetched into the precache (Workbox precaching, revisioned). The
 *   page registers the worker when the browser is idle after the first visit (/sw-register.js), so
 *   a learner who then goes offline can open any chapter, run any exercise and search.
 * - Activate: precaches of older builds and the hand-written v1 worker's caches are deleted; the
 *   worker takes control of open pages at once.
 * - Pages (navigations): network first, so an online reader always sees the current course; when
 *   the network fails, the precached copy (query string ignored: /playground/?layout=… works); an
 *   address that is not part of the course gets a short offline notice, not the browser's error.
 * - /_astro/ (content-hashed names): precache first, then the network.
 * - Other files (Pagefind, favicon, …): network first, the precached copy offline.
 * - Message {type:'offline-status'} (with a MessagePort): replies {cached, total}, how many files of
 *   the manifest are in the precache, for the "available offline ✓" line on the progress page.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, getCacheKeyForURL, matchPrecache, precache } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';

const MANIFEST = self.__WB_MANIFEST;

precache(MANIFEST);
cleanupOutdatedCaches();
self.skipWaiting();
clientsClaim();

self.addEventListener('activate', (event) => {
  // the hand-written worker (v1) kept one cache named collapse-lab-v1
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => /^collapse-lab-v\d+$/.test(k)).map((k) => caches.delete(k)))));
});

/** The precached copy of a same-origin URL: the path itself, or its directory's index.html. */
async function fromPrecache(url) {
  const path = url.pathname;
  const candidates = path.endsWith('/') ? [path + 'index.html', path] : [path, path + '/index.html'];
  for (const c of candidates) {
    const hit = await matchPrecache(c);
    if (hit) return hit;
  }
  return undefined;
}

function offlinePage() {
  const html =
    '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Offline | collapse-lab</title><main style="font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem">' +
    '<h1>You are offline</h1><p>This address is not part of the course saved on this device, so it cannot be shown offline. ' +
    'Every chapter, exercise and the search work offline; go back, or reconnect and reload.</p></main>';
  return new Response(html, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

async function networkFirst(request, url) {
  try {
    return await fetch(request);
  } catch (e) {
    const hit = await fromPrecache(url);
    if (hit) return hit;
    if (request.mode === 'navigate') return offlinePage();
    throw e;
  }
}

async function precacheFirst(request, url) {
  return (await fromPrecache(url)) || fetch(request);
}

const ours = ({ request, url }) => request.method === 'GET' && url.origin === self.location.origin && !request.headers.has('range');

registerRoute(({ request, url }) => ours({ request, url }) && request.mode !== 'navigate' && url.pathname.startsWith('/_astro/'), ({ request, url }) => precacheFirst(request, url));
registerRoute(ours, ({ request, url }) => networkFirst(request, url));

self.addEventListener('message', (event) => {
  const data = event.data;
  const port = event.ports && event.ports[0];
  if (!data || data.type !== 'offline-status' || !port) return;
  event.waitUntil(
    (async () => {
      let cached = 0;
      for (const entry of MANIFEST) {
        const url = typeof entry === 'string' ? entry : entry.url;
        const key = getCacheKeyForURL(url);
        if (key && (await caches.match(key))) cached++;
      }
      port.postMessage({ type: 'offline-status', cached, total: MANIFEST.length });
    })(),
  );
});
