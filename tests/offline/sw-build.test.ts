/**
 * The offline build step (src/offline/integration.ts) on a tiny fake build: dist/sw.js gets the
 * Workbox runtime and a precache manifest of every page, bundle and search file, revisioned
 * (content-hashed /_astro/ names need none), without the worker itself or its registration script;
 * a changed page gets a new revision, so an update re-downloads exactly what changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServiceWorker } from '../../src/offline/integration.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function fakeSite(pageText: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-sw-test-'));
  dirs.push(dir);
  const files: Record<string, string> = {
    'index.html': '<h1>home</h1>',
    '04-the-scan/index.html': pageText,
    '_astro/editor.api.Ab12Cd34.js': 'export{}',
    '_astro/common.Zz99Yy88.css': 'body{}',
    'pagefind/pagefind.js': 'export{}',
    'pagefind/index/en_1.pf_index': 'x',
    'sw-register.js': '/* registers */',
    '_headers': '/*',
  };
  for (const [f, t] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), t);
  }
  return dir;
}

function manifestOf(dir: string): { url: string; revision: string | null }[] {
  const sw = fs.readFileSync(path.join(dir, 'sw.js'), 'utf8');
  const m = /(\[\{"revision":[\s\S]*?\}\])/.exec(sw);
  if (!m) throw new Error('no manifest in sw.js');
  return JSON.parse(m[1]!) as { url: string; revision: string | null }[];
}

describe('offline build step', () => {
  it('writes sw.js with every file of the site in the precache, revisioned, and not itself', async () => {
    const dir = fakeSite('<h1>scan</h1>');
    const r = await buildServiceWorker(dir);
    const m = manifestOf(dir);
    expect(m.map((e) => e.url).sort()).toEqual(['04-the-scan/index.html', '_astro/common.Zz99Yy88.css', '_astro/editor.api.Ab12Cd34.js', 'index.html', 'pagefind/index/en_1.pf_index', 'pagefind/pagefind.js']);
    expect(r.count).toBe(6);
    for (const e of m) expect(e.revision === null, e.url).toBe(e.url.startsWith('_astro/'));
    const sw = fs.readFileSync(path.join(dir, 'sw.js'), 'utf8');
    expect(sw).not.toContain('self.__WB_MANIFEST'); // injected
    expect(sw).not.toMatch(/^import /m); // bundled: a classic worker script
    expect(sw).toContain('offline-status');
  });

  it('a changed page gets a new revision; an unchanged one keeps its own', async () => {
    const v1 = fakeSite('<h1>scan v1</h1>');
    const v2 = fakeSite('<h1>scan v2</h1>');
    await buildServiceWorker(v1);
    await buildServiceWorker(v2);
    const [a, b] = [manifestOf(v1), manifestOf(v2)];
    const rev = (m: typeof a, u: string) => m.find((e) => e.url === u)!.revision;
    expect(rev(a, '04-the-scan/index.html')).not.toBe(rev(b, '04-the-scan/index.html'));
    expect(rev(a, 'index.html')).toBe(rev(b, 'index.html'));
  });
});
