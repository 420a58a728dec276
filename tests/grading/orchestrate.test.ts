/**
 * The parent-side watchdog logic with scripted fake workers (no threads): a test that never
 * answers is a timeout, the worker is replaced and the run continues with the NEXT test; the
 * per-run limit; a dead warmed-up worker is replaced; a worker crash is an error for that test.
 * And the protocol guard: a runner that forges, repeats, invents or garbles a message fails the
 * whole run (every variation in a loop), and its list of tests must equal the trusted one.
 */
import { describe, expect, it } from 'vitest';
import { orchestrate, type WorkerHandle } from '../../src/grading/orchestrate.ts';
import type { ParentMessage, WorkerMessage } from '../../src/grading/runtime/session.ts';
import type { TestResult } from '../../src/grading/types.ts';

type Behaviour = (name: string) => TestResult['status'] | 'hang' | 'crash';

const NAMES = ['a', 'b', 'c', 'd'];
const payload = { exercise: 'fake', exports: ['f'], code: '', tests: [] };

/** What a subverted runner sends besides (or instead of) the honest messages; `nonce` is the run's. */
type Forge = (ctx: { nonce: string; index: number; names: readonly string[] }) => unknown[];

function fakeSpawner(behaviour: Behaviour, opts: { deadOnArrival?: boolean; names?: string[]; forgeAfterResult?: Forge; forgeAtEnd?: Forge } = {}) {
  const names = opts.names ?? NAMES;
  const log: string[] = [];
  let spawned = 0;
  const spawn = (): WorkerHandle => {
    const id = ++spawned;
    let onMsg: (m: WorkerMessage) => void = () => {};
    let onExit: (r: string) => void = () => {};
    let nonce = '';
    let alive = true;
    const send = (m: WorkerMessage) => queueMicrotask(() => alive && onMsg(m));
    return {
      listen(m, x) {
        onMsg = m;
        onExit = x;
        if (opts.deadOnArrival && id === 1) queueMicrotask(() => x('died while idle'));
        else send({ type: 'ready' });
      },
      post(msg: ParentMessage) {
        if (msg.type === 'load') {
          nonce = msg.nonce;
          send({ type: 'evaluating', nonce });
          send({ type: 'loaded', nonce, names, output: '' });
        } else {
          void (async () => {
            for (let i = msg.from; i < NAMES.length && alive; i++) {
              log.push(`w${id}:${NAMES[i]}`);
              const b = behaviour(NAMES[i]);
              if (b === 'hang') return; // a synchronous loop: never answers
              if (b === 'crash') {
                alive = false;
                onExit('it exited (code 1)');
                return;
              }
              await new Promise((r) => setTimeout(r, 1));
              send({ type: 'result', nonce, index: i, result: { name: NAMES[i], status: b, message: b === 'passed' ? '' : 'x' } });
              for (const m of opts.forgeAfterResult?.({ nonce, index: i, names }) ?? []) send(m as WorkerMessage);
            }
            for (const m of opts.forgeAtEnd?.({ nonce, index: NAMES.length, names }) ?? []) send(m as WorkerMessage);
          })();
        }
      },
      terminate() {
        alive = false;
      },
    };
  };
  return { spawn, log, count: () => spawned };
}

describe('orchestrate (parent watchdog)', () => {
  it('marks a hanging test timeout, replaces the worker and continues with the next test', async () => {
    const f = fakeSpawner((n) => (n === 'b' ? 'hang' : n === 'd' ? 'failed' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 100, perRunMs: 5000 });
    expect(r.tests.map((t) => t.status)).toEqual(['passed', 'timeout', 'passed', 'failed']);
    expect(r.tests[1].message).toBe('stopped after 0.1 s — possibly an infinite loop');
    expect(f.log).toEqual(['w1:a', 'w1:b', 'w2:c', 'w2:d']);
    expect(r).toMatchObject({ passed: 2, failed: 2, total: 4 });
    expect(r.stoppedAfterMs).toBeUndefined();
  });

  it('stops at the per-run limit and marks the rest as not run', async () => {
    const f = fakeSpawner(() => 'hang');
    const r = await orchestrate(f.spawn, payload, { perTestMs: 100, perRunMs: 250 });
    expect(r.tests.map((t) => t.status)).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    expect(r.tests.filter((t) => t.message.startsWith('not run')).length).toBeGreaterThanOrEqual(1);
    expect(r.stoppedAfterMs).toBeGreaterThanOrEqual(250);
    expect(r.durationMs).toBeLessThan(2000);
  });

  it('reports a worker crash as an error for that test and goes on', async () => {
    const f = fakeSpawner((n) => (n === 'a' ? 'crash' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 1000 });
    expect(r.tests.map((t) => t.status)).toEqual(['error', 'passed', 'passed', 'passed']);
    expect(r.tests[0].message).toContain('it exited (code 1)');
  });

  it('replaces a warmed-up worker that died while idle', async () => {
    const f = fakeSpawner(() => 'passed', { deadOnArrival: true });
    const first = f.spawn();
    const r = await orchestrate(f.spawn, payload, { perTestMs: 1000, prestarted: first });
    expect(r.passed).toBe(4);
    expect(f.count()).toBe(2);
  });

  it('bail stops at the first test that does not pass', async () => {
    const f = fakeSpawner((n) => (n === 'b' ? 'failed' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 1000, bail: true });
    expect(r.tests.map((t) => t.status)).toEqual(['passed', 'failed']);
  });
});

const pass = (name: string) => ({ name, status: 'passed', message: '' });

