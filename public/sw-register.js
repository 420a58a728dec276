/*
 * collapse-lab: register the offline service worker (public/sw.js). Helper Q, issue 6 item 3.
 * Only on the built site: the build adds a Content-Security-Policy meta tag to every page
 * (src/quality/csp.ts), `astro dev` does not, so a dev server never gets a caching worker.
 * After the worker controls the page, the page tells it which same-origin files it already
 * loaded before the worker existed (first visit), so those are cached too.
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
  var sent = false;
  function report() {
    var c = navigator.serviceWorker.controller;
    if (!c || sent) return;
    sent = true;
    var urls = [location.href];
    try {
      performance.getEntriesByType('resource').forEach(function (e) {
        if (e.name.indexOf(location.origin + '/') === 0) urls.push(e.name);
      });
    } catch (e) {
      /* no resource timing: the worker caches what it sees from now on */
    }
    c.postMessage({ type: 'cache-urls', urls: urls });
  }
  navigator.serviceWorker.addEventListener('controllerchange', report);
  function register() {
    navigator.serviceWorker.register('/sw.js').then(report, function (e) {
      console.warn('collapse-lab: offline support unavailable:', e && e.message ? e.message : e);
    });
  }
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
})();
