/**
 * HOSTILE CATALOGUE — round 6: learner code fakes the simulated kernel's LOCK STATE instead of
 * calling the kernel's unlock functions. Round 5's evidence store (src/engine/evidence.ts) closed
 * the trace and the bug list; this round attacks what the checks read: the mmap_lock's readers and
 * writer, a spinlock's owner, a thread's lock bookkeeping (read/write holds, PTE mappings, spinlocks,
 * "released" set, the leak-reported flag, the swap-in depth), the current and collapsing thread,
 * and the per-attempt bookkeeping (`world.attempt`).
 *
 * Each attack starts from a SHIPPED wrong answer that forgets an unlock (or unlocks twice, or lets
 * a non-swap entry through) and "repairs" it through the objects the grader hands it, by one route
 * each (Map methods, property writes, defineProperty, Object.assign, replaced objects, prototype
 * tricks, a phantom thread, hiding the collapsing thread). Graded by the real Node CLI (`grade`,
 * sandboxed children), each attacked answer must score no more than the wrong answer alone.
 * With the private lock store removed (the engine before round 6) five of the six cases fail
 * (forgot-mmap-unlock, forgot-pte-unmap, as-posted: 27-28 → 93-94/95; unlock-twice 30 → 95/95;
 * return-without-unlock 42 → 49/104). migration-only's two routes did not raise its score even
 * then (its wrong results fail the tests anyway); tests/engine/lockstate.test.ts checks those
 * routes directly, against the report, and fails without the store.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, grade as gradeInProcess } from './helpers.ts';
import { lanes } from './lanes.ts';

// Independent grades run side by side in two lanes (one Vitest worker; the second core would idle).
const lane = lanes();
const grade = (...a: Parameters<typeof gradeInProcess>) => lane(() => gradeInProcess(...a));

type Report = { passed: number; failed: number; total: number; loadError?: string; tests: { name: string; status: string; message: string; output?: string }[] };

function writeTemp(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'round6-')), name);
  writeFileSync(file, text);
  return file;
}

async function gradeJson(id: string, source: string): Promise<{ report: Report; raw: string }> {
  const r = await grade([id, writeTemp(`${id}.ts`, source), '--format', 'json'], { exercises: null });
  return { report: JSON.parse(r.stdout) as Report, raw: r.stdout + r.stderr };
}

/**
 * The attacker's toolkit (TypeScript source placed in the submission). `w` is `mm.world`, `t` the
 * thread running the function, `mm` the mm. Each helper tries one route and never throws (a refused
 * write must not cost the attacker the test); `SEEN` records what the route could reach so the test
 * can tell "the route was refused" from "the route never ran".
 */
