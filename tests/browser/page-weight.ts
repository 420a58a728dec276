/**
 * What a reader downloads before opening any editor: the JS and CSS a built page references,
 * gzip-compressed, following static `import` edges between JS chunks (what the browser fetches
 * eagerly) but not dynamic `import()` (what arrives on intent: the editor, the runner, the diff).
 * Inline <script>/<style> count too. Measured from the built site (dist/), not a dev server.
 *
 * Used by the browser suite (the ≤ 50 KB budget on chapter pages) and usable from bench/.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface PageWeight {
  page: string;
  /** gzip bytes of JS (external + inline), CSS (external + inline), total. */
  js: number;
  css: number;
  total: number;
  /** Every external file counted, with its gzip size. */
  files: { file: string; gzip: number }[];
}

const gz = (buf: Buffer | string) => zlib.gzipSync(buf, { level: 9 }).length;

/** `html` is the path of a built page, relative to `distDir` (e.g. "04-the-scan/index.html"). */
export function pageWeight(distDir: string, html: string): PageWeight {
  const text = fs.readFileSync(path.join(distDir, html), 'utf8');
  const files = new Map<string, number>();
  let js = 0;
  let css = 0;

  const addJs = (url: string) => {
    const file = path.join(distDir, url.replace(/^\//, '').split(/[?#]/)[0]!);
    if (files.has(file) || !fs.existsSync(file)) return;
    const src = fs.readFileSync(file);
    const size = gz(src);
    files.set(file, size);
    js += size;
    // static imports only: `import{x}from"./a.js"`, `import"./b.js"`, `export*from"./c.js"`
    const re = /(?:\bimport|\bexport)\s*(?:[\w*${}\s,]*?\s*from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;
    for (const m of src.toString('utf8').matchAll(re)) {
      addJs(path.posix.join(path.posix.dirname(url), m[1]!));
    }
  };

  for (const m of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    const attrs = m[1]!;
    const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
    if (src) addJs(src);
    else if (!/type="application\/(?:ld\+)?json"/.test(attrs) && m[2]!.trim()) js += gz(m[2]!);
  }
  for (const m of text.matchAll(/<link\b[^>]*>/g)) {
    const tag = m[0];
    const href = /\bhref="([^"]+)"/.exec(tag)?.[1];
    if (!href) continue;
    if (/rel="stylesheet"/.test(tag) && !/media="print"/.test(tag)) {
      const file = path.join(distDir, href.replace(/^\//, ''));
      if (!files.has(file) && fs.existsSync(file)) {
        const size = gz(fs.readFileSync(file));
        files.set(file, size);
        css += size;
      }
    } else if (/rel="modulepreload"/.test(tag)) {
      addJs(href);
    }
  }
  for (const m of text.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)) css += gz(m[1]!);

  return {
    page: html,
    js,
    css,
    total: js + css,
    files: [...files].map(([file, gzip]) => ({ file: path.relative(distDir, file), gzip })),
  };
}

/** Every built HTML page under distDir (relative paths). */
export function builtPages(distDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== '_astro' && e.name !== 'pagefind') walk(p);
      else if (e.name.endsWith('.html')) out.push(path.relative(distDir, p));
    }
  };
  walk(distDir);
  return out.sort();
}