describe('orchestrate: a runner that breaks the protocol fails the whole run', () => {
  // Each variation a subverted runner could try, after the first honest result.
  const forgeries: Record<string, Forge> = {
    'a result with a guessed nonce': ({ index, names }) => [{ type: 'result', nonce: 'guess', index: index + 1, result: pass(names[index + 1]) }],
    'a result with no nonce': ({ index, names }) => [{ type: 'result', index: index + 1, result: pass(names[index + 1]) }],
    'a duplicate result for the same test': ({ nonce, index, names }) => [{ type: 'result', nonce, index, result: pass(names[index]) }],
    'a result for a test that does not exist': ({ nonce, index }) => [{ type: 'result', nonce, index: index + 1, result: pass('a test I made up') }],
    'a result whose name is another test\'s': ({ nonce, index, names }) => [{ type: 'result', nonce, index: index + 1, result: pass(names[index + 2]) }],
    'a result out of order (skipping ahead)': ({ nonce, index, names }) => [{ type: 'result', nonce, index: index + 2, result: pass(names[index + 2]) }],
    'a malformed result (status is not a status)': ({ nonce, index, names }) => [{ type: 'result', nonce, index: index + 1, result: { name: names[index + 1], status: 'ok', message: '' } }],
    'a message that is not an object': () => ['passed'],
    'a message of an unknown type': ({ nonce }) => [{ type: 'score', nonce, score: 100 }],
    'a second load reply': ({ nonce, names }) => [{ type: 'loaded', nonce: `${nonce}x`, names, output: '' }],
  };
  for (const [what, forge] of Object.entries(forgeries)) {
    it(`${what}: no test passes and each says why`, async () => {
      let sent = false;
      const f = fakeSpawner(() => 'passed', { forgeAfterResult: (ctx) => (sent || ctx.index !== 0 ? [] : ((sent = true), forge(ctx))) });
      const r = await orchestrate(f.spawn, payload, { perTestMs: 1000 });
      expect(r.passed).toBe(0);
      expect(r.tests.map((t) => t.name)).toEqual(NAMES);
      expect(r.tests.every((t) => t.status === 'error' && /cannot be trusted/.test(t.message))).toBe(true);
    });
  }

  it('the same runner without the forgery passes every test (the forgery is what fails it)', async () => {
    const f = fakeSpawner(() => 'passed', { forgeAfterResult: () => [] });
    const r = await orchestrate(f.spawn, payload, { perTestMs: 1000, expectedNames: NAMES });
    expect(r.passed).toBe(4);
  });

  it('a duplicate result sent after the last test still fails the run', async () => {
    for (const extra of [(n: string, nonce: string) => ({ type: 'result', nonce, index: 3, result: pass(n) }), (n: string, nonce: string) => ({ type: 'result', nonce, index: 4, result: pass(`${n}!`) })]) {
      const f = fakeSpawner(() => 'passed', { forgeAtEnd: ({ nonce, names }) => [extra(names[3], nonce)] });
      const r = await orchestrate(f.spawn, payload, { perTestMs: 1000 });
      expect(r.passed).toBe(0);
    }
  });

  it('a runner whose test list differs from the trusted one fails the run, naming the difference', async () => {
    const variants: Array<[string[], RegExp]> = [
      [['a', 'b', 'c', 'd', 'e'], /unknown test name \('e'\)/],
      [['a', 'b', 'c'], /without 'd'/],
      [['a', 'b', 'd', 'c'], /another order/],
      [['a', 'b', 'b', 'c'], /duplicate test name \('b'\)/],
      [[], /without 'a', 'b', 'c' and 1 more/],
    ];
    for (const [names, why] of variants) {
      const f = fakeSpawner(() => 'passed', { names });
      const r = await orchestrate(f.spawn, payload, { perTestMs: 1000, expectedNames: Promise.resolve(NAMES) });
      expect(r.passed, names.join()).toBe(0);
      expect(r.tests.map((t) => t.name)).toEqual(NAMES);
      expect(r.tests[0].message).toMatch(why);
    }
  });

  it('without trusted names, a duplicate name in the runner\'s list still fails the run', async () => {
    const f = fakeSpawner(() => 'passed', { names: ['a', 'a', 'c', 'd'] });
    const r = await orchestrate(f.spawn, payload, { perTestMs: 1000, expectedNames: null });
    expect(r.passed).toBe(0);
  });
});

describe('orchestrate: what the parent decides itself', () => {
  it('a result\'s name and its "extra" (instructor test) flag come from the parent, not the runner', async () => {
    // The runner reports every result with extra: true and a name of its own choosing at index 0.
    const spawn = (): WorkerHandle => {
      let onMsg: (m: WorkerMessage) => void = () => {};
      let nonce = '';
      return {
        listen(m) {
          onMsg = m;
          queueMicrotask(() => onMsg({ type: 'ready' }));
        },
        post(msg: ParentMessage) {
          if (msg.type === 'load') {
            nonce = msg.nonce;
            queueMicrotask(() => {
              onMsg({ type: 'evaluating', nonce });
              onMsg({ type: 'loaded', nonce, names: ['a', 'extra.test.ts > b'], output: '' });
            });
          } else {
            queueMicrotask(() => {
              onMsg({ type: 'result', nonce, index: 0, result: { name: 'a', status: 'passed', message: '', extra: true } });
              onMsg({ type: 'result', nonce, index: 1, result: { name: 'extra.test.ts > b', status: 'passed', message: '' } });
            });
          }
        },
        terminate() {},
      };
    };
    const r = await orchestrate(spawn, { ...payload, tests: [{ file: 'extra.test.ts', source: '', prefixNames: true }] }, { perTestMs: 1000 });
    expect(r.tests.map((t) => [t.name, t.extra ?? false])).toEqual([['a', false], ['extra.test.ts > b', true]]);
  });
});