const TOOLKIT = `
const SEEN: string[] = [];
function attempt(what: string, f: () => void): void { try { f(); SEEN.push(what + ':ok'); } catch { SEEN.push(what + ':refused'); } }
const ROUTES: Record<string, { before?: (mm: any, a: any[]) => void; after: (mm: any, r: number, scan: boolean) => void }> = {
  // Plain property writes and Map.delete: the wrong answer's leftovers vanish.
  'property writes': { after(mm, r, scan) {
    const w = mm.world; const t = w.current;
    if (!scan && r !== 1) attempt('readers.delete', () => { w.mm.mmap_lock.readers.delete(t.name); t.mmapRead = 0; t.released.add('mmap_lock:read'); });
    attempt('owner = null', () => { for (const l of t.spinlocks) l.owner = null; t.spinlocks.length = 0; });
    attempt('mappings', () => { for (const m of t.mappings) m.live = false; t.mappings.length = 0; });
  } },
  // Map and Array methods on the live state.
  'Map.clear and Array.splice': { after(mm, r, scan) {
    const w = mm.world; const t = w.current;
    if (!scan && r !== 1) attempt('readers.clear', () => { w.mm.mmap_lock.readers.clear(); (t as any).mmapRead = 0; });
    attempt('splice', () => { for (const l of t.spinlocks.splice(0)) l.owner = null; t.mappings.splice(0); });
  } },
  // defineProperty: the engine reads whatever the attacker says, forever after.
  'defineProperty': { after(mm, r, scan) {
    const w = mm.world; const t = w.current;
    if (!scan && r !== 1) {
      attempt('readers.get', () => Object.defineProperty(w.mm.mmap_lock.readers, 'get', { value: () => undefined, configurable: true }));
      attempt('mmapRead', () => Object.defineProperty(t, 'mmapRead', { get: () => 0, set() {}, configurable: true }));
    }
    for (const l of t.spinlocks) attempt('owner', () => Object.defineProperty(l, 'owner', { get: () => null, set() {}, configurable: true }));
    attempt('spinlocks', () => Object.defineProperty(t, 'spinlocks', { get: () => [], set() {}, configurable: true }));
    attempt('mappings', () => Object.defineProperty(t, 'mappings', { get: () => [], set() {}, configurable: true }));
  } },
  // Object.assign over the thread, the lock and the rwsem.
  'Object.assign': { after(mm, r, scan) {
    const w = mm.world; const t = w.current;
    if (!scan && r !== 1) attempt('rwsem', () => Object.assign(w.mm.mmap_lock, { readers: new Map(), writer: null }));
    for (const l of t.spinlocks) attempt('owner', () => Object.assign(l, { owner: null }));
    attempt('thread', () => Object.assign(t, { ...(scan || r === 1 ? {} : { mmapRead: 0 }), spinlocks: [], mappings: [], mmapLeakReported: true }));
  } },
  // Replace whole objects: a fresh mmap_lock on the mm, a fresh current thread on the world.
  'replaced objects': { after(mm, r, scan) {
    const w = mm.world; const t = w.current;
    if (!scan && r !== 1) attempt('mm.mmap_lock', () => { mm.mmap_lock = { readers: new Map(), writer: null }; });
    for (const l of t.spinlocks) attempt('owner', () => { l.owner = null; });
    attempt('world.current', () => { w.current = { ...t, name: t.name, mmapRead: scan || r === 1 ? t.mmapRead : 0, mmapWrite: false, mappings: [], spinlocks: [], stack: [...t.stack], released: new Set(), lruPending: [], mmapLeakReported: true, swapinDepth: t.swapinDepth }; });
  } },
  // Prototype tricks: a Map whose methods lie, a thread that inherits from the real one.
  'prototype tricks': { after(mm, r, scan) {
    const w = mm.world; const t = w.current;
    if (!scan && r !== 1) attempt('Map prototype', () => {
      const readers = w.mm.mmap_lock.readers;
      Object.setPrototypeOf(readers, { get: () => undefined, set() { return readers; }, delete: () => true, has: () => false, keys: () => [][Symbol.iterator](), get size() { return 0; } });
    });
    for (const l of t.spinlocks) attempt('owner proto', () => { Object.setPrototypeOf(l, { owner: null }); delete l.owner; });
    attempt('thread proto', () => {
      const proto = Object.getPrototypeOf(t);
      Object.defineProperty(proto === Object.prototype ? t : proto, 'mappings', { get: () => [], configurable: true });
      w.current = Object.create(t, { mmapRead: { value: scan || r === 1 ? t.mmapRead : 0 }, spinlocks: { value: [] }, mappings: { value: [] } });
    });
  } },
  // A phantom thread: the wrong answer runs as another thread (the engine's own newThread/runAs),
  // which holds the mmap lock in its place; what it leaks is never checked.
  'phantom thread': {
    before(mm, a) {
      const w = mm.world; const t = w.current;
      attempt('phantom', () => {
        const ph = newThread(t.name + '-shadow');
        unlock_read(mm);
        let r = 0;
        runAs(w, ph, () => { lock_read(mm); r = WRONG(...a); if (holdsMmapRead(mm, ph)) unlock_read(mm); });
        if (r === 1) lock_read(mm);
        PHANTOM_RESULT = r;
      });
    },
    after() {},
  },
  // Forge an extra read hold first, so a double unlock finds something to release.
  'forged extra hold': {
    before(mm) {
      const w = mm.world; const t = w.current;
      attempt('forge', () => { w.mm.mmap_lock.readers.set(t.name, 2); t.mmapRead = 2; });
    },
    after(mm, r) {
      const w = mm.world; const t = w.current;
      if (r === 1) attempt('unforge', () => { w.mm.mmap_lock.readers.set(t.name, 1); t.mmapRead = 1; });
      else attempt('unforge', () => { w.mm.mmap_lock.readers.delete(t.name); t.mmapRead = 0; t.released.delete('mmap_lock:read'); });
    },
  },
  // Hide the collapsing thread while do_swap_page() gets a non-swap entry: it then records neither
  // the call nor the bug (the attacker's own code calls SNEAKY_do_swap_page, see attacked()).
  'hidden collapse thread': { after() {} },
  // Rewrite the per-attempt bookkeeping the report is built from.
  'attempt bookkeeping': {
    before(mm) { const w = mm.world; attempt('attempt', () => { w.attempt.doSwapPageCalls = { push: () => 0, filter: () => [], slice: () => [], length: 0 } as any; }); },
    after(mm) { const w = mm.world; attempt('attempt', () => { w.attempt = { ...w.attempt, doSwapPageCalls: w.attempt.doSwapPageCalls.filter?.((c: any) => !c.non_swap) ?? [] }; }); },
  },
};
let PHANTOM_RESULT: number | null = null;
function SNEAKY_do_swap_page(vmf: any): number {
  const w = vmf.vma.vm_mm.world;
  if (!non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) return do_swap_page(vmf);
  let hidden: any = null;
  attempt('hide', () => { hidden = w.collapseThread; w.collapseThread = null; });
  try { return do_swap_page(vmf); } finally { attempt('unhide', () => { w.collapseThread = hidden; }); }
}
`;

