/** Node grading API: grade learner code for one exercise in worker_threads. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectNames, orchestrate, type WorkerHandle } from '../orchestrate.ts';
import type { GradeLimits, RunResult, TestSource } from '../types.ts';
import type { ExerciseOnDisk } from './exercises.ts';
import { spawnNodeWorker, terminateAllWorkers } from './spawn.ts';

export { spawnNodeWorker, terminateAllWorkers };

export interface GradeOptions extends GradeLimits {
  extraTests?: TestSource[];
  /** Stop at the first test that does not pass (the meta-suite's "fails at least one test"). */
  bail?: boolean;
  /** A runner started ahead of time (spawnNodeWorker()), e.g. while the previous exercise ran. */
  prestarted?: WorkerHandle;
}

function payloadFor(exercise: ExerciseOnDisk, code: string, opts: GradeOptions) {
  return { exercise: exercise.meta.id, exports: exercise.meta.exports, exportKinds: exercise.meta.exportKinds, code, tests: [...exercise.tests, ...(opts.extraTests ?? [])] };
}

export function gradeCode(exercise: ExerciseOnDisk, code: string, opts: GradeOptions = {}): Promise<RunResult> {
  return orchestrate(spawnNodeWorker, payloadFor(exercise, code, opts), { perTestMs: opts.perTestMs, perRunMs: opts.perRunMs, bail: opts.bail, prestarted: opts.prestarted });
}

/**
 * The names of the tests a submission is graded on, collected against the exercise's reference
 * solution (used to keep the maximum score right when a submission does not compile or load).
 */
export async function expectedTestNames(exercise: ExerciseOnDisk, opts: GradeOptions = {}): Promise<string[] | undefined> {
  const solution = join(exercise.dir, 'solution.ts');
  if (!existsSync(solution)) return undefined;
  const names = await collectNames(spawnNodeWorker, payloadFor(exercise, readFileSync(solution, 'utf8'), opts), Math.max(opts.perTestMs ?? 2000, 5000));
  return names ?? undefined;
}
