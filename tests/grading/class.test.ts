/**
 * grade --class (issue 15): a generated class (solutions, starters, every wrong/ answer as a fake
 * student) gives the expected class.csv, each wrong answer is diagnosed with its own misconception
 * and ranked in class.md; the misconception maps are true to their exercises; the Gradescope path
 * gives the same cells; hostile names and odd files cannot break the report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import GithubSlugger from 'github-slugger';
import { gradeClass, type ClassResult } from '../../src/grading/class/index.ts';
import { diagnose, loadMisconceptions, type Profiles } from '../../src/grading/class/misconceptions.ts';
import { csvField, formatClassCsv, formatClassMd, mdText, type Cell } from '../../src/grading/class/report.ts';
import { readGradescopeClass } from '../../src/grading/class/gradescope-input.ts';
import { discoverSubmissions } from '../../src/grading/class/discover.ts';
import { listExerciseIds, loadExercise } from '../../src/grading/node/exercises.ts';
import { terminateAllWorkers } from '../../src/grading/node/grade.ts';
import type { RunResult } from '../../src/grading/types.ts';
import { gradescopeResults } from '../../src/grading/reporters/index.ts';
import { makeFakeClass, type FakeStudent } from './class-fixture.ts';
import { hasStackTrace, ROOT } from './helpers.ts';
import { lanes } from './lanes.ts';

const IDS = listExerciseIds();
// Independent grades and commands inside a test run side by side, two at a time (one per core;
// each still in its own sandboxed child or process).
const lane = lanes();
let dir: string;
let who: FakeStudent[];
let result: ClassResult;
/** The class run's full RunResult per `student\0exercise` (gradeClass onGraded): later tests read these instead of grading the same files again. */
const graded = new Map<string, RunResult>();
const gradedAs = (student: string, exercise: string): RunResult => {
  const r = graded.get(`${student}\0${exercise}`);
  expect(r, `the class run graded ${student}'s ${exercise}`).toBeDefined();
  return r as RunResult;
};

/** Minimal RFC 4180 reader for the checks (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}

/** The Markdown section of one exercise in class.md. */
function section(md: string, id: string): string {
  const start = md.indexOf(`\n## ${mdText(id)} — `);
  expect(start, `class.md has a section for ${id}`).toBeGreaterThan(0);
  const end = md.indexOf('\n## ', start + 1);
  return md.slice(start, end < 0 ? undefined : end);
}

/** Rows of the table under a heading in a section: the cells of each row. */
function table(sectionText: string, heading: string): string[][] {
  const at = sectionText.indexOf(heading);
  if (at < 0) return [];
  const lines = sectionText.slice(at).split('\n').slice(1);
  const rows: string[][] = [];
  let started = false;
  for (const line of lines) {
    if (line.startsWith('|')) {
      started = true;
      rows.push(line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
    } else if (started) break;
  }
  return rows.slice(2); // header and separator
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'collapse-lab-class-'));
  who = makeFakeClass(dir);
  result = await gradeClass(dir, { progress: null, onGraded: (sub, r) => graded.set(`${sub.student}\0${sub.exercise}`, r) });
}, 600_000);

