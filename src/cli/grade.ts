/**
 * grade — run an exercise's tests against a learner file (or every exercise in an exported-work
 * file) and report. Exit status: 0 all tests pass, 1 some test fails, 2 the input cannot be read,
 * compiled or loaded (the message says why, with line:column). Never prints a stack trace.
 *
 *   npm run --silent grade -- <exercise-id> <file.ts> [--format text|json|gradescope|junit]
 *   npm run --silent grade -- --work <export.json> [--require <id,…>] [--format …]
 *   options: --extra-tests <dir>  --timeout <ms per test>  --run-timeout <ms per exercise>
 *            --exercises <dir>    --out <file>  --list  --prepare  --help
 * `--work` grades every exercise of the course; one missing from the export is "not submitted"
 * (0 of its tests, exit 1). Learner code runs in sandboxed child processes (src/grading/node/).
 * `main` is exported (tests call it in-process); the command runs only as the entry module.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerHandle } from '../grading/orchestrate.ts';
import type { Format, Graded } from '../grading/reporters/index.ts';

// As a command: cache Node's compiled (and type-stripped) code of everything loaded from here on —
// about 120 ms of CPU per run (measured: `grade --list` 0.15 s → 0.03 s user). The project's modules
// are therefore imported dynamically, after this line. NODE_COMPILE_CACHE, when set, wins. The npm
// script also preloads ./compile-cache.mjs, which enables it before this file itself is stripped.
/** True when this file is the command (Node ≥ 24.2 says so; older: compare with argv[1]). */
const isEntry = import.meta.main ?? (process.argv[1] !== undefined && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url));
if (isEntry && !process.env.NODE_COMPILE_CACHE) {
  const base = process.env.COLLAPSE_LAB_CACHE_DIR ?? fileURLToPath(new URL('../../node_modules/.cache/collapse-lab', import.meta.url));
  enableCompileCache(`${base}/node-compile`);
}
const { ensureChildBundle } = await import('../grading/node/bundle.ts');
const { DEFAULT_EXERCISES_DIR, GradeSetupError, listExerciseIds, loadExercise, loadExtraTests } = await import('../grading/node/exercises.ts');
const { allowChildCpuFor, expectedTestNames, gradeCode, spawnNodeWorker, terminateAllWorkers } = await import('../grading/node/grade.ts');
const { FORMATS, formatGradescope, formatJson, formatJunit, formatText, gradescopeFailure, notSubmittedGraded } = await import('../grading/reporters/index.ts');
const { DEFAULT_PER_RUN_MS, DEFAULT_PER_TEST_MS } = await import('../grading/types.ts');
const { parseWork, WorkFormatError } = await import('../grading/work.ts');

const USAGE = `usage:
  npm run --silent grade -- <exercise-id> <file.ts> [options]
  npm run --silent grade -- --work <exported-work.json> [--require <id,…>] [options]
  npm run --silent grade -- --list
  npm run --silent grade -- --prepare
  npm run --silent grade -- --class <dir> | --from-gradescope <dir> | --seed <s> <id> <file.ts>
                          (a whole class: class.csv + class.md; see src/grading/class/README.md)

options:
  --format text|json|gradescope|junit   report format (default text)
  --extra-tests <dir>     also run instructor tests: <dir>/<id>/*.test.ts, and <dir>/*.test.ts
                          (with --work only top-level files named <id>.test.ts or <id>.*.test.ts)
  --timeout <ms>          per-test limit (default ${DEFAULT_PER_TEST_MS})
  --run-timeout <ms>      per-exercise limit (default ${DEFAULT_PER_RUN_MS})
  --exercises <dir>       exercises folder (default: the course's exercises/)
  --out <file>            write the report to a file instead of stdout
  --require <id,…>        with --work: grade only these exercises (default: every exercise of
                          the course; one missing from the export is "not submitted", 0 points)
  --prepare               build the sandboxed runner's bundle and caches now (the kit's setup)
exit status: 0 all tests pass, 1 a test fails or a required exercise is not submitted,
             2 the file cannot be read, compiled or loaded`;

class UsageError extends Error {}

