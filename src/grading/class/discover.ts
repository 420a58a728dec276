/**
 * Finding a class's submissions in a folder (`grade --class <dir>`). Three layouts, mixable:
 *
 *   <dir>/<student>/<exercise-id>.ts        a sub-folder per student, one file per exercise
 *   <dir>/<student>/<anything>.json         … and/or their "Export my work" file(s) in it
 *   <dir>/<student>.<exercise-id>.ts        files named by student (the student is everything
 *                                           before the last ".<exercise-id>.ts")
 *   <dir>/<student>.json                    a student's "Export my work" file
 *
 * As in the Gradescope kit, a .ts file wins over the same exercise inside an export. Symbolic
 * links are not followed, files over 512 KB are not read, and anything else is listed as a
 * problem in the report (never silently dropped). The report's own class.csv / class.md are
 * skipped, so a class can be re-graded in place.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWork, WorkFormatError } from '../work.ts';

export interface Submission {
  student: string;
  exercise: string;
  code: string;
  /** Where it came from, relative to the class folder ("alice/early-abort.ts", "bob.json"). */
  from: string;
}

export interface Problem {
  /** Relative path of the file or folder. */
  path: string;
  student?: string;
  message: string;
}

export interface Discovered {
  /** Every student seen (even one whose only file was unreadable), sorted. */
  students: string[];
  submissions: Submission[];
  problems: Problem[];
}

export const MAX_SUBMISSION_BYTES = 512 * 1024;
const OWN_OUTPUTS = new Set(['class.csv', 'class.md']);

/** Sort student names as a person would ("s2" before "s10"). */
export const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);

interface Candidate {
  student: string;
  exercise: string;
  code: string;
  from: string;
  kind: 'ts' | 'export';
}

export function discoverSubmissions(dir: string, knownExercises: readonly string[]): Discovered {
  const known = new Set(knownExercises);
  const problems: Problem[] = [];
  const students = new Set<string>();
  const candidates: Candidate[] = [];
  const idList = [...known].sort().join(', ');

  /** Read a regular file within the size cap, or record why not. */
  const read = (abs: string, rel: string, student?: string): string | null => {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      problems.push({ path: rel, student, message: 'a symbolic link: not followed' });
      return null;
    }
    if (!st.isFile()) {
      problems.push({ path: rel, student, message: 'not a regular file: skipped' });
      return null;
    }
    if (st.size > MAX_SUBMISSION_BYTES) {
      problems.push({ path: rel, student, message: `${Math.round(st.size / 1024)} KB is over the ${MAX_SUBMISSION_BYTES / 1024} KB limit for one submission file: not read` });
      return null;
    }
    return readFileSync(abs, 'utf8');
  };

  const addExport = (abs: string, rel: string, student: string) => {
    const text = read(abs, rel, student);
    if (text === null) return;
    try {
      const work = parseWork(text);
      for (const [id, ex] of Object.entries(work.exercises)) {
        if (!known.has(id)) problems.push({ path: rel, student, message: `holds exercise '${id}', which this course does not have (known: ${idList}): ignored` });
        else candidates.push({ student, exercise: id, code: ex.code, from: rel, kind: 'export' });
      }
    } catch (e) {
      problems.push({ path: rel, student, message: e instanceof WorkFormatError ? e.message : `could not be read: ${(e as Error).message}` });
    }
  };

  for (const name of readdirSync(dir).sort(byName)) {
    if (name.startsWith('.') || OWN_OUTPUTS.has(name)) continue;
    const abs = join(dir, name);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      problems.push({ path: name, message: 'a symbolic link: not followed' });
      continue;
    }
    if (st.isDirectory()) {
      const student = name;
      students.add(student);
      for (const inner of readdirSync(abs).sort(byName)) {
        if (inner.startsWith('.')) continue;
        const rel = `${name}/${inner}`;
        const id = inner.endsWith('.ts') ? inner.slice(0, -3) : null;
        if (id !== null && known.has(id)) {
          const code = read(join(abs, inner), rel, student);
          if (code !== null) candidates.push({ student, exercise: id, code, from: rel, kind: 'ts' });
        } else if (inner.endsWith('.json')) {
          addExport(join(abs, inner), rel, student);
        } else {
          problems.push({ path: rel, student, message: `ignored: not <exercise-id>.ts (${idList}) nor an exported-work .json` });
        }
      }
      continue;
    }
    if (name.endsWith('.json')) {
      const student = name.slice(0, -'.json'.length);
      students.add(student);
      addExport(abs, name, student);
      continue;
    }
    const m = /^(.+)\.([a-z0-9][a-z0-9-]*)\.ts$/i.exec(name);
    if (m && known.has(m[2])) {
      const student = m[1];
      students.add(student);
      const code = read(abs, name, student);
      if (code !== null) candidates.push({ student, exercise: m[2], code, from: name, kind: 'ts' });
      continue;
    }
    problems.push({ path: name, message: `ignored: name it <student>.<exercise-id>.ts (${idList}), <student>.json, or put it in a folder per student` });
  }

  // One submission per student and exercise: a .ts file wins over an export; two of a kind is a
  // problem (the first by path is graded, and the report says so).
  const chosen = new Map<string, Candidate>();
  for (const c of candidates) {
    const key = `${c.student}\u0000${c.exercise}`;
    const prev = chosen.get(key);
    if (!prev) {
      chosen.set(key, c);
    } else if (prev.kind === 'export' && c.kind === 'ts') {
      chosen.set(key, c);
    } else if (prev.kind === c.kind) {
      problems.push({ path: c.from, student: c.student, message: `a second submission of '${c.exercise}' for ${c.student}: ${prev.from} was graded, this one was not` });
    }
  }
  const submissions = [...chosen.values()]
    .map(({ student, exercise, code, from }) => ({ student, exercise, code, from }))
    .sort((a, b) => byName(a.student, b.student) || (a.exercise < b.exercise ? -1 : a.exercise > b.exercise ? 1 : 0));
  return { students: [...students].sort(byName), submissions, problems };
}
