/**
 * HOSTILE CATALOGUE — late diffs (issue 10, "Run tests" speed). Browser runs ask the runner for
 * late diffs (orchestrate `lateDiffs`): a failing deep comparison comes back with its message
 * alone, and the "- Expected / + Received" diffs are formatted after the LAST result and sent in
 * one 'diffs' message. The diffs walk the learner's values (getters, Proxies) after the verdict,
 * and the message is one more thing a subverted runner could forge. Checked here:
 *
 * - the real runtime (a sealed worker thread, as the CLI's session): a late run's verdict equals an
 *   inline run's, and its messages plus the diffs equal the inline messages; the last result
 *   comes before the diffs, the verdict before they are handed over, the runner ends after;
 * - a diff whose formatting throws is dropped, one whose formatting loops is cut off by the
 *   parent's bounded wait: the verdict stands and the runner is ended either way;
 * - a scripted runner's forged 'diffs' (wrong nonce, a passed test's index, huge text, twice, not
 *   an array, garbled entries, sent early) changes no verdict and hands over nothing forged.
 */
import { describe, expect, it } from 'vitest';
import { orchestrate, type LateDiffText, type WorkerHandle } from '../../src/grading/orchestrate.ts';
import { lateDiffsOf } from '../../src/grading/late-diffs.ts';
import type { ParentMessage, WorkerMessage } from '../../src/grading/runtime/session.ts';
import type { RunResult, TestResult } from '../../src/grading/types.ts';
import { MESSAGE_CAP_CHARS } from '../../src/grading/types.ts';
import { EARLY_ABORT, runInRealm, runLate, type Exercise } from './realm/harness.ts';
import { ARMED_TESTS, armed } from './fixtures/armed.ts';
import { readFileSync } from 'node:fs';
import { ROOT } from './helpers.ts';

const starter = readFileSync(`${ROOT}exercises/early-abort/starter.ts`, 'utf8');

describe('late diffs in the real runtime', { timeout: 120_000 }, () => {
  it('the early-abort starter: same verdict as inline; message + late diff = the inline message; results, then diffs', async () => {
    const inline = await runInRealm(EARLY_ABORT, starter);
    const late = await runLate(EARLY_ABORT, starter);
    const r = late.result;
    expect(r.tests.map((t) => `${t.name}: ${t.status}`)).toEqual(inline.tests.map((t) => `${t.name}: ${t.status}`));
    expect([r.passed, r.failed, r.total]).toEqual([inline.passed, inline.failed, inline.total]);
    const withDiff = inline.tests.filter((t) => t.message.includes('\n\n- Expected'));
    expect(withDiff.length, 'the starter fails deep comparisons').toBeGreaterThan(10);
    // The verdict's messages carry no diff; the diffs complete them to exactly the inline text.
    expect(r.tests.filter((t) => t.message.includes('- Expected'))).toEqual([]);
    expect(late.settled).toBe('delivered');
    const diffs = late.diffs as LateDiffText[] | null;
    expect(diffs?.length).toBe(withDiff.length);
    const completed = r.tests.map((t) => t.message);
    for (const d of diffs ?? []) {
      expect(r.tests[d.index]!.name).toBe(d.name);
      completed[d.index] = d.message;
    }
    expect(completed).toEqual(inline.tests.map((t) => t.message));
    // Order: every result, then the one 'diffs' message; the verdict before the diffs are handed
    // over; the runner ended after that.
    const ev = late.events;
    expect(ev.filter((e) => e === 'diffs')).toEqual(['diffs']);
    expect(ev.lastIndexOf('result')).toBeLessThan(ev.indexOf('diffs'));
    expect(ev.indexOf('verdict')).toBeLessThan(ev.indexOf('onDiffs'));
    expect(ev.indexOf('onDiffs')).toBeLessThan(ev.lastIndexOf('terminate'));
    expect(late.allTerminated).toBe(true);
  });

  it('a passing run owes no diffs: nothing is sent, nothing waited for', async () => {
    const solution = readFileSync(`${ROOT}exercises/early-abort/solution.ts`, 'utf8');
    const late = await runLate(EARLY_ABORT, solution);
    expect(late.result.passed).toBe(late.result.total);
    expect(late.settled).toBe('none');
    expect(late.events).not.toContain('diffs');
    expect(late.diffs).toBeNull();
    expect(late.allTerminated).toBe(true);
  });

  // The armed fixture (tests/grading/fixtures/armed.ts): a getter that misbehaves only when the late diff walks it.
  const ARMED: Exercise = { id: 'armed', exports: ['make', 'arm'], tests: ARMED_TESTS };

  it('a getter that throws while its diff is formatted: that diff is dropped, the verdict stands, the runner is ended', async () => {
    const late = await runLate(ARMED, armed("throw new Error('not now');"));
    expect(late.result.tests.map((t) => t.status)).toEqual(['failed', 'failed', 'passed']);
    expect(late.result.tests[0]!.message).toMatch(/expected .* to deeply equal/);
    // the other failure still gets its diff
    expect(late.settled).toBe('delivered');
    expect(late.diffs?.map((d) => d.name)).toEqual(['plain']);
    expect(late.diffs?.[0]!.message).toContain('- Expected');
    expect(late.allTerminated).toBe(true);
  });

  it('a getter that loops while its diff is formatted: the bounded wait ends the runner, the verdict stands', async () => {
    const t0 = Date.now();
    const late = await runLate(ARMED, armed('for (;;) {}'), { waitMs: 500 });
    expect(late.result.tests.map((t) => t.status)).toEqual(['failed', 'failed', 'passed']);
    expect(late.settled).toBe('timeout');
    expect(late.diffs).toBeNull();
    expect(late.events).not.toContain('diffs');
    expect(late.events.at(-1)).toBe('terminate');
    expect(late.allTerminated).toBe(true);
    expect(Date.now() - t0).toBeLessThan(60_000); // (not a speed check: it ended at all)
  });
});

