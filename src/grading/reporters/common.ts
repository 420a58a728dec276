import type { RunResult } from '../types.ts';

/** One graded exercise as the reporters see it. */
export interface Graded {
  result: RunResult;
  /** The learner file's name as the user gave it (for compile-error locations). */
  file?: string;
  /** The learner source (lets the text reporter show the offending line). */
  source?: string;
  /**
   * Names of the tests that would have run (collected with the reference solution) when the
   * learner file could not be compiled or loaded — so scores keep the right maximum.
   */
  expectedTests?: string[];
  /** Set when the exercise was required but not submitted: why (e.g. "not submitted: …"). Scores 0 of its tests. */
  notSubmitted?: string;
}

/** A required exercise with no submission: 0 of its tests (names from the reference solution). */
export function notSubmittedGraded(exercise: string, names: string[] | undefined, message: string): Graded {
  const list = names && names.length ? names : ['submission'];
  return {
    result: { exercise, passed: 0, failed: list.length, total: list.length, tests: list.map((name) => ({ name, status: 'error', message })), durationMs: 0 },
    expectedTests: list,
    notSubmitted: message,
  };
}

/** Headline for a run that never got to its tests, or null. */
export function setupFailure(g: Graded): string | null {
  const r = g.result;
  if (g.notSubmitted) return g.notSubmitted;
  if (r.compileError) {
    const ce = r.compileError;
    return `${g.file ?? 'your code'}:${ce.line}:${ce.column}: does not compile: ${ce.message}`;
  }
  if (r.loadError) return r.loadError;
  return null;
}

/** Tests counted for the score: the real ones, or the expected ones (all failed) after a setup failure. */
export function scoredTests(g: Graded): { name: string; passed: boolean; status: string; message: string; output?: string; extra?: boolean }[] {
  const failure = setupFailure(g);
  if (failure) {
    const names = g.expectedTests && g.expectedTests.length ? g.expectedTests : ['loading your code'];
    return names.map((name) => ({ name, passed: false, status: 'error', message: `not run: ${failure}` }));
  }
  return g.result.tests.map((t) => ({ name: t.name, passed: t.status === 'passed', status: t.status, message: t.message, output: t.output, extra: t.extra }));
}

export function score(graded: Graded[]): { earned: number; max: number } {
  let earned = 0;
  let max = 0;
  for (const g of graded) {
    const ts = scoredTests(g);
    max += ts.length;
    earned += ts.filter((t) => t.passed).length;
  }
  return { earned, max };
}
