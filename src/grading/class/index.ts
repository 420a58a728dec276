/**
 * Class scale (issue 15): grade a whole class and say what it got wrong.
 *
 *   gradeClass(dir, opts)  → grades every submission in `dir` (layouts: ./discover.ts) in parallel,
 *                            or reads a Gradescope kit's output (opts.fromGradescope), and writes
 *                            class.csv and class.md (./report.ts) into opts.outDir (default `dir`).
 *   classMain(argv)        → the command line (`grade --class …`, `grade --seed …`); returns the
 *                            exit status, never throws, never prints a stack trace.
 *
 * Grading goes through the public Node API only (`gradeCode` via ./seeded.ts, exercise discovery
 * from ../node/exercises.ts), so it follows whatever sandbox that API runs learner code in.
 */
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_EXERCISES_DIR, GradeSetupError, listExerciseIds, loadExercise, loadExtraTests, type ExerciseOnDisk } from '../node/exercises.ts';
import { terminateAllWorkers, type GradeOptions } from '../node/grade.ts';
import { formatJson, formatText, type Graded } from '../reporters/index.ts';
import { DEFAULT_PER_RUN_MS, DEFAULT_PER_TEST_MS, type RunResult } from '../types.ts';
import { deriveVariant, describeVariant, normalizeSeed, VariantError } from '../variant.ts';
import { byName, discoverSubmissions, type Problem, type Submission } from './discover.ts';
import { readGradescopeClass } from './gradescope-input.ts';
import { loadMisconceptions, MisconceptionsError, type MisconceptionMap, type Profiles } from './misconceptions.ts';
import { formatClassCsv, formatClassMd, type Cell, type ExerciseInfo } from './report.ts';
import { gradeSeeded } from './seeded.ts';

export { gradeSeeded, exerciseForSeed } from './seeded.ts';
export type { Cell } from './report.ts';

export interface ClassOptions {
  /** Exercises folder (default: the course's exercises/). */
  exercisesDir?: string;
  /** Where class.csv and class.md go (default: the class folder itself). Set `write: false` to only return them. */
  outDir?: string;
  write?: boolean;
  /** Submissions graded at once (default: os.availableParallelism()). */
  jobs?: number;
  /** Grade each student on a variant: 'student' = the student's name is the seed; or an explicit map student → seed. */
  seeds?: 'student' | Record<string, string>;
  /** Read `dir` as a Gradescope kit output folder (results.json per student) instead of grading. */
  fromGradescope?: boolean;
  /** Columns of the report (default: every course exercise that some student submitted). */
  exercises?: string[];
  /** Instructor extra tests, as `grade --extra-tests` (<dir>/<id>/*.test.ts, <dir>/<id>.test.ts). */
  extraTestsDir?: string;
  perTestMs?: number;
  perRunMs?: number;
  /**
   * Grade each exercise's wrong/ answers once to measure what each misconception fails (default
   * true): sharper diagnosis, and every failing test mapped to misconceptions. Costs one run per
   * wrong answer per class, not per student.
   */
  profiles?: boolean;
  /** Progress bar stream; default process.stderr when it is a terminal, otherwise none. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } | null;
  /**
   * Called with each submission's grading result as it is graded (not for grader errors). Lets a
   * caller keep the full RunResults (per-test names, messages) that the cells summarise — the tests
   * use it instead of grading the same files a second time.
   */
  onGraded?: (submission: { student: string; exercise: string }, result: RunResult) => void;
}

export interface ClassResult {
  students: string[];
  exercises: string[];
  cells: Cell[];
  problems: Problem[];
  csv: string;
  md: string;
  /** Paths written (absent with write: false). */
  files?: { csv: string; md: string };
}

/** Whitespace-insensitive "is this still the starter?". */
const squash = (code: string) => code.replace(/\s+/g, '');

function progressBar(stream: ClassOptions['progress'], total: number): { tick: () => void; done: () => void } {
  if (!stream || total === 0) return { tick: () => {}, done: () => {} };
  let n = 0;
  const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 30));
  const draw = () => {
    const full = Math.round((n / total) * width);
    stream.write(`\r[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${n}/${total} submissions graded`);
  };
  draw();
  return {
    tick: () => {
      n++;
      draw();
    },
    done: () => stream.write('\n'),
  };
}

