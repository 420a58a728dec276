/**
 * The Playground's story is the CLI's: for the same scenario, the "What happened, in order" block the
 * Playground renders (src/components/playground/render.ts) has exactly the lines that
 * `npm run --silent collapse` prints under "what happened, in order:", and the folded terminal report
 * is the CLI's whole stdout. The CLI runs in-process (its `main`), given the command line the
 * Playground's own "copy as CLI command" produces for that state.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/collapse.ts';
import { renderPlayground } from '../../src/components/playground/render.ts';
import { fromQuery, toCli } from '../../src/components/playground/url.ts';

/**
 * Undo pictures/kinds.ts `esc` (which encodes exactly & < > " '), so the text a reader sees can be
 * compared with the terminal's. Hand-rolled: the five entities esc writes, &amp; last.
 */
function unesc(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The text of the one `<pre>` carrying `attr`, or null when the page has none. */
function preText(html: string, attr: string): string | null {
  const all = [...html.matchAll(new RegExp(`<pre[^>]*\\b${attr}\\b[^>]*>([^<]*)</pre>`, 'g'))];
  expect(all.length, `at most one <pre ${attr}>`).toBeLessThanOrEqual(1);
  return all[0] ? unesc(all[0][1]) : null;
}

/** The lines the CLI prints between "what happened, in order:" and the next blank line. */
function cliStory(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf('what happened, in order:');
  expect(start, 'the CLI report has its story heading').toBeGreaterThan(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end);
}

/** The argv of a Playground "copy as CLI command" line (single-quoted words or bare words). */
function argvOf(command: string): string[] {
  const prefix = 'npm run --silent collapse -- ';
  expect(command.startsWith(prefix)).toBe(true);
  return [...command.slice(prefix.length).matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

const SCENARIOS = [
  '?layout=page*448,swap*64',
  '?layout=page*511,guard&kernel=before&madvise=1',
  '?layout=page*511,guard&kernel=after&madvise=1',
  '?layout=page*448,swap*64&kernel=v3-as-posted&window=500=migration',
  '?layout=page*300,guard,page*211&layout=page*512&madvise=1',
  '?layout=page*256,swap@3%2Buffd*256&layout=no-table&kernel=v3-as-posted&knob=max_ptes_swap=8&knob=max_ptes_none=0&uffd=wp&alloc-fail=1',
  '?layout=page*448,swap*64&uffd=missing&window=10=migration,5=page',
  '?layout=page*500,page%2Bpoisoned,page*11',
  '?layout=no-table',
];

describe('Playground story = collapse CLI text', () => {
  const stories = new Map<string, string[]>();

  for (const q of SCENARIOS) {
    it(`same story and same report as the terminal: ${q}`, async () => {
      const { state, problems } = fromQuery(q);
      expect(problems).toEqual([]);
      const r = renderPlayground(state);
      if (!r.ok) throw new Error(`the Playground refused ${q}: ${r.message}`);
      const cli = await main(argvOf(toCli(state).command));
      expect(cli.stderr).toBe('');
      expect(cli.exitCode).toBe(0);

      const story = preText(r.html, 'data-cl-pg-story');
      expect(story, 'the story is rendered').not.toBeNull();
      const lines = story!.split('\n');
      expect(lines[0]).toMatch(/^ {2}# {2}0 \[\w+\] /); // the first event, numbered, with its thread
      expect(lines).toEqual(cliStory(cli.stdout));

      expect(preText(r.html, 'data-cl-pg-report'), 'the whole report, as the terminal prints it').toBe(cli.stdout.replace(/\n$/, ''));
      // the story sits above the raw trace, which stays (folded)
      expect(r.html.indexOf('data-cl-pg-story')).toBeLessThan(r.html.indexOf('class="cl-pg-trace"'));
      stories.set(q, lines);
    });
  }

  it('the scenarios tell different stories (the comparison is not of one fixed text)', () => {
    const texts = [...stories.values()].map((l) => l.join('\n'));
    expect(texts).toHaveLength(SCENARIOS.length);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('v3 as posted: the story has the window’s migration entry, the folded swap-ins and the leaked lock', () => {
    const r = renderPlayground(fromQuery('?layout=page*448,swap*64&kernel=v3-as-posted&window=500=migration').state);
    if (!r.ok) throw new Error(r.message);
    const story = preText(r.html, 'data-cl-pg-story')!;
    expect(story).toMatch(/\] actor .*slot=500 before=swap after=migration/);
    expect(story).toMatch(/swap-in: do_swap_page on 52 swap entries \(slots 448–499\)/); // 448..499, up to the migration entry
    expect(story).toMatch(/\] bug kind=leaked-lock /);
    expect(story).toMatch(/page-table map\/lock events not shown/);
  });

  it('a schedule (no CLI flag): the story of the attempt drawn, its actor included, and no terminal report', () => {
    const schedule = JSON.stringify([{ at: 'alloc', actor: 'migration_start', slot: 450 }]);
    const r = renderPlayground(fromQuery(`?layout=page*448,swap*64&schedule=${encodeURIComponent(schedule)}`).state);
    if (!r.ok) throw new Error(r.message);
    const story = preText(r.html, 'data-cl-pg-story')!;
    expect(story).toMatch(/\[[\w-]+\] actor .*migration_start/);
    expect(preText(r.html, 'data-cl-pg-report')).toBeNull();
    expect(r.html).toContain('the terminal cannot run this attempt');
  });
});
