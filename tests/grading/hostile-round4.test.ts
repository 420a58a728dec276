/**
 * HOSTILE CATALOGUE — round 4 (after issue 10 changed the runner): spare runners PRIME themselves
 * with the starter in a throw-away session before the learner's code is loaded; one MessageChannel
 * serves every per-test hop of a worker (runtime/suite.ts `freshTask`); the CLI child runs under
 * limits set by /bin/sh before it execs Node (src/grading/node/process.ts). Each attack is judged by
 * its effect and each test fails if the attack works (checked by weakening the defence locally).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHILD_DATA_MB } from '../../src/grading/node/process.ts';
import type { RunResult } from '../../src/grading/types.ts';
import { FIXTURES, ROOT, grade } from './helpers.ts';
import { EARLY_ABORT, TOY, report, runInRealm, runPrimed, type Exercise } from './realm/harness.ts';

const R4 = `${FIXTURES}round4/`;
const EA = `${ROOT}exercises/early-abort`;
const starter = readFileSync(`${EA}/starter.ts`, 'utf8');
const solution = readFileSync(`${EA}/solution.ts`, 'utf8');

/** Everything but the timings. */
const comparable = (r: RunResult) => ({ ...r, durationMs: 0, tests: r.tests.map((t) => ({ ...t, durationMs: 0 })) });

describe('hostile (round 4): priming leaves nothing behind for learner code', { timeout: 300_000 }, () => {
  it('a primed runner looks exactly like a fresh one from inside: timer ids, globals, every reachable object (all frozen, no port)', async () => {
    const code = `${starter}\n${readFileSync(`${R4}prime-probe.ts`, 'utf8')}`;
    const plain = await runInRealm(EARLY_ABORT, code);
    expect(plain.loadError).toBeUndefined();
    const fresh = report<{ timerIds: number[]; unfrozen: string[]; ports: string[]; reachable: number; globals: string[] }>(plain);
    // The probe really looks: it walks hundreds of objects and sees its own timers.
    expect(fresh.reachable).toBeGreaterThan(300);
    expect(fresh.timerIds).toEqual([1, 2]);
    expect(fresh.ports, 'a message port or a way to post is reachable from learner code').toEqual([]);
    expect(fresh.unfrozen, 'objects learner code reaches must be frozen').toEqual([]);
    for (const [click, delayMs] of [['after-priming', 0], ['at-once', 0], ['during', 5], ['during', 60]] as const) {
      const primed = await runPrimed(EARLY_ABORT, starter, code, click, delayMs);
      const label = `${click} ${delayMs} ms (priming ran ${primed.primed.ran} tests)`;
      expect(report(primed.result), label).toEqual(fresh);
      expect(comparable(primed.result), label).toEqual(comparable(plain));
      if (click === 'after-priming') expect(primed.primed.ran, 'priming really ran every test first').toBeGreaterThan(50);
    }
  });

  it('errors learner code leaves behind (unawaited rejection, throwing 0 ms timer, a 2000-step promise chain) are charged to the test that made them, primed or not', async () => {
    expect(solution).toContain('export function hpage_collapse_scan_pmd(');
    const code = `${solution.replace('export function hpage_collapse_scan_pmd(', 'function inner_scan(')}\n${readFileSync(`${R4}stray-wrapper.ts`, 'utf8')}`;
    const plain = await runInRealm(EARLY_ABORT, code);
    expect(plain.loadError).toBeUndefined();
    const strayed = plain.tests.filter((t) => /STRAY/.test(t.output ?? ''));
    // All three kinds happen, in many tests, and most tests still pass.
    expect(strayed.length).toBeGreaterThanOrEqual(6);
    for (const kind of ['rejection', 'timer', 'chain']) expect(strayed.some((t) => (t.output ?? '').includes(`kind ${kind}`)), `kind ${kind}`).toBe(true);
    expect(plain.passed).toBeGreaterThan(plain.total / 2);
    const misplaced = plain.tests
      .filter((t) => /STRAY/.test(t.output ?? '') !== (t.status === 'error'))
      .map((t) => `${t.name}: ${t.status} ${t.message ?? ''} | ${t.output ?? ''}`);
    expect(misplaced, 'a stray error charged to another test (or to none)').toEqual([]);
    for (const t of strayed) expect(t.message).toMatch(/^an error escaped the test \(thrown from a timer or a promise nobody awaited\): Error: (rejected|timer|deep chain), call \d+/);
    for (const [click, delayMs] of [['after-priming', 0], ['during', 20]] as const) {
      const primed = await runPrimed(EARLY_ABORT, starter, code, click, delayMs);
      expect(comparable(primed.result), `${click} ${delayMs} ms`).toEqual(comparable(plain));
    }
  });
});

