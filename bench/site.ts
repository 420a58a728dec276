/**
 * Shared by the site benches (helper Q): one production build of the site per `npm run bench`,
 * timed (the build-time figure), and a static server for it.
 * The build goes to node_modules/.cache/collapse-lab/bench-dist (never dist/, never the browser
 * suite's folder), override with COLLAPSE_LAB_BENCH_DIST; COLLAPSE_LAB_BENCH_SKIP_BUILD=1 reuses it
 * (then the build-time figure is not measured).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import httpServer from 'node:http';
import zlib from 'node:zlib';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const DIST = path.resolve(process.env.COLLAPSE_LAB_BENCH_DIST ?? path.join(ROOT, 'node_modules/.cache/collapse-lab/bench-dist'));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let built: Promise<{ dir: string; ms: number | null }> | null = null;

function astroBuild(outDir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const log: string[] = [];
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--outDir', outDir], {
      cwd: ROOT,
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`astro build failed (exit ${code}): ${log.join('').split('\n').slice(-15).join('\n')}`));
    });
  });
}

/** Build the site once (timed) and return where it is. */
export function ensureBuild(): Promise<{ dir: string; ms: number | null }> {
  built ??= (async () => {
    if (process.env.COLLAPSE_LAB_BENCH_SKIP_BUILD === '1' && fs.existsSync(path.join(DIST, 'index.html'))) return { dir: DIST, ms: null };
    const ms = await astroBuild(DIST);
    return { dir: DIST, ms };
  })();
  return built;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.ttf': 'font/ttf', '.woff': 'font/woff', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml', '.wasm': 'application/wasm', '.pdf': 'application/pdf',
};
const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|txt|xml|ttf)$/;

/**
 * Serve a build the way a static host does: gzip for text (when the browser asks for it),
 * `/_astro/` immutable, everything else revalidated. Lighthouse's figures assume a real host;
 * an uncompressed dev-style server would cost the page ~160 KB on its simulated slow 4G.
 */
export async function serve(dir: string): Promise<{ base: string; close(): Promise<void> }> {
  const gzCache = new Map<string, Buffer>();
  const server: http.Server = httpServer.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    let status = 200;
    if (!fs.existsSync(file)) {
      status = 404;
      file = path.join(dir, '404.html');
    }
    const headers: Record<string, string> = {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': url.pathname.startsWith('/_astro/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    let body: Buffer = fs.readFileSync(file);
    if (COMPRESSIBLE.test(file) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      let z = gzCache.get(file);
      if (!z) gzCache.set(file, (z = zlib.gzipSync(body, { level: 9 })));
      body = z;
      headers['content-encoding'] = 'gzip';
      headers.vary = 'accept-encoding';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Built pages (relative paths) that contain an exercise block, heaviest HTML first. */
export function exercisePages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== '_astro' && e.name !== 'pagefind') walk(p);
      else if (e.name.endsWith('.html') && fs.readFileSync(p, 'utf8').includes('class="cl-exercise')) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export function urlPath(html: string): string {
  return html === 'index.html' ? '/' : `/${html.replace(/index\.html$/, '')}`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function machine(): { nproc: number; cpu: string; loadavg: number[] } {
  return { nproc: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((x) => +x.toFixed(2)) };
}
