/**
 * Priming (runtime/session.ts PrimeMessage, issue 10): a spare runner runs the exercise's tests
 * once against the STARTER in a throw-away session before the learner's run, so the engine and the
 * runtime are JIT-warm. Nothing of that pass may show in the learner's run: a primed runner must
 * give exactly the verdicts, messages, outputs and scenarios of an unprimed one, for the solution,
 * the starter and every wrong answer of early-abort, whether priming finished or a click stopped it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { WorkerMessage } from '../../src/grading/runtime/session.ts';
import type { RunResult } from '../../src/grading/types.ts';
import { EARLY_ABORT, runInRealm, runPrimed, type Exercise, type Primed } from './realm/harness.ts';
import { ROOT } from './helpers.ts';
import { referenceTests } from './fixtures/reference.ts';

const DIR = `${ROOT}exercises/early-abort`;
const starter = readFileSync(`${DIR}/starter.ts`, 'utf8');
const CODES: [string, string][] = [
  ['solution', readFileSync(`${DIR}/solution.ts`, 'utf8')],
  ['starter', starter],
  ...readdirSync(`${DIR}/wrong`).filter((f) => f.endsWith('.ts')).sort().map((f) => [`wrong/${f}`, readFileSync(`${DIR}/wrong/${f}`, 'utf8')] as [string, string]),
];

/** Everything but the timings. */
const comparable = (r: RunResult) => ({ ...r, durationMs: 0, tests: r.tests.map((t) => ({ ...t, durationMs: 0 })) });

/** An unprimed run of `code` (each code is run unprimed once in this file: the grader is deterministic). */
const plainRuns = new Map<string, Promise<RunResult>>();
const plainRun = (code: string): Promise<RunResult> => {
  let r = plainRuns.get(code);
  if (!r) plainRuns.set(code, (r = runInRealm(EARLY_ABORT, code)));
  return r;
};

describe('a primed runner gives exactly the results of an unprimed one (early-abort)', { timeout: 600_000 }, () => {
  it('solution, starter and every wrong answer: priming ran every test, then the run is identical', async () => {
    expect(CODES.length).toBeGreaterThanOrEqual(14);
    for (const [label, code] of CODES) {
      const [plain, primed] = await Promise.all([plainRun(code), runPrimed(EARLY_ABORT, starter, code, 'after-priming')]);
      expect(primed.primed.stopped, label).toBe(false);
      expect(primed.primed.total, label).toBe(plain.total);
      expect(primed.primed.ran, label).toBe(primed.primed.total);
      expect(comparable(primed.result), label).toEqual(comparable(plain));
      expect(plain.total, label).toBeGreaterThan(50);
    }
  });

  it("a click's 'load' stops priming (before its first step when it comes at once; mid-way later) and the run is still identical", async () => {
    for (const [label, code] of CODES.filter(([l]) => l === 'solution' || l === 'starter' || l === 'wrong/plain-break.ts')) {
      const plain = await plainRun(code);
      const atOnce = await runPrimed(EARLY_ABORT, starter, code, 'at-once');
      expect(atOnce.primed.stopped, label).toBe(true);
      expect(atOnce.primed.ran, label).toBe(0);
      expect(comparable(atOnce.result), label).toEqual(comparable(plain));
      for (const delayMs of [5, 40, 120]) {
        const during = await runPrimed(EARLY_ABORT, starter, code, 'during', delayMs);
        expect(comparable(during.result), `${label} after ${delayMs} ms`).toEqual(comparable(plain));
      }
    }
  });
});

describe('a prime the runner cannot do is answered at once (the owner would wait for ever)', { timeout: 120_000 }, () => {
  /** Post `msgs` once a harness worker is ready; its first `n` 'primed' answers (null if they do not come within 20 s). */
  async function primedAnswers(msgs: object[], n = 1): Promise<Primed[] | null> {
    const w = new Worker(new URL('./realm/harness-worker.ts', import.meta.url), { stdout: true, stderr: true });
    try {
      return await new Promise<Primed[] | null>((resolve) => {
        const got: Primed[] = [];
        const giveUp = setTimeout(() => resolve(null), 20_000);
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') for (const msg of msgs) w.postMessage(msg);
          if (m.type === 'primed' && got.push(m) === n) {
            clearTimeout(giveUp);
            resolve(got);
          }
        });
      });
    } finally {
      await w.terminate();
    }
  }
  const firstPrimed = async (msgs: object[]) => (await primedAnswers(msgs))?.[0] ?? null;
  const prime = { type: 'prime', code: starter, exports: EARLY_ABORT.exports };

  it('with no tests prepared: ran 0 of 0', async () => {
    expect(await firstPrimed([prime])).toMatchObject({ type: 'primed', ran: 0, total: 0, stopped: false });
  });

  it('when the tests did not compile: ran 0 of 0', async () => {
    const broken = [{ file: 'broken.test.ts', source: 'this is not ( TypeScript' }];
    expect(await firstPrimed([{ type: 'prepare', tests: broken }, prime])).toMatchObject({ ran: 0, total: 0 });
  });

  it('asked twice: the second answer comes at once, the first after priming ran', async () => {
    const answers = await primedAnswers([{ type: 'prepare', tests: EARLY_ABORT.tests }, prime, prime], 2);
    expect(answers).not.toBeNull();
    expect(answers![0]).toMatchObject({ ran: 0, total: 0 });
    expect(answers![1]!.total).toBeGreaterThan(50);
    expect(answers![1]!.ran).toBe(answers![1]!.total);
  });
});

