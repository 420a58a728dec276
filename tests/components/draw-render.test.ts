/**
 * "Draw my run", the page side (src/components/exercise/draw-render.ts) in Node: what comes from
 * the runner is untrusted (a subverted runner can send any plain data), so a forged outcome is
 * drawn escaped and a forged test scenario is refused shape by shape; the form is checked with the
 * engine's parsers; the first difference is found by where the scans stopped.
 */
import { describe, expect, it } from 'vitest';
import { checkScenario, firstDifference, formFromScenario, renderDraw, scenarioFromForm } from '../../src/components/exercise/draw-render.ts';

const HOSTILE = ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '"><svg onload=alert(1)>'];

describe('draw-render: untrusted runner data', () => {
  it('a forged outcome (markup in every string field) is drawn escaped', () => {
    const kinds = new Array<string>(512).fill('page');
    kinds[3] = HOSTILE[0]!;
    const r = renderDraw(
      { layout: 'page*511,guard' },
      {
        ok: true,
        report: {
          result: HOSTILE[0],
          scan_result: HOSTILE[1],
          trace: [{ seq: 0, name: HOSTILE[2], thread: HOSTILE[1], args: { x: HOSTILE[0] }, locks: [HOSTILE[2]] }],
          bugs: [{ kind: HOSTILE[1], message: HOSTILE[0], path: [] }],
        },
        before: [kinds],
        after: [kinds],
        scanReads: [[0, 1, 2, 3]],
        replaced: [HOSTILE[2]!],
      },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.html).not.toMatch(/<img|<script|<svg onload/i);
    expect(r.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(r.diff.same).toBe(false);
  });

  it('a forged test scenario is refused unless every field has its shape', () => {
    expect(checkScenario({ layout: 'page*512', kernel: 'after', knobs: { max_ptes_swap: 8 }, uffd: 'wp', madvise: true })).toEqual({
      layout: 'page*512',
      kernel: 'after',
      knobs: { max_ptes_swap: 8 },
      uffd: 'wp',
      madvise: true,
    });
    for (const bad of [null, 'page*512', { layout: 5 }, { layouts: [] }, { layout: 'page*512', kernel: 'evil' }, { layout: 'page*512', knobs: { max_ptes_swap: '8' } }]) {
      expect(checkScenario(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('the form is checked with the engine parsers, the message names the field; a scenario round-trips', () => {
    const f = formFromScenario({ layout: 'page*100,device-private,page*411', kernel: 'before', knobs: { max_ptes_swap: 8 }, window: '10=migration', madvise: true });
    expect(scenarioFromForm(f)).toEqual({ layout: 'page*100,device-private,page*411', kernel: 'before', knobs: { max_ptes_swap: 8 }, window: '10=migration', madvise: true });
    expect(() => scenarioFromForm({ ...f, layouts: 'page*3' })).toThrow(/^layout: /);
    expect(() => scenarioFromForm({ ...f, knobs: 'max_ptes_swapp=8' })).toThrow(/^knobs: /);
    expect(() => scenarioFromForm({ ...f, window: '10=nonsense' })).toThrow(/^window: /);
    expect(() => scenarioFromForm({ ...f, layouts: ' \n ' })).toThrow(/^layout: /);
  });

  it('first difference: the earlier of two different stop slots; none when the runs agree', () => {
    const step = (n: number, text: string, mmap: 'read' | 'none' = 'read') => ({ n, kind: 'scan' as const, lane: 'thread' as const, text, from: n, to: n, mmap, pte: 'none' as const, huge: 'none' as const });
    const k = [new Array<string>(512).fill('page')];
    const patched = { result: 'SCAN_PTE_NON_PRESENT', scanResult: 'SCAN_PTE_NON_PRESENT', before: k, after: k, stops: [40], steps: [step(1, 'a'), step(2, 'b')] };
    const went = firstDifference({ ...patched, result: 'SCAN_SUCCEED', scanResult: 'SCAN_SUCCEED', stops: [null], steps: [step(1, 'a'), step(2, 'c', 'none')] }, patched);
    expect(went.slot?.slot).toBe(40);
    expect(went.step?.n).toBe(2);
    expect(went.lock?.n).toBe(2);
    const early = firstDifference({ ...patched, stops: [7] }, patched);
    expect(early.slot?.slot).toBe(7);
    expect(firstDifference(patched, patched).same).toBe(true);
  });
});

describe('draw-render: a swap-in test\'s own scenario (with its schedule), from the sealed runner', () => {
  it('forgetting mmap_read_unlock shows up as the first lock difference', { timeout: 120_000 }, async () => {
    const { readFileSync } = await import('node:fs');
    const { exercise, runInRealm, drawInRealm } = await import('../grading/realm/harness.ts');
    const { ROOT } = await import('../grading/helpers.ts');
    const ex = exercise(`${ROOT}exercises/swapin-guard`, 'swapin-guard');
    const code = readFileSync(`${ROOT}exercises/swapin-guard/wrong/forgot-mmap-unlock.ts`, 'utf8');
    const r = await runInRealm(ex, code);
    const one = r.tests.find((t) => t.status !== 'passed' && t.scenario?.schedule?.length);
    expect(one, 'a failed swap-in test carries its scenario with the schedule').toBeDefined();
    const mine = await drawInRealm(code, one!.scenario!);
    const out = renderDraw(one!.scenario!, mine);
    expect(out.ok, out.ok ? '' : out.message).toBe(true);
    if (!out.ok) return;
    expect(out.diff.lock).not.toBeNull();
    expect(out.diff.lock!.mine).toMatch(/mmap lock read/);
    expect(out.diff.lock!.patched).toMatch(/mmap lock none/);
  });
});
