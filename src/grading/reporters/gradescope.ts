/**
 * Gradescope autograder results (/autograder/results/results.json): one point per test.
 * Spec: https://gradescope-autograders.readthedocs.io/en/latest/specs/
 */
import { scoredTests, setupFailure, type Graded } from './common.ts';
import { escapeControl, escapeLine } from './escape.ts';

const round = (x: number) => Math.round(x * 10_000) / 10_000;

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  visibility: 'visible' | 'hidden' | 'after_due_date' | 'after_published';
}

export interface GradescopeResults {
  score: number;
  max_score: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
}

export type Visibility = GradescopeTest['visibility'];

/**
 * @param pointsPerExercise when set, each exercise is worth this many points, split evenly over
 *   its tests (otherwise every test is worth 1 point).
 * @param extraVisibility Gradescope visibility of instructor extra tests (default 'visible').
 */
export function gradescopeResults(
  graded: Graded[],
  executionMs: number,
  multi = graded.length !== 1,
  pointsPerExercise?: number,
  extraVisibility: Visibility = 'visible',
): GradescopeResults {
  const tests: GradescopeTest[] = [];
  const summary: string[] = [];
  let earned = 0;
  let max = 0;
  for (const g of graded) {
    const failure = setupFailure(g);
    const ts = scoredTests(g);
    const each = pointsPerExercise && ts.length ? pointsPerExercise / ts.length : 1;
    summary.push(`${g.result.exercise}: ${ts.filter((t) => t.passed).length}/${ts.length} tests passed${failure ? ` — ${failure}` : ''}`);
    for (const t of ts) {
      const parts = [t.passed ? '' : `${t.status}: ${t.message}`];
      if (t.output) parts.push(`your code printed:\n${t.output}`);
      tests.push({
        name: escapeLine(multi ? `${g.result.exercise}: ${t.name}` : t.name),
        score: t.passed ? round(each) : 0,
        max_score: round(each),
        status: t.passed ? 'passed' : 'failed',
        // Gradescope shows this text in the browser: bidi overrides and other controls could reorder or hide it.
        output: escapeControl(parts.filter(Boolean).join('\n\n')),
        visibility: t.extra ? extraVisibility : 'visible',
      });
      max += each;
      if (t.passed) earned += each;
    }
  }
  return {
    score: round(earned),
    max_score: round(max),
    execution_time: Math.round(executionMs) / 1000,
    output: escapeControl(summary.join('\n')),
    output_format: 'text',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
  };
}

/** A results.json for when nothing could be graded at all (no submission, unreadable file). */
export function gradescopeFailure(message: string, executionMs = 0): GradescopeResults {
  return { score: 0, max_score: 0, execution_time: executionMs / 1000, output: escapeControl(message), output_format: 'text', visibility: 'visible', stdout_visibility: 'hidden', tests: [] };
}

export function formatGradescope(graded: Graded[], executionMs: number): string {
  return JSON.stringify(gradescopeResults(graded, executionMs), null, 2);
}
