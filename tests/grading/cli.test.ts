/**
 * The bad-input cases through the `grade` command (exit status, message, no stack trace), against
 * the fixture exercise tests/grading/fixtures/toy-sum. Most call the CLI's `main` in-process (learner
 * code still runs in real sandboxed children); the "as a real process" block spawns `node
 * src/cli/grade.ts` for what only a whole process shows (exit status, streams, start-up).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD, FIXTURES, TOY, grade as gradeInProcess, gradeProcess as gradeSpawned, hasStackTrace } from './helpers.ts';
import { lanes } from './lanes.ts';

// The tests are independent (temp folders of their own; every grade starts its own sandboxed
// children), so each describe is concurrent and every grade — in-process or a real process — takes
// one of two lanes: both cores busy, never more grading at once than cores.
const lane = lanes();
const grade = (...a: Parameters<typeof gradeInProcess>) => lane(() => gradeInProcess(...a));
const gradeProcess = (...a: Parameters<typeof gradeSpawned>) => lane(() => gradeSpawned(...a));

const json = (s: string) => JSON.parse(s) as {
  exercise: string; passed: number; failed: number; total: number;
  tests: { name: string; status: string; message: string; output?: string }[];
  compileError?: { line: number; column: number; message: string }; loadError?: string; stoppedAfterMs?: number;
};

describe.concurrent('grade CLI as a real process', { timeout: 60_000 }, () => {
  it('exits 0 with Score: 5/5 last on stdout, nothing on stderr, for the reference solution', async () => {
    const r = await gradeProcess(['toy-sum', `${TOY}solution.ts`]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('Score: 5/5');
    expect(r.stderr).toBe('');
  });
  it('exits 2 for a syntax error and 1 for a failing test, with no stack trace', async () => {
    const [bad, failing] = await Promise.all([gradeProcess(['toy-sum', syntaxErrorFile()]), gradeProcess(['toy-sum', `${TOY}starter.ts`, '--format', 'json'])]);
    expect(bad.code).toBe(2);
    expect(hasStackTrace(bad.stdout + bad.stderr)).toBe(false);
    expect(failing.code).toBe(1);
    expect(json(failing.stdout).failed).toBe(1);
  });
  it('the runner bundle is built into the cache folder once, reused, and rebuilt when an input is newer', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'grade-cache-'));
    const env = { COLLAPSE_LAB_CACHE_DIR: cache };
    const bundle = join(cache, 'grader-child.js');
    const first = await gradeProcess(['toy-sum', `${TOY}solution.ts`], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(bundle)).toBe(true);
    const built = statSync(bundle).mtimeMs;
    // The first child also left a V8 code cache, and the trusted test list was cached.
    expect(readdirSync(cache).some((f) => f.endsWith('.v8cache'))).toBe(true);
    expect(readdirSync(join(cache, 'names')).length).toBeGreaterThan(0);
    expect((await gradeProcess(['toy-sum', `${TOY}solution.ts`], { env })).code).toBe(0);
    expect(statSync(bundle).mtimeMs).toBe(built);
    // An input newer than the bundle (listed in its manifest) forces a rebuild.
    const manifestFile = join(cache, 'grader-child.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { inputs: string[] };
    const newer = join(cache, 'newer-input.ts');
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(newer, '// touched after the build\n');
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, inputs: [...manifest.inputs, newer] }));
    expect((await gradeProcess(['toy-sum', `${TOY}solution.ts`], { env })).code).toBe(0);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(built);
  });

  it('--prepare builds the runner and every exercise\'s test list ahead of time', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'grade-cache-'));
    const r = await gradeProcess(['--prepare'], { env: { COLLAPSE_LAB_CACHE_DIR: cache } });
    expect(r.code, r.stderr).toBe(0);
    // toy-sum's solution loads; conformance's re-exports another file, which the runner refuses.
    expect(r.stdout).toMatch(/prepared the runner .* and the test lists of 1 of 2 exercise\(s\)/);
    expect(r.stderr).toContain("'conformance' has no reference solution that loads");
    expect(readdirSync(join(cache, 'names'))).toHaveLength(1);
  });

  it('a usage error exits 2 with the usage on stderr', async () => {
    const r = await gradeProcess(['toy-sum']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage:');
    expect(r.stdout).toBe('');
  });
});

describe.concurrent('grade CLI: good and wrong answers', { timeout: 60_000 }, () => {
  it('exits 0 and prints Score: 5/5 as the last line for the reference solution', async () => {
    const r = await grade(['toy-sum', `${TOY}solution.ts`]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('Score: 5/5');
  });
  it('exits 1 for the starter and shows the test\'s own message', async () => {
    const r = await grade(['toy-sum', `${TOY}starter.ts`, '--format', 'json']);
    expect(r.code).toBe(1);
    const j = json(r.stdout);
    expect(j).toMatchObject({ exercise: 'toy-sum', passed: 4, failed: 1, total: 5 });
    const failed = j.tests.find((t) => t.status === 'failed');
    expect(failed?.name).toBe('count_present > counts the present slots');
    expect(failed?.message).toContain('three of the four slots are present: expected +0 to be 3');
  });
});

/** The syntax-error fixture is stored as .ts.txt so `tsc` over tests/ stays clean; graded as a .ts file. */
function syntaxErrorFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'grade-syntax-'));
  const file = join(dir, 'syntax-error.ts');
  writeFileSync(file, readFileSync(`${BAD}syntax-error.ts.txt`, 'utf8'));
  return file;
}

