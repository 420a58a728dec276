/**
 * Global setup of the 'browser' Vitest project (vitest.config.ts): build the site once and serve
 * the build on a free localhost port for the whole suite.
 *
 * - Builds with the project's own Astro (`astro build`, the `npm run build` equivalent) into a
 *   private output folder per run (node_modules/.cache/collapse-lab/browser-dist-XXXXXX, removed
 *   afterwards) so a suite run never clobbers dist/ or another run's build. To keep the build, pass
 *   COLLAPSE_LAB_BROWSER_DIST=<dir>; with it, COLLAPSE_LAB_BROWSER_SKIP_BUILD=1 reuses an existing
 *   build there (handy while writing tests).
 * - Serves it with a tiny static server (correct MIME types for module scripts and workers).
 * - Builds the light grader test page (tests/grading/browser/build.ts, the same runner plugin) and
 *   serves it on a second port: grader-level cases run there without a chapter page or Monaco.
 * - Starts one Chromium for the whole run (`launchServer`); each test file connects to it
 *   (helpers.ts `launch`) instead of starting and stopping a browser of its own.
 * - Provides `baseUrl`, `distDir`, `graderUrl` and `browserWs` to the tests through `inject()`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { chromium } from 'playwright-core';
import { buildGraderPage } from '../grading/browser/build.ts';
import { CHROMIUM_LAUNCH } from './chromium.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    distDir: string;
    /** The light grader test page (tests/grading/browser/), served on a port of its own. */
    graderUrl: string;
    /** The shared Chromium every browser test file connects to (helpers.ts `launch`). */
    browserWs: string;
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
      // NODE_ENV=production like `npm run build` in a clean shell: Vitest sets NODE_ENV=test, and
      // Astro builds with an inherited NODE_ENV as is, so the build would be a dev-mode one
      // (import.meta.env.DEV: e.g. Starlight renders "Search is only available in production
      // builds" instead of the Pagefind search).
      env: { ...process.env, NODE_ENV: 'production', ASTRO_TELEMETRY_DISABLED: '1' },
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
  // A fresh folder per run by default: several people (and CI jobs) may run the suite at once in
  // the same checkout, and a shared output folder would be rebuilt under another run's feet.
  const given = process.env.COLLAPSE_LAB_BROWSER_DIST;
  const cache = path.join(ROOT, 'node_modules/.cache/collapse-lab');
  fs.mkdirSync(cache, { recursive: true });
  const outDir = given ? path.resolve(given) : fs.mkdtempSync(path.join(cache, 'browser-dist-'));
  const skip = Boolean(given) && process.env.COLLAPSE_LAB_BROWSER_SKIP_BUILD === '1' && fs.existsSync(path.join(outDir, 'index.html'));
  // The light grader page (a second of Vite) is always built fresh, beside the site, never inside
  // it (the site's page walkers must not see it).
  const graderDir = fs.mkdtempSync(path.join(cache, 'browser-grader-'));
  try {
    await Promise.all([skip ? Promise.resolve() : build(outDir), buildGraderPage(graderDir)]);
  } catch (e) {
    if (!given) fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(graderDir, { recursive: true, force: true });
    throw e;
  }
  const server = await serveStatic(outDir);
  const graderServer = await serveStatic(graderDir);
  const browserServer = await chromium.launchServer(CHROMIUM_LAUNCH);
  const { port } = server.address() as AddressInfo;
  project.provide('baseUrl', `http://127.0.0.1:${port}`);
  project.provide('distDir', outDir);
  project.provide('graderUrl', `http://127.0.0.1:${(graderServer.address() as AddressInfo).port}/tests/grading/browser/index.html`);
  project.provide('browserWs', browserServer.wsEndpoint());
  return async () => {
    await browserServer.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => graderServer.close(() => resolve()));
    if (!given) fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(graderDir, { recursive: true, force: true });
  };
}
