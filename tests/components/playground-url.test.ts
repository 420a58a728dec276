/**
 * The Playground's state spellings (src/components/playground/url.ts): URL query ↔ state ↔ CLI
 * command ↔ picture props, and the problems a hand-typed URL can have.
 */
import { describe, expect, it } from 'vitest';
import { fromQuery, playgroundHref, propsFromState, queryPairs, stateFromProps, toCli, toQuery } from '../../src/components/playground/url.ts';
import { checkState, renderPlayground } from '../../src/components/playground/render.ts';

describe('Playground URL', () => {
  it('reads the example from the issue, CLI flag names and all', () => {
    const { state, problems, given } = fromQuery('?layout=page*511,guard&kernel=after&madvise=1&window=10=migration');
    expect(problems).toEqual([]);
    expect(given).toBe(true);
    expect(state).toMatchObject({ layouts: ['page*511,guard'], kernel: 'after', madvise: true, window: '10=migration' });
    expect(toQuery(state)).toBe('?layout=page*511,guard&kernel=after&madvise=1&window=10=migration');
  });

  it('keeps "+" of the notation (page+uffd) whether typed by hand or percent-encoded, and round-trips', () => {
    expect(fromQuery('?layout=page*511,page+uffd').state.layouts).toEqual(['page*511,page+uffd']);
    expect(fromQuery('?layout=page*511%2Cpage%2Buffd').state.layouts).toEqual(['page*511,page+uffd']);
    const s = fromQuery('?layout=page*256,swap@3+uffd*256&layout=no-table&kernel=v3-as-posted&knob=max_ptes_swap=8&knob=max_ptes_none=0&uffd=wp&alloc-fail=1').state;
    expect(fromQuery(toQuery(s)).state).toEqual(s);
    expect(toQuery(s)).toBe('?layout=page*256,swap@3%2Buffd*256&layout=no-table&kernel=v3-as-posted&knob=max_ptes_swap=8&knob=max_ptes_none=0&uffd=wp&alloc-fail=1');
  });

  it('names what it cannot use: a flag twice with different values, an unknown parameter, a bad kernel', () => {
    expect(fromQuery('?layout=page*512&kernel=before&kernel=after').problems).toEqual(['kernel is given twice with different values ("before" and "after"): keep one.']);
    expect(fromQuery('?layout=page*512&kernel=before&kernel=before').problems).toEqual([]);
    expect(fromQuery('?layout=page*512&colour=red').problems[0]).toMatch(/^unknown parameter "colour"; known: layout, kernel/);
    expect(fromQuery('?layout=page*512&kernel=later').problems[0]).toMatch(/^kernel must be one of before, after, v3-as-posted; got "later"/);
    expect(fromQuery('?kernel=before').problems).toEqual(['layout is missing: give at least one, e.g. layout=page*511,guard.']);
    expect(fromQuery('').given).toBe(false);
    expect(queryPairs('?a=%E0%A4%A&b')).toEqual([['a', '%E0%A4%A'], ['b', '']]); // a broken escape is kept as typed
  });

  it('writes the same attempt as a collapse command, quoted for a shell, and says what has no flag', () => {
    const s = fromQuery("?layout=page*448,swap*64&layout=page*512&kernel=before&madvise=1&knob=max_ptes_swap=8&window=10=migration&alloc-fail=1").state;
    expect(toCli(s)).toEqual({
      command: "npm run --silent collapse -- --layout 'page*448,swap*64' --layout 'page*512' --kernel before --madvise --knob max_ptes_swap=8 --window 10=migration --alloc-fail",
      note: '',
    });
    expect(toCli(fromQuery(`?layout=page*512&schedule=${encodeURIComponent('[{"at":"alloc","actor":"migration_start","slot":3}]')}`).state).note).toMatch(/no flag for schedule/);
    expect(toCli({ ...s, window: "1=it's" }).command).toContain(`--window '1=it'\\''s'`);
  });

  it('a picture’s props → link → props is the same scenario', () => {
    const props = { layout: 'page*500,none*12', kernel: 'before', knobs: 'max_ptes_none=8', focus: 508 };
    const href = playgroundHref(props);
    expect(href).toBe('/playground/?layout=page*500,none*12&kernel=before&knob=max_ptes_none=8&focus=508');
    const back = propsFromState(fromQuery(href.slice(href.indexOf('?'))).state);
    expect(back).toEqual({ layout: 'page*500,none*12', kernel: 'before', knobs: 'max_ptes_none=8', focus: '508' });
    expect(stateFromProps({ layout: ['page*512', 'none*512'], madvise: true }).layouts).toEqual(['page*512', 'none*512']);
  });
});

describe('Playground run (render.ts, with the engine)', () => {
  it('names the bad item and the total, for each PMD, and never runs a half-valid state', () => {
    const s = fromQuery('?layout=page*512&layout=page*500,swap*11&knob=max_ptes_none=600&window=600=guard').state;
    const p = checkState(s);
    expect(p[0]).toBe('layout of PMD 1 ("page*500,swap*11"): the layout adds up to 511 PTEs, not 512.');
    expect(p[1]).toMatch(/max_ptes_none.*600/);
    expect(p[2]).toMatch(/^window \("600=guard"\): .*600/);
    const r = renderPlayground(s);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).not.toMatch(/\n\s+at /);
  });

  it('runs a valid state: the result element carries the engine result, the bugs are listed', () => {
    const r = renderPlayground(fromQuery('?layout=page*448,swap*64&kernel=v3-as-posted&window=500=migration').state);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.html).toContain(`<output data-testid="playground-result" data-result="${r.result}">${r.result}</output>`);
    expect(r.html).toMatch(/Bugs the lock checker found \([1-9]\d*\)/);
    expect(r.html).not.toContain('/playground/?'); // no "open in Playground" inside the Playground
  });

  it('escapes every given string it draws (a schedule note carrying markup stays text)', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const r = renderPlayground(fromQuery(`?layout=page*448,swap*64&schedule=${encodeURIComponent(JSON.stringify([{ at: 'alloc', actor: 'migration_start', slot: 450, note: evil }]))}`).state);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.html).not.toContain('<img');
    expect(r.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('echoes what was typed as one short printable line (a 100 000-character layout, a newline, ESC)', () => {
    const long = 'page*'.padEnd(100_000, '9');
    const p = checkState({ ...fromQuery('?layout=page*512').state, layouts: [long, 'page*511,\n\u001b[31mguard'] });
    expect(p[0]!.length).toBeLessThan(400);
    expect(p[0]).toMatch(/^layout of PMD 0 \("page\*9{54}…"\)/);
    expect(p[1]).toContain('\\u000a\\u001b[31mguard');
    expect(p.join(' ')).not.toMatch(/[\u0000-\u001f]/);
  });
});
