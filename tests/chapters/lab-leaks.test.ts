/**
 * The lab-build leak matcher (scripts/lab-leaks.ts) on small inputs, so that the slow
 * lab-build test cannot pass by a matcher that sees nothing.
 */
import { describe, expect, it } from 'vitest';
import { giveawayLines, htmlText, leaksIn, tokenCount } from '../../scripts/lab-leaks.ts';

const solution = [
  'export function guard(pte: pte_t) {',
  '  if (non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) {',
  '    pte_unmap(pte);',
  '    break out;',
  '  }',
  '}',
].join('\n');
const shipped = ['export function guard(pte: pte_t) {', 'pte_unmap(pte);'].join('\n');

describe('giveaway lines', () => {
  it('keeps solution-only lines of two or more tokens, drops one-token lines and lines that ship anyway', () => {
    expect(tokenCount('}')).toBe(0);
    expect(tokenCount('break;')).toBe(1);
    expect(tokenCount('break out;')).toBe(2);
    expect(giveawayLines(solution, shipped)).toEqual(['if (non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) {', 'break out;']);
  });
});

describe('finding a giveaway in built files', () => {
  const needle = 'if (non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) {';

  it('sees a line that Expressive Code split into spans, with entities', () => {
    const html =
      '<div class="ec-line"><div class="code"><span style="--0:#F97583">if</span><span> (</span>' +
      '<span>non_swap_entry</span><span>(</span><span>pte_to_swp_entry</span><span>(vmf.</span>' +
      '<span>orig_pte</span><span>))) {</span></div></div>';
    expect(htmlText(html)).toContain(needle);
    expect(leaksIn('06-the-window/index.html', html, [needle])).toEqual([needle]);
    expect(htmlText('a &lt;b&gt; &amp;&#39;c&#x27;')).toBe("a <b> &'c'");
  });

  it('sees a line inside a JS string, raw or JSON-escaped', () => {
    const js = `const s = ${JSON.stringify('x\n  ' + needle + '\n')};`;
    expect(leaksIn('_astro/chunk.js', js, [needle, 'break out;'])).toEqual([needle]);
  });

  it('reports nothing for a page that only describes the answer in prose', () => {
    const html = '<p>If the entry is a non-swap entry, unmap the table, drop the lock, and leave.</p>';
    expect(leaksIn('06-the-window/index.html', html, [needle, 'break out;'])).toEqual([]);
    expect(leaksIn('image.svg', needle, [needle])).toEqual([]);
  });
});