afterAll(async () => {
  await terminateAllWorkers();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('grade --class on a generated class', () => {
  it('finds every fake student in all three layouts (folder, <student>.<id>.ts, export JSON) and nothing goes ungraded', () => {
    const expected = [...new Set(who.map((w) => w.student))].sort();
    expect([...result.students].sort(), 'students').toEqual(expected);
    expect(result.problems, 'no file should be left ungraded').toEqual([]);
    expect(result.exercises, 'a column per exercise, in course order').toEqual(IDS);
  });

  it('writes the expected class.csv: solutions pass, starters are "not-started", each wrong answer fails only its exercise', () => {
    const csv = readFileSync(join(dir, 'class.csv'), 'utf8');
    expect(csv, 'the file on disk is the returned CSV').toBe(result.csv);
    const [head, ...rows] = parseCsv(csv);
    expect(head).toEqual(['student', ...IDS.flatMap((id) => [`${id} score`, `${id} status`])]);
    const row = (s: string) => {
      const r = rows.find((x) => x[0] === s);
      expect(r, `a row for ${s}`).toBeDefined();
      return Object.fromEntries(IDS.map((id, i) => [id, { score: (r as string[])[1 + 2 * i], status: (r as string[])[2 + 2 * i] }]));
    };
    for (const id of IDS) {
      expect(row('solution')[id], `solution of ${id}`).toEqual({ score: '1.0000', status: 'passed' });
      const st = row('starter')[id];
      expect(st.status, `starter of ${id}`).toBe('not-started');
      expect(Number(st.score), `starter of ${id} scores below 1`).toBeLessThan(1);
    }
    for (const w of who.filter((x) => x.kind === 'wrong')) {
      const r = row(w.student);
      const cell = result.cells.find((c) => c.student === w.student && c.exercise === w.exercise) as Cell;
      expect(r[w.exercise].status, `${w.student}`).toBe('failed');
      expect(r[w.exercise].score, `${w.student}: score = passed/total`).toBe((cell.passed / cell.total).toFixed(4));
      expect(Number(r[w.exercise].score), `${w.student} scores below 1`).toBeLessThan(1);
      for (const other of IDS.filter((id) => id !== w.exercise)) expect(r[other], `${w.student} submitted no ${other}`).toEqual({ score: '', status: 'missing' });
    }
    expect(rows.length, 'one row per student').toBe(result.students.length);
  });

  it('diagnoses each wrong answer with its own misconception, and class.md ranks it in that exercise', () => {
    const md = readFileSync(join(dir, 'class.md'), 'utf8');
    expect(md, 'the file on disk is the returned Markdown').toBe(result.md);
    for (const w of who.filter((x) => x.kind === 'wrong')) {
      const map = loadMisconceptions(join(ROOT, 'exercises', w.exercise), w.exercise);
      const own = map.misconceptions.find((m) => m.wrong.includes(w.wrong as string));
      expect(own, `${w.exercise}/wrong/${w.wrong} is listed in misconceptions.json`).toBeDefined();
      const rows = table(section(md, w.exercise), '### Misconceptions seen');
      const line = rows.find((r) => r[1].startsWith(`**${mdText(own!.id)}**`));
      expect(line, `class.md lists ${own!.id} for ${w.exercise}`).toBeDefined();
      expect(line![1], `${own!.id} names ${w.student}`).toContain(mdText(w.student));
    }
  });

  it('ranks misconceptions and failing tests by how many students show / fail them, with counts that match the grades', () => {
    for (const id of IDS) {
      const s = section(result.md, id);
      const ms = table(s, '### Misconceptions seen').map((r) => Number(r[0]));
      expect(ms.length, `${id}: some misconception is seen`).toBeGreaterThan(0);
      expect(ms, `${id}: misconceptions most-seen first`).toEqual([...ms].sort((a, b) => b - a));
      const tests = table(s, '### Failing tests');
      const counts = tests.map((r) => Number(r[0]));
      expect(counts, `${id}: failing tests most-failed first`).toEqual([...counts].sort((a, b) => b - a));
      const failed = result.cells.filter((c) => c.exercise === id && c.status === 'failed');
      const top = tests[0];
      const truth = failed.filter((c) => c.failing.map(mdText).includes(top[1])).length;
      expect(counts[0], `${id}: "${top[1]}" is failed by ${truth} attempts`).toBe(truth);
      const max = Math.max(...[...new Set(failed.flatMap((c) => c.failing))].map((t) => failed.filter((c) => c.failing.includes(t)).length));
      expect(counts[0], `${id}: the top test is the most failed one`).toBe(max);
      expect(tests.filter((r) => r[2] !== '—').length, `${id}: failing tests are mapped to misconceptions`).toBeGreaterThan(0);
    }
  });

  it('the summary table gives each exercise its pass rate over the submitted attempts', () => {
    // The summary is the first table: header, separator, then a row per exercise.
    const rows = table(`summary\n${result.md.slice(result.md.indexOf('| exercise |'))}`, 'summary');
    for (const id of IDS) {
      const r = rows.find((x) => x[0] === mdText(id));
      const wrongs = who.filter((w) => w.exercise === id && w.kind === 'wrong').length;
      const submitted = wrongs + 2;
      expect(r, `summary row for ${id}`).toEqual([mdText(id), '1', String(wrongs), '1', '0', String(result.students.length - submitted), `${Math.round(100 / submitted)}%`]);
    }
  });
});

describe('the misconception maps are true to their exercises', () => {
  const profiles = new Map<string, Set<string>>();
  it('every listed test exists, every wrong/ answer is listed, and each fails every test that reveals its misconception', async () => {
    for (const id of IDS) {
      const ex = loadExercise(id);
      const map = loadMisconceptions(ex.dir, id);
      // The tests of the solution's run in the class above (the real grader; the solution passes them all).
      const names = gradedAs('solution', id).tests.map((t) => t.name);
      expect(names.length, `${id}: the solution's run lists its tests`).toBeGreaterThan(0);
      const wrongs = who.filter((w) => w.exercise === id && w.kind === 'wrong').map((w) => w.wrong as string);
      expect(map.misconceptions.flatMap((m) => m.wrong).sort(), `${id}: every wrong/ file in exactly one misconception`).toEqual([...wrongs].sort());
      for (const m of map.misconceptions) {
        for (const t of m.tests) expect(names, `${id}/${m.id}: test "${t}" must exist`).toContain(t);
        for (const w of m.wrong) {
          const cell = result.cells.find((c) => c.student === `${id}--${w.slice(0, -3)}`) as Cell;
          expect(m.tests.filter((t) => !cell.failing.includes(t)), `${id}/wrong/${w} must fail every test of ${m.id}`).toEqual([]);
          const set = new Set(cell.failing);
          const prev = profiles.get(`${id}/${m.id}`);
          profiles.set(`${id}/${m.id}`, prev ? new Set([...prev].filter((t) => set.has(t))) : set);
        }
      }
    }
  });

  it('with measured profiles, each wrong answer shows its own misconception and no other that can be told apart', () => {
    for (const id of IDS) {
      const map = loadMisconceptions(join(ROOT, 'exercises', id), id);
      const p: Profiles = new Map(map.misconceptions.map((m) => [m.id, profiles.get(`${id}/${m.id}`) ?? new Set<string>()]));
      for (const m of map.misconceptions) {
        for (const w of m.wrong) {
          const cell = result.cells.find((c) => c.student === `${id}--${w.slice(0, -3)}`) as Cell;
          const shown = diagnose(map, new Set(cell.failing), p).map((x) => x.id);
          expect(shown, `${id}/wrong/${w}`).toContain(m.id);
          const extra = shown.filter((x) => x !== m.id && !map.misconceptions.find((o) => o.id === x)!.tests.every((t) => (p.get(m.id) as Set<string>).has(t)));
          expect(extra, `${id}/wrong/${w} is also blamed for`).toEqual([]);
        }
      }
    }
  });

  it('every section to revisit is a heading of its chapter', () => {
    for (const id of IDS) {
      for (const m of loadMisconceptions(join(ROOT, 'exercises', id), id).misconceptions) {
        const text = readFileSync(join(ROOT, 'content', `${m.revisit.chapter}.mdx`), 'utf8');
        const slugger = new GithubSlugger();
        const slugs = [...text.matchAll(/^#{2,4} (.+)$/gm)].map((h) => slugger.slug(h[1].replace(/`/g, '')));
        expect(slugs, `${id}/${m.id}: "${m.revisit.section}" in content/${m.revisit.chapter}.mdx`).toContain(new GithubSlugger().slug(m.revisit.section.replace(/`/g, '')));
      }
    }
  });
});

describe('--from-gradescope', () => {
  it("reads the kit's results.json files into the same cells as grading (multi- and single-exercise results)", async () => {
    const gs = mkdtempSync(join(tmpdir(), 'collapse-lab-gs-'));
    try {
      const picks = [
        ...IDS.map((id) => ({ student: 'solution', exercise: id, file: join(dir, 'solution', `${id}.ts`) })),
        ...who.filter((w) => w.kind === 'wrong').filter((_, i) => i % 7 === 0).map((w) => ({ student: w.student, exercise: w.exercise, file: join(dir, `${w.student}.${w.exercise}.ts`) })),
      ];
      const byStudent = new Map<string, typeof picks>();
      for (const p of picks) byStudent.set(p.student, [...(byStudent.get(p.student) ?? []), p]);
      // The kit writes results.json from the grader's RunResult of each file; these are the class
      // run's RunResults of the same files (the cells below were made from them), so what is
      // checked is the Gradescope path itself: RunResult → results.json → cell.
      for (const [student, list] of byStudent) {
        const results = list.map((p) => ({ result: gradedAs(p.student, p.exercise) }));
        mkdirSync(join(gs, student, 'results'), { recursive: true });
        writeFileSync(join(gs, student, 'results', 'results.json'), JSON.stringify(gradescopeResults(results, 0, results.length !== 1)));
      }
      const read = readGradescopeClass(gs, IDS);
      expect(read.problems).toEqual([]);
      for (const p of picks) {
        const a = read.cells.find((c) => c.student === p.student && c.exercise === p.exercise);
        const b = result.cells.find((c) => c.student === p.student && c.exercise === p.exercise) as Cell;
        expect(a && { status: a.status, passed: a.passed, total: a.total, failing: a.failing }, `${p.student} ${p.exercise}`).toEqual({ status: b.status, passed: b.passed, total: b.total, failing: b.failing });
      }
      const r = await gradeClass(gs, { fromGradescope: true, write: false, progress: null, profiles: false });
      expect(r.csv.split('\r\n')[0], 'same CSV columns as a graded class').toBe(['student', ...IDS.flatMap((id) => [`${id} score`, `${id} status`])].join(','));
    } finally {
      rmSync(gs, { recursive: true, force: true });
    }
  });
});

describe('odd and hostile input', () => {
  it('CSV and Markdown cannot be broken or turned into formulas by a student name or a message', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    for (const lead of ['=', '+', '-', '@']) expect(csvField(`${lead}1+1`).replace(/^"/, '')[0], `leading ${lead}`).toBe("'");
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    const cells: Cell[] = [{ student: 'x|y<script>', exercise: 'early-abort', status: 'load-error', passed: 0, total: 0, failing: [], message: 'bad | pipe\n## heading' }];
    const input = { students: ['x|y<script>'], exercises: [{ id: 'early-abort', title: 'T', map: { exercise: 'early-abort', misconceptions: [] } }], cells, problems: [{ path: 'we|ird\nname.ts', message: '<b>' }], source: 's' };
    const md = formatClassMd(input);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<b>');
    expect(md).not.toMatch(/\n## heading/);
    expect(md.split('\n').filter((l) => l.startsWith('- ')).every((l) => !/(?<!\\)\|/.test(l)), 'no raw pipes in list lines').toBe(true);
    expect(parseCsv(formatClassCsv(input))[1][0], 'the name survives a CSV round trip').toBe('x|y<script>');
  });

  it('lists symlinks, oversized files, bad exports, unknown exercises and stray files as not graded instead of failing', () => {
    const odd = mkdtempSync(join(tmpdir(), 'collapse-lab-odd-'));
    try {
      writeFileSync(join(odd, 'ann.early-abort.ts'), 'export const x = 1;');
      writeFileSync(join(odd, 'ann.early-abort.txt'), 'notes');
      writeFileSync(join(odd, 'bob.json'), '{"format":"something-else"}');
      writeFileSync(join(odd, 'cat.nonexistent-exercise.ts'), '');
      writeFileSync(join(odd, 'dan.softleaf.ts'), 'x'.repeat(600 * 1024));
      symlinkSync('/etc/passwd', join(odd, 'eve.early-abort.ts'));
      mkdirSync(join(odd, 'fay'));
      symlinkSync('/etc/hostname', join(odd, 'fay', 'uffd-wp.ts'));
      writeFileSync(join(odd, 'fay', 'uffd-wp.json'), JSON.stringify({ format: 'collapse-lab-work', version: 1, course: '0.1.0', exportedAt: '2026-11-29T12:00:00Z', exercises: { 'not-an-exercise': { code: '', savedAt: '2026-11-29T12:00:00Z' } } }));
      const found = discoverSubmissions(odd, IDS);
      expect(found.submissions.map((s) => `${s.student}/${s.exercise}`), 'only the one proper submission').toEqual(['ann/early-abort']);
      const paths = found.problems.map((p) => p.path).sort();
      expect(paths).toEqual(['ann.early-abort.txt', 'bob.json', 'cat.nonexistent-exercise.ts', 'dan.softleaf.ts', 'eve.early-abort.ts', 'fay/uffd-wp.json', 'fay/uffd-wp.ts']);
      expect(found.problems.find((p) => p.path === 'eve.early-abort.ts')?.message).toMatch(/symbolic link/);
      expect(found.problems.find((p) => p.path === 'dan.softleaf.ts')?.message).toMatch(/KB/);
    } finally {
      rmSync(odd, { recursive: true, force: true });
    }
  });

  it('shows a progress bar on a terminal stream, and none on a stderr that is not a terminal', async () => {
    const tiny = mkdtempSync(join(tmpdir(), 'collapse-lab-tiny-'));
    try {
      writeFileSync(join(tiny, 'ann.pte-anatomy.ts'), readFileSync(join(ROOT, 'exercises/pte-anatomy/solution.ts')));
      let text = '';
      const tty = Object.assign(new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), { isTTY: true, columns: 80 });
      const r = await gradeClass(tiny, { write: false, progress: tty });
      expect(text, 'the bar counts submissions').toContain('1/1 submissions graded');
      expect(r.cells[0].status).toBe('passed');
      // Default: process.stderr, only when it is a terminal (it is not under Vitest).
      let stderr = '';
      const original = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
        stderr += String(chunk);
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stderr.write;
      try {
        expect(process.stderr.isTTY, 'this check needs a non-terminal stderr').toBeFalsy();
        await gradeClass(tiny, { write: false });
      } finally {
        process.stderr.write = original;
      }
      expect(stderr, 'no progress bar when stderr is not a terminal').not.toContain('submissions graded');
    } finally {
      rmSync(tiny, { recursive: true, force: true });
    }
  });

  it('the command line says what is wrong, exits 2 and never prints a stack trace', async () => {
    const run = (args: string[]) =>
      lane(
        () =>
          new Promise<{ code: number; out: string; err: string }>((resolve) =>
            execFile(process.execPath, [join(ROOT, 'src/cli/grade.ts'), ...args], { cwd: ROOT }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, out: String(out), err: String(err) })),
          ),
      );
    // Four independent commands: started together (two at a time), checked one by one.
    const [missing, bad, seed, variant] = await Promise.all([
      run(['--class', join(tmpdir(), 'no-such-class-folder')]),
      run(['--class']),
      run(['--seed', '', '--variant', 'race-schedule']),
      run(['--seed', 'alice', '--variant', 'race-schedule']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/is not a folder/);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--class needs a value/);
    expect(seed.code).toBe(2);
    expect(seed.err).toMatch(/seed is empty/);
    expect(variant.code, variant.err).toBe(0);
    expect(variant.out).toMatch(/your variant \(race-schedule, seed 'alice'\): .*slot 230/);
    const tiny = mkdtempSync(join(tmpdir(), 'collapse-lab-cli-'));
    try {
      mkdirSync(join(tiny, 'in', 'ann'), { recursive: true });
      mkdirSync(join(tiny, 'out'));
      writeFileSync(join(tiny, 'in', 'ann', 'pte-anatomy.ts'), readFileSync(join(ROOT, 'exercises/pte-anatomy/solution.ts')));
      writeFileSync(join(tiny, 'in', 'ann', 'early-abort.ts'), readFileSync(join(ROOT, 'exercises/early-abort/starter.ts')));
      // --out to a missing folder writes nothing, so it can run beside the good --out.
      const [ok, badOut] = await Promise.all([
        run(['--class', join(tiny, 'in'), '--only', 'pte-anatomy', '--out', join(tiny, 'out')]),
        run(['--class', join(tiny, 'in'), '--out', join(tiny, 'nope')]),
      ]);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toMatch(/wrote .*class\.csv/);
      expect(readFileSync(join(tiny, 'out', 'class.csv'), 'utf8'), '--only limits the columns; --out is where the files go').toBe('student,pte-anatomy score,pte-anatomy status\r\nann,1.0000,passed\r\n');
      expect(badOut.code).toBe(2);
      expect(badOut.err).toMatch(/--out: .* is not a folder/);
      for (const r of [ok, badOut]) expect(hasStackTrace(r.out + r.err), r.err).toBe(false);
    } finally {
      rmSync(tiny, { recursive: true, force: true });
    }
    for (const r of [missing, bad, seed, variant]) expect(hasStackTrace(r.out + r.err), r.err).toBe(false);
  });
});

describe('the instructor guide', () => {
  it("its sample class.md is this generated class's report (summary and the race-schedule section)", () => {
    const guide = readFileSync(join(ROOT, 'content/appendix/instructors.mdx'), 'utf8');
    const start = guide.indexOf('````markdown\n');
    expect(start, 'the guide has a sample report in a ````markdown block').toBeGreaterThan(0);
    const sample = guide.slice(start + '````markdown\n'.length, guide.indexOf('````\n', start + 12));
    const md = result.md.replaceAll(dir, 'class');
    const i = md.indexOf('## race-schedule');
    const fresh = `${md.slice(0, md.indexOf('## early-abort')).trimEnd()}\n\n${md.slice(i, md.indexOf('\n## ', i + 1)).trimEnd()}\n`;
    // On a mismatch the diff below is the new sample: paste it into content/appendix/instructors.mdx.
    expect(sample, 'content/appendix/instructors.mdx "A sample report" is out of date').toBe(fresh);
  });
});

describe('a seeded class', () => {
  it('grades each student on the variant of their name and names those who solved a different variant', async () => {
    const seeded = mkdtempSync(join(tmpdir(), 'collapse-lab-seeded-'));
    try {
      const forAlice = "export const schedule = [{ at: 'alloc', actor: 'migration_start', slot: 230 }];\n"; // alice's variant (variant.test.ts)
      writeFileSync(join(seeded, 'alice.race-schedule.ts'), forAlice);
      writeFileSync(join(seeded, 'bob.race-schedule.ts'), forAlice);
      const r = await gradeClass(seeded, { seeds: 'student', write: false, progress: null, profiles: false });
      const [head, ...rows] = parseCsv(r.csv);
      expect(head).toEqual(['student', 'seed', 'race-schedule score', 'race-schedule status']);
      expect(rows.map((x) => [x[0], x[1], x[3]])).toEqual([
        ['alice', 'alice', 'passed'],
        ['bob', 'bob', 'failed'],
      ]);
      // A student whose name cannot be a seed is reported, not a crash of the whole class.
      writeFileSync(join(seeded, `${'z'.repeat(201)}.race-schedule.ts`), forAlice);
      const r2 = await gradeClass(seeded, { seeds: 'student', write: false, progress: null, profiles: false });
      const z = r2.cells.find((c) => c.student.startsWith('zzz'));
      expect(z?.status).toBe('grader-error');
      expect(z?.message).toMatch(/at most 200/);
      expect(r2.cells.filter((c) => c.status === 'passed').map((c) => c.student), 'the others are still graded').toEqual(['alice']);
      expect(r.md).toMatch(/### Solved a different variant\n\n1 student passed every test except those of their own variant: bob\./);
    } finally {
      rmSync(seeded, { recursive: true, force: true });
    }
  });
});
