/**
 * Results in batches (src/grading/browser/batch.ts) and the parent's answer to a hang inside a
 * batch (orchestrate `batchedResults`): the batcher holds results only briefly and keeps every
 * message's order; the page unpacks one level only; and a hang or crash in a test whose
 * predecessors' results were still held is charged to the test that hung, not to the first held
 * one — the parent runs the held tests again one by one to find it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createResultBatcher, RESULT_BATCH_MAX, RESULT_BATCH_MS, unpackBatch } from '../../src/grading/browser/batch.ts';
import { ATTRIBUTION_MS, isWorkerMessage, orchestrate, type WorkerHandle } from '../../src/grading/orchestrate.ts';
import type { ParentMessage, WorkerMessage } from '../../src/grading/runtime/session.ts';
import type { TestResult } from '../../src/grading/types.ts';

const result = (index: number, nonce = 'n'): WorkerMessage => ({ type: 'result', nonce, index, result: { name: `t${index}`, status: 'passed', message: '' } });

function recorder() {
  const posts: (WorkerMessage | WorkerMessage[])[] = [];
  let clock = 0;
  const b = createResultBatcher((m) => posts.push(m), () => clock);
  return { b, posts, tick: (ms: number) => (clock += ms) };
}

describe('createResultBatcher', () => {
  it('holds results posted close together and sends them in one array, in order', () => {
    const { b, posts, tick } = recorder();
    b.send({ type: 'loaded', nonce: 'n', names: Array.from({ length: 10 }, (_, i) => `t${i}`), output: '' });
    for (let i = 0; i < 3; i++) {
      tick(1);
      b.send(result(i));
    }
    expect(posts).toEqual([{ type: 'loaded', nonce: 'n', names: expect.any(Array), output: '' }]);
    tick(RESULT_BATCH_MS);
    b.send(result(3));
    expect(posts.slice(1)).toEqual([[result(0), result(1), result(2), result(3)]]);
  });

  it('sends at once the last test\'s result, any message that is not a result, and a full batch', () => {
    const { b, posts } = recorder();
    b.send({ type: 'loaded', nonce: 'n', names: Array.from({ length: 40 }, (_, i) => `t${i}`), output: '' });
    for (let i = 0; i < RESULT_BATCH_MAX; i++) b.send(result(i));
    expect(posts[1]).toHaveLength(RESULT_BATCH_MAX);
    b.send(result(16));
    b.send({ type: 'evaluating', nonce: 'n' });
    expect(posts[2]).toEqual([result(16), { type: 'evaluating', nonce: 'n' }]);
    b.send(result(38));
    b.send(result(39));
    expect(posts[3]).toEqual([result(38), result(39)]);
    expect(posts).toHaveLength(4);
  });

  it('a lone message goes as itself, not as an array of one', () => {
    const { b, posts } = recorder();
    b.send({ type: 'ready' });
    expect(posts).toEqual([{ type: 'ready' }]);
  });

  it('oneByOne sends what is held, then every message on its own', () => {
    const { b, posts } = recorder();
    b.send({ type: 'loaded', nonce: 'n', names: ['a', 'b', 'c', 'd'], output: '' });
    b.send(result(0));
    b.send(result(1));
    b.oneByOne();
    b.send(result(2));
    expect(posts).toEqual([{ type: 'loaded', nonce: 'n', names: ['a', 'b', 'c', 'd'], output: '' }, [result(0), result(1)], result(2)]);
  });
});

describe('unpackBatch (the page side)', () => {
  it('hands on the entries of an array, and an array inside one as a (malformed) message', () => {
    const got: unknown[] = [];
    unpackBatch([result(0), [result(1)], { type: 'ready' }], (m) => got.push(m));
    expect(got).toEqual([result(0), [result(1)], { type: 'ready' }]);
    expect(got.map(isWorkerMessage)).toEqual([true, false, true]);
  });

  it('a receiver that throws on one entry still gets the others', () => {
    const got: unknown[] = [];
    unpackBatch([null, result(1)], (m) => {
      if ((m as { type: string }).type) got.push(m);
    });
    expect(got).toEqual([result(1)]);
  });
});

// ---------------------------------------------------------------------------------------------
// The parent: a fake runner that batches with the real batcher on a clock of its own (one
// millisecond per test), so results are held exactly as in the browser.
// ---------------------------------------------------------------------------------------------

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const payload = { exercise: 'fake', exports: ['f'], code: '', tests: [] };
type Behaviour = (name: string) => TestResult['status'] | 'hang' | 'crash';

function batchingSpawner(behaviour: Behaviour) {
  const log: string[] = [];
  const runs: { worker: number; from: number; oneByOne: boolean }[] = [];
  let spawned = 0;
  const spawn = (): WorkerHandle => {
    const id = ++spawned;
    let onMsg: (m: WorkerMessage) => void = () => {};
    let alive = true;
    let clock = 0;
    const batcher = createResultBatcher((m) => queueMicrotask(() => alive && unpackBatch(m, onMsg)), () => clock);
    let nonce = '';
    return {
      listen(m, x) {
        onMsg = m;
        exitFns.set(id, x);
        batcher.send({ type: 'ready' });
      },
      post(msg: ParentMessage) {
        if (msg.type === 'load') {
          nonce = msg.nonce;
          batcher.send({ type: 'evaluating', nonce });
          batcher.send({ type: 'loaded', nonce, names: NAMES, output: '' });
          return;
        }
        runs.push({ worker: id, from: msg.from, oneByOne: msg.oneByOne === true });
        if (msg.oneByOne) batcher.oneByOne();
        void (async () => {
          for (let i = msg.from; i < NAMES.length && alive; i++) {
            log.push(`w${id}:${NAMES[i]}`);
            const b = behaviour(NAMES[i]!);
            if (b === 'hang') return;
            if (b === 'crash') {
              // After what it posted before (as a worker's messages arrive before its death).
              queueMicrotask(() => {
                alive = false;
                exitFns.get(id)?.('it ran out of memory');
              });
              return;
            }
            await Promise.resolve();
            clock += 1;
            batcher.send({ type: 'result', nonce, index: i, result: { name: NAMES[i]!, status: b, message: b === 'passed' ? '' : 'x' } });
          }
        })();
      },
      terminate() {
        alive = false;
      },
    };
  };
  const exitFns = new Map<number, (r: string) => void>();
  return { spawn, log, runs };
}

describe('orchestrate with a batching runner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('charges a hang to the test that hung, though the results before it were held', async () => {
    const f = batchingSpawner((n) => (n === 'e' ? 'hang' : n === 'g' ? 'failed' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 100, perRunMs: 10_000, batchedResults: RESULT_BATCH_MAX });
    expect(r.tests.map((t) => `${t.name}:${t.status}`)).toEqual(['a:passed', 'b:passed', 'c:passed', 'd:passed', 'e:timeout', 'f:passed', 'g:failed', 'h:passed']);
    expect(r.tests[4]!.message).toBe('stopped after 0.1 s — possibly an infinite loop');
    // Runner 1 held a–d and hung in e; runner 2 ran them one by one and hung in e again; runner 3
    // went on after e, still one by one (a later hang then costs no second run).
    expect(f.runs).toEqual([
      { worker: 1, from: 0, oneByOne: false },
      { worker: 2, from: 0, oneByOne: true },
      { worker: 3, from: 5, oneByOne: true },
    ]);
  });

  it('without `batchedResults` the same runner has the hang charged to the first held test (why the option exists)', async () => {
    const f = batchingSpawner((n) => (n === 'e' ? 'hang' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 100, perRunMs: 10_000 });
    expect(r.tests[0]).toMatchObject({ name: 'a', status: 'timeout' });
  });

  it('charges a crash to the test that crashed', async () => {
    const f = batchingSpawner((n) => (n === 'c' ? 'crash' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 100, perRunMs: 10_000, batchedResults: RESULT_BATCH_MAX });
    expect(r.tests.map((t) => t.status)).toEqual(['passed', 'passed', 'error', 'passed', 'passed', 'passed', 'passed', 'passed']);
    expect(r.tests[2]!.message).toBe('the test runner stopped during this test: it ran out of memory');
  });

  it('the tests run again one by one get the shorter limit; a later hang the full one, once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const perTestMs = 3 * ATTRIBUTION_MS;
    const f = batchingSpawner((n) => (n === 'b' || n === 'h' ? 'hang' : 'passed'));
    const stamps: string[] = [];
    const t0 = Date.now();
    const spawn = () => {
      const h = f.spawn();
      const terminate = h.terminate.bind(h);
      return { ...h, listen: h.listen.bind(h), post: h.post.bind(h), terminate: () => (stamps.push(`${f.log.at(-1)}@${Date.now() - t0}`), terminate()) };
    };
    const done = orchestrate(spawn, payload, { perTestMs, perRunMs: 100_000, batchedResults: RESULT_BATCH_MAX });
    await vi.runAllTimersAsync();
    const r = await done;
    expect(r.tests.map((t) => t.status)).toEqual(['passed', 'timeout', 'passed', 'passed', 'passed', 'passed', 'passed', 'timeout']);
    // b: a full limit (+ grace) in runner 1, then ATTRIBUTION_MS in runner 2. h: runner 3 posts
    // one by one, so h is known at once, after a full limit.
    const full = perTestMs + 250;
    expect(stamps).toEqual([`w1:b@${full}`, `w2:b@${full + ATTRIBUTION_MS}`, `w3:h@${2 * full + ATTRIBUTION_MS}`]);
    expect(r.tests[1]!.message).toBe(`stopped after ${perTestMs / 1000} s — possibly an infinite loop`);
  });

  it('at the whole run\'s limit it does not run anything again', async () => {
    const f = batchingSpawner((n) => (n === 'c' ? 'hang' : 'passed'));
    const r = await orchestrate(f.spawn, payload, { perTestMs: 1000, perRunMs: 200, batchedResults: RESULT_BATCH_MAX });
    expect(f.runs).toHaveLength(1);
    expect(r.tests.every((t) => t.status === 'timeout')).toBe(true);
    expect(r.tests.map((t) => t.message)).toEqual(Array(8).fill('stopped or not run: the whole run reached its 0.2 s limit — possibly an infinite loop'));
  });
});
