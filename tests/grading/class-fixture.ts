/**
 * A generated class for the class-scale tests and the instructor guide's sample report: every
 * exercise's solution, starter and wrong/ answers as fake students, in all three folder layouts.
 *
 *   solution/           a folder per student: <exercise-id>.ts for every exercise (all pass)
 *   starter.json        an "Export my work" file holding every starter (not started)
 *   <id>--<wrong>.<id>.ts  one file per wrong answer, named by student (student = "<id>--<wrong>")
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EXERCISES_DIR, listExerciseIds } from '../../src/grading/node/exercises.ts';
import { makeWork } from '../../src/grading/work.ts';

export interface FakeStudent {
  student: string;
  exercise: string;
  kind: 'solution' | 'starter' | 'wrong';
  /** For wrong answers: the file name under wrong/. */
  wrong?: string;
}

/** Write the class into `dir` (which must exist) and return who is who. */
export function makeFakeClass(dir: string, exercisesDir = DEFAULT_EXERCISES_DIR): FakeStudent[] {
  const ids = listExerciseIds(exercisesDir);
  const who: FakeStudent[] = [];
  mkdirSync(join(dir, 'solution'), { recursive: true });
  const starters: Record<string, { code: string; savedAt: string }> = {};
  for (const id of ids) {
    const ex = join(exercisesDir, id);
    writeFileSync(join(dir, 'solution', `${id}.ts`), readFileSync(join(ex, 'solution.ts')));
    who.push({ student: 'solution', exercise: id, kind: 'solution' });
    starters[id] = { code: readFileSync(join(ex, 'starter.ts'), 'utf8'), savedAt: '2026-11-29T12:00:00Z' };
    who.push({ student: 'starter', exercise: id, kind: 'starter' });
    for (const w of readdirSync(join(ex, 'wrong')).filter((f) => f.endsWith('.ts')).sort()) {
      const student = `${id}--${w.slice(0, -3)}`;
      writeFileSync(join(dir, `${student}.${id}.ts`), readFileSync(join(ex, 'wrong', w)));
      who.push({ student, exercise: id, kind: 'wrong', wrong: w });
    }
  }
  writeFileSync(join(dir, 'starter.json'), JSON.stringify(makeWork('0.1.0', starters, '2026-11-29T12:00:00Z'), null, 2));
  return who;
}
