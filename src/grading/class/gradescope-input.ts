/**
 * `grade --class --from-gradescope <dir>`: the same class report from results the Gradescope kit
 * already wrote (autograder/run.ts → results.json, format: src/grading/reporters/gradescope.ts),
 * without grading again. Layouts, one student each:
 *
 *   <dir>/<student>/results.json   or   <dir>/<student>/results/results.json   or   <dir>/<student>.json
 *
 * Test names are "<exercise-id>: <test>" when the submission held several exercises; a single
 * exercise's results carry bare names, and the exercise is read from the summary line the kit
 * writes ("<exercise-id>: N/M tests passed[ — why]"). Tests reported "not run: …" mean the file did
 * not compile or load; "not submitted" means the exercise was missing.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell } from './report.ts';
import { byName, MAX_SUBMISSION_BYTES, type Problem } from './discover.ts';

interface GsTest {
  name: string;
  status?: string;
  score?: number;
  max_score?: number;
  output?: string;
}

export interface GradescopeClass {
  students: string[];
  cells: Cell[];
  problems: Problem[];
}

function resultsFileFor(dir: string, name: string): string | null {
  const abs = join(dir, name);
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return null;
  if (st.isFile()) return name.endsWith('.json') ? name : null;
  for (const rel of [`${name}/results.json`, `${name}/results/results.json`]) {
    if (existsSync(join(dir, rel)) && lstatSync(join(dir, rel)).isFile()) return rel;
  }
  return null;
}

/** Read every student's results.json under `dir` into report cells. */
export function readGradescopeClass(dir: string, knownExercises: readonly string[]): GradescopeClass {
  const known = new Set(knownExercises);
  const problems: Problem[] = [];
  const students: string[] = [];
  const cells: Cell[] = [];
  for (const name of readdirSync(dir).sort(byName)) {
    if (name.startsWith('.') || name === 'class.csv' || name === 'class.md') continue;
    const rel = resultsFileFor(dir, name);
    if (rel === null) {
      problems.push({ path: name, message: 'no results.json here (expected <student>/results.json, <student>/results/results.json or <student>.json; symbolic links are not followed)' });
      continue;
    }
    const student = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
    students.push(student);
    const abs = join(dir, rel);
    if (lstatSync(abs).size > MAX_SUBMISSION_BYTES * 8) {
      problems.push({ path: rel, student, message: 'too large for a results.json: not read' });
      continue;
    }
    let raw: { tests?: unknown; output?: unknown };
    try {
      raw = JSON.parse(readFileSync(abs, 'utf8')) as typeof raw;
    } catch (e) {
      problems.push({ path: rel, student, message: `not valid JSON: ${(e as Error).message}` });
      continue;
    }
    if (!raw || typeof raw !== 'object' || !Array.isArray(raw.tests)) {
      problems.push({ path: rel, student, message: 'not a Gradescope results.json (no "tests" array)' });
      continue;
    }
    const summary = typeof raw.output === 'string' ? raw.output : '';
    // The kit writes one summary line per graded exercise, and prefixes test names with the
    // exercise id only when there are several (a bare name may itself contain "<id>: ").
    const summaryIds = [...summary.matchAll(/^([a-z0-9][a-z0-9-]*): \d+\/\d+ tests passed/gm)].map((m) => m[1]);
    const single = summaryIds.length === 1 && known.has(summaryIds[0]) ? summaryIds[0] : null;
    const byExercise = new Map<string, GsTest[]>();
    for (const t of raw.tests as GsTest[]) {
      if (!t || typeof t.name !== 'string') continue;
      const colon = t.name.indexOf(': ');
      let id: string;
      let testName: string;
      if (single !== null) {
        id = single;
        testName = t.name;
      } else if (colon > 0 && known.has(t.name.slice(0, colon))) {
        id = t.name.slice(0, colon);
        testName = t.name.slice(colon + 2);
      } else {
        problems.push({ path: rel, student, message: `test "${t.name.slice(0, 80)}" names no exercise of this course: ignored` });
        continue;
      }
      const list = byExercise.get(id) ?? [];
      list.push({ ...t, name: testName });
      byExercise.set(id, list);
    }
    for (const [exercise, tests] of byExercise) {
      const ok = (t: GsTest) => t.status === 'passed' || (t.status === undefined && (t.score ?? 0) >= (t.max_score ?? 1));
      const passed = tests.filter(ok).length;
      const notRun = tests.every((t) => !ok(t) && typeof t.output === 'string' && /^error: not run: /.test(t.output));
      const firstOut = tests[0]?.output ?? '';
      let status: Cell['status'] = passed === tests.length ? 'passed' : 'failed';
      if (notRun) status = /not submitted/.test(firstOut) ? 'missing' : /does not compile/.test(firstOut) ? 'compile-error' : 'load-error';
      cells.push({
        student,
        exercise,
        status,
        passed,
        total: tests.length,
        failing: notRun ? [] : tests.filter((t) => !ok(t)).map((t) => t.name),
        ...(notRun ? { message: firstOut.replace(/^error: not run: /, '').split('\n')[0] } : {}),
        from: rel,
      });
    }
  }
  return { students, cells, problems };
}