/** The wrong answer with its export renamed, wrapped by one route. */
function attacked(wrongSource: string, fn: string, route: string): string {
  const renamed = wrongSource.replace(new RegExp(`export function ${fn}\\b`), `function wrong_${fn}`);
  if (renamed === wrongSource) throw new Error(`the wrong answer does not declare export function ${fn}`);
  const scan = fn === 'hpage_collapse_scan_pmd';
  const body = route === 'hidden collapse thread' ? renamed.replace(/\bdo_swap_page\(vmf\)/g, 'SNEAKY_do_swap_page(vmf)') : renamed;
  if (route === 'hidden collapse thread' && body === renamed) throw new Error('no do_swap_page(vmf) call to wrap');
  return `${body}
import { newThread, runAs, holdsMmapRead, mmap_read_lock as lock_read, mmap_read_unlock as unlock_read } from 'collapse-lab/engine';
const WRONG = (...a: any[]): number => (wrong_${fn} as any)(...a);
${TOOLKIT}
export function ${fn}(...a: any[]): any {
  const route = ROUTES[${JSON.stringify(route)}];
  PHANTOM_RESULT = null;
  route.before?.(a[0], a);
  const r = PHANTOM_RESULT !== null ? PHANTOM_RESULT : WRONG(...a);
  route.after(a[0], r, ${scan});
  if (SEEN.length) console.log('ROUTE ' + [...new Set(SEEN.splice(0))].join(' '));
  return r;
}
`;
}

/** [exercise, function, wrong answer, routes tried on it] */
const CASES: [string, string, string, string[]][] = [
  ['swapin-guard', '__collapse_huge_page_swapin', 'forgot-mmap-unlock', ['property writes', 'Map.clear and Array.splice', 'defineProperty', 'Object.assign', 'replaced objects', 'prototype tricks']],
  ['swapin-guard', '__collapse_huge_page_swapin', 'forgot-pte-unmap', ['property writes', 'Map.clear and Array.splice', 'defineProperty', 'Object.assign', 'replaced objects', 'prototype tricks', 'phantom thread']],
  ['swapin-guard', '__collapse_huge_page_swapin', 'as-posted', ['property writes', 'defineProperty', 'replaced objects']],
  ['swapin-guard', '__collapse_huge_page_swapin', 'unlock-twice', ['forged extra hold']],
  ['swapin-guard', '__collapse_huge_page_swapin', 'migration-only', ['hidden collapse thread', 'attempt bookkeeping']],
  ['early-abort', 'hpage_collapse_scan_pmd', 'return-without-unlock', ['property writes', 'Map.clear and Array.splice', 'defineProperty', 'Object.assign', 'replaced objects', 'prototype tricks', 'phantom thread']],
];

describe.concurrent("hostile (round 6): faking the simulated kernel's lock state never raises a wrong answer's score", { timeout: 900_000 }, () => {
  for (const [id, fn, wrong, routes] of CASES) {
    it(`${id} wrong/${wrong}: ${routes.join(', ')}`, async () => {
      const source = readFileSync(join(ROOT, 'exercises', id, 'wrong', `${wrong}.ts`), 'utf8');
      const [plainRun, ...runs] = await Promise.all([gradeJson(id, source), ...routes.map((route) => gradeJson(id, attacked(source, fn, route)))]);
      const plain = plainRun.report;
      expect(plain.total).toBeGreaterThan(0);
      expect(plain.passed, 'the wrong answer must fail some tests for this check to mean anything').toBeLessThan(plain.total);
      const scores = routes.map((route, i) => `${route}: ${runs[i]!.report.passed}/${runs[i]!.report.total}`);
      if (process.env.ROUND6_SCORES) console.log(`${id} wrong/${wrong}: alone ${plain.passed}/${plain.total}; ${scores.join('; ')}`);
      for (const [i, route] of routes.entries()) {
        const { report, raw } = runs[i]!;
        expect(report.loadError, `${route}: ${raw.slice(0, 1500)}`).toBeUndefined();
        // The attack really ran (its toolkit says what it tried), in tests that reached it.
        expect(report.tests.some((t) => /ROUTE .*:(ok|refused)/.test(t.output ?? '')), `${route}: the attack never ran`).toBe(true);
        expect(report.passed, `${route} raised the wrong answer's score: ${report.passed}/${report.total} vs ${plain.passed} alone (all: ${scores.join('; ')})`).toBeLessThanOrEqual(plain.passed);
      }
    });
  }
});