// ---------------------------------------------------------------------------------------------
// A scripted runner that sends honest results and then forged 'diffs' messages.
// ---------------------------------------------------------------------------------------------
const NAMES = ['a', 'b', 'c', 'd'];
const STATUS: Record<string, TestResult['status']> = { a: 'failed', b: 'passed', c: 'failed', d: 'error' };
const payload = { exercise: 'fake', exports: ['f'], code: '', tests: [] };

type Forge = (nonce: string) => unknown[];

function scripted(forge: { early?: Forge; atEnd: Forge }) {
  let terminated = 0;
  const spawn = (): WorkerHandle => {
    let onMsg: (m: WorkerMessage) => void = () => {};
    let nonce = '';
    let alive = true;
    const send = (m: unknown) => setTimeout(() => alive && onMsg(m as WorkerMessage), 1);
    return {
      listen(m) {
        onMsg = m;
        send({ type: 'ready' });
      },
      post(msg: ParentMessage) {
        if (msg.type === 'load') {
          nonce = msg.nonce;
          send({ type: 'evaluating', nonce });
          send({ type: 'loaded', nonce, names: NAMES, output: '' });
          return;
        }
        for (const m of forge.early?.(nonce) ?? []) send(m);
        NAMES.forEach((name, index) => {
          const status = STATUS[name]!;
          // 'a' and 'c' failed an assertion and are late; 'd' is an error.
          send({ type: 'result', nonce, index, result: { name, status, message: status === 'passed' ? '' : `${name} went wrong` }, ...(status === 'failed' ? { late: true } : {}) });
        });
        for (const m of forge.atEnd(nonce)) send(m);
      },
      terminate() {
        alive = false;
        terminated++;
      },
    };
  };
  return { spawn, terminated: () => terminated };
}

async function runScripted(forge: { early?: Forge; atEnd: Forge }): Promise<{ r: RunResult; diffs: LateDiffText[] | null; settled: string; terminated: number }> {
  const s = scripted(forge);
  let diffs: LateDiffText[] | null = null;
  let settle!: (h: string) => void;
  const settled = new Promise<string>((res) => (settle = res));
  const r = await orchestrate(s.spawn, payload, { perTestMs: 1000, lateDiffs: { waitMs: 300, onSettled: (how, d) => ((diffs = how === 'delivered' ? d : null), settle(how)) } });
  const how = await settled;
  return { r, diffs, settled: how, terminated: s.terminated() };
}

const honestVerdict = (r: RunResult) => {
  expect(r.tests.map((t) => `${t.name}: ${t.status}: ${t.message}`)).toEqual(['a: failed: a went wrong', 'b: passed: ', 'c: failed: c went wrong', 'd: error: d went wrong']);
  expect([r.passed, r.failed, r.total]).toEqual([1, 3, 4]);
};
const DIFF = '\n\n- Expected\n+ Received\n\n- 1\n+ 2';

