import { describe, expect, it } from 'vitest';
import { __pte, formatPte, parseLayout } from 'collapse-lab/engine';
import { pteGridFigure, renderPteGrid, slotFacts } from '../../src/components/pictures/ptegrid.ts';
import { CELL, COLS, LEFT, TOP, cellXY, moveSlot, slotAt } from '../../src/components/pictures/geometry.ts';
import { KIND_STYLES } from '../../src/components/pictures/kinds.ts';
import { LAYOUT_KINDS } from 'collapse-lab/engine';

/** Decode the SVG back into a kind per slot, from the pattern each <rect> is filled with. */
function kindsFromSvg(svg: string, id: string): string[] {
  const patterns = new Map<string, string>();
  for (const k of LAYOUT_KINDS) patterns.set(`${id}-k-${k.replace(/\+/g, 'p')}`, k);
  const out: string[] = new Array(512).fill('?');
  const re = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="url\(#([^)]+)\)">/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg))) {
    const kind = patterns.get(m[5]);
    if (!kind) continue;
    const [x, y, w, h] = [m[1], m[2], m[3], m[4]].map(Number);
    for (let yy = y; yy < y + h; yy += CELL) for (let xx = x; xx < x + w; xx += CELL) out[slotAt(xx + 1, yy + 1)!] = kind;
  }
  return out;
}