interface Args {
  positional: string[];
  format: Format;
  work?: string;
  extraTests?: string;
  perTestMs: number;
  perRunMs: number;
  exercisesDir: string;
  out?: string;
  list: boolean;
  help: boolean;
  prepare: boolean;
  require?: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { positional: [], format: 'text', perTestMs: DEFAULT_PER_TEST_MS, perRunMs: DEFAULT_PER_RUN_MS, exercisesDir: DEFAULT_EXERCISES_DIR, list: false, help: false, prepare: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const ms = (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of milliseconds (got '${v}')`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = (flag: string) => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (arg) {
      case '--format': {
        const f = take(arg);
        if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`unknown --format '${f}' (use ${FORMATS.join(', ')})`);
        a.format = f as Format;
        break;
      }
      case '--work': a.work = take(arg); break;
      case '--extra-tests': a.extraTests = take(arg); break;
      case '--timeout': a.perTestMs = ms(take(arg), arg); break;
      case '--run-timeout': a.perRunMs = ms(take(arg), arg); break;
      case '--exercises': a.exercisesDir = take(arg); break;
      case '--out': a.out = take(arg); break;
      case '--list': a.list = true; break;
      case '--prepare': a.prepare = true; break;
      case '--require': {
        const ids = take(arg).split(/[\s,]+/).filter(Boolean);
        if (ids.length === 0) throw new UsageError('--require needs at least one exercise id');
        a.require = [...(a.require ?? []), ...ids];
        break;
      }
      case '-h': case '--help': a.help = true; break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
        a.positional.push(arg);
    }
  }
  return a;
}

/** The course version (package.json "version"), or null. */
function courseVersion(): string | null {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

function readText(path: string, what: string): string {
  try {
    if (statSync(path).isDirectory()) throw new GradeSetupError(`cannot read ${what} '${path}': it is a directory`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof GradeSetupError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new GradeSetupError(`cannot read ${what} '${path}': ${why}`);
  }
}

function render(format: Format, graded: Graded[], elapsedMs: number, multi: boolean): string {
  switch (format) {
    case 'json': return formatJson(graded, multi);
    case 'gradescope': return formatGradescope(graded, elapsedMs);
    case 'junit': return formatJunit(graded);
    default: return formatText(graded);
  }
}

/** Where main writes: the real streams by default; tests pass collectors. */
export interface GradeIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const PROCESS_IO: GradeIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

function emit(io: GradeIo, text: string, out: string | undefined): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (out) writeFileSync(out, body);
  else io.stdout(body);
}

interface Job {
  id: string;
  file: string;
  /** The learner's code, or null when a required exercise is missing from the export. */
  code: string | null;
}

/** The jobs of `--work`: every exercise of the course (or `--require`), in course order. */
function workJobs(args: Args, io: GradeIo): Job[] {
  const path = args.work as string;
  if (args.positional.length) throw new UsageError(`--work takes no other file (got '${args.positional.join(' ')}')`);
  let work;
  try {
    work = parseWork(readText(path, 'exported work'));
  } catch (e) {
    if (e instanceof WorkFormatError) throw new GradeSetupError(`${path}: ${e.message}`);
    throw e;
  }
  const course = listExerciseIds(args.exercisesDir);
  for (const id of args.require ?? []) {
    if (!course.includes(id)) throw new UsageError(`--require: unknown exercise '${id}' (known: ${course.join(', ') || 'none'})`);
  }
  const wanted = args.require ? course.filter((id) => args.require?.includes(id)) : course;
  const submitted = Object.keys(work.exercises);
  // Exercises in the export that this course does not have: graded (and failing) as before, so a
  // renamed exercise is not silently dropped; with --require, only the required ones are graded.
  const strangers = args.require ? [] : submitted.filter((id) => !course.includes(id)).sort();
  if (wanted.length === 0 && strangers.length === 0) throw new GradeSetupError(`${path}: the export contains no exercises and the course has none`);
  const skipped = args.require ? submitted.filter((id) => !wanted.includes(id)) : [];
  if (skipped.length) io.stderr(`grade: note: not graded (not in --require): ${skipped.sort().join(', ')}\n`);
  const version = courseVersion();
  if (version && work.course !== version) {
    io.stderr(`grade: note: ${path} was exported from course version ${work.course}; this grader is ${version} (exercises may have changed)\n`);
  }
  return [...wanted, ...strangers].map((id) => ({ id, file: `${path} › ${id}`, code: work.exercises[id]?.code ?? null }));
}

/** Grade the jobs one after the other; with several, the next runner starts while one grades. */
async function gradeJobs(jobs: Job[], args: Args, multi: boolean): Promise<Graded[]> {
  const limits = { perTestMs: args.perTestMs, perRunMs: args.perRunMs };
  allowChildCpuFor(args.perRunMs); // before the first spare runner starts
  const graded: Graded[] = [];
  let spare: WorkerHandle | undefined;
  try {
    for (const [i, job] of jobs.entries()) {
      let exercise;
      try {
        exercise = loadExercise(job.id, args.exercisesDir);
      } catch (e) {
        if (!multi || !(e instanceof GradeSetupError)) throw e;
        const msg = e.message;
        graded.push({ result: { exercise: job.id, passed: 0, failed: 1, total: 1, tests: [{ name: 'loading your code', status: 'error', message: msg }], loadError: msg, durationMs: 0 }, file: job.file });
        continue;
      }
      const extraTests = args.extraTests ? loadExtraTests(args.extraTests, job.id, !multi) : [];
      if (job.code === null) {
        const names = await expectedTestNames(exercise, { ...limits, extraTests });
        graded.push(notSubmittedGraded(job.id, names, `not submitted: ${args.work} has no code for ${job.id}`));
        continue;
      }
      const prestarted = spare;
      spare = jobs.slice(i + 1).some((j) => j.code !== null) ? spawnNodeWorker() : undefined;
      const result = await gradeCode(exercise, job.code, { ...limits, extraTests, prestarted });
      const g: Graded = { result, file: job.file, source: job.code };
      if (result.compileError || result.loadError) g.expectedTests = await expectedTestNames(exercise, { ...limits, extraTests });
      graded.push(g);
    }
  } finally {
    spare?.terminate();
  }
  return graded;
}

/** `--prepare`: build the runner bundle, its code cache and each exercise's test names now. */
async function prepare(args: Args, io: GradeIo): Promise<number> {
  const bundle = ensureChildBundle({ force: true });
  const ids = listExerciseIds(args.exercisesDir);
  let listed = 0;
  for (const id of ids) {
    const names = await expectedTestNames(loadExercise(id, args.exercisesDir), { perTestMs: args.perTestMs });
    if (names) listed++;
    else io.stderr(`grade: note: '${id}' has no reference solution that loads: its runs can only check that test names are unique\n`);
  }
  io.stdout(`grade: prepared the runner (${Math.round(bundle.code.length / 1024)} KB${bundle.dir ? ` in ${bundle.dir}` : ', in memory only: the cache folder is not writable'}) and the test lists of ${listed} of ${ids.length} exercise(s)\n`);
  return 0;
}

/** The whole command. Returns the exit status; never throws for bad input. */
export async function main(argv: string[], io: GradeIo = PROCESS_IO): Promise<number> {
  // Class scale (issue 15) lives in its own module, loaded only when asked for, so a one-file
  // grade pays nothing for it. classMain writes to process.stdout/stderr itself.
  if (argv.some((a) => /^--(class|from-gradescope|seed|seeds|variant)(=|$)/.test(a))) {
    return (await import('../grading/class/index.ts')).classMain(argv);
  }
  const started = Date.now();
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.stderr(`grade: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (args.list) {
    const ids = listExerciseIds(args.exercisesDir);
    io.stdout(ids.length ? `${ids.join('\n')}\n` : `(no exercises in ${args.exercisesDir})\n`);
    return 0;
  }
  try {
    if (args.prepare) return await prepare(args, io);
    const multi = args.work !== undefined;
    let jobs: Job[];
    if (multi) jobs = workJobs(args, io);
    else {
      if (args.require) throw new UsageError('--require goes with --work');
      if (args.positional.length !== 2) throw new UsageError('expected <exercise-id> <file.ts>, or --work <export.json>');
      const [id, file] = args.positional;
      loadExercise(id, args.exercisesDir); // unknown id → list the known ones before reading the file
      jobs = [{ id, code: readText(file, 'file'), file }];
    }
    const graded = await gradeJobs(jobs, args, multi);
    emit(io, render(args.format, graded, Date.now() - started, multi), args.out);
    if (graded.some((g) => !g.notSubmitted && (g.result.compileError || g.result.loadError))) return 2;
    return graded.every((g) => !g.notSubmitted && g.result.total > 0 && g.result.passed === g.result.total) ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`grade: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    const msg = e instanceof GradeSetupError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    io.stderr(`grade: ${msg}\n`);
    if (args.format === 'gradescope') emit(io, JSON.stringify(gradescopeFailure(msg, Date.now() - started), null, 2), args.out);
    return 2;
  }
}

if (isEntry) {
  // `grade … | head` closes the pipe early: stop quietly instead of printing an EPIPE stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    process.exitCode = await main(process.argv.slice(2));
  } finally {
    // Every run stops its own runners; this is the last safety net before the process ends.
    await terminateAllWorkers();
  }
}
