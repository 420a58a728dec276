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
 *   COLLAPSE_LAB_CHILD_UID/GID  user the sandboxed learner-code processes run as when this runs as
 *                               root (default 65534, "nobody"); COLLAPSE_LAB_CHILD_UID=same keeps root
 *
 * A submission is any mix of: `<exercise-id>.ts` files, and exported-work JSON files ("Export my
 * work" on the course's progress page). A .ts file wins over the same exercise in an export.
 * Symbolic links, special files (FIFOs, sockets, devices) and files over 1 MB are refused with a
 * note and never opened (lstat, then open with O_NOFOLLOW and fstat).
 * Learner code runs in sandboxed child processes (src/grading/node/process.ts); only this process
 * writes results.json. Threat model: autograder/README.md.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_EXERCISES_DIR, listExerciseIds, loadExercise, loadExtraTests } from '../src/grading/node/exercises.ts';
import { expectedTestNames, gradeCode, terminateAllWorkers } from '../src/grading/node/grade.ts';
import { setChildUser } from '../src/grading/node/process.ts';
import { escapeControl, gradescopeFailure, gradescopeResults, notSubmittedGraded, type Graded, type Visibility } from '../src/grading/reporters/index.ts';
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

/** Most notes (ignored or refused files) listed in the report; the rest are counted. */
export const MAX_NOTES = 50;

/** The first {@link MAX_NOTES} notes, then one line saying how many more there were. */
export function capNotes(notes: string[]): string[] {
  if (notes.length <= MAX_NOTES) return notes;
  return [...notes.slice(0, MAX_NOTES), `… and ${notes.length - MAX_NOTES} more files ignored or refused (not listed)`];
}

/** Largest submission file read, in bytes. */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Every regular file under `dir` (the submission may keep files in a folder). Symbolic links and
 * special files are never followed or opened: each is listed in `refused` with the reason.
 */
export function walk(dir: string, refused: string[], top = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const p = join(dir, name);
    const st = lstatSync(p);
    const rel = relative(top, p);
    if (st.isSymbolicLink()) refused.push(`${rel}: refused — a symbolic link (submit the file itself)`);
    else if (st.isDirectory()) out.push(...walk(p, refused, top));
    else if (!st.isFile()) refused.push(`${rel}: refused — not a regular file (a FIFO, socket or device)`);
    else if (st.size > MAX_FILE_BYTES) refused.push(`${rel}: refused — larger than ${MAX_FILE_BYTES / 1024} KB`);
    else out.push(p);
  }
  return out;
}

/**
 * Read a submission file without following a link swapped in after the walk (O_NOFOLLOW) and only
 * if it is still a small regular file (fstat on the open descriptor). Throws with the reason.
 */
export function readSubmissionFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES / 1024} KB`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Run learner code as an unprivileged user when this process is root (Gradescope runs the kit as
 * root). Returns a note when it cannot (printed, and the permission-model sandbox still applies).
 */
function dropChildPrivileges(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  if (env.COLLAPSE_LAB_CHILD_UID === 'same') return 'learner code runs as root (COLLAPSE_LAB_CHILD_UID=same)';
  const uid = Number(env.COLLAPSE_LAB_CHILD_UID ?? 65534);
  const gid = Number(env.COLLAPSE_LAB_CHILD_GID ?? uid);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return `learner code runs as root: COLLAPSE_LAB_CHILD_UID/GID '${uid}/${gid}' is not a user id`;
  const why = setChildUser(uid, gid);
  return why ? `learner code runs as root: this container does not allow switching to uid ${uid} (${why})` : null;
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
  const privilegeNote = dropChildPrivileges();
  if (privilegeNote) process.stderr.write(`run_autograder: ${privilegeNote}\n`);

  // Collect code per exercise: exports first, then <id>.ts files (which win).
  const code = new Map<string, { code: string; from: string }>();
  const notes: string[] = [];
  const files = walk(submissionDir, notes);
  const read = (f: string): string | null => {
    try {
      return readSubmissionFile(f);
    } catch (e) {
      notes.push(`${relative(submissionDir, f)}: refused — ${(e as NodeJS.ErrnoException).code === 'ELOOP' ? 'a symbolic link' : (e as Error).message}`);
      return null;
    }
  };
  for (const f of files.filter((f) => f.endsWith('.json'))) {
    const text = read(f);
    if (text === null) continue;
    let work;
    try {
      work = parseWork(text);
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
    if (!known.has(id)) {
      notes.push(`${relative(submissionDir, f)}: ignored — not named after an exercise (${[...known].join(', ')}).ts`);
      continue;
    }
    const text = read(f);
    if (text !== null) code.set(id, { code: text, from: relative(submissionDir, f) });
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
      graded.push(notSubmittedGraded(id, names, `not submitted: expected ${id}.ts or an exported-work JSON containing ${id}`));
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
  // File names come from the submission: escaped like every other learner-controlled text, and
  // at most MAX_NOTES of them (20 000 stray files made a 3 MB results.json of notes).
  if (notes.length) results.output += `\n\n${escapeControl(capNotes(notes).join('\n'))}`;
  writeResults(results);
}

// Run as the kit's entry (Node ≥ 24.2 sets import.meta.main; older: compare with argv[1]).
if (import.meta.main ?? (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))) {
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
}
