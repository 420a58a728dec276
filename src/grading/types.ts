/**
 * The grading result model (the "Grading API contract" in the team brief).
 * Shared by the Node CLI (`npm run grade`), the browser runner and the reporters.
 */

export type TestStatus = 'passed' | 'failed' | 'error' | 'timeout';

export interface TestResult {
  /** Full name: "describe > it" (instructor extra tests are prefixed with their file name). */
  name: string;
  status: TestStatus;
  /** Empty when passed; otherwise what was expected and what happened (capped). */
  message: string;
  /** What the learner's code printed (console.*) during this test, capped. Optional, additive. */
  output?: string;
  /** How long the test took, in ms. Optional, additive. */
  durationMs?: number;
  /** Set on tests from instructor extra test files (--extra-tests). Optional, additive. */
  extra?: boolean;
  /**
   * Optional, additive (issue 14, "Draw this case"): on a test that did not pass, the last
   * collapse scenario it ran the learner's code on — recorded by the runtime from the test's own
   * `makeWorld(...)` (with a learner export among its `ops`) and `runCollapse(world, { madvise })`
   * calls, in the `collapse` command's terms. Absent when the test built no such world. Plain data
   * from the runner: the page validates it before drawing (src/components/exercise/draw-my-run.ts).
   */
  scenario?: import('./runtime/draw.ts').DrawScenario;
}

export interface CompileError {
  /** 1-based line in the learner's file. */
  line: number;
  /** 1-based column in the learner's file. */
  column: number;
  message: string;
}

export interface RunResult {
  exercise: string;
  /** Tests with status 'passed'. */
  passed: number;
  /** Tests with any other status ('failed' | 'error' | 'timeout'), so passed + failed === total. */
  failed: number;
  total: number;
  tests: TestResult[];
  /** Set when the learner's file does not parse; tests is then empty. */
  compileError?: CompileError;
  /**
   * Set when the learner's module could not be loaded (missing export, threw at top level,
   * looped at top level). tests then holds one 'error' result with the same message.
   * Additive to the contract; the CLI maps it to exit status 2.
   */
  loadError?: string;
  /** Set when the per-run limit stopped the run: how long it had run, in ms. */
  stoppedAfterMs?: number;
  durationMs: number;
  /** Output printed while loading the learner's module (before any test), capped. Additive. */
  output?: string;
}

/** What an export must be: `typeof` of the reference solution's export ('array' for arrays, 'object' for other non-null objects). */
export type ExportKind = 'function' | 'array' | 'object' | 'number' | 'string' | 'boolean';
export const EXPORT_KINDS: readonly ExportKind[] = ['function', 'array', 'object', 'number', 'string', 'boolean'];

/** exercises/<id>/exercise.json */
export interface ExerciseMeta {
  id: string;
  title: string;
  chapter: string;
  exports: string[];
  /** Kind of each export (exercise.json "exportKinds"), checked when the learner's file loads. Additive. */
  exportKinds?: Record<string, ExportKind>;
  summary: string;
}

/** One test file to run: its display name (e.g. "early-abort.test.ts") and TypeScript source. */
export interface TestSource {
  file: string;
  source: string;
  /** Prefix test names with the file name (instructor extra tests). */
  prefixNames?: boolean;
  /**
   * `source` already compiled by `compileTs(source, file)` (the browser build does this for the
   * exercises' own test files, so a spare runner does not run sucrase over them at start-up).
   * As trusted as `source`; absent: the runner compiles `source`.
   */
  compiled?: string;
}

/** Everything a worker needs to run one exercise against one learner file. */
export interface RunPayload {
  exercise: string;
  /** Names the learner module must export (exercise.json "exports"). */
  exports: string[];
  /** Kind each export must have (exercise.json "exportKinds"); names not listed are not checked. */
  exportKinds?: Record<string, ExportKind>;
  /** The learner's TypeScript source. */
  code: string;
  tests: TestSource[];
  /** Per-test limit in ms (async tests are raced against it inside the worker). */
  perTestMs: number;
}

export interface GradeLimits {
  /** Per-test limit in ms. Default 2000. */
  perTestMs?: number;
  /** Per-run limit in ms (caps the total, including worker restarts). Default 20000. */
  perRunMs?: number;
}

export const DEFAULT_PER_TEST_MS = 2000;
export const DEFAULT_PER_RUN_MS = 20000;
/** Learner output kept per run (all console output together). */
export const OUTPUT_CAP_BYTES = 64 * 1024;
/** Longest failure message kept per test. */
export const MESSAGE_CAP_CHARS = 4000;
