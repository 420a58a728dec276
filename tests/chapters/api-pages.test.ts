/**
 * The engine API reference cut into pages (scripts/api-pages.ts, issue 14): every in-page link of
 * every generated page lands on a heading of that page, the overview links every file's page, no
 * entry is lost, and the pages on disk are what `npm run api` writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitApiPage } from '../../scripts/api-pages.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Heading ids of a page as Starlight makes them (github-slugger), outside code fences. */
function ids(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const l of text.split('\n')) {
    if (/^```/.test(l)) fence = !fence;
    if (fence || !/^#{2,6}\s/.test(l)) continue;
    const base = l.replace(/^#+\s+/, '').replace(/[`*]/g, '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    let id = base;
    while (seen.has(id)) {
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      id = `${base}-${n}`;
    }
    seen.set(id, 0);
    out.add(id);
  }
  return out;
}

function links(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** The generated pages as they are on disk (content/appendix/api.mdx + content/api/*.mdx). */
function pagesOnDisk(): Map<string, string> {
  const out = new Map<string, string>();
  out.set('content/appendix/api.mdx', fs.readFileSync(path.join(ROOT, 'content/appendix/api.mdx'), 'utf8'));
  for (const f of fs.readdirSync(path.join(ROOT, 'content/api'))) out.set(`content/api/${f}`, fs.readFileSync(path.join(ROOT, 'content/api', f), 'utf8'));
  return out;
}

describe('engine API pages', () => {
  const pages = pagesOnDisk();

  it('every in-page link lands on a heading of its page; every page link on a page that exists', () => {
    for (const [rel, text] of pages) {
      const own = ids(text);
      for (const l of links(text)) {
        if (l.startsWith('#')) expect(own.has(l.slice(1)), `${rel}: ${l}`).toBe(true);
        else if (l.startsWith('/api/')) expect(pages.has(`content/api/${l.slice(5, -1)}.mdx`), `${rel}: ${l}`).toBe(true);
      }
    }
  });

  it('the overview links every file page, and the entries are all there, one heading each', () => {
    const overview = pages.get('content/appendix/api.mdx')!;
    const linked = links(overview).filter((l) => l.startsWith('/api/'));
    expect(linked.length).toBe(pages.size - 1);
    const claimed = Number(/(\d+) exports/.exec(overview)?.[1]);
    let entries = 0;
    for (const [rel, text] of pages) if (rel.startsWith('content/api/')) entries += (text.match(/^### `/gm) ?? []).length;
    expect(entries).toBe(claimed);
  });

  it('re-points links when headings repeat (a self-test: a wrong id would be caught)', () => {
    const page = [
      '---', 'title: t', '---', '', '## Files', '', '- [`a.ts`](#ats) (1)', '- [`b.ts`](#bts) (1)', '',
      '## a.ts', '', '**Index:** [`x`](#x)', '', '### Functions (a.ts)', '', '#### `x`', '',
      '## b.ts', '', '**Index:** [`x`](#x-1)', '', '### Functions (b.ts)', '', '#### `x`', '',
    ].join('\n');
    const out = splitApiPage(page);
    expect(out.get('content/api/b.mdx')).toContain('[`x`](#x)'); // "x-1" on the single page, "x" on its own
    expect(out.get('content/appendix/api.mdx')).toContain('[`b.ts`](/api/b/)');
    for (const [rel, text] of out) for (const l of links(text)) if (l.startsWith('#')) expect(ids(text).has(l.slice(1)), `${rel}: ${l}`).toBe(true);
    // and the check itself fails on a broken link
    expect(ids('## Functions (b.ts)\n### `x`').has('x-1')).toBe(false);
  });
});