describe('hostile (round 4): values that throw when the runtime reads them', { timeout: 120_000 }, () => {
  it('a Proxy thrown, rejected or thrown from a timer (and an object whose getters throw) costs only its own test; the runner survives', async () => {
    const code = readFileSync(`${R4}throwing-proxy.ts`, 'utf8');
    const r = await runInRealm(TOY, code);
    expect(r.loadError).toBeUndefined();
    const seen = r.tests.map((t) => `${/DID ([\w-]+)/.exec(t.output ?? '')?.[1] ?? 'nothing'} → ${t.status}`);
    // One runner serves the whole run (calls 1-4 land in tests 1-4: no restart reset them), each
    // hostile value costs exactly its own test, and the last test, which did nothing, passes.
    expect(seen).toEqual(['reject-with-proxy → error', 'throw-proxy → error', 'reject-with-throwing-getters → error', 'timer-throws-proxy → error', 'nothing → passed']);
    for (const t of r.tests.slice(0, 4)) {
      expect(t.message, t.name).not.toMatch(/stopped during this test|exited|crashed/);
      expect(t.message, t.name).toMatch(/cannot be shown|escaped the test/);
    }
  });
});

describe('hostile (round 4): timers are per compartment', { timeout: 120_000 }, () => {
  const TICK: Exercise = { id: 'tick-check', exports: ['settle'], tests: [{ file: 'tick-check.test.ts', source: readFileSync(`${R4}tick-check/tick-check.test.ts`, 'utf8') }] };
  const statuses = (r: RunResult) => r.tests.map((t) => t.status);

  it("learner code cannot cancel the test file's timers (a check a test runs one tick later still runs)", async () => {
    const [solved, wrong, cancels] = await Promise.all(['solution', 'wrong', 'wrong-cancels'].map((f) => runInRealm(TICK, readFileSync(`${R4}tick-check/${f}.ts`, 'utf8'))));
    expect(statuses(solved)).toEqual(['passed', 'passed']);
    // Wrong: each test's late check fails, charged to the test.
    expect(statuses(wrong)).toEqual(['error', 'error']);
    expect(wrong.tests[0]!.message).toMatch(/escaped the test.*should be settled by the next tick/);
    // Wrong, and clearing every timer id it can guess: the checks must still run.
    expect(statuses(cancels), 'clearTimeout/clearInterval in learner code cancelled the tests\' checking timers').toEqual(['error', 'error']);
  });
});

describe('hostile (round 4): the CLI child', { timeout: 120_000 }, () => {
  it(`memory outside the V8 heap (typed arrays) is capped too: a file cannot hold more than ${CHILD_DATA_MB} MB`, async () => {
    // A generous per-test limit: the point is memory, not a slow machine stopping it first.
    const r = await grade(['toy-sum', `${R4}typed-array-hog.ts`, '--format', 'json', '--timeout', '20000']);
    const json = JSON.parse(r.stdout) as RunResult;
    const texts = [json.output ?? '', json.loadError ?? '', ...json.tests.map((t) => `${t.output ?? ''}\n${t.message ?? ''}`)].join('\n');
    const m = /REPORT (\{.*\})/.exec(texts);
    if (m) {
      // It got to say how much it holds: less than the limit, stopped by a failed allocation.
      const got = JSON.parse(m[1]!) as { heldMb: number; stoppedBy: string };
      expect(got.heldMb, `the child held ${got.heldMb} MB of typed arrays`).toBeLessThan(CHILD_DATA_MB);
      expect(got.stoppedBy).toMatch(/allocation failed/i);
    } else {
      // Or the child died of it, and the learner is told why.
      expect(texts).toMatch(/ran out of memory/);
    }
    // Either way the grader itself finished and reported.
    expect(json.total).toBe(5);
  });
});
