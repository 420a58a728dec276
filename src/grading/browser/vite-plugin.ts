/**
 * Vite plugin that ships the browser test runner the same way under `astro dev`, `astro build`
 * (+ `astro preview` or any static host) and the grader's own test page:
 *
 * - the grading worker (./worker.ts: ses + runtime + sucrase + engine) is bundled by esbuild into
 *   ONE classic script. Vite serves workers as ES modules in dev, which a classic worker cannot
 *   load ("Cannot use import statement outside a module", issue 9), and a blob: worker could not
 *   resolve their imports anyway; one self-contained script works everywhere.
 * - the runner host page (the sandboxed iframe that starts that script from a blob: URL) is
 *   generated with a Content-Security-Policy meta tag whose script hash is computed here, so the
 *   policy always matches the script.
 *
 * `import { hostUrl, workerUrl } from 'virtual:grader-runner'` gives their URLs: hashed assets
 * under /_astro/ after a build (so they can be cached forever; not an .html page of the site,
 * so the site's page CSP rewriting and page walkers leave the host alone), and
 * `/@grader-runner/…` paths served by the dev server's middleware in dev.
 *
 * Hand-rolled because no library ships "a pre-bundled classic worker under a page-independent CSP";
 * esbuild does the bundling.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import type { Plugin } from 'vite';
import { compileTs } from '../compile.ts';

const VIRTUAL = 'virtual:grader-runner';
/**
 * Query for a test file compiled at build time: an `import.meta.glob` of the exercises' test files
 * with `{ query: COMPILED_TEST_QUERY, import: 'default' }` gives `compileTs(source, file).code` as
 * a string (null if it does not compile: the runner then compiles the source and reports why).
 */
export const COMPILED_TEST_QUERY = '?compiled-test';
const RESOLVED = `\0${VIRTUAL}`;
const DEV_HOST = '/@grader-runner/host.html';
const DEV_WORKER = '/@grader-runner/worker.js';

/**
 * The host page's script (kept small: it only starts workers). It takes the worker source once
 * ({type:'source'}), starts a worker per {type:'start', id} with the MessagePort it is given,
 * terminates on {type:'stop', id}, and reports start-up failures to the page ({type:'failed'}).
 * Messages are accepted only from the embedding page (`e.source === parent`).
 */
export const HOST_SCRIPT = `(() => {
  'use strict';
  let url = null;
  const workers = new Map();
  const tell = (m) => parent.postMessage(m, '*');
  addEventListener('message', (e) => {
    if (e.source !== parent) return;
    const d = e.data;
    if (!d || typeof d !== 'object') return;
    if (d.type === 'source' && typeof d.source === 'string' && url === null) {
      url = URL.createObjectURL(new Blob([d.source], { type: 'text/javascript' }));
      tell({ type: 'source-ok' });
    } else if (d.type === 'start' && url !== null && e.ports.length === 1 && !workers.has(d.id)) {
      let w;
      try {
        w = new Worker(url, { name: 'collapse-lab-grader' });
      } catch (err) {
        tell({ type: 'failed', id: d.id, message: String((err && err.message) || err) });
        return;
      }
      workers.set(d.id, w);
      w.onerror = (ev) => {
        ev.preventDefault();
        tell({ type: 'failed', id: d.id, message: ev.message || 'the test runner failed to start' });
      };
      w.postMessage({ type: 'connect' }, [e.ports[0]]);
    } else if (d.type === 'stop') {
      const w = workers.get(d.id);
      if (w) w.terminate();
      workers.delete(d.id);
    }
  });
  tell({ type: 'host-ready' });
})();`;

/**
 * The host's policy, inherited by every worker it starts from a blob: URL (CSP3: a worker whose
 * script URL is local takes the policy of the document that created it). Nothing but this page's
 * own script and the workers it makes may run; `'unsafe-eval'` is what ses Compartments need to
 * evaluate learner code; no connection of any kind (fetch, XHR, WebSocket, WebSocketStream,
 * WebTransport, EventSource), no script URL (importScripts, `import('http://…')`), no frames,
 * no forms, no plugins.
 */