describe.concurrent('grade CLI: bad input', { timeout: 60_000 }, () => {
  it('a syntax error exits 2 with file:line:column and no stack trace', async () => {
    const file = syntaxErrorFile();
    const r = await grade(['toy-sum', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('syntax-error.ts:4:13: does not compile: Unexpected token');
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    const j = json((await grade(['toy-sum', file, '--format', 'json'])).stdout);
    expect(j.compileError).toEqual({ line: 4, column: 13, message: 'Unexpected token' });
  });

  it('a misnamed export exits 2 and names the missing export and what was found', async () => {
    const r = await grade(['toy-sum', `${BAD}misnamed.ts`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('your file does not export `count_present` (found: countPresent, first_absent)');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('Score: 0/5');
  });

  it('an export of the wrong kind exits 2 and says what it should be and what it is', async () => {
    const r = await grade(['toy-sum', `${BAD}wrong-kind.ts`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('`count_present` should be a function, but your file exports a number (42)');
    expect(r.stdout).not.toMatch(/is not a function/);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('Score: 0/5');
    const j = json((await grade(['toy-sum', `${BAD}wrong-kind.ts`, '--format', 'json'])).stdout);
    expect(j.loadError).toBe('`count_present` should be a function, but your file exports a number (42)');
    expect(j.tests).toEqual([expect.objectContaining({ status: 'error', message: j.loadError })]);
  });

  it('`while (true) {}` is a timeout for that test only; the run continues and ends within the limit', async () => {
    const r = await grade(['toy-sum', `${BAD}infinite-loop.ts`, '--format', 'json', '--timeout', '500']);
    expect(r.code).toBe(1);
    const j = json(r.stdout);
    expect(j.tests.map((t) => t.status)).toEqual(['timeout', 'timeout', 'passed', 'passed', 'passed']);
    expect(j.tests[0].message).toBe('stopped after 0.5 s — possibly an infinite loop');
    // Two 0.5 s test limits (+0.25 s watchdog grace each) plus worker restarts; the bound is loose
    // because the machine is shared — the point is that it ends instead of hanging.
    expect(r.ms).toBeLessThan(30_000);
  });

  it('the per-run limit caps the total and marks what did not run', async () => {
    const r = await grade(['toy-sum', `${BAD}infinite-loop.ts`, '--format', 'json', '--timeout', '1000', '--run-timeout', '600']);
    expect(r.code).toBe(1);
    const j = json(r.stdout);
    expect(j.stoppedAfterMs).toBeGreaterThanOrEqual(600);
    expect(j.tests[0].status).toBe('timeout');
    expect(j.tests[0].message).toMatch(/whole run reached its 0\.6 s limit/);
    expect(j.tests.slice(1).every((t) => t.status === 'timeout' && t.message.startsWith('not run'))).toBe(true);
    // Stopped at the run limit (0.6 s), not at the per-test limit (1 s) of the looping test.
    expect(j.stoppedAfterMs).toBeLessThan(3000);
    expect(r.ms).toBeLessThan(30_000);
  });

  it('an infinite loop at the top level of the file exits 2 with a clear message', async () => {
    const r = await grade(['toy-sum', `${BAD}top-level-loop.ts`, '--timeout', '500']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('possibly an infinite loop at the top level of your file');
  });

  it('throwing a string is an error that shows the string', async () => {
    const r = await grade(['toy-sum', `${BAD}throws-string.ts`, '--format', 'json']);
    expect(r.code).toBe(1);
    const t = json(r.stdout).tests[0];
    expect(t).toMatchObject({ status: 'error', message: "threw a string: 'boom'" });
  });

  it('a TypeError in learner code is an error that points at the learner\'s line', async () => {
    const j = json((await grade(['toy-sum', `${BAD}type-error.ts`, '--format', 'json'])).stdout);
    expect(j.tests[0]).toMatchObject({ status: 'error', message: "TypeError: Cannot read properties of undefined (reading 'length') (at line 3 of your code)" });
  });

  it('an error thrown later from a timer or an unawaited rejection is charged to the test, not a crash', async () => {
    const j = json((await grade(['toy-sum', `${BAD}stray-timer.ts`, '--format', 'json'])).stdout);
    expect(j.tests.map((t) => t.status)).toEqual(['error', 'error', 'error', 'error', 'error']);
    expect(j.tests[0].message).toContain('an error escaped the test');
    expect(j.tests[0].message).toContain('late failure from a timer (at line 3 of your code)');
    expect(j.tests[2].message).toContain('nobody awaits this');
  });

  it('1 MB of console output is captured and capped at 64 KB with a note', async () => {
    const r = await grade(['toy-sum', `${BAD}chatty.ts`, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(100_000);
    const outputs = json(r.stdout).tests.map((t) => t.output ?? '');
    expect(outputs[0].length).toBeLessThanOrEqual(64 * 1024 + 200);
    expect(outputs[0]).toMatch(/output capped/);
    expect(outputs[0].startsWith('x'.repeat(1023) + '\n')).toBe(true);
  });

  it('a runaway allocation ends only its own test (out of memory or stopped), the others still run', async () => {
    const j = json((await grade(['toy-sum', `${BAD}memory-hog.ts`, '--format', 'json'])).stdout);
    expect(j.total).toBe(5);
    expect(j.passed).toBe(3);
    for (const t of j.tests.slice(0, 2)) {
      expect(['timeout', 'error']).toContain(t.status);
      expect(t.message).toMatch(/possibly an infinite loop|ran out of memory/);
    }
  });

  it('a non-existent file exits 2 with a clear message', async () => {
    const r = await grade(['toy-sum', `${BAD}does-not-exist.ts`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`grade: cannot read file '${BAD}does-not-exist.ts': no such file`);
    expect(r.stdout).toBe('');
  });

  it('an unknown exercise id exits 2 and lists the known ones', async () => {
    const r = await grade(['no-such-exercise', `${TOY}solution.ts`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown exercise 'no-such-exercise'\. Known exercises: .*toy-sum/);
  });

  it('learner code that replaces a built-in (Object.is) cannot fake a pass', async () => {
    const r = await grade(['toy-sum', `${BAD}tamper.ts`]);
    expect(r.code).toBe(2);
    // The hardened realm refuses the write itself (frozen built-ins) and says so.
    expect(r.stdout).toContain('your code tried to change `Object.is`');
    expect(r.stdout).toContain('frozen');
  });

  it('learner code cannot end the grader with process.exit', async () => {
    const j = json((await grade(['toy-sum', `${BAD}exits.ts`, '--format', 'json'])).stdout);
    expect(j.tests[0].status).toBe('error');
    expect(j.passed).toBe(3);
  });

  it('learner code has no network (fetch, WebSocket) in the Node runner', async () => {
    const r = await grade(['toy-sum', `${BAD}network.ts`]);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('Score: 5/5');
  });

  it('an unknown option or format exits 2 with the usage', async () => {
    const r = await grade(['toy-sum', `${TOY}solution.ts`, '--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown --format 'xml'");
    expect(r.stderr).toContain('usage:');
  });
});

describe.concurrent('grade CLI: --extra-tests and --work', { timeout: 60_000 }, () => {
  it('--extra-tests runs the instructor tests after the exercise\'s own, prefixed with their file', async () => {
    const r = await grade(['toy-sum', `${TOY}wrong/off-by-one.ts`, '--format', 'json', '--extra-tests', `${FIXTURES}extra`]);
    const j = json(r.stdout);
    expect(j.total).toBe(6);
    expect(j.tests.at(-1)).toMatchObject({ name: 'toy-sum/instructor.test.ts > hidden cases > counts a full table of 512 slots', status: 'failed' });
  });

  /** An export holding only toy-sum (passing), with `passed: true` claimed. */
  function toyOnlyExport(): string {
    const dir = mkdtempSync(join(tmpdir(), 'grade-work-'));
    const file = join(dir, 'work.json');
    writeFileSync(file, JSON.stringify({
      format: 'collapse-lab-work', version: 1, course: '0.1.0', exportedAt: '2026-11-25T18:00:00.000Z',
      exercises: { 'toy-sum': { code: readFileSync(`${TOY}solution.ts`, 'utf8'), savedAt: '2026-11-25T17:59:00Z', passed: true } },
    }));
    return file;
  }

  it('--work --require <id> grades that exercise and --format json gives one entry per exercise', async () => {
    const r = await grade(['--work', toyOnlyExport(), '--require', 'toy-sum', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ passed: 5, failed: 0, total: 5 });
    expect(j.exercises.map((e: { exercise: string }) => e.exercise)).toEqual(['toy-sum']);
  });

  it('--work grades every exercise of the course: a missing one is "not submitted", 0 of its tests, exit 1', async () => {
    const file = toyOnlyExport();
    const formats = ['text', 'json', 'gradescope', 'junit'];
    // Independent runs of the same export: graded side by side (each in its own children).
    const [runs, plain] = await Promise.all([Promise.all(formats.map((format) => grade(['--work', file, '--format', format]))), grade(['--work', file])]);
    for (const [i, format] of formats.entries()) {
      const r = runs[i];
      expect(r.code, format).toBe(1);
      expect(r.stdout, format).toContain('conformance');
      expect(r.stdout, format).toMatch(/not.submitted/);
    }
    const text = plain.stdout;
    expect(text.trim().split('\n').at(-1)).toMatch(/^Score: 5\/(\d+)$/);
    expect(Number(/Score: 5\/(\d+)/.exec(text)?.[1])).toBeGreaterThan(5);
    const j = JSON.parse(runs[formats.indexOf('json')].stdout);
    const missing = j.exercises.find((e: { exercise: string }) => e.exercise === 'conformance');
    expect(missing).toMatchObject({ notSubmitted: true, passed: 0 });
    expect(missing.total).toBeGreaterThan(0);
    expect(j.passed).toBe(5);
    expect(j.total).toBe(5 + missing.total);
  });

  it('--require with an id the course does not have exits 2 and lists the known ones', async () => {
    const r = await grade(['--work', toyOnlyExport(), '--require', 'toy-sum,nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown exercise 'nope' \(known: .*toy-sum/);
  });

  it('--require names a missing exercise: it is "not submitted"; the others are not graded (a note says so)', async () => {
    const r = await grade(['--work', toyOnlyExport(), '--require', 'conformance', '--format', 'json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.exercises.map((e: { exercise: string }) => e.exercise)).toEqual(['conformance']);
    expect(j.passed).toBe(0);
    expect(r.stderr).toContain('not graded (not in --require): toy-sum');
  });

  it('--work with two exercises and a bad --extra-tests dir exits 2 promptly (no runner left behind)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grade-work-'));
    const file = join(dir, 'work.json');
    const code = readFileSync(`${TOY}solution.ts`, 'utf8');
    const at = '2026-11-25T18:00:00Z';
    writeFileSync(file, JSON.stringify({ format: 'collapse-lab-work', version: 1, course: '0.1.0', exportedAt: at, exercises: { 'toy-sum': { code, savedAt: at }, conformance: { code, savedAt: at } } }));
    const r = await grade(['--work', file, '--extra-tests', join(dir, 'missing')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a directory');
  });

  it('--work rejects a file that is not an export, saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grade-work-'));
    const file = join(dir, 'work.json');
    writeFileSync(file, JSON.stringify({ format: 'something-else', version: 1 }));
    const r = await grade(['--work', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"format" must be "collapse-lab-work"');
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
