/**
 * The class report: class.csv (student × exercise: score, status) and class.md (per exercise the
 * pass rate, the misconceptions seen, and the failing tests ranked by how many students fail them,
 * each mapped to the misconception it catches and the section to revisit). Pure: cells in, text out.
 */
import type { MisconceptionMap, Profiles } from './misconceptions.ts';
import { diagnose, misconceptionsOfTest, revisitHref } from './misconceptions.ts';
import type { Problem } from './discover.ts';

/**
 * One student × exercise result.
 * - `passed` / `total`: tests passed, tests run (0/0 when nothing ran).
 * - `status`: `passed` every test passes; `failed` some test does not; `not-started` the code is
 *   still the starter; `compile-error` / `load-error` no test ran (message says why); `missing` no
 *   submission; `grader-error` the grader itself failed on this submission.
 * - `failing`: names of the tests that did not pass (empty unless status is failed / not-started).
 */
export interface Cell {
  student: string;
  exercise: string;
  status: 'passed' | 'failed' | 'not-started' | 'compile-error' | 'load-error' | 'missing' | 'grader-error';
  passed: number;
  total: number;
  failing: string[];
  message?: string;
  /** The seed the submission was graded for (a seeded class). */
  seed?: string;
  from?: string;
}

export interface ExerciseInfo {
  id: string;
  title: string;
  map: MisconceptionMap;
  /** What each misconception's wrong answers fail (measured); improves diagnosis and the test → misconception mapping. */
  profiles?: Profiles;
  /** Test names in file order (ties in the ranking keep this order). */
  order?: string[];
}

export interface ReportInput {
  students: string[];
  exercises: ExerciseInfo[];
  cells: Cell[];
  problems: Problem[];
  /** Where the class came from (shown in class.md's first line), e.g. "submissions in ./class". */
  source: string;
  seeded?: boolean;
  /** Failing tests listed per exercise before "… and N more" (default 15). */
  topTests?: number;
}

/** Tests of a seeded variant are grouped under this describe block (exercises' test files). */
export const VARIANT_TEST_PREFIX = 'your variant > ';