describe('renderPteGrid', () => {
  it('draws every slot with its layout kind, in a handful of <rect>s', () => {
    const layout = 'page*100,none*3,swap*40,zero,shared*2,page*300,old*60,guard,page+uffd*5';
    const g = renderPteGrid({ layout, kernel: 'before' }, { id: 't1' });
    expect(kindsFromSvg(g.svg, 't1')).toEqual(parseLayout(layout));
    expect((g.svg.match(/<rect /g) ?? []).length).toBeLessThan(60);
  });

  it('gives every kind a distinct fill+letter (colour is never the only cue)', () => {
    const seen = new Set<string>();
    for (const k of LAYOUT_KINDS) {
      const st = KIND_STYLES[k];
      const key = `${st.fill}|${st.letter}`;
      expect(seen.has(key), `${k} looks like another kind`).toBe(false);
      seen.add(key);
    }
  });

  it('after the patch: the scan stops at the guard marker, and the picture says so', () => {
    const g = renderPteGrid({ layout: 'page*300,guard,page*211', kernel: 'after' }, { id: 't2' });
    expect(g.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(g.stopSlot).toBe(300);
    const { x, y } = cellXY(300);
    expect(g.svg).toContain(`<rect class="cl-stop" x="${x - 1}" y="${y - 1}"`);
    expect(g.svg).toContain('class="cl-unreached"'); // slots 301..511 were never looked at
    expect(g.summary).toContain('slot 300: guard');
    expect(g.summary).toContain('SCAN_PTE_NON_PRESENT');
    expect(g.legend).toContain('scan stopped here (slot 300)');
    expect(g.shownSlot).toBe(300);
    expect(g.shown.stoppedHere).toBe('SCAN_PTE_NON_PRESENT');
  });

  it('takes the stop slot from the engine: the 9th swap PTE exceeds max_ptes_swap=8', () => {
    const g = renderPteGrid({ layout: 'page*448,swap*64', kernel: 'after', knobs: 'max_ptes_swap=8' }, { id: 't3' });
    expect(g.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(g.stopSlot).toBe(456);
  });

  it('watching the scan leaves the world as it was (no proxy left behind, same result as a plain run)', async () => {
    const { types } = await import('node:util');
    const { makeWorld, runCollapse } = await import('collapse-lab/engine');
    const g = renderPteGrid({ layout: 'page*200,swap*3,page*308,guard', kernel: 'after' }, { id: 'tw' });
    const pmd = g.scenario.world.mm.pmds[0];
    if (pmd.entry.type === 'table') expect(types.isProxy(pmd.entry.table.ptes)).toBe(false);
    const plain = runCollapse(makeWorld({ layout: 'page*200,swap*3,page*308,guard', kernel: 'after' }));
    expect(g.scenario.report.result).toBe(plain.result);
    expect(g.scenario.report.trace.map((e) => e.name)).toEqual(plain.trace.map((e) => e.name));
    expect(g.stopSlot).toBe(511);
    expect(g.scenario.scanReads).toEqual([...Array(512).keys()]); // read in order, each once
  });

  it('before the patch the same guard PMD passes the scan and fails later (no stop marker)', () => {
    const g = renderPteGrid({ layout: 'page*511,guard', kernel: 'before' }, { id: 't4' });
    expect(g.scanResult).toBe('SCAN_SUCCEED');
    expect(g.stopSlot).toBeNull();
    expect(g.svg).not.toContain('cl-stop');
    expect(g.outcome).toMatch(/allocated a huge page/);
  });

  it('marks the slots other actors changed in the window', () => {
    const g = renderPteGrid({ layout: 'page*448,swap*64', kernel: 'after', window: '10=migration' }, { id: 't5' });
    expect(g.changes.map((c) => [c.slot, c.after])).toEqual([[10, 'migration-read']]);
    expect(g.svg).toContain('class="cl-changed"');
    expect(g.summary).toContain('slot 10 became migration-read');
  });

  it('fails the build when the claim disagrees, naming the claim and the engine answer', () => {
    expect(() =>
      renderPteGrid({ layout: 'page*511,guard', kernel: 'after', expect: 'SCAN_SUCCEED' }, { id: 't6', where: '/04-the-scan/' }),
    ).toThrow(/\/04-the-scan\/: <PteGrid layout="page\*511,guard" kernel="after" expect="SCAN_SUCCEED">: the text claims SCAN_SUCCEED, but the engine's result is SCAN_PTE_NON_PRESENT/);
    expect(() => renderPteGrid({ layout: 'page*511,guard', kernel: 'after', expect: 'SCAN_PTE_NON_PRESENT' }, { id: 't7' })).not.toThrow();
  });

  it('rejects bad props with a message that names them', () => {
    expect(() => renderPteGrid({ layout: 'page*511' }, { id: 'x' })).toThrow(/511/);
    expect(() => renderPteGrid({ layout: 'page*512', kernel: 'later' }, { id: 'x' })).toThrow(/kernel must be one of/);
    expect(() => renderPteGrid({ layout: 'page*512', focus: 512 }, { id: 'x' })).toThrow(/focus must be a slot/);
    expect(() => renderPteGrid({ layout: 'page*512', knobs: 'max_ptes_bogus=1' }, { id: 'x' })).toThrow(/knobs: .*max_ptes_bogus/);
  });

  it('ships the PTE values so the browser shows the same formatPte line as the build', () => {
    const g = renderPteGrid({ layout: 'page*448,swap*63,migration-w', kernel: 'before' }, { id: 't8' });
    for (const slot of [0, 448, 511]) {
      const hex = g.data.ptes.slice(slot * 16, slot * 16 + 16);
      const facts = slotFacts(slot, { kinds: g.kinds, ptes: g.scenario.initial.ptes, vmStart: g.scenario.world.vma.vm_start, stop: { slot: g.stopSlot, result: g.scanResult }, changes: g.changes });
      expect(formatPte(__pte(BigInt('0x' + hex)))).toBe(facts.bits);
    }
    expect(g.data.ptes).toHaveLength(512 * 16);
    expect(JSON.parse(g.data.runs)).toEqual([['page', 448], ['swap', 63], ['migration-w', 1]]);
  });
});

describe('<PteGrid> with several PMDs (a row per PMD, each with its result)', () => {
  const layouts = ['page*300,guard,page*211', 'page*512'];

  it('draws each PMD from its own layout, with its own pattern ids', () => {
    const g = renderPteGrid({ layout: layouts, kernel: 'after', madvise: true }, { id: 'm1' });
    expect(g.pmds).toHaveLength(2);
    expect(kindsFromSvg(g.pmds[0].svg, 'm1')).toEqual(parseLayout(layouts[0]));
    expect(kindsFromSvg(g.pmds[1].svg, 'm1-m1')).toEqual(parseLayout(layouts[1]));
    expect(g.pmds[1].svg).not.toContain('url(#m1-k-'); // no ids shared between the two grids
    expect(g.pmds[1].addr - g.pmds[0].addr).toBe(2 * 1024 * 1024);
  });

  it('MADV_COLLAPSE goes on past a non-present PTE: PMD 0 stops at the guard, PMD 1 collapses', () => {
    const g = renderPteGrid({ layout: layouts, kernel: 'after', madvise: true }, { id: 'm2' });
    expect([g.pmds[0].result, g.pmds[0].stopSlot, g.pmds[0].collapsed]).toEqual(['SCAN_PTE_NON_PRESENT', 300, false]);
    expect([g.pmds[1].result, g.pmds[1].stopSlot, g.pmds[1].collapsed]).toEqual(['SCAN_SUCCEED', null, true]);
    expect(g.pmds[1].svg).not.toContain('cl-stop');
    const html = pteGridFigure(g, { layout: layouts, kernel: 'after', madvise: true });
    expect(html.match(/data-cl-pmd="\d"/g)).toEqual(['data-cl-pmd="0"', 'data-cl-pmd="1"']);
    expect(html).toContain('data-pmds="2"');
    expect(html).toMatch(/PMD 0<\/strong>.*SCAN_PTE_NON_PRESENT/);
  });

  it('khugepaged scans every PMD of its wake-up: each row has its own result', () => {
    const g = renderPteGrid({ layout: ['page*512', 'page*511,guard'], kernel: 'after' }, { id: 'm3' });
    expect(g.pmds.map((p) => [p.result, p.collapsed, p.stopSlot])).toEqual([['SCAN_SUCCEED', true, null], ['SCAN_PTE_NON_PRESENT', false, 511]]);
  });

  it('MADV_COLLAPSE stops at a failed allocation (ENOMEM): the next PMD is drawn "not scanned"', () => {
    const props = { layout: ['page*512', 'page*512'], kernel: 'after', madvise: true, allocFail: true };
    const g = renderPteGrid(props, { id: 'm5' });
    expect(g.pmds.map((p) => p.result)).toEqual(['SCAN_ALLOC_HUGE_PAGE_FAIL', null]);
    expect(g.scenario.report.errno).toBe('ENOMEM');
    expect(pteGridFigure(g, props)).toContain('<code data-cl-pmd-result>not scanned</code>');
  });

  it('a no-table PMD (pmd_none) is drawn empty with a label, and its result comes from the engine', () => {
    const g = renderPteGrid({ layout: ['no-table', 'page*512'], kernel: 'after' }, { id: 'm6' });
    expect(g.pmds[0].svg).toContain('no PTE table');
    expect(g.pmds[0].result).toBe(g.scenario.report.pmds[0].result);
    expect(g.pmds[1].svg).not.toContain('no PTE table');
  });

  it('one PMD keeps the one-grid figure, and every figure links to the Playground with the same scenario', () => {
    const props = { layout: 'page*500,none*12', kernel: 'before', knobs: 'max_ptes_none=8', focus: 508 };
    const g = renderPteGrid(props, { id: 'm4' });
    const html = pteGridFigure(g, props);
    expect(html.match(/data-cl-pmd=/g)).toHaveLength(1);
    expect(html).not.toContain('cl-pmd-head');
    expect(html).toContain('href="/playground/?layout=page*500,none*12&amp;kernel=before&amp;knob=max_ptes_none=8&amp;focus=508"');
    expect(pteGridFigure(g, props, { playground: false })).not.toContain('/playground/');
  });
});

describe('grid geometry (client navigation)', () => {
  it('maps points to slots and back', () => {
    for (const slot of [0, 31, 32, 300, 511]) {
      const { x, y } = cellXY(slot);
      expect(slotAt(x + CELL / 2, y + CELL / 2)).toBe(slot);
    }
    expect(slotAt(LEFT - 1, TOP + 1)).toBeNull();
    expect(slotAt(LEFT + COLS * CELL + 1, TOP + 1)).toBeNull();
  });

  it('moves with arrows by cell and row, clamped, and ignores other keys', () => {
    expect(moveSlot(40, 'ArrowRight')).toBe(41);
    expect(moveSlot(40, 'ArrowUp')).toBe(8);
    expect(moveSlot(5, 'ArrowUp')).toBe(0);
    expect(moveSlot(500, 'ArrowDown')).toBe(511);
    expect(moveSlot(200, 'End')).toBe(511);
    expect(moveSlot(200, 'a')).toBeNull();
  });
});
