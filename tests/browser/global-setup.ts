/**
 * Global setup of the 'browser' Vitest project (vitest.config.ts): build the site once and serve
 * the build on a free localhost port for the whole suite.
 *
 * - Builds with the project's own Astro (`astro build`, the `npm run build` equivalent) into a
 *   private output folder (default node_modules/.cache/collapse-lab/browser-dist) so a suite run
 *   never clobbers a dist/ someone else is looking at or measuring. Override with
 *   COLLAPSE_LAB_BROWSER_DIST=<dir>; set COLLAPSE_LAB_BROWSER_SKIP_BUILD=1 to reuse an existing build
 *   (handy while writing tests).
 * - Serves it with a tiny static server (correct MIME types for module scripts and workers).
 * - Provides `baseUrl` and `distDir` to the tests through `inject()`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    distDir: string;
  }
}

const ROOT = path.resolve(import.meta.dirname, '../..');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
  '.pf_meta': 'application/octet-stream',
  '.pf_index': 'application/octet-stream',
  '.pf_fragment': 'application/octet-stream',
  '.pagefind': 'application/octet-stream',
};

function build(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
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
      if (code === 0) resolve();
      else reject(new Error(`astro build failed (exit ${code}):\n${log.join('').split('\n').slice(-40).join('\n')}`));
    });
  });
}

export function serveStatic(dir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
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
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).on('error', () => res.end()).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = path.resolve(process.env.COLLAPSE_LAB_BROWSER_DIST ?? path.join(ROOT, 'node_modules/.cache/collapse-lab/browser-dist'));
  const skip = process.env.COLLAPSE_LAB_BROWSER_SKIP_BUILD === '1' && fs.existsSync(path.join(outDir, 'index.html'));
  if (!skip) await build(outDir);
  const server = await serveStatic(outDir);
  const { port } = server.address() as AddressInfo;
  project.provide('baseUrl', `http://127.0.0.1:${port}`);
  project.provide('distDir', outDir);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
