/**
 * Gradescope autograder entry (called by ./run_autograder). Reads the student's submission,
 * grades it with the course's own grader and writes results.json. Paths follow Gradescope
 * (/autograder/submission, /autograder/results) and can be overridden for local testing:
 *
 *   AUTOGRADER_ROOT             default /autograder
 *   SUBMISSION_DIR              default $AUTOGRADER_ROOT/submission
 *   RESULTS_DIR                 default $AUTOGRADER_ROOT/results
 *   COLLAPSE_LAB_EXERCISES      exercises this assignment grades, comma/space separated
 *                               (default: autograder/config.json "exercises", else whatever was submitted)
 *   COLLAPSE_LAB_EXTRA_TESTS    instructor tests dir (default: autograder/config.json "extraTests", else
 *                               autograder/extra-tests if it exists)
 *   COLLAPSE_LAB_EXERCISES_DIR  exercises folder (default: the course's exercises/)
 *   COLLAPSE_LAB_TIMEOUT_MS     per-test limit (default 2000)
 *   COLLAPSE_LAB_EXTRA_VISIBILITY  Gradescope visibility of the extra tests: visible (default), hidden,
 *                               after_due_date, after_published (default: config.json "extraTestsVisibility")
 *   COLLAPSE_LAB_POINTS         points per exercise, split evenly over its tests
 *                               (default: autograder/config.json "pointsPerExercise", else 1 point per test)
 *
 * A submission is any mix of: `<exercise-id>.ts` files, and exported-work JSON files ("Export my
 * work" on the course's progress page). A .ts file wins over the same exercise in an export.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EXERCISES_DIR, listExerciseIds, loadExercise, loadExtraTests } from '../src/grading/node/exercises.ts';
import { expectedTestNames, gradeCode, terminateAllWorkers } from '../src/grading/node/grade.ts';
import { gradescopeFailure, gradescopeResults, type Graded, type Visibility } from '../src/grading/reporters/index.ts';
import { parseWork, WorkFormatError } from '../src/grading/work.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const root = env.AUTOGRADER_ROOT ?? '/autograder';
const submissionDir = env.SUBMISSION_DIR ?? join(root, 'submission');
const resultsDir = env.RESULTS_DIR ?? join(root, 'results');
const exercisesDir = env.COLLAPSE_LAB_EXERCISES_DIR ?? DEFAULT_EXERCISES_DIR;
const perTestMs = Number(env.COLLAPSE_LAB_TIMEOUT_MS ?? 2000) || 2000;

interface Config {
  exercises?: string[];
  extraTests?: string;
  pointsPerExercise?: number;
  extraTestsVisibility?: Visibility;
}

function readConfig(): Config {
  const file = join(HERE, 'config.json');
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Config;
}

/** Every regular file under `dir` (the submission may keep files in a folder). */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walk(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

function writeResults(json: unknown): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = readConfig();
  const known = new Set(listExerciseIds(exercisesDir));
  const configured = (env.COLLAPSE_LAB_EXERCISES ? env.COLLAPSE_LAB_EXERCISES.split(/[\s,]+/).filter(Boolean) : config.exercises) ?? null;
  for (const id of configured ?? []) {
    if (!known.has(id)) throw new Error(`autograder misconfigured: unknown exercise '${id}' (known: ${[...known].join(', ')})`);
  }
  const extraDirSetting = env.COLLAPSE_LAB_EXTRA_TESTS ?? (config.extraTests ? resolve(HERE, '..', config.extraTests) : join(HERE, 'extra-tests'));
  const extraDir = existsSync(extraDirSetting) ? extraDirSetting : null;

  // Collect code per exercise: exports first, then <id>.ts files (which win).
  const code = new Map<string, { code: string; from: string }>();
  const notes: string[] = [];
  const files = walk(submissionDir);
  for (const f of files.filter((f) => f.endsWith('.json'))) {
    let work;
    try {
      work = parseWork(readFileSync(f, 'utf8'));
    } catch (e) {
      if (e instanceof WorkFormatError) {
        notes.push(`${relative(submissionDir, f)}: ignored — ${e.message}`);
        continue;
      }
      throw e;
    }
    for (const [id, ex] of Object.entries(work.exercises)) code.set(id, { code: ex.code, from: `${relative(submissionDir, f)} (exported ${work.exportedAt}, course ${work.course})` });
  }
  for (const f of files.filter((f) => f.endsWith('.ts'))) {
    const id = basename(f, '.ts');
    if (known.has(id)) code.set(id, { code: readFileSync(f, 'utf8'), from: relative(submissionDir, f) });
    else notes.push(`${relative(submissionDir, f)}: ignored — not named after an exercise (${[...known].join(', ')}).ts`);
  }

  const ids = configured ?? [...code.keys()].filter((id) => known.has(id)).sort();
  if (ids.length === 0) {
    writeResults(gradescopeFailure(
      `No exercise found in the submission. Submit <exercise>.ts files (${[...known].join(', ')}) or the JSON file from "Export my work".${notes.length ? `\n${notes.join('\n')}` : ''}`,
      Date.now() - started,
    ));
    return;
  }
  for (const id of code.keys()) if (configured && !configured.includes(id)) notes.push(`${id}: submitted but not part of this assignment — not graded`);

  const graded: Graded[] = [];
  for (const id of ids) {
    const exercise = loadExercise(id, exercisesDir);
    const extraTests = extraDir ? loadExtraTests(extraDir, id, false) : [];
    const sub = code.get(id);
    if (!sub) {
      const names = await expectedTestNames(exercise, { perTestMs, extraTests });
      const message = `not submitted: expected ${id}.ts or an exported-work JSON containing ${id}`;
      graded.push({ result: { exercise: id, passed: 0, failed: 1, total: 1, tests: [{ name: 'loading your code', status: 'error', message }], loadError: message, durationMs: 0 }, expectedTests: names });
      continue;
    }
    const result = await gradeCode(exercise, sub.code, { perTestMs, perRunMs: Math.max(30_000, perTestMs * 10), extraTests });
    const g: Graded = { result, file: sub.from, source: sub.code };
    if (result.compileError || result.loadError) g.expectedTests = await expectedTestNames(exercise, { perTestMs, extraTests });
    graded.push(g);
  }
  const points = Number(env.COLLAPSE_LAB_POINTS ?? config.pointsPerExercise ?? 0) || undefined;
  const visibility = (env.COLLAPSE_LAB_EXTRA_VISIBILITY ?? config.extraTestsVisibility ?? 'visible') as Visibility;
  if (!['visible', 'hidden', 'after_due_date', 'after_published'].includes(visibility)) {
    throw new Error(`autograder misconfigured: extra tests visibility '${visibility}' (use visible, hidden, after_due_date or after_published)`);
  }
  const results = gradescopeResults(graded, Date.now() - started, true, points, visibility);
  if (notes.length) results.output += `\n\n${notes.join('\n')}`;
  writeResults(results);
}

try {
  await main();
} catch (e) {
  const msg = (e as Error)?.message ?? String(e);
  process.stderr.write(`run_autograder: ${msg}\n`);
  writeResults(gradescopeFailure(`The autograder could not grade this submission: ${msg}`));
  process.exitCode = 1;
} finally {
  await terminateAllWorkers();
}