/** Run `tasks` with at most `limit` at a time, keeping result order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  });
  await Promise.all(lanes);
  return results;
}

function cellFrom(sub: Submission, r: RunResult, starter: string | null, seed: string | undefined): Cell {
  const base = { student: sub.student, exercise: sub.exercise, from: sub.from, ...(seed !== undefined ? { seed } : {}) };
  if (r.compileError) {
    return { ...base, status: 'compile-error', passed: 0, total: 0, failing: [], message: `line ${r.compileError.line}:${r.compileError.column}: ${r.compileError.message}` };
  }
  if (r.loadError) return { ...base, status: 'load-error', passed: 0, total: 0, failing: [], message: r.loadError };
  const failing = r.tests.filter((t) => t.status !== 'passed').map((t) => t.name);
  const untouched = starter !== null && squash(sub.code) === squash(starter);
  const status: Cell['status'] = r.total > 0 && failing.length === 0 ? 'passed' : untouched ? 'not-started' : 'failed';
  return { ...base, status, passed: r.passed, total: r.total, failing };
}

/**
 * Identical code for the same exercise and seed is graded once (untouched starters, shared
 * answers, and the wrong/ answers measured for profiles). Grading is deterministic for a given
 * code, tests and seed, so sharing the result is exact.
 */
type GradeCache = Map<string, Promise<RunResult>>;
function gradeCached(cache: GradeCache, ex: ExerciseOnDisk, code: string, seed: string | undefined, opts: GradeOptions): Promise<RunResult> {
  const extras = (opts.extraTests ?? []).map((t) => t.file).join('|');
  const key = `${ex.meta.id}\u0000${seed ?? ''}\u0000${extras}\u0000${code}`;
  let p = cache.get(key);
  if (!p) cache.set(key, (p = gradeSeeded(ex, code, seed, opts)));
  return p;
}

/** Grade the wrong/ answers a map names; misconception id → tests all its wrong answers fail. */
async function measureProfiles(cache: GradeCache, ex: ExerciseOnDisk, map: MisconceptionMap, jobs: number, limits: GradeOptions): Promise<Profiles> {
  const files = [...new Set(map.misconceptions.flatMap((m) => m.wrong))].filter((f) => existsSync(join(ex.dir, 'wrong', f)));
  const fails = new Map<string, Set<string>>();
  await pool(files, jobs, async (f) => {
    const r = await gradeCached(cache, ex, readFileSync(join(ex.dir, 'wrong', f), 'utf8'), undefined, limits);
    if (!r.compileError && !r.loadError) fails.set(f, new Set(r.tests.filter((t) => t.status !== 'passed').map((t) => t.name)));
  });
  const out = new Map<string, Set<string>>();
  for (const m of map.misconceptions) {
    const sets = m.wrong.map((f) => fails.get(f)).filter((x): x is Set<string> => x !== undefined);
    if (sets.length) out.set(m.id, new Set([...sets[0]].filter((t) => sets.every((s) => s.has(t)))));
  }
  return out;
}

/** What the steps of one class run share: loaded exercises, the grade cache, test order seen. */
interface Run {
  opts: ClassOptions;
  exercisesDir: string;
  jobs: number;
  limits: GradeOptions;
  cache: GradeCache;
  order: Map<string, string[]>;
  exercise: (id: string) => ExerciseOnDisk;
}

function newRun(opts: ClassOptions): Run {
  const exercisesDir = opts.exercisesDir ?? DEFAULT_EXERCISES_DIR;
  const loaded = new Map<string, ExerciseOnDisk>();
  return {
    opts,
    exercisesDir,
    jobs: opts.jobs ?? availableParallelism(),
    limits: { perTestMs: opts.perTestMs ?? DEFAULT_PER_TEST_MS, perRunMs: opts.perRunMs ?? DEFAULT_PER_RUN_MS },
    cache: new Map(),
    order: new Map(),
    exercise: (id) => {
      let e = loaded.get(id);
      if (!e) loaded.set(id, (e = loadExercise(id, exercisesDir)));
      return e;
    },
  };
}

