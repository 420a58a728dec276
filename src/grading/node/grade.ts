/**
 * Node grading API: grade learner code for one exercise in sandboxed child processes (process.ts),
 * accepting results only for the test names collected from the reference solution (names.ts).
 */
import { orchestrate, type WorkerHandle } from '../orchestrate.ts';
import type { GradeLimits, RunPayload, RunResult, TestSource } from '../types.ts';
import type { ExerciseOnDisk } from './exercises.ts';
import { withCompiledTests } from './compiled.ts';
import { trustedNames } from './names.ts';
import { allowChildCpuFor, spawnChild, spawnNodeWorker, terminateAllWorkers } from './process.ts';

export { allowChildCpuFor, spawnChild, spawnNodeWorker, terminateAllWorkers };

export interface GradeOptions extends GradeLimits {
  extraTests?: TestSource[];
  /** Stop at the first test that does not pass (the meta-suite's "fails at least one test"). */
  bail?: boolean;
  /** A runner started ahead of time (spawnChild()), e.g. while the previous exercise ran. */
  prestarted?: WorkerHandle;
}

/** The run's payload; its test files come compiled by this (trusted) process (./compiled.ts). */
async function payloadFor(exercise: ExerciseOnDisk, code: string, opts: GradeOptions): Promise<Omit<RunPayload, 'perTestMs'>> {
  const tests = await withCompiledTests([...exercise.tests, ...(opts.extraTests ?? [])]);
  return { exercise: exercise.meta.id, exports: exercise.meta.exports, exportKinds: exercise.meta.exportKinds, code, tests };
}

/**
 * Run `exercise`'s tests (plus opts.extraTests) against the learner's TypeScript `code`.
 * Never throws for learner mistakes: compile/load errors, timeouts, crashes and forged results all
 * become a RunResult. Signature kept for the class grader (issue 15).
 */
export async function gradeCode(exercise: ExerciseOnDisk, code: string, opts: GradeOptions = {}): Promise<RunResult> {
  const payload = await payloadFor(exercise, code, opts);
  if (opts.perRunMs !== undefined) allowChildCpuFor(opts.perRunMs);
  return orchestrate(spawnNodeWorker, payload, {
    perTestMs: opts.perTestMs,
    perRunMs: opts.perRunMs,
    bail: opts.bail,
    prestarted: opts.prestarted,
    expectedNames: trustedNames(exercise, payload.tests, opts.perTestMs),
  });
}

/**
 * The names of the tests a submission is graded on, collected against the exercise's reference
 * solution (used to keep the maximum score right when a submission does not compile or load).
 */
export async function expectedTestNames(exercise: ExerciseOnDisk, opts: GradeOptions = {}): Promise<string[] | undefined> {
  return (await trustedNames(exercise, (await payloadFor(exercise, '', opts)).tests, opts.perTestMs)) ?? undefined;
}
