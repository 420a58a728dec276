/**
 * Grading against a seed's variant in Node: the exercise's test sources (and any instructor extra
 * tests that carry the variant markers) get the variant literal of `seed` bound in, then the
 * ordinary `gradeCode` runs them. No change to the runtime: learner code sees nothing new.
 */
import type { ExerciseOnDisk } from '../node/exercises.ts';
import { gradeCode, type GradeOptions } from '../node/grade.ts';
import type { RunResult, TestSource } from '../types.ts';
import { bindVariant, deriveVariant, type ExerciseVariant } from '../variant.ts';

/** `exercise` with its tests bound to `seed`'s variant; unchanged (variant null) for an exercise without variants. */
export function exerciseForSeed(exercise: ExerciseOnDisk, seed: string | null | undefined): { exercise: ExerciseOnDisk; variant: ExerciseVariant | null } {
  const variant = deriveVariant(exercise.meta.id, seed);
  if (!variant || seed === undefined || seed === null) return { exercise, variant };
  const bind = (t: TestSource): TestSource => ({ ...t, source: bindVariant(t.source, variant) });
  return { exercise: { ...exercise, tests: exercise.tests.map(bind) }, variant };
}

/**
 * Grade `code` for `exercise` as written for `seed` (a student id); without a seed, exactly
 * `gradeCode`. Extra tests in `opts.extraTests` are bound to the same variant.
 */
export async function gradeSeeded(exercise: ExerciseOnDisk, code: string, seed: string | null | undefined, opts: GradeOptions = {}): Promise<RunResult & { variant?: ExerciseVariant }> {
  const { exercise: bound, variant } = exerciseForSeed(exercise, seed);
  const extraTests = variant && seed ? opts.extraTests?.map((t) => ({ ...t, source: bindVariant(t.source, variant) })) : opts.extraTests;
  const result = await gradeCode(bound, code, { ...opts, extraTests });
  return variant && seed ? { ...result, variant } : result;
}