/** The seed a student is graded for (undefined: unseeded). Throws VariantError for an unusable one. */
function seedOf(opts: ClassOptions, student: string): string | undefined {
  if (opts.seeds === 'student') return normalizeSeed(student);
  if (opts.seeds && typeof opts.seeds === 'object' && opts.seeds[student] !== undefined) return normalizeSeed(opts.seeds[student]);
  return undefined;
}

/** Grade every submission, `run.jobs` at a time; one cell each (a grader failure is a cell, not a crash). */
async function gradeSubmissions(run: Run, subs: Submission[], progress: ClassOptions['progress']): Promise<Cell[]> {
  const bar = progressBar(progress, subs.length);
  try {
    return await pool(subs, run.jobs, async (sub) => {
      let seed: string | undefined;
      let cell: Cell;
      try {
        seed = seedOf(run.opts, sub.student);
        const ex = run.exercise(sub.exercise);
        const starterPath = join(ex.dir, 'starter.ts');
        const starter = existsSync(starterPath) ? readFileSync(starterPath, 'utf8') : null;
        const extraTests = run.opts.extraTestsDir ? loadExtraTests(run.opts.extraTestsDir, sub.exercise, false) : [];
        const r = await gradeCached(run.cache, ex, sub.code, seed, { ...run.limits, extraTests });
        run.opts.onGraded?.({ student: sub.student, exercise: sub.exercise }, r);
        if (!run.order.has(sub.exercise) && !r.compileError && !r.loadError && r.tests.length) run.order.set(sub.exercise, r.tests.map((t) => t.name));
        cell = cellFrom(sub, r, starter, seed);
      } catch (e) {
        cell = { student: sub.student, exercise: sub.exercise, status: 'grader-error', passed: 0, total: 0, failing: [], message: (e as Error)?.message ?? String(e), from: sub.from, ...(seed !== undefined ? { seed } : {}) };
      }
      bar.tick();
      return cell;
    });
  } finally {
    bar.done();
  }
}

/** Per report column: title, misconception map and (when some attempt failed) measured profiles. */
async function exerciseInfos(run: Run, columns: string[], cells: Cell[]): Promise<ExerciseInfo[]> {
  const infos: ExerciseInfo[] = [];
  for (const id of columns) {
    const ex = run.exercise(id);
    const map = loadMisconceptions(ex.dir, id);
    const failedHere = cells.some((c) => c.exercise === id && c.status === 'failed');
    const profiles = run.opts.profiles !== false && failedHere && map.misconceptions.length ? await measureProfiles(run.cache, ex, map, run.jobs, run.limits) : undefined;
    infos.push({ id, title: ex.meta.title, map, order: run.order.get(id), ...(profiles ? { profiles } : {}) });
  }
  return infos;
}

/** Grade (or read) a class and write class.csv + class.md. Throws GradeSetupError for an unusable folder or option. */
export async function gradeClass(dir: string, opts: ClassOptions = {}): Promise<ClassResult> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new GradeSetupError(`${dir} is not a folder`);
  const out = resolve(opts.outDir ?? root);
  // Checked before grading: a typo in --out must not cost a whole class's grading time.
  if (opts.write !== false && (!existsSync(out) || !statSync(out).isDirectory())) throw new GradeSetupError(`--out: ${opts.outDir} is not a folder`);
  const run = newRun(opts);
  const known = listExerciseIds(run.exercisesDir);
  for (const id of opts.exercises ?? []) if (!known.includes(id)) throw new GradeSetupError(`unknown exercise '${id}' (known: ${known.join(', ')})`);
  const progress = opts.progress === undefined ? (process.stderr.isTTY ? process.stderr : null) : opts.progress;

  let students: string[];
  let cells: Cell[];
  let problems: Problem[];
  let infos: ExerciseInfo[];
  let columns: string[];
  try {
    if (opts.fromGradescope) {
      ({ students, cells, problems } = readGradescopeClass(root, known));
    } else {
      const found = discoverSubmissions(root, known);
      ({ students, problems } = found);
      cells = await gradeSubmissions(run, found.submissions.filter((s) => !opts.exercises || opts.exercises.includes(s.exercise)), progress);
    }
    columns = opts.exercises ?? known.filter((id) => cells.some((c) => c.exercise === id));
    infos = await exerciseInfos(run, columns, cells);
  } finally {
    await terminateAllWorkers();
  }
  const input = {
    students: students.sort(byName),
    exercises: infos,
    cells,
    problems,
    source: opts.fromGradescope ? `Gradescope results in ${dir}` : `submissions in ${dir}`,
    seeded: opts.seeds !== undefined && !opts.fromGradescope,
  };
  const csv = formatClassCsv(input);
  const md = formatClassMd(input);
  const result: ClassResult = { students: input.students, exercises: columns, cells, problems, csv, md };
  if (opts.write !== false) {
    const files = { csv: join(out, 'class.csv'), md: join(out, 'class.md') };
    writeFileSync(files.csv, csv);
    writeFileSync(files.md, md);
    result.files = files;
  }
  return result;
}

