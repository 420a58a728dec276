/**
 * "Available offline ✓": asks the service worker (src/offline/sw.js) how much of the course is in
 * its precache and says so in `el` (data-state: unsupported | off | saving | ready | error). Polls
 * every 1.5 s until the whole manifest is cached (the worker is registered when the browser is idle
 * after a page load, and installing downloads the course), for at most 10 minutes.
 */
interface Status {
  cached: number;
  total: number;
}

function ask(sw: ServiceWorker): Promise<Status | null> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 3000);
    ch.port1.onmessage = (e: MessageEvent<Status>) => {
      clearTimeout(timer);
      resolve(e.data && typeof e.data.cached === 'number' ? e.data : null);
    };
    sw.postMessage({ type: 'offline-status' }, [ch.port2]);
  });
}

export function initOfflineStatus(el: HTMLElement): void {
  const say = (state: string, text: string) => {
    el.dataset.state = state;
    el.textContent = text;
  };
  if (!('serviceWorker' in navigator)) {
    say('unsupported', 'Offline use: this browser cannot keep the course for offline use (no service workers).');
    return;
  }
  const started = Date.now();
  const check = async (): Promise<void> => {
    let done = false;
    try {
      const reg = await navigator.serviceWorker.getRegistration();
      const active = reg?.active ?? null;
      if (!reg) say('off', 'Offline use: not set up in this browser yet. It starts by itself once a page of the course has loaded; this line updates when it is done.');
      else if (!active) say('saving', 'Saving the course for offline use…');
      else {
        const s = await ask(active);
        if (s && s.total > 0 && s.cached === s.total) {
          say('ready', `Available offline ✓ — every chapter, exercise and the search are saved in this browser (${s.total} files).`);
          done = true;
        } else if (s) say('saving', `Saving the course for offline use… (${s.cached} of ${s.total} files)`);
        else say('saving', 'Saving the course for offline use…');
      }
    } catch (e) {
      say('error', `Offline use: could not check (${e instanceof Error ? e.message : String(e)}).`);
    }
    if (!done && Date.now() - started < 10 * 60_000) setTimeout(() => void check(), 1500);
  };
  void check();
}
