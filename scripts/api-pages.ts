/**
 * api-pages — cut the one generated engine API page (scripts/gen-api.ts `render()`) into pages a
 * reader can navigate (issue 14: the single page was 119,000 px tall):
 *
 * - `content/appendix/api.mdx` keeps the introduction and the list of files, each now a link to
 *   its own page;
 * - `content/api/<file>.mdx`, one page per engine file (sidebar group "Engine API", in file order):
 *   its module comment, its index, and its entries one heading level up, so Starlight's "On this
 *   page" lists every function, constant and type of that file.
 *
 * Structure only: the text is gen-api's, unchanged; in-page links are re-pointed at the ids the
 * split pages give their headings. Pure (string in, pages out), so `gen-api --check` can compare.
 */

/** The heading id Starlight gives a heading (github-slugger rules), as gen-api.ts computes it. */
function anchor(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/**
 * github-slugger's de-duplication (the second "x" becomes "x-1"). Hand-rolled like gen-api.ts's own
 * copy: the ids must match gen-api's links exactly, and github-slugger is only a transitive dependency.
 */
function makeSlugger(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text: string) => {
    const original = anchor(text);
    let result = original;
    while (seen.has(result)) {
      const n = (seen.get(original) ?? 0) + 1;
      seen.set(original, n);
      result = `${original}-${n}`;
    }
    seen.set(result, 0);
    return result;
  };
}

/** A heading's text as the slugger sees it: Markdown code and emphasis marks dropped. */
function headingText(line: string): string {
  return line.replace(/^#+\s+/, '').replace(/[`*]/g, '').trim();
}

const HEADING = /^(#{2,4})\s+\S/;

/** Lines outside fenced code blocks that are headings of level 2–4, with their line numbers. */
function headings(lines: readonly string[]): { i: number; level: number; text: string }[] {
  const out: { i: number; level: number; text: string }[] = [];
  let fence = false;
  lines.forEach((l, i) => {
    if (/^```/.test(l)) fence = !fence;
    const m = !fence && HEADING.exec(l);
    if (m) out.push({ i, level: m[1]!.length, text: headingText(l) });
  });
  return out;
}

/** `scan_result.ts` → `scan_result` (the page's file name and URL segment). */
export function pageSlug(file: string): string {
  return file.replace(/\.ts$/, '').toLowerCase();
}

/** Where each engine file's page lives: `/api/<slug>/`. */
export function pageUrl(file: string): string {
  return `/api/${pageSlug(file)}/`;
}

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid double-quoted YAML scalar
}

/**
 * Split the generated page. Returns relative paths (from the repo root) → file text: the overview
 * `content/appendix/api.mdx` and one `content/api/<slug>.mdx` per `## <file>.ts` section.
 */
export function splitApiPage(page: string): Map<string, string> {
  const lines = page.replace(/\n$/, '').split('\n');
  const hs = headings(lines);
  // ids the single page gave its headings, in order
  const slug = makeSlugger();
  const oldIds = hs.map((h) => slug(h.text));
  const sections = hs.map((h, k) => ({ ...h, k })).filter((h) => h.level === 2 && h.text !== 'Files');
  const out = new Map<string, string>();
  if (sections.length === 0) {
    out.set('content/appendix/api.mdx', page);
    return out;
  }
  const comment = lines.find((l) => l.startsWith('{/* GENERATED')) ?? '';
  const fileIdToUrl = new Map<string, string>();
  for (const s of sections) fileIdToUrl.set(oldIds[s.k]!, pageUrl(s.text));

  // The overview: everything before the first file section; the Files list points at the pages.
  const overview = lines
    .slice(0, sections[0]!.i)
    .map((l) => l.replace(/\]\(#([^)\s]+)\)/g, (m, id: string) => (fileIdToUrl.has(id) ? `](${fileIdToUrl.get(id)})` : m)))
    .join('\n')
    .replace(/\n## Files\n/, '\n## Files\n\nEach file of the engine has its own page (the **Engine API** group in the sidebar), listing its functions, constants and types.\n');
  out.set('content/appendix/api.mdx', overview.trimEnd() + '\n');

  // The Files list's summaries become the pages' descriptions.
  const summaries = new Map<string, string>();
  for (const l of lines) {
    const m = /^- \[`([^`]+)`\]\(#[^)]+\)(?: — (.*))? \(\d+\)$/.exec(l);
    if (m) summaries.set(m[1]!, (m[2] ?? '').replace(/\\([<>{}])/g, '$1'));
  }

  sections.forEach((s, n) => {
    const end = n + 1 < sections.length ? sections[n + 1]!.i : lines.length;
    const body = lines.slice(s.i + 1, end);
    // ids on the new page: its headings (one level up) in order, from a fresh slugger
    const newSlug = makeSlugger();
    const map = new Map<string, string>();
    for (const h of hs) {
      if (h.i <= s.i || h.i >= end) continue;
      map.set(oldIds[hs.indexOf(h)]!, newSlug(h.text));
    }
    let fence = false;
    const moved = body.map((l) => {
      if (/^```/.test(l)) fence = !fence;
      if (fence) return l;
      const up = /^#{3,4}\s/.test(l) ? l.slice(1) : l;
      return up.replace(/\]\(#([^)\s]+)\)/g, (m, id: string) => (map.has(id) ? `](#${map.get(id)})` : fileIdToUrl.has(id) ? `](${fileIdToUrl.get(id)})` : m));
    });
    const desc = summaries.get(s.text) || `The ${s.text} file of the collapse-lab engine.`;
    const front = [
      '---',
      `title: ${yamlString(s.text)}`,
      `description: ${yamlString(`Engine API, ${s.text}: ${desc}`)}`,
      'sidebar:',
      `  order: ${n + 1}`,
      '---',
      '',
      comment,
      '',
      `[All engine files](/appendix/api/) · this page: \`${s.text}\``,
      '',
    ];
    out.set(`content/api/${pageSlug(s.text)}.mdx`, (front.join('\n') + moved.join('\n')).replace(/\n{3,}/g, '\n\n').trimEnd() + '\n');
  });
  return out;
}