describe('forged late diffs change no verdict and show nothing forged', () => {
  it('the honest runner: its diffs complete the two late failures', async () => {
    const got = await runScripted({ atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[0, DIFF], [2, DIFF]] }] });
    honestVerdict(got.r);
    expect(got.settled).toBe('delivered');
    expect(got.diffs).toEqual([
      { index: 0, name: 'a', message: `a went wrong${DIFF}` },
      { index: 2, name: 'c', message: `c went wrong${DIFF}` },
    ]);
    expect(got.terminated).toBe(1);
  });

  // settled: how the wait ended — 'timeout' when no diffs message of this run came in time, 'none' when one came with nothing valid.
  const forgeries: Record<string, { forge: { early?: Forge; atEnd: Forge }; shown: [number, string][]; settled: string }> = {
    'a guessed nonce': { forge: { atEnd: () => [{ type: 'diffs', nonce: 'guess', diffs: [[0, DIFF]] }] }, shown: [], settled: 'timeout' },
    'no nonce': { forge: { atEnd: () => [{ type: 'diffs', diffs: [[0, DIFF]] }] }, shown: [], settled: 'timeout' },
    'the index of a passed test': { forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[1, ' — forged'], [0, DIFF]] }] }, shown: [[0, DIFF]], settled: 'delivered' },
    'the index of an error (not a failed assertion)': { forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[3, DIFF]] }] }, shown: [], settled: 'none' },
    'indices out of range, negative, fractional, as text': { forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[4, DIFF], [-1, DIFF], [0.5, DIFF], ['0', DIFF]] }] }, shown: [], settled: 'none' },
    'huge text': { forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[0, 'x'.repeat(5_000_000)], [2, DIFF]] }] }, shown: [[2, DIFF]], settled: 'delivered' },
    'the same index twice': { forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[0, DIFF], [0, ' again']] }] }, shown: [[0, DIFF]], settled: 'delivered' },
    'two diffs messages (the second is dropped)': {
      forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[0, DIFF]] }, { type: 'diffs', nonce, diffs: [[2, ' forged']] }] },
      shown: [[0, DIFF]],
      settled: 'delivered',
    },
    'diffs that are not an array': { forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: { 0: DIFF } }] }, shown: [], settled: 'none' },
    'entries that are not pairs of number and text': {
      forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [[0], [0, 1], [0, DIFF, 'x'], 'x', null, [0, { toString: () => DIFF }]] }] },
      shown: [],
      settled: 'none',
    },
    '10 000 entries for a passed test before a real one': {
      forge: { atEnd: (nonce) => [{ type: 'diffs', nonce, diffs: [...Array.from({ length: 10_000 }, () => [1, 'x']), [0, DIFF]] }] },
      shown: [[0, DIFF]],
      settled: 'delivered',
    },
    'a diffs message before the results (a forged nonce), then none': { forge: { early: () => [{ type: 'diffs', nonce: 'x', diffs: [[0, DIFF]] }], atEnd: () => [] }, shown: [], settled: 'timeout' },
    'no diffs at all (the runner went quiet)': { forge: { atEnd: () => [] }, shown: [], settled: 'timeout' },
  };
  for (const [what, { forge, shown, settled }] of Object.entries(forgeries)) {
    it(`${what}: the verdict is the honest one; only checked diffs are handed over; the runner is ended`, async () => {
      const got = await runScripted(forge);
      honestVerdict(got.r);
      const names = ['a', 'b', 'c', 'd'];
      expect((got.diffs ?? []).map((d) => [d.index, d.name, d.message])).toEqual(shown.map(([i, text]) => [i, names[i], `${names[i]} went wrong${text}`]));
      expect(got.settled).toBe(settled);
      expect(got.terminated).toBe(1);
    });
  }

  it('lateDiffsOf caps the composed message and never touches a status', () => {
    const results: TestResult[] = [{ name: 'a', status: 'failed', message: 'm' }];
    const frozen = JSON.stringify(results);
    const [d] = lateDiffsOf([[0, 'y'.repeat(MESSAGE_CAP_CHARS + 150)]], new Set([0]), results);
    expect(d!.message.length).toBeLessThanOrEqual(MESSAGE_CAP_CHARS + 200);
    expect(lateDiffsOf([[0, 'y'.repeat(MESSAGE_CAP_CHARS + 201)]], new Set([0]), results)).toEqual([]);
    expect(lateDiffsOf([[0, DIFF]], new Set(), results)).toEqual([]);
    expect(JSON.stringify(results)).toBe(frozen);
  });
});
