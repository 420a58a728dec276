/**
 * Content-Security-Policy for the built site (helper Q, issue 6 item 5).
 *
 * A static site can only carry its policy in a `<meta http-equiv="Content-Security-Policy">`.
 * Starlight and Astro put small inline scripts in every page (theme provider, sidebar state,
 * inlined component scripts), so a fixed `head` entry would need `script-src 'unsafe-inline'`,
 * which would let any injected script run. Instead this integration rewrites every built page
 * after `astro build` (`astro:build:done`): it hashes the page's own inline scripts (SHA-256) and
 * inserts the meta tag right after `<meta charset>`, i.e. before the first script it governs.
 * `astro dev` is left alone (Vite's dev client needs inline/eval).
 *
 * What the policy allows, and why:
 * - `script-src 'self' <hashes> 'wasm-unsafe-eval'`: our bundles from /_astro/, the page's own
 *   inline scripts by hash, and WebAssembly compilation for Starlight's Pagefind search (it
 *   compiles a .wasm; 'wasm-unsafe-eval' allows only that, not JS `eval`).
 *   No `'unsafe-eval'`: the grading runner's `new Function` runs inside a Worker loaded from its
 *   own same-origin URL, and a document's meta policy does not apply to such a worker (CSP3:
 *   workers take the policy delivered with their own script). The main thread never evaluates
 *   strings (tested: no violation while Monaco and the runner work).
 * - `style-src 'self' 'unsafe-inline'`: Starlight and Expressive Code use `style="…"` attributes,
 *   and Monaco injects `<style>` elements at run time.
 * - `worker-src 'self' blob:`: the grading worker and Monaco's workers are same-origin files;
 *   blob: is kept for Monaco's fallback worker bootstrap.
 * - `connect-src 'self'`: fetch/XHR only to this site (lazy chunks, Pagefind index, the
 *   service worker's precache) — no third party, nothing leaves the machine.
 * - `img-src 'self' data:` and `font-src 'self' data:`: the themes' inline SVG icons (data: URLs in
 *   CSS) and Monaco's codicon font.
 * - `frame-src 'self'`: the test runner's host page is a same-origin, sandboxed (opaque-origin)
 *   iframe (src/grading/browser/client.ts); no other frame may load.
 * - `object-src 'none'; base-uri 'self'; form-action 'self'; manifest-src 'self'`.
 * `frame-ancestors` is ignored in a meta tag: public/_headers carries it for hosts that read that file.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every directive except the per-page script hashes. */
export const BASE_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'manifest-src': ["'self'"],
  'frame-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

/** Inline, executable `<script>` bodies of a page (JSON data blocks are not scripts). */
export function inlineScripts(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const attrs = m[1]!;
    if (/\bsrc\s*=/.test(attrs)) continue;
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(attrs)?.[1]?.toLowerCase();
    if (type && !['module', 'text/javascript', 'application/javascript'].includes(type)) continue;
    out.push(m[2]!);
  }
  return out;
}

export function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The policy for one page: the base directives plus a hash per inline script. */
export function policyFor(html: string): string {
  const hashes = [...new Set(inlineScripts(html).map(sha256))];
  return Object.entries(BASE_DIRECTIVES)
    .map(([k, v]) => `${k} ${(k === 'script-src' ? [...v, ...hashes] : v).join(' ')}`)
    .join('; ');
}

const META_RE = /<meta http-equiv="Content-Security-Policy"[^>]*>/i;

/** Insert (or replace) the CSP meta tag right after `<meta charset>` (else at the start of <head>). */
export function withCsp(html: string): string {
  const clean = html.replace(META_RE, '');
  const tag = `<meta http-equiv="Content-Security-Policy" content="${policyFor(clean)}">`;
  const charset = /<meta charset="[^"]*"\s*\/?>/i.exec(clean);
  if (charset) return clean.slice(0, charset.index + charset[0].length) + tag + clean.slice(charset.index + charset[0].length);
  const head = /<head[^>]*>/i.exec(clean);
  if (!head) return clean;
  return clean.slice(0, head.index + head[0].length) + tag + clean.slice(head.index + head[0].length);
}

function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== '_astro') out.push(...htmlFiles(p));
    } else if (e.name.endsWith('.html')) out.push(p);
  }
  return out;
}

/**
 * Two accessibility fix-ups of markup we do not write (applied before hashing; scripts untouched):
 * - Starlight's search button shows a "Ctrl K" hint inside a button named "Search" (axe
 *   label-content-name-mismatch, WCAG 2.5.3: visible text not in the name). The shortcut is already
 *   exposed as aria-keyshortcuts, so the hint is hidden from assistive tech and its key names are
 *   drawn by CSS (`content: attr(data-cl-key)`), which leaves "Search" as the button's text.
 * - GitHub-style task lists (`- [ ] …` in MDX) render unlabeled disabled checkboxes (axe `label`,
 *   critical): each gets its item's text as aria-label.
 */
export function a11yFixups(html: string): string {
  let out = html.replace(/<button data-open-modal[^>]*>[\s\S]*?<\/button>/, (button) =>
    button
      .replace(/<kbd (?!aria-hidden)([^>]*)>(?=<kbd)/, '<kbd aria-hidden="true" $1>')
      // the key names are drawn by CSS (not text in the button), so the button's text is its name
      .replace(/<kbd ([^>]*)>([^<]+)<\/kbd>/g, (_k, attrs: string, key: string) => `<kbd ${attrs} data-cl-key="${key}"></kbd>`),
  );
  if (out !== html) out = out.replace('</head>', '<style>kbd[data-cl-key]:empty::before{content:attr(data-cl-key)}</style></head>');
  out = out.replace(/<li class="task-list-item"><input type="checkbox"( checked)? disabled\/?>([\s\S]*?)<\/li>/g, (m, checked: string | undefined, body: string) => {
    const text = body.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim().replace(/"/g, '&quot;').slice(0, 140);
    return `<li class="task-list-item"><input type="checkbox"${checked ?? ''} disabled aria-label="${text}"/>${body}</li>`;
  });
  return out;
}

/** Astro integration: add the policy to every built page. */
export function cspIntegration() {
  return {
    name: 'collapse-lab:csp',
    hooks: {
      'astro:build:done': ({ dir, logger }: { dir: URL; logger: { info(m: string): void } }) => {
        const root = fileURLToPath(dir);
        const files = htmlFiles(root);
        for (const f of files) writeFileSync(f, withCsp(a11yFixups(readFileSync(f, 'utf8'))));
        logger.info(`Content-Security-Policy added to ${files.length} pages`);
      },
    },
  };
}
