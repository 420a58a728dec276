/*
 * collapse-lab: register the offline service worker (dist/sw.js, built from src/offline/sw.js with
 * Workbox; it precaches the whole course). Helper Q, issue 6 item 3; issue 14 (the whole course).
 * Only on the built site: the build adds a Content-Security-Policy meta tag to every page
 * (src/quality/csp.ts), `astro dev` does not, so a dev server never gets a caching worker.
 * Registered when the browser is idle after the page has loaded, so the download of the course
 * (a few MB, mostly the editor) never competes with the first page the learner is reading.
 */
(function () {
  if (!('serviceWorker' in navigator)) return;
  if (!document.querySelector('meta[http-equiv="Content-Security-Policy"]')) return;
  // Not under browser automation (the test suite, bench) unless a test opts in: in headless
  // Chromium 156 driven by Playwright, large responses passed through ANY service worker (even a
  // bare respondWith(fetch(request))) stall, which would hang unrelated tests. Real browsers are
  // not automated; tests/browser/quality-offline.test.ts opts in with this flag.
  try {
    if (navigator.webdriver && localStorage.getItem('collapse-lab:sw') !== 'on') return;
  } catch (e) {
    return;
  }
  function register() {
    navigator.serviceWorker.register('/sw.js').catch(function (e) {
      console.warn('collapse-lab: offline support unavailable:', e && e.message ? e.message : e);
    });
  }
  function whenIdle() {
    if ('requestIdleCallback' in window) requestIdleCallback(register, { timeout: 5000 });
    else setTimeout(register, 1000);
  }
  if (document.readyState === 'complete') whenIdle();
  else addEventListener('load', whenIdle, { once: true });
})();