/** A cell in a spreadsheet-safe, RFC 4180 CSV field. Hand-rolled: six lines, and the repo has no CSV library. */
export function csvField(value: string): string {
  // A leading = + - @ (or tab/CR) makes spreadsheets evaluate the cell (CSV injection): prefix a quote.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const score = (c: Cell | undefined): string => (c && c.total > 0 && c.status !== 'missing' ? (c.passed / c.total).toFixed(4) : '');

const cellKey = (student: string, exercise: string) => `${student}\u0000${exercise}`;

/** class.csv: `student[,seed]`, then `<id> score` (0–1, 4 decimals; empty when missing) and `<id> status` per exercise. */
export function formatClassCsv(input: ReportInput): string {
  const byKey = new Map(input.cells.map((c) => [cellKey(c.student, c.exercise), c]));
  const head = ['student', ...(input.seeded ? ['seed'] : []), ...input.exercises.flatMap((e) => [`${e.id} score`, `${e.id} status`])];
  const rows = input.students.map((s) => {
    const seed = input.cells.find((c) => c.student === s && c.seed !== undefined)?.seed ?? '';
    const per = input.exercises.flatMap((e) => {
      const c = byKey.get(cellKey(s, e.id));
      return [score(c), c?.status ?? 'missing'];
    });
    return [s, ...(input.seeded ? [seed] : []), ...per];
  });
  return `${[head, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** Text safe inside a Markdown table cell: no pipes, no newlines, no HTML, no link syntax. */
export function mdText(value: string): string {
  return value
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#])/g, '\\$1');
}

const pct = (n: number, d: number) => (d === 0 ? '—' : `${Math.round((100 * n) / d)}%`);

function names(list: string[], max = 8): string {
  const shown = list.slice(0, max).map(mdText).join(', ');
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

/** class.md, as described at the top of this file. Deterministic: same cells, same text. */
export function formatClassMd(input: ReportInput): string {
  const top = input.topTests ?? 15;
  const out: string[] = [];
  const n = input.students.length;
  out.push('# Class report', '');
  out.push(`${n} student${n === 1 ? '' : 's'}, ${input.exercises.length} exercise${input.exercises.length === 1 ? '' : 's'}; ${mdText(input.source)}${input.seeded ? '; each student graded on the variant of their own seed' : ''}.`, '');
  out.push('| exercise | passed | failed | not started | did not load | missing | pass rate (of submitted) |', '|---|---:|---:|---:|---:|---:|---:|');
  const perExercise = input.exercises.map((e) => {
    const cells = input.students.map((s) => input.cells.find((c) => c.student === s && c.exercise === e.id) ?? ({ student: s, exercise: e.id, status: 'missing', passed: 0, total: 0, failing: [] } as Cell));
    const count = (st: Cell['status'][]) => cells.filter((c) => st.includes(c.status)).length;
    const submitted = n - count(['missing']);
    out.push(`| ${mdText(e.id)} | ${count(['passed'])} | ${count(['failed'])} | ${count(['not-started'])} | ${count(['compile-error', 'load-error', 'grader-error'])} | ${count(['missing'])} | ${pct(count(['passed']), submitted)} |`);
    return { e, cells, submitted, passed: count(['passed']) };
  });
  out.push('');
  for (const { e, cells, submitted, passed } of perExercise) {
    out.push(`## ${mdText(e.id)} — ${mdText(e.title)}`, '');
    out.push(`Pass rate: ${passed} of ${submitted} submitted (${pct(passed, submitted)}); ${passed} of ${n} in the class.`, '');
    // Only attempts count toward misconceptions: an untouched starter fails by design.
    const attempts = cells.filter((c) => c.status === 'failed');
    const shown = new Map<string, string[]>();
    for (const c of attempts) {
      for (const m of diagnose(e.map, new Set(c.failing), e.profiles)) shown.set(m.id, [...(shown.get(m.id) ?? []), c.student]);
    }
    const ranked = e.map.misconceptions.filter((m) => shown.has(m.id)).sort((a, b) => (shown.get(b.id)?.length ?? 0) - (shown.get(a.id)?.length ?? 0));
    if (ranked.length) {
      out.push('### Misconceptions seen', '', '| students | misconception | revisit |', '|---:|---|---|');
      for (const m of ranked) {
        const who = shown.get(m.id) ?? [];
        out.push(`| ${who.length} | **${mdText(m.id)}** — ${mdText(m.summary)}<br>${names(who)} | [${mdText(`${m.revisit.chapter} › ${m.revisit.section}`)}](${revisitHref(m.revisit)}) |`);
      }
      out.push('');
    } else if (attempts.length) {
      out.push('No attempt matches a known misconception: read the failing tests below.', '');
    }
    const failCount = new Map<string, number>();
    for (const c of attempts) for (const t of c.failing) failCount.set(t, (failCount.get(t) ?? 0) + 1);
    const order = e.order ?? [];
    const pos = (t: string) => (order.includes(t) ? order.indexOf(t) : order.length);
    const tests = [...failCount.entries()].sort((a, b) => b[1] - a[1] || pos(a[0]) - pos(b[0]) || (a[0] < b[0] ? -1 : 1));
    if (tests.length) {
      out.push(`### Failing tests, most failed first (of ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} that ran and failed)`, '');
      out.push('| students | test | catches | revisit |', '|---:|---|---|---|');
      for (const [t, k] of tests.slice(0, top)) {
        // Misconceptions seen in this class first, then by how many students show them.
        const all = misconceptionsOfTest(e.map, t, e.profiles).sort((a, b) => (shown.get(b.id)?.length ?? 0) - (shown.get(a.id)?.length ?? 0));
        const ms = all.slice(0, 3);
        const catches = ms.length ? `${ms.map((m) => mdText(m.id)).join(', ')}${all.length > 3 ? ` (+${all.length - 3} more)` : ''}` : '—';
        // The section of the misconception most seen in this class (the others are in the table above).
        const revisit = ms[0] ? `[${mdText(ms[0].revisit.section)}](${revisitHref(ms[0].revisit)})` : '';
        out.push(`| ${k} | ${mdText(t)} | ${catches} | ${revisit || '—'} |`);
      }
      if (tests.length > top) out.push('', `… and ${tests.length - top} more failing tests, each failed by fewer students.`);
      out.push('');
    }
    if (input.seeded) {
      // Everything right except the tests of the student's own variant: the answer solves some other
      // variant (a neighbour's, or the unseeded exercise). Worth a conversation, not a verdict.
      const other = attempts.filter((c) => c.failing.length > 0 && c.failing.every((t) => t.startsWith(VARIANT_TEST_PREFIX)));
      if (other.length) {
        out.push('### Solved a different variant', '', `${other.length} student${other.length === 1 ? '' : 's'} passed every test except those of their own variant: ${names(other.map((c) => c.student), 50)}.`, '');
      }
    }
    const broken = cells.filter((c) => c.status === 'compile-error' || c.status === 'load-error' || c.status === 'grader-error');
    if (broken.length) {
      out.push('### Could not be graded', '');
      for (const c of broken) out.push(`- ${mdText(c.student)} (${c.status}): ${mdText((c.message ?? '').slice(0, 300))}`);
      out.push('');
    }
  }
  if (input.problems.length) {
    out.push('## Files not graded', '');
    for (const p of input.problems) out.push(`- ${mdText(p.path)}: ${mdText(p.message)}`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
