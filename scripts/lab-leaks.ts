/**
 * lab-leaks — check a built site for reference-solution lines before publishing it as the lab build.
 *
 *   COLLAPSE_LAB_LAB_BUILD=1 npm run build        # the lab build, into dist/
 *   npx node scripts/lab-leaks.ts [dist]          # exit 0: no leak; 1: leaks listed; 2: no such folder
 *
 * The same functions are unit-tested in tests/chapters/lab-leaks.test.ts and run on a real lab build
 * by tests/browser/lab-build.test.ts; the instructor guide tells instructors to run this command.
 *
 * A *giveaway* is a line that only a `solution.ts` has: trimmed, at least two identifier tokens
 * (so `}` or `break;` are not giveaways), and found in no file that ships anyway — the exercise
 * folders' starters, hints, tests and metadata, and the site's own sources under src/. Chapters are
 * deliberately NOT part of that list: a chapter that prints an answer is exactly what we look for.
 *
 * A giveaway *leaks* if it appears in a built file: in HTML as text (tags stripped, entities decoded,
 * whitespace collapsed — Expressive Code splits a line into many spans), in JS/JSON as written or as
 * a JSON-escaped string.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Collapse runs of whitespace to one space and trim. */
export function normalise(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Number of identifier tokens (letters, digits, underscores) in a line. */
export function tokenCount(line: string): number {
  return (line.match(/[A-Za-z_][A-Za-z0-9_]*|\d+/g) ?? []).length;
}

/** Lines of `solution` that count as giveaways, given the text of everything that ships anyway. */
export function giveawayLines(solution: string, shipped: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of solution.split('\n')) {
    const line = normalise(raw);
    if (tokenCount(line) < 2 || seen.has(line)) continue;
    if (shipped.includes(line)) continue;
    seen.add(line);
    out.push(line);
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The text of an HTML document as a reader (or a scraper) sees it: no tags, entities decoded. */
export function htmlText(html: string): string {
  const noScript = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, ' ');
  const text = noScript.replace(/<[^>]*>/g, '').replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
  return normalise(text);
}

/** Which of `needles` occur in one built file (by its name's extension). */
export function leaksIn(fileName: string, content: string, needles: string[]): string[] {
  if (/\.html?$/i.test(fileName)) {
    const text = htmlText(content);
    // <script> bodies are code, not text: search them raw too
    const scripts = Array.from(content.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi), (m) => m[1]).join('\n');
    return needles.filter((n) => text.includes(n) || scripts.includes(n) || scripts.includes(JSON.stringify(n).slice(1, -1)));
  }
  if (/\.(m?js|json|txt|css)$/i.test(fileName)) {
    return needles.filter((n) => content.includes(n) || content.includes(JSON.stringify(n).slice(1, -1)));
  }
  return [];
}

export function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every leak in a built site: "file: line" strings. */
export function findLeaks(dist: string, needles: string[]): string[] {
  const hits: string[] = [];
  for (const f of filesUnder(dist)) {
    if (!/\.(html?|m?js|json|txt|css)$/i.test(f)) continue;
    for (const n of leaksIn(f, fs.readFileSync(f, 'utf8'), needles)) hits.push(`${path.relative(dist, f)}: ${n}`);
  }
  return hits;
}

/** Everything that ships whatever the build: exercise folders except solutions and wrong answers, and src/. */
export function shippedText(root: string): string {
  const parts: string[] = [];
  const ex = path.join(root, 'exercises');
  for (const f of filesUnder(ex)) {
    const rel = path.relative(ex, f);
    if (/(^|\/)solution\.ts$/.test(rel) || /(^|\/)wrong\//.test(rel)) continue;
    parts.push(fs.readFileSync(f, 'utf8'));
  }
  for (const f of filesUnder(path.join(root, 'src'))) {
    if (/\.(ts|astro|js|mjs|css|md)$/.test(f)) parts.push(fs.readFileSync(f, 'utf8'));
  }
  return parts.map((p) => p.split('\n').map(normalise).join('\n')).join('\n');
}

/** Giveaway lines per exercise that has a solution. */
export function giveaways(root: string): { id: string; lines: string[] }[] {
  const ex = path.join(root, 'exercises');
  const shipped = shippedText(root);
  return fs
    .readdirSync(ex)
    .filter((id) => fs.existsSync(path.join(ex, id, 'solution.ts')))
    .map((id) => ({ id, lines: giveawayLines(fs.readFileSync(path.join(ex, id, 'solution.ts'), 'utf8'), shipped) }))
    .filter((g) => g.lines.length > 0);
}

/** Command line: scan a built folder (default dist/) with the repository's own giveaways. */
function main(argv: string[]): number {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dist = path.resolve(argv[0] ?? path.join(root, 'dist'));
  if (!fs.existsSync(dist) || !fs.statSync(dist).isDirectory()) {
    console.error(`lab-leaks: ${dist} is not a folder — build the site first (COLLAPSE_LAB_LAB_BUILD=1 npm run build)`);
    return 2;
  }
  const g = giveaways(root);
  const needles = [...new Set(g.flatMap((x) => x.lines))];
  const leaks = findLeaks(dist, needles);
  if (leaks.length === 0) {
    console.log(`lab-leaks: no solution-only line in ${path.relative(process.cwd(), dist) || '.'} (${needles.length} lines of ${g.length} solutions checked)`);
    return 0;
  }
  console.log(`lab-leaks: ${leaks.length} solution-only line(s) found — do not publish this build as the lab build:`);
  for (const l of leaks) console.log('  ' + l);
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
