import { describe, expect, it } from 'vitest';
import { renderTimeline, timelineFigure, type Step } from '../../src/components/pictures/timeline.ts';

const kinds = (steps: Step[]) => steps.map((s) => s.kind);
const find = (steps: Step[], re: RegExp) => steps.find((s) => re.test(s.text));

describe('renderTimeline', () => {
  it('before the patch, the race: lock dance, window actor, non-swap entry handed to do_swap_page, then collapse', () => {
    const t = renderTimeline({ layout: 'page*448,swap*64', kernel: 'before', window: '10=migration' }, { id: 'a' });
    expect(t.result).toBe('SCAN_SUCCEED');
    const s = t.steps;
    // order of the story
    const scan = s.findIndex((x) => x.kind === 'scan');
    const unlock = s.findIndex((x, i) => i > scan && x.kind === 'lock' && x.mmap === 'none');
    const actor = s.findIndex((x) => x.kind === 'actor' && /slot 10: present → migration/.test(x.text));
    const alloc = s.findIndex((x) => x.kind === 'alloc');
    const nonSwap = s.findIndex((x) => x.kind === 'non-swap');
    const isolate = s.findIndex((x) => x.kind === 'isolate');
    expect([scan, unlock, actor, alloc, nonSwap, isolate].every((i) => i >= 0)).toBe(true);
    expect(scan < unlock && unlock < actor && actor < alloc && alloc < nonSwap && nonSwap < isolate).toBe(true);
    // lanes: scan under the PTL and the read lock; the window actor runs with no mmap lock held;
    // isolate under the write lock; the huge page is held from the allocation on
    expect(s[scan]).toMatchObject({ mmap: 'read', pte: 'ptl' });
    expect(s[actor]).toMatchObject({ mmap: 'none', lane: 'actor' });
    expect(s[actor].text).toContain('at preemption point alloc');
    expect(s[isolate].mmap).toBe('write');
    expect(s[alloc].huge).toBe('held');
    expect(s.some((x) => x.huge === 'mapped')).toBe(true);
    // the 64 ordinary swap-ins are one step, the bug is its own step in the bug lane
    expect(find(s, /swaps in slots 448–511 \(64 swap entries\)/)).toBeDefined();
    expect(s.filter((x) => x.kind === 'bug').map((x) => x.lane)).toEqual(['bug']);
    expect(t.outcome).toContain('non-swap-to-do_swap_page');
    expect(s.length).toBeLessThan(25);
  });

  it('with the patch the same race ends at swap-in with SCAN_PTE_NON_PRESENT and the huge page freed', () => {
    const t = renderTimeline({ layout: 'page*448,swap*64', kernel: 'after', window: '10=migration', expect: 'SCAN_PTE_NON_PRESENT' }, { id: 'b' });
    expect(kinds(t.steps)).not.toContain('non-swap');
    expect(kinds(t.steps)).not.toContain('bug');
    expect(find(t.steps, /__collapse_huge_page_swapin\(\) returns SCAN_PTE_NON_PRESENT/)).toBeDefined();
    expect(t.steps.find((x) => x.kind === 'free')?.huge).toBe('freed');
    expect(t.steps[t.steps.length - 1].mmap).toBe('none');
  });

  it('v3 as posted: the leaked mmap read lock and PTE mapping show in the lanes and the bug lane', () => {
    const t = renderTimeline({ layout: 'page*448,swap*64', kernel: 'v3-as-posted', window: '10=migration' }, { id: 'c' });
    // when hpage_collapse_scan_pmd returns (and tells its caller the lock is gone) both are still held
    const ret = find(t.steps, /^hpage_collapse_scan_pmd\(\) returns SCAN_PTE_NON_PRESENT/);
    expect(ret).toMatchObject({ mmap: 'read', pte: 'mapped' });
    const bugs = t.steps.filter((x) => x.kind === 'bug').map((x) => x.text);
    expect(bugs.some((b) => b.includes('leaked-lock'))).toBe(true);
    expect(bugs.some((b) => b.includes('pte-mapping-leaked'))).toBe(true);
    expect(t.svg).toContain('cl-k-bug');
  });

  it('after the patch a guard marker stops the scan: no allocation, the scan step names the slot', () => {
    const t = renderTimeline({ layout: 'page*511,guard', kernel: 'after' }, { id: 'd' });
    expect(kinds(t.steps)).not.toContain('alloc');
    expect(t.steps.find((x) => x.kind === 'scan')?.text).toContain('SCAN_PTE_NON_PRESENT. It stopped at slot 511.');
  });

  it('a schedule at scan-unlocked runs while khugepaged still holds the mmap read lock', () => {
    const t = renderTimeline(
      { layout: 'page*448,swap*64', kernel: 'after', schedule: '[{"at":"scan-unlocked","actor":"migration_start","slot":10}]' },
      { id: 'e' },
    );
    const actor = t.steps.find((x) => x.kind === 'actor');
    expect(actor?.text).toMatch(/migration_start \(at preemption point scan-unlocked\) changes slot 10/);
    expect(actor?.mmap).toBe('read');
  });

  it('renders one SVG column and one list item per step, numbered alike', () => {
    const t = renderTimeline({ layout: 'page*512', kernel: 'before', window: '10=migration' }, { id: 'f' });
    const cols = t.svg.match(/<g class="cl-step [^"]*" data-step="(\d+)"/g) ?? [];
    const items = t.list.match(/<li class="[^"]*" data-step="(\d+)"/g) ?? [];
    expect(cols).toHaveLength(t.steps.length);
    expect(items).toHaveLength(t.steps.length);
    expect(t.summary).toContain(`${t.steps.length} steps`);
    expect(t.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(find(t.steps, /__collapse_huge_page_isolate\(\).*SCAN_PTE_NON_PRESENT/)).toBeDefined();
  });

  it('fails the build when the claim disagrees', () => {
    expect(() => renderTimeline({ layout: 'page*448,swap*64', kernel: 'after', window: '10=migration', expect: 'SCAN_SUCCEED' }, { id: 'g', where: '/06-the-window/' })).toThrow(
      /\/06-the-window\/: <Timeline .*window="10=migration" expect="SCAN_SUCCEED">: the text claims SCAN_SUCCEED, but the engine's result is SCAN_PTE_NON_PRESENT/,
    );
  });

  it('rejects a schedule that is not JSON, naming the prop', () => {
    expect(() => renderTimeline({ layout: 'page*512', schedule: '[{at:alloc}]' }, { id: 'h' })).toThrow(/schedule is not valid JSON/);
  });

  it('escapes engine text in the markup', () => {
    const t = renderTimeline({ layout: 'page*511,guard', kernel: 'before' }, { id: 'i' });
    // the bug message quotes "swap-in"; quotes must not break attributes
    expect(t.list).not.toMatch(/"swap-in"/);
    expect(t.list).toContain('&quot;swap-in&quot;');
  });

  it('the figure: lane labels twice (the sticky copy is hidden from screen readers), a Playground link with the same scenario', () => {
    const props = { layout: 'page*448,swap*64', kernel: 'before', window: '10=migration' };
    const t = renderTimeline(props, { id: 'f1' });
    const html = timelineFigure(t, props, 'f1');
    expect(t.labelSvg).toContain('aria-hidden="true"');
    for (const lane of ['khugepaged', 'mmap lock', 'PTE table', 'huge page', 'other actors', 'bugs']) {
      expect(t.labelSvg).toContain(`>${lane}</text>`);
      expect(t.svg).toContain(`>${lane}</text>`);
    }
    expect(html.indexOf('cl-timeline-labels')).toBeLessThan(html.indexOf('cl-timeline-svg'));
    expect(html).toContain('data-cl-scroll');
    expect(html).toContain('href="/playground/?layout=page*448,swap*64&amp;kernel=before&amp;window=10=migration"');
    expect(timelineFigure(t, props, 'f1', { playground: false })).not.toContain('/playground/');
  });

  it('several PMDs: each scan step names its PMD, its result and where it stopped', () => {
    const t = renderTimeline({ layout: ['page*300,guard,page*211', 'page*512'], kernel: 'after', madvise: true }, { id: 'f2' });
    const scans = t.steps.filter((s) => s.kind === 'scan').map((s) => s.text);
    expect(scans).toHaveLength(2);
    expect(scans[0]).toMatch(/of PMD 0, .*: SCAN_PTE_NON_PRESENT\. It stopped at slot 300\./);
    expect(scans[1]).toMatch(/of PMD 1, .*: SCAN_SUCCEED\. Then/);
  });
});