export const CLASS_USAGE = `usage:
  grade --class <dir> [--out <dir>] [--seeds student|<seeds.csv>] [--only a,b] [--jobs N]
                      [--extra-tests <dir>] [--timeout <ms>] [--run-timeout <ms>] [--exercises <dir>]
  grade --class <dir> --from-gradescope        (or: grade --from-gradescope <dir>)
  grade --seed <seed> <exercise-id> <file.ts> [--format text|json]
  grade --seed <seed> --variant <exercise-id>

--class       grade every submission in <dir>: <student>/<exercise-id>.ts, <student>/*.json,
              <student>.<exercise-id>.ts or <student>.json (exported work); writes class.csv and
              class.md (per exercise: pass rate, misconceptions seen, failing tests ranked)
--seeds       grade each student on their variant: 'student' uses the student's name as the seed;
              a .csv file maps student,seed (one pair a line)
--seed        check one file against the variant of <seed> (e.g. a student id); --variant prints it
exit status: 0 report written / all tests pass, 1 a test fails (--seed), 2 bad arguments or input`;

class UsageError extends Error {}

interface ClassArgs {
  classDir?: string;
  fromGradescope: boolean;
  out?: string;
  seeds?: string;
  seed?: string;
  variant?: string;
  exercises?: string[];
  jobs?: number;
  extraTests?: string;
  perTestMs?: number;
  perRunMs?: number;
  exercisesDir?: string;
  format: 'text' | 'json';
  positional: string[];
  help: boolean;
}

