/**
 * grade — run an exercise's tests against a learner file (or every exercise in an exported-work
 * file) and report. Exit status: 0 all tests pass, 1 some test fails, 2 the input cannot be read,
 * compiled or loaded (the message says why, with line:column). Never prints a stack trace.
 *
 *   npm run --silent grade -- <exercise-id> <file.ts> [--format text|json|gradescope|junit]
 *   npm run --silent grade -- --work <export.json> [--format …]
 *   options: --extra-tests <dir>  --timeout <ms per test>  --run-timeout <ms per exercise>
 *            --exercises <dir>    --out <file>  --list  --help
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { DEFAULT_EXERCISES_DIR, GradeSetupError, listExerciseIds, loadExercise, loadExtraTests } from '../grading/node/exercises.ts';
import { expectedTestNames, gradeCode, spawnNodeWorker, terminateAllWorkers } from '../grading/node/grade.ts';
import type { WorkerHandle } from '../grading/orchestrate.ts';
import { FORMATS, formatGradescope, formatJson, formatJunit, formatText, gradescopeFailure, type Format, type Graded } from '../grading/reporters/index.ts';
import { DEFAULT_PER_RUN_MS, DEFAULT_PER_TEST_MS } from '../grading/types.ts';
import { parseWork, WorkFormatError } from '../grading/work.ts';

const USAGE = `usage:
  npm run --silent grade -- <exercise-id> <file.ts> [options]
  npm run --silent grade -- --work <exported-work.json> [options]
  npm run --silent grade -- --list

options:
  --format text|json|gradescope|junit   report format (default text)
  --extra-tests <dir>     also run instructor tests: <dir>/<id>/*.test.ts, and <dir>/*.test.ts
                          (with --work only top-level files named <id>.test.ts or <id>.*.test.ts)
  --timeout <ms>          per-test limit (default ${DEFAULT_PER_TEST_MS})
  --run-timeout <ms>      per-exercise limit (default ${DEFAULT_PER_RUN_MS})
  --exercises <dir>       exercises folder (default: the course's exercises/)
  --out <file>            write the report to a file instead of stdout
exit status: 0 all tests pass, 1 a test fails, 2 the file cannot be read, compiled or loaded`;

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
}

function parseArgs(argv: string[]): Args {
  const a: Args = { positional: [], format: 'text', perTestMs: DEFAULT_PER_TEST_MS, perRunMs: DEFAULT_PER_RUN_MS, exercisesDir: DEFAULT_EXERCISES_DIR, list: false, help: false };
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

function emit(text: string, out: string | undefined): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (out) writeFileSync(out, body);
  else process.stdout.write(body);
}

async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`grade: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.list) {
    const ids = listExerciseIds(args.exercisesDir);
    process.stdout.write(ids.length ? `${ids.join('\n')}\n` : `(no exercises in ${args.exercisesDir})\n`);
    return 0;
  }
  try {
    const jobs: Array<{ id: string; code: string; file: string }> = [];
    const multi = args.work !== undefined;
    if (args.work !== undefined) {
      if (args.positional.length) throw new UsageError(`--work takes no other file (got '${args.positional.join(' ')}')`);
      let work;
      try {
        work = parseWork(readText(args.work, 'exported work'));
      } catch (e) {
        if (e instanceof WorkFormatError) throw new GradeSetupError(`${args.work}: ${e.message}`);
        throw e;
      }
      const ids = Object.keys(work.exercises).sort();
      if (ids.length === 0) throw new GradeSetupError(`${args.work}: the export contains no exercises`);
      for (const id of ids) jobs.push({ id, code: work.exercises[id].code, file: `${args.work} › ${id}` });
      const version = courseVersion();
      if (version && work.course !== version) {
        process.stderr.write(`grade: note: ${args.work} was exported from course version ${work.course}; this grader is ${version} (exercises may have changed)\n`);
      }
    } else {
      if (args.positional.length !== 2) throw new UsageError('expected <exercise-id> <file.ts>, or --work <export.json>');
      const [id, file] = args.positional;
      loadExercise(id, args.exercisesDir); // unknown id → list the known ones before reading the file
      jobs.push({ id, code: readText(file, 'file'), file });
    }
    const limits = { perTestMs: args.perTestMs, perRunMs: args.perRunMs };
    const graded: Graded[] = [];
    // With several exercises (--work), start the next runner while the current one grades.
    let spare: WorkerHandle | undefined;
    for (const [i, job] of jobs.entries()) {
      const prestarted = spare;
      spare = i + 1 < jobs.length ? spawnNodeWorker() : undefined;
      let exercise;
      try {
        exercise = loadExercise(job.id, args.exercisesDir);
      } catch (e) {
        if (!multi || !(e instanceof GradeSetupError)) throw e;
        const msg = e.message;
        graded.push({ result: { exercise: job.id, passed: 0, failed: 1, total: 1, tests: [{ name: 'loading your code', status: 'error', message: msg }], loadError: msg, durationMs: 0 }, file: job.file });
        prestarted?.terminate();
        continue;
      }
      const extraTests = args.extraTests ? loadExtraTests(args.extraTests, job.id, !multi) : [];
      const result = await gradeCode(exercise, job.code, { ...limits, extraTests, prestarted });
      const g: Graded = { result, file: job.file, source: job.code };
      if (result.compileError || result.loadError) g.expectedTests = await expectedTestNames(exercise, { ...limits, extraTests });
      graded.push(g);
    }
    emit(render(args.format, graded, Date.now() - started, multi), args.out);
    if (graded.some((g) => g.result.compileError || g.result.loadError)) return 2;
    return graded.every((g) => g.result.total > 0 && g.result.passed === g.result.total) ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`grade: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    const msg = e instanceof GradeSetupError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
    process.stderr.write(`grade: ${msg}\n`);
    if (args.format === 'gradescope') emit(JSON.stringify(gradescopeFailure(msg, Date.now() - started), null, 2), args.out);
    return 2;
  }
}

// `grade … | head` closes the pipe early: stop quietly instead of printing an EPIPE stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} finally {
  // A runner started ahead for the next exercise may be unused (e.g. after a setup error).
  await terminateAllWorkers();
}
