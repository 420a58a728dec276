/**
 * The grading runtime runs a plain Vitest file unchanged: the conformance fixture (which also runs
 * under real Vitest in the unit project) passes through the grader with the same test names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadExercise } from '../../src/grading/node/exercises.ts';
import { gradeCode } from '../../src/grading/node/grade.ts';
import { FIXTURES } from './helpers.ts';

describe('grading runtime conformance', { timeout: 60_000 }, () => {
  it('passes the conformance file with Vitest-style names, skipping skip/todo', async () => {
    const ex = loadExercise('conformance', FIXTURES);
    const r = await gradeCode(ex, readFileSync(`${FIXTURES}toy-sum/solution.ts`, "utf8"));
    expect(r.tests.filter((t) => t.status !== 'passed')).toEqual([]);
    expect(r.tests.map((t) => t.name)).toEqual([
      'hooks > inner > runs its body between the hooks',
      'hooks > ran every hook in Vitest order (a hook registered after a test still applies)',
      'each > count_present([true,true]) = 2',
      'each > count_present([false]) = 0',
      "each > object case swap has n=1",
      'skipping > still runs the others',
      'matchers > awaits async tests',
      'matchers > has the usual Jest-style matchers',
      'matchers > puts a custom message in front of the failure',
    ]);
  });
});