function parseClassArgs(argv: string[]): ClassArgs {
  const a: ClassArgs = { fromGradescope: false, format: 'text', positional: [], help: false };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = (): string => {
      if (seen.has(arg)) throw new UsageError(`${arg} given twice`);
      seen.add(arg);
      if (inline !== undefined) return inline;
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      i++;
      return v;
    };
    const positive = (v: string, what: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${arg} must be a positive number${what} (got '${v}')`);
      return n;
    };
    switch (arg) {
      case '--class': a.classDir = take(); break;
      case '--from-gradescope':
        a.fromGradescope = true;
        // `--from-gradescope <dir>` alone names the folder; after --class it is a plain switch.
        if (inline !== undefined || (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') && a.classDir === undefined)) a.classDir = take();
        break;
      case '--out': a.out = take(); break;
      case '--seeds': a.seeds = take(); break;
      case '--seed': a.seed = take(); break;
      case '--variant': a.variant = take(); break;
      case '--only': a.exercises = take().split(/[\s,]+/).filter(Boolean); break;
      case '--jobs': a.jobs = Math.floor(positive(take(), '')); break;
      case '--extra-tests': a.extraTests = take(); break;
      case '--timeout': a.perTestMs = positive(take(), ' of milliseconds'); break;
      case '--run-timeout': a.perRunMs = positive(take(), ' of milliseconds'); break;
      // As in `grade`: --exercises names the exercises folder (the report's columns are --only).
      case '--exercises': a.exercisesDir = take(); break;
      case '--format': {
        const f = take();
        if (f !== 'text' && f !== 'json') throw new UsageError(`--format must be text or json here (got '${f}')`);
        a.format = f;
        break;
      }
      case '--help': case '-h': a.help = true; break;
      default:
        if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
        a.positional.push(argv[i]);
    }
  }
  return a;
}

/** student,seed lines (a header line "student,seed" is allowed); throws UsageError on a bad line. */
function readSeedsCsv(file: string): Record<string, string> {
  if (!existsSync(file)) throw new UsageError(`--seeds: ${file} does not exist (use 'student' or a .csv of student,seed)`);
  const map: Record<string, string> = {};
  readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || (i === 0 && /^student\s*,\s*seed$/i.test(line.trim()))) return;
    const m = /^([^,]+),(.+)$/.exec(line);
    if (!m) throw new UsageError(`${file}:${i + 1}: expected "student,seed", got '${line.slice(0, 60)}'`);
    map[m[1].trim()] = m[2].trim();
  });
  return map;
}

const write = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

/** `--seed <seed> <id> <file>` (grade one file against the seed's variant) or `--seed <seed> --variant <id>`. */
async function seedCommand(args: ClassArgs, rawSeed: string): Promise<number> {
  const seed = normalizeSeed(rawSeed);
  if (args.variant !== undefined) {
    loadExercise(args.variant, args.exercisesDir);
    const v = deriveVariant(args.variant, seed);
    write(v ? (args.format === 'json' ? JSON.stringify(v, null, 2) : `your variant (${args.variant}, seed '${seed}'): ${describeVariant(v)}`) : `${args.variant} has no variants: every seed gets the exercise as written`);
    return 0;
  }
  if (args.positional.length !== 2) throw new UsageError('--seed needs <exercise-id> <file.ts> (or --variant <exercise-id>)');
  const [id, file] = args.positional;
  const ex = loadExercise(id, args.exercisesDir);
  if (!existsSync(file) || !statSync(file).isFile()) throw new GradeSetupError(`cannot read ${file}: no such file`);
  const code = readFileSync(file, 'utf8');
  const extraTests = args.extraTests ? loadExtraTests(args.extraTests, id, true) : [];
  try {
    const r = await gradeSeeded(ex, code, seed, { perTestMs: args.perTestMs, perRunMs: args.perRunMs, extraTests });
    const g: Graded = { result: r, file, source: code };
    const v = deriveVariant(id, seed);
    if (args.format === 'json') write(formatJson([g]));
    else write(`${v ? `your variant (seed '${seed}'): ${describeVariant(v)}\n\n` : ''}${formatText([g])}`);
    if (r.compileError || r.loadError) return 2;
    return r.total > 0 && r.passed === r.total ? 0 : 1;
  } finally {
    await terminateAllWorkers();
  }
}

/** `grade --class …` / `--from-gradescope` / `--seed …`. Returns the exit status. */
export async function classMain(argv: string[]): Promise<number> {
  let args: ClassArgs;
  try {
    args = parseClassArgs(argv);
    if (args.help) {
      write(CLASS_USAGE);
      return 0;
    }
    if (args.classDir !== undefined) {
      if (args.positional.length) throw new UsageError(`--class takes no other files (got '${args.positional.join(' ')}')`);
      if (args.seed !== undefined) throw new UsageError('--class grades many students: use --seeds student (or a .csv), not --seed');
      if (args.fromGradescope && args.seeds) throw new UsageError('--from-gradescope reads results already graded; --seeds does not apply');
      const seeds = args.seeds === undefined ? undefined : args.seeds === 'student' ? 'student' : readSeedsCsv(args.seeds);
      const r = await gradeClass(args.classDir, { outDir: args.out, seeds, fromGradescope: args.fromGradescope, exercises: args.exercises, jobs: args.jobs, extraTestsDir: args.extraTests, perTestMs: args.perTestMs, perRunMs: args.perRunMs, exercisesDir: args.exercisesDir });
      const graded = r.cells.filter((c) => c.status !== 'missing').length;
      write(`${r.students.length} students, ${graded} results over ${r.exercises.length} exercises${r.problems.length ? `; ${r.problems.length} file(s) not graded (listed in class.md)` : ''}\nwrote ${r.files?.csv}\nwrote ${r.files?.md}`);
      return 0;
    }
    if (args.seed !== undefined) return await seedCommand(args, args.seed);
    throw new UsageError('nothing to do: give --class <dir>, --from-gradescope <dir> or --seed <seed>');
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`grade: ${e.message}\n\n${CLASS_USAGE}\n`);
      return 2;
    }
    const known = e instanceof GradeSetupError || e instanceof VariantError || e instanceof MisconceptionsError;
    process.stderr.write(`grade: ${known ? (e as Error).message : `internal error: ${(e as Error)?.message ?? String(e)}`}\n`);
    return 2;
  }
}