describe("the patched kernel's runs made while priming are reused by the learner's run", { timeout: 120_000 }, () => {
  const tests = referenceTests([
    "const other = simulate({ layout: 'page*448,swap*64', kernel: 'after', madvise: true }).report;",
    "console.log(`frozen=${Object.isFrozen(r)} ${Object.isFrozen(other)} result=${r.result} swapped_in=${r.swapped_in}`);",
  ]);
  const ex: Exercise = { id: 'ref', exports: ['f'], tests };
  /**
   * One run of `code`, primed first (with a starter that fails) or not; `references`: given in
   * 'prepare', as the page passes on what another runner's priming shared.
   */
  async function outputOf(primed: boolean, references?: unknown): Promise<string> {
    const w = new Worker(new URL('./realm/harness-worker.ts', import.meta.url), { stdout: true, stderr: true });
    try {
      return await new Promise<string>((resolve, reject) => {
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') {
            w.postMessage({ type: 'prepare', tests, ...(references !== undefined ? { references } : {}) });
            if (primed) w.postMessage({ type: 'prime', code: 'export function f() { return 0; }', exports: ex.exports });
            else w.postMessage({ type: 'load', nonce: 'n', payload: { exercise: ex.id, exports: ex.exports, code: 'export function f() { return 1; }', tests, perTestMs: 5000 } });
          } else if (m.type === 'primed') {
            w.postMessage({ type: 'load', nonce: 'n', payload: { exercise: ex.id, exports: ex.exports, code: 'export function f() { return 1; }', tests, perTestMs: 5000 } });
          } else if (m.type === 'loaded') w.postMessage({ type: 'run', from: 0 });
          else if (m.type === 'load-failed') reject(new Error(JSON.stringify(m)));
          else if (m.type === 'result') {
            if (m.result.status !== 'passed') reject(new Error(JSON.stringify(m.result)));
            resolve(m.result.output ?? '');
          }
        });
      });
    } finally {
      await w.terminate();
    }
  }

  it('primed: the report is the one priming made (hardened); unprimed: simulated now; the same outcome', async () => {
    const [primed, fresh] = await Promise.all([outputOf(true), outputOf(false)]);
    expect(primed).toBe('frozen=true true result=SCAN_SUCCEED swapped_in=64\n');
    expect(fresh).toBe('frozen=false false result=SCAN_SUCCEED swapped_in=64\n');
  });

  /** The 'primed' answer of a runner that primes (whole pass, or stopped by a click at once). */
  async function primedOf(stopAtOnce: boolean): Promise<Extract<WorkerMessage, { type: 'primed' }>> {
    const w = new Worker(new URL('./realm/harness-worker.ts', import.meta.url), { stdout: true, stderr: true });
    try {
      return await new Promise((resolve) => {
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') {
            w.postMessage({ type: 'prepare', tests });
            w.postMessage({ type: 'prime', code: 'export function f() { return 0; }', exports: ex.exports });
            if (stopAtOnce) w.postMessage({ type: 'load', nonce: 'n', payload: { exercise: ex.id, exports: ex.exports, code: 'export function f() { return 1; }', tests, perTestMs: 5000 } });
          } else if (m.type === 'primed') resolve(m);
        });
      });
    } finally {
      await w.terminate();
    }
  }

  it("a whole priming pass shares its reports; a runner prepared with them uses them (back-to-back clicks find no primed runner)", async () => {
    const whole = await primedOf(false);
    expect(whole.references?.map(([k]) => k)).toEqual([expect.stringContaining('page*448,swap*64'), expect.stringContaining('page*448,swap*64')]);
    expect(await outputOf(false, whole.references)).toBe('frozen=true true result=SCAN_SUCCEED swapped_in=64\n');
    // A pass a click stopped shares nothing (it may have stopped in the middle of a test).
    expect((await primedOf(true)).references).toBeUndefined();
  });

  it('shared reports that are not [key, object] pairs are ignored, and the runner simulates', async () => {
    const key = (await primedOf(false)).references![0]![0];
    for (const bad of ['x', [['k']], [[key, 'SCAN_FAIL']], [[1, {}]], [[key, null]], { [key]: {} }]) {
      expect(await outputOf(false, bad), JSON.stringify(bad)).toBe('frozen=false false result=SCAN_SUCCEED swapped_in=64\n');
    }
  });

  it('only plain options key a shared run (no learner ops, no schedule, no getters)', async () => {
    const { referenceKey } = await import('../../src/grading/runtime/session.ts');
    expect(referenceKey({ layout: 'page*512', kernel: 'after', knobs: { max_ptes_swap: 0 }, uffd: 'wp', madvise: true })).toBeTypeOf('string');
    expect(referenceKey({ layout: 'page*512', madvise: true })).not.toBe(referenceKey({ layout: 'page*512', madvise: false }));
    expect(referenceKey({ layout: 'page*512', knobs: { a: 1, b: 2 } })).toBe(referenceKey({ knobs: { b: 2, a: 1 }, layout: 'page*512' }));
    for (const o of [
      { layout: 'page*512', ops: {} },
      { layout: 'page*512', schedule: [] },
      { layout: 'page*512', knobs: { max_ptes_swap: '0' } },
      // JSON would write NaN and ±Infinity all as null: one key for three different runs.
      { layout: 'page*512', knobs: { max_ptes_swap: Number.NaN } },
      { layout: 'page*512', knobs: { max_ptes_swap: Number.POSITIVE_INFINITY } },
      { layout: 1 },
      Object.defineProperty({}, 'layout', { get: () => 'page*512', enumerable: true }),
      Object.create({ layout: 'page*512' }),
      null,
    ]) expect(referenceKey(o), JSON.stringify(o)).toBeNull();
  });
});
