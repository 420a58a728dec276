/**
 * The Gradescope kit: run autograder/run_autograder against a fake /autograder in a temp dir
 * (AUTOGRADER_ROOT) with the toy fixture exercise, and check results.json.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, TOY } from './helpers.ts';

interface Results {
  score: number;
  max_score: number;
  execution_time: number;
  output: string;
  tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string }[];
}

function runAutograder(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, 'autograder/run_autograder'), [], { env: { ...process.env, NODE_BIN: process.execPath, COLLAPSE_LAB_EXERCISES_DIR: FIXTURES, ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
}

function fakeAutograder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'autograder-'));
  mkdirSync(join(root, 'submission'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'submission', name), content);
  return root;
}

const read = (root: string) => JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8')) as Results;

describe('autograder/run_autograder', { timeout: 60_000 }, () => {
  it('grades <id>.ts submissions into results.json', async () => {
    const root = fakeAutograder({ 'toy-sum.ts': readFileSync(`${TOY}wrong/off-by-one.ts`, 'utf8') });
    const r = await runAutograder({ AUTOGRADER_ROOT: root });
    expect(r.code, r.stderr).toBe(0);
    const res = read(root);
    expect(res).toMatchObject({ score: 4, max_score: 5 });
    expect(res.execution_time).toBeGreaterThan(0);
    expect(res.tests).toHaveLength(5);
    expect(res.tests[0]).toMatchObject({ name: 'toy-sum: count_present > counts the present slots', score: 0, max_score: 1, status: 'failed', visibility: 'visible' });
    expect(res.tests[0].output).toContain('expected 2 to be 3');
  });

  it('reads an exported-work JSON, runs extra tests, scales points, and scores a missing exercise as 0 of its tests', async () => {
    const work = {
      format: 'collapse-lab-work', version: 1, course: '0.1.0', exportedAt: '2026-11-25T18:00:00Z',
      exercises: { 'toy-sum': { code: readFileSync(`${TOY}solution.ts`, 'utf8'), savedAt: '2026-11-25T17:00:00Z' } },
    };
    const root = fakeAutograder({ 'my-work.json': JSON.stringify(work) });
    // A second fixture exercise the student did not submit.
    const exercises = mkdtempSync(join(tmpdir(), 'exercises-'));
    cpSync(TOY, join(exercises, 'toy-sum'), { recursive: true });
    cpSync(TOY, join(exercises, 'toy-two'), { recursive: true });
    writeFileSync(join(exercises, 'toy-two', 'exercise.json'), readFileSync(join(TOY, 'exercise.json'), 'utf8').replace('"toy-sum"', '"toy-two"'));
    cpSync(join(TOY, 'toy-sum.test.ts'), join(exercises, 'toy-two', 'toy-two.test.ts'));
    const r = await runAutograder({
      AUTOGRADER_ROOT: root,
      COLLAPSE_LAB_EXERCISES_DIR: exercises,
      COLLAPSE_LAB_EXERCISES: 'toy-sum,toy-two',
      COLLAPSE_LAB_EXTRA_TESTS: join(FIXTURES, 'extra'),
      COLLAPSE_LAB_POINTS: '10',
      COLLAPSE_LAB_EXTRA_VISIBILITY: 'after_published',
    });
    expect(r.code, r.stderr).toBe(0);
    const res = read(root);
    expect(res.max_score).toBe(20);
    expect(res.score).toBe(10);
    const toy = res.tests.filter((t) => t.name.startsWith('toy-sum: '));
    expect(toy).toHaveLength(6); // 5 own + 1 instructor test
    expect(toy.every((t) => t.status === 'passed')).toBe(true);
    expect(toy.map((t) => t.visibility)).toEqual(['visible', 'visible', 'visible', 'visible', 'visible', 'after_published']);
    const missing = res.tests.filter((t) => t.name.startsWith('toy-two: '));
    expect(missing.length).toBe(5);
    expect(missing.every((t) => t.score === 0 && t.output.includes('not submitted'))).toBe(true);
    expect(res.output).toContain('toy-two: 0/5 tests passed');
  });

  it('writes a results.json with a helpful message for an empty submission', async () => {
    const root = fakeAutograder({ 'README.txt': 'oops' });
    const r = await runAutograder({ AUTOGRADER_ROOT: root });
    expect(r.code).toBe(0);
    const res = read(root);
    expect(res.score).toBe(0);
    expect(res.output).toContain('No exercise found in the submission');
    expect(existsSync(join(root, 'results', 'results.json'))).toBe(true);
  });
});
