/**
 * A sandboxed grading child never outlives its run for long. Learner code in an endless loop never
 * returns to the event loop, so a child cannot notice its parent is gone: when `grade` was killed
 * mid-run, its child used to spin for ever (found in session 3: one orphan per suite run, left by
 * the SIGUSR1 test's SIGKILL). Two guards, each tested by its effect:
 *  - a stopped `grade` (SIGTERM, SIGINT: Ctrl+C, a CI timeout) takes its children along;
 *  - every child runs under RLIMIT_CPU (src/grading/node/process.ts), which the kernel enforces
 *    even after a SIGKILL of the parent, which no program can catch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { childCpuLimitSeconds } from '../../src/grading/node/process.ts';
import { ROOT } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gradeScript = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { grade: string } }).scripts.grade.split(/\s+/);
const nodeFlags = gradeScript.slice(1, gradeScript.indexOf('src/cli/grade.ts'));

const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number): boolean => {
  try {
    // a zombie has exited: only its entry is left for the (gone) parent's init to reap
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

const started: { grade: ChildProcess; kids: number[] }[] = [];
afterEach(() => {
  for (const s of started.splice(0)) {
    s.grade.kill('SIGKILL');
    for (const pid of s.kids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

/** Start `grade` on the endless-loop fixture and wait until its sandboxed child runs the loop. */
async function gradeStuckInLoop(): Promise<{ grade: ChildProcess; child: number; exited: Promise<void> }> {
  const grade = spawn(process.execPath, [...nodeFlags, 'src/cli/grade.ts', 'toy-sum', `${ROOT}tests/grading/fixtures/bad/infinite-loop.ts`, '--exercises', `${ROOT}tests/grading/fixtures/`, '--timeout', '30000', '--run-timeout', '60000'], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<void>((r) => grade.on('exit', () => r()));
  const entry = { grade, kids: [] as number[] };
  started.push(entry);
  // the names child comes and goes first; wait for a child that keeps burning CPU
  for (let i = 0; i < 600; i++) {
    const kids = childrenOf(grade.pid!);
    entry.kids.push(...kids.filter((k) => !entry.kids.includes(k)));
    for (const k of kids) {
      const stat = readFileSync(`/proc/${k}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(stat[11]) + Number(stat[12]) > 50) return { grade, child: k, exited }; // utime+stime > 0.5 s
    }
    await sleep(50);
  }
  throw new Error('the grading child never started the loop');
}

describe('a grading child does not outlive its grader', { timeout: 60_000 }, () => {
  it('every child runs under a CPU-time limit the kernel enforces (RLIMIT_CPU), whatever happens to its parent', async () => {
    const { grade, child } = await gradeStuckInLoop();
    const limits = readFileSync(`/proc/${child}/limits`, 'utf8');
    const cpu = /^Max cpu time\s+(\S+)\s+(\S+)/m.exec(limits);
    expect(cpu, limits).not.toBeNull();
    expect(cpu![1]).not.toBe('unlimited');
    // `--run-timeout 60000` raised it above the default: the whole run fits, plus start-up
    expect(Number(cpu![1])).toBeGreaterThanOrEqual(60);
    expect(Number(cpu![1])).toBeLessThan(24 * 3600);
    // and it is the sandboxed Node itself (the shell that set the limit exec'ed it)
    expect(readFileSync(`/proc/${child}/cmdline`, 'utf8')).toContain('--permission');
    grade.kill('SIGKILL');
  });

  it('a stopped grade (SIGTERM, as a CI timeout sends; SIGINT, as Ctrl+C) stops its child', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const { grade, child, exited } = await gradeStuckInLoop();
      grade.kill(sig);
      await exited;
      for (let i = 0; i < 100 && alive(child); i++) await sleep(50);
      expect(alive(child), `the child of a grade stopped by ${sig}`).toBe(false);
    }
  });

  it('the default limit is far above any real run (a whole grade uses well under a second of CPU)', () => {
    expect(childCpuLimitSeconds()).toBeGreaterThanOrEqual(120);
  });
});
