/**
 * Grading one exercise's whole suite against its reference solution in Node, in-process through
 * the real path (a fresh sandboxed child per run, the prebuilt bundle, the sealed realm), for each
 * exercise. Budget: ≤ 1 s per exercise. Median of 3 runs per exercise. The whole-process figure
 * (`npm run --silent grade …`) is bench/grade-cli.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listExerciseIds, loadExercise } from '../node/exercises.ts';
import { gradeCode } from '../node/grade.ts';

interface BenchResult {
  name: string;
  value: number;
  unit: string;
  budget: number;
  details?: Record<string, unknown>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const id of listExerciseIds()) {
    const ex = loadExercise(id);
    const code = readFileSync(join(ex.dir, 'solution.ts'), 'utf8');
    const wall: number[] = [];
    let tests = 0;
    let passed = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await gradeCode(ex, code);
      wall.push(performance.now() - t0);
      tests = r.total;
      passed = r.passed;
    }
    out.push({ name: `grade-node-${id}`, value: Math.round(median(wall)), unit: 'ms', budget: 1000, details: { runs: wall.map(Math.round), tests, passed } });
  }
  return out;
}