export function hostPolicy(script = HOST_SCRIPT): string {
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  return [
    "default-src 'none'",
    `script-src 'sha256-${hash}' 'unsafe-eval'`,
    'worker-src blob:',
    "connect-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The runner host page: a CSP meta tag first, then the script. */
export function hostHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${hostPolicy()}">
<title>collapse-lab test runner</title></head>
<body><script>${HOST_SCRIPT}</script></body></html>
`;
}

/** Bundle ./worker.ts into one minified classic script. `engine`: absolute path of src/engine/index.ts. */
export async function bundleWorker(engine: string, minify = true): Promise<{ code: string; inputs: string[] }> {
  const r = await build({
    // The worker entry sits at src/grading/browser/worker.ts, next to src/engine/ (paths from the
    // caller's config, not this module's URL: config files may be bundled to another folder).
    entryPoints: [join(dirname(engine), '../grading/browser/worker.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify,
    write: false,
    metafile: true,
    legalComments: 'none',
    alias: { 'collapse-lab/engine': engine },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return { code: r.outputFiles[0]!.text, inputs: Object.keys(r.metafile?.inputs ?? {}) };
}

/** The plugin. `engine`: absolute path of src/engine/index.ts (the `collapse-lab/engine` alias). */
export function graderRunner(opts: { engine: string }): Plugin {
  let command: 'build' | 'serve' = 'build';
  let cached: Promise<{ code: string; inputs: string[] }> | null = null;
  const worker = () => (cached ??= bundleWorker(opts.engine));
  return {
    name: 'collapse-lab:grader-runner',
    configResolved(config) {
      command = config.command;
    },
    resolveId(id) {
      return id === VIRTUAL ? RESOLVED : null;
    },
    async load(id) {
      if (id.endsWith(COMPILED_TEST_QUERY)) {
        // The exercises' test files, compiled here once instead of in every spare runner at
        // start-up (sucrase over a 25 KB file took 40-60 ms of a cold worker's ~220 ms).
        const file = id.slice(0, -COMPILED_TEST_QUERY.length);
        this.addWatchFile(file);
        const out = compileTs(await readFile(file, 'utf8'), basename(file));
        return `export default ${JSON.stringify(out.ok ? out.code : null)};\n`;
      }
      if (id !== RESOLVED) return null;
      if (command === 'serve') return `export const hostUrl = ${JSON.stringify(DEV_HOST)};\nexport const workerUrl = ${JSON.stringify(DEV_WORKER)};\n`;
      const { code } = await worker();
      const host = this.emitFile({ type: 'asset', name: 'grader-runner.html', source: hostHtml() });
      const src = this.emitFile({ type: 'asset', name: 'grader-worker.js', source: code });
      return `export const hostUrl = import.meta.ROLLUP_FILE_URL_${host};\nexport const workerUrl = import.meta.ROLLUP_FILE_URL_${src};\n`;
    },
    configureServer(server) {
      // Rebuilt after any of its source files changes (esbuild: well under a second).
      server.watcher.on('change', (file) => {
        void cached?.then((w) => {
          if (w.inputs.some((i) => file.endsWith(i.replace(/^(\.\.\/)+/, '')))) cached = null;
        });
      });
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0];
        if (path === DEV_HOST) {
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.setHeader('cache-control', 'no-cache');
          res.end(hostHtml());
        } else if (path === DEV_WORKER) {
          worker().then(
            ({ code }) => {
              res.setHeader('content-type', 'text/javascript; charset=utf-8');
              res.setHeader('cache-control', 'no-cache');
              res.end(code);
            },
            (e: unknown) => {
              cached = null;
              res.statusCode = 500;
              res.end(`the grading worker did not bundle: ${String((e as Error)?.message ?? e)}`);
            },
          );
        } else next();
      });
    },
  };
}
