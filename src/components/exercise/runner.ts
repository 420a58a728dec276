/**
 * The bridge to the grading core (helper G's src/grading/browser/client.ts: sucrase + the test
 * runner in a Worker, killed on timeout). Loaded lazily by the session; never by the reading page.
 *
 * The client is reached through import.meta.glob so this file builds even in a checkout where the
 * grading client is absent; then running tests reports that plainly instead of faking results.
 */
import type { RunResult, TestResult } from '../../grading/types.ts';
import type { LateDiffText } from '../../grading/late-diffs.ts';
import type { DrawOutcome, DrawScenario } from '../../grading/runtime/draw.ts';

export type { RunResult };

/** What the page can ask of one run. */
export interface RunOptions {
  /**
   * Run only the tests with these full names ("Re-run failing only"). A client that does not
   * support it runs every test; the caller tells the two apart by the number of results.
   */
  only?: readonly string[];
  /** Per-test limit in ms (the client's default when absent). */
  timeoutMs?: number;
  /**
   * Called with each test's result as it arrives (a streaming client), so the first failure can
   * be shown before the run ends. A client without streaming never calls it.
   */
  onResult?: (result: TestResult, index: number, names: readonly string[]) => void;
  /**
   * Asks for late diffs: the verdict comes without the failures' "- Expected / + Received" diffs,
   * and this is called once afterwards with the completed messages (index into RunResult.tests,
   * name, whole message). A client without late diffs puts them in the messages and never calls it.
   */
  onDiffs?: (diffs: LateDiffText[]) => void;
}

interface GradingClient {
  runExercise(opts: { id: string; code: string } & RunOptions): Promise<RunResult>;
  /** Start a spare runner now; with an id, with that exercise's tests already prepared in it. */
  warmUp(id?: string): void;
  /** "Draw my run": the learner's exports on one scenario, in a sealed runner (plain data back). */
  drawMyRun(opts: { code: string; scenario: DrawScenario; timeoutMs?: number }): Promise<DrawOutcome>;
}

const clients = import.meta.glob<GradingClient>('../../grading/browser/client.ts');

async function client(): Promise<GradingClient> {
  const load = Object.values(clients)[0];
  if (!load) throw new Error('The test runner is missing from this build of the site (src/grading/browser/client.ts).');
  return load();
}

/**
 * Start the spare runner early — called on intent (hover/focus of "Open editor") and when the
 * editor opens — so the first "Run tests" finds it warm.
 */
export async function warmUp(id?: string): Promise<void> {
  try {
    (await client()).warmUp(id);
  } catch {
    /* reported on the first run */
  }
}

export async function runExercise(id: string, code: string, opts: RunOptions = {}): Promise<RunResult> {
  return (await client()).runExercise({ id, code, ...opts });
}

/** "Draw my run" (issue 14): run the learner's code on one scenario in the sandboxed runner. */
export async function drawMyRun(code: string, scenario: DrawScenario): Promise<DrawOutcome> {
  return (await client()).drawMyRun({ code, scenario });
}
