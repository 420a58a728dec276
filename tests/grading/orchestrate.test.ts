/**
 * The parent-side watchdog logic with scripted fake workers (no threads): a test that never
 * answers is a timeout, the worker is replaced and the run continues with the NEXT test; the
 * per-run limit; a dead warmed-up worker is replaced; a worker crash is an error for that test.
 */
import { describe, expect, it } from 'vitest';
import { orchestrate, type WorkerHandle } from '../../src/grading/orchestrate.ts';
import type { ParentMessage, WorkerMessage } from '../../src/grading/runtime/session.ts';
import type { TestResult } from '../../src/grading/types.ts';

type Behaviour = (name: string) => TestResult['status'] | 'hang' | 'crash';

const NAMES = ['a', 'b', 'c', 'd'];
const payload = { exercise: 'fake', exports: ['f'], code: '', tests: [] };

function fakeSpawner(behaviour: Behaviour, opts: { deadOnArrival?: boolean } = {}) {
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
          send({ type: 'loaded', nonce, names: NAMES, output: '' });
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
              // A forged result without the nonce is ignored.
              send({ type: 'result', nonce: 'guess', index: i + 1, result: { name: 'forged', status: 'passed', message: '' } });
            }
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
