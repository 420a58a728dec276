/**
 * The Gradescope kit: run autograder/run_autograder against a fake /autograder in a temp dir
 * (AUTOGRADER_ROOT) with the toy fixture exercise, and check results.json.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, IMPORT_ROUTES, ROOT, TOY } from './helpers.ts';
import { lanes } from './lanes.ts';

// Each test runs the kit on a fake /autograder of its own (temp folder, own results.json): the
// tests are concurrent and the kit runs take two lanes (one per core; Vitest gives this file one worker).
const lane = lanes();

interface Results {
  score: number;
  max_score: number;
  execution_time: number;
  output: string;
  tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string }[];
}

function runAutograder(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return lane(
    () =>
      new Promise((resolve) => {
        execFile(join(ROOT, 'autograder/run_autograder'), [], { env: { ...process.env, NODE_BIN: process.execPath, COLLAPSE_LAB_EXERCISES_DIR: FIXTURES, ...env } }, (err, _out, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr: String(stderr) }),
        );
      }),
  );
}

function fakeAutograder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'autograder-'));
  mkdirSync(join(root, 'submission'), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(root, 'submission', name), content);
  return root;
}

const read = (root: string) => JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8')) as Results;

describe.concurrent('autograder/run_autograder', { timeout: 60_000 }, () => {
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

describe.concurrent('autograder/run_autograder: hostile submissions (the kit run locally)', { timeout: 120_000 }, () => {
  const solution = `${TOY}solution.ts`;

  it('baseline: the solution submitted as a regular file scores full marks', async () => {
    const root = fakeAutograder({ 'toy-sum.ts': readFileSync(solution, 'utf8') });
    expect((await runAutograder({ AUTOGRADER_ROOT: root })).code).toBe(0);
    expect(read(root)).toMatchObject({ score: 5, max_score: 5 });
  });

  // Each way a symbolic link could smuggle the reference solution (or anything else) in.
  const links: Record<string, (sub: string) => void> = {
    'an absolute link to the solution': (sub) => symlinkSync(solution, join(sub, 'toy-sum.ts')),
    'a relative link to the solution': (sub) => symlinkSync(join('..', '..', '..', ...solution.split('/').filter(Boolean).map(() => '..'), solution), join(sub, 'toy-sum.ts')),
    'a link in a sub-folder': (sub) => {
      mkdirSync(join(sub, 'lab'));
      symlinkSync(solution, join(sub, 'lab', 'toy-sum.ts'));
    },
    'a linked folder holding the solution': (sub) => {
      const dir = mkdtempSync(join(tmpdir(), 'linked-'));
      cpSync(solution, join(dir, 'toy-sum.ts'));
      symlinkSync(dir, join(sub, 'lab'));
    },
    'a link to the solution named like an export': (sub) => {
      const dir = mkdtempSync(join(tmpdir(), 'linked-'));
      const work = { format: 'collapse-lab-work', version: 1, course: '0.1.0', exportedAt: '2026-11-25T18:00:00Z', exercises: { 'toy-sum': { code: readFileSync(solution, 'utf8'), savedAt: '2026-11-25T17:00:00Z' } } };
      writeFileSync(join(dir, 'work.json'), JSON.stringify(work));
      symlinkSync(join(dir, 'work.json'), join(sub, 'work.json'));
    },
  };
  for (const [what, make] of Object.entries(links)) {
    it(`${what} is refused with a message and never read (0 points)`, async () => {
      const root = fakeAutograder({});
      make(join(root, 'submission'));
      const r = await runAutograder({ AUTOGRADER_ROOT: root, COLLAPSE_LAB_EXERCISES: 'toy-sum' });
      expect(r.code, r.stderr).toBe(0);
      const res = read(root);
      expect(res.score).toBe(0);
      expect(res.output).toMatch(/refused — a symbolic link/);
      expect(res.tests.every((t) => t.score === 0)).toBe(true);
    });
  }

  it('special files (a FIFO, a socket) are refused with a message, never opened, and the run does not hang', async () => {
    const root = fakeAutograder({});
    const sub = join(root, 'submission');
    execFileSync('mkfifo', [join(sub, 'toy-sum.ts')]);
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(sub, 'work.json'), () => r()));
    try {
      const r = await runAutograder({ AUTOGRADER_ROOT: root, COLLAPSE_LAB_EXERCISES: 'toy-sum' });
      expect(r.code, r.stderr).toBe(0);
      const res = read(root);
      expect(res.score).toBe(0);
      expect(res.output.match(/refused — not a regular file/g)).toHaveLength(2);
    } finally {
      server.close();
    }
  });

  it('a submission cannot rewrite results.json: patching fs.writeFileSync, a detached writer, direct writes (all routes)', async () => {
    const root = fakeAutograder({});
    const results = join(root, 'results', 'results.json');
    const forged = JSON.stringify({ score: 999, max_score: 5, tests: [] });
    const routes = Object.values(IMPORT_ROUTES).map((r) => `(${r})`).join(', ');
    writeFileSync(join(root, 'submission', 'toy-sum.ts'), `
const IMP = 'imp' + 'ort';
const EV = 'ev' + 'al';
const RESULTS = ${JSON.stringify(results)};
const FORGED = ${JSON.stringify(forged)};
async function tamper() {
  for (const get of [${routes}]) {
    for (const spec of ['node:fs', 'fs', 'node:child_process']) {
      let m: any;
      try { m = await get(spec); } catch { continue; }
      const d = m && m.default ? m.default : m;
      try { const orig = d.writeFileSync; d.writeFileSync = (f: string, ...rest: unknown[]) => orig(f, String(f).endsWith('results.json') ? FORGED : rest[0]); } catch {}
      try { d.writeFileSync(RESULTS, FORGED); } catch {}
      try { d.spawn('/bin/sh', ['-c', 'sleep 1; printf %s ' + JSON.stringify(FORGED) + ' > ' + RESULTS], { detached: true, stdio: 'ignore' }).unref(); } catch {}
    }
  }
}
tamper();
export function count_present(slots: boolean[]): number { return 0; }
export function first_absent(slots: boolean[]): number { return slots.findIndex((s) => !s); }
`);
    const r = await runAutograder({ AUTOGRADER_ROOT: root });
    expect(r.code, r.stderr).toBe(0);
    const first = readFileSync(results, 'utf8');
    const firstMtime = statSync(results).mtimeMs;
    await new Promise((res) => setTimeout(res, 1800)); // a detached writer would have fired by now
    expect(readFileSync(results, 'utf8')).toBe(first);
    expect(statSync(results).mtimeMs).toBe(firstMtime);
    const res = JSON.parse(first) as Results;
    // count_present returns 0: only "returns 0 for an empty table" of its two tests passes.
    expect(res.score).toBe(4);
    expect(res.max_score).toBe(5);
  });
});
