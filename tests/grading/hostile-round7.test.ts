/**
 * HOSTILE CATALOGUE — round 7: the browser runner's new paths (late diffs, results in batches,
 * shared reference reports), attacked by a learner whose only power is the file they submit.
 * Round 7 found no hole a learner can reach (docs/quality.md has nothing to add; the report of the
 * round lists what blocks each attack). These tests cover two paths no test covered yet:
 *
 * - a hang in the middle of a late-diffs run (real sealed runtime): the runner is replaced, and
 *   only the replacing runner's failures get diffs, each under its own test and equal to what an
 *   inline run shows — a hung runner's late failures get no diff made up for them, and the
 *   timeout is charged to the test that hung;
 * - a runner in which learner code was loaded never shares reference reports (a later 'prime' is
 *   answered at once with nothing), and takes none a later 'prepare' offers: reports shared
 *   between runners come only from a whole priming pass that ran trusted code alone.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { WorkerMessage } from '../../src/grading/runtime/session.ts';
import { runInRealm, runLate, type Exercise } from './realm/harness.ts';
import { referenceTests } from './fixtures/reference.ts';

describe('late diffs across a restart (a test hangs between two deep failures)', { timeout: 120_000 }, () => {
  const HANG: Exercise = {
    id: 'hang-between',
    exports: ['make', 'spin'],
    tests: [
      {
        file: 'hang-between.test.ts',
        source: [
          "import { expect, it } from 'vitest';",
          "import { make, spin } from './solution';",
          "it('first', () => { expect(make(1)).toEqual({ v: 0, w: [1] }); });",
          "it('loops', () => { spin(); expect(1).toBe(1); });",
          "it('third', () => { expect(make(3)).toEqual({ v: 0, w: [3] }); });",
          "it('fourth', () => { expect(make(4).v).toBe(4); });",
        ].join('\n'),
      },
    ],
  };
  const code = 'export function make(n: number) { return { v: n, w: [n] }; }\nexport function spin(): void { for (;;) {} }\n';

  it('the hang is charged to its test; the diffs that come are the replacing runner\'s, under their own tests, as inline', async () => {
    const [inline, late] = await Promise.all([runInRealm(HANG, code, 500), runLate(HANG, code, { perTestMs: 500 })]);
    const r = late.result;
    expect(r.tests.map((t) => `${t.name}: ${t.status}`)).toEqual(['first: failed', 'loops: timeout', 'third: failed', 'fourth: passed']);
    expect(r.tests.map((t) => t.status)).toEqual(inline.tests.map((t) => t.status));
    expect(r.passed).toBe(1);
    expect(inline.tests[2]!.message).toContain('- Expected');
    expect(late.settled).toBe('delivered');
    // Only 'third' ran in the runner that owes diffs ('first' ran in the one that hung and was ended).
    expect(late.diffs?.map((d) => [d.index, d.name])).toEqual([[2, 'third']]);
    for (const d of late.diffs ?? []) {
      expect(r.tests[d.index]!.name).toBe(d.name);
      expect(d.message.startsWith(r.tests[d.index]!.message)).toBe(true);
      expect(d.message).toBe(inline.tests[d.index]!.message);
    }
    expect(late.allTerminated).toBe(true);
  });
});

describe('a runner that loaded learner code shares and takes no reference reports', { timeout: 120_000 }, () => {
  const tests = referenceTests(["console.log(`frozen=${Object.isFrozen(r)} result=${r.result}`);"]);
  const load = (code: string) => ({ type: 'load', nonce: 'n', payload: { exercise: 'ref', exports: ['f'], code, tests, perTestMs: 5000 } });

  /** Post `msgs` one by one, each after the answer the previous one gets; collect every message. */
  async function converse(steps: { send: object | object[]; until: (m: WorkerMessage) => boolean }[]): Promise<WorkerMessage[]> {
    const w = new Worker(new URL('./realm/harness-worker.ts', import.meta.url), { stdout: true, stderr: true });
    const got: WorkerMessage[] = [];
    try {
      return await new Promise<WorkerMessage[]>((resolve, reject) => {
        let step = -1;
        const giveUp = setTimeout(() => reject(new Error(`no answer to step ${step}: ${JSON.stringify(got.map((m) => m.type))}`)), 30_000);
        const next = () => {
          step++;
          if (step === steps.length) {
            clearTimeout(giveUp);
            resolve(got);
          } else for (const msg of ([] as object[]).concat(steps[step]!.send)) w.postMessage(msg);
        };
        w.on('message', (m: WorkerMessage) => {
          got.push(m);
          if (m.type === 'ready' && step === -1) next();
          else if (step >= 0 && step < steps.length && steps[step]!.until(m)) next();
        });
      });
    } finally {
      await w.terminate();
    }
  }

  it("learner code loaded (which could not reach simulate anyway), then 'prime': answered at once, with no reports", async () => {
    // The learner's module runs at load; it tries to get the reference-kernel drivers on its way.
    const hostile = [
      "import * as engine from 'collapse-lab/engine';",
      "export const grabbed = ['simulate', 'makeWorld', 'runCollapse'].filter((k) => typeof (engine as any)[k] === 'function');",
      'export function f() { return grabbed.length === 0 ? 1 : 2; }',
    ].join('\n');
    const got = await converse([
      { send: { type: 'prepare', tests }, until: (m) => m.type === 'prepared' },
      { send: load(hostile), until: (m) => m.type === 'loaded' || m.type === 'load-failed' },
      { send: { type: 'run', from: 0 }, until: (m) => m.type === 'result' },
      { send: { type: 'prime', code: 'export function f() { return 0; }', exports: ['f'] }, until: (m) => m.type === 'primed' },
    ]);
    const result = got.find((m) => m.type === 'result');
    expect(result?.type === 'result' && result.result.status).toBe('passed'); // the engine view has none of them
    const primed = got.find((m) => m.type === 'primed');
    expect(primed).toMatchObject({ type: 'primed', ran: 0, total: 0 });
    expect(primed && 'references' in primed ? primed.references : undefined).toBeUndefined();
  });

  it("reports offered by a 'prepare' after learner code loaded are not taken (the run simulates)", async () => {
    // A report that says something else than the engine: taken before the load (control), not after.
    const key = JSON.stringify(['page*448,swap*64', null, 'after', [], null, false]);
    const forged = [[key, { result: 'FORGED' }]];
    const outputOf = (got: WorkerMessage[]) => {
      const result = got.find((m) => m.type === 'result');
      return result?.type === 'result' ? result.result.output : undefined;
    };
    const before = await converse([
      { send: { type: 'prepare', tests, references: forged }, until: (m) => m.type === 'prepared' },
      { send: load('export function f() { return 1; }'), until: (m) => m.type === 'loaded' || m.type === 'load-failed' },
      { send: { type: 'run', from: 0 }, until: (m) => m.type === 'result' },
    ]);
    expect(outputOf(before), 'the control: a report given before the run is used').toBe('frozen=true result=FORGED\n');
    const after = await converse([
      { send: load('export function f() { return 1; }'), until: (m) => m.type === 'loaded' || m.type === 'load-failed' },
      // (a runner that has a run answers no 'prepare')
      { send: [{ type: 'prepare', tests, references: forged }, { type: 'run', from: 0 }], until: (m) => m.type === 'result' },
    ]);
    expect(outputOf(after)).toBe('frozen=false result=SCAN_SUCCEED\n');
  });
});
