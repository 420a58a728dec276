/**
 * How a run's results are arranged for reading (issue 14, "Failures a learner can read"), as pure
 * data so it is tested in Node (tests/components/failure-groups.test.ts) and drawn by ./results.ts:
 *
 * - tests are grouped by their describe block (the name up to the last " > ");
 * - inside a group, failures that fail *the same way* are folded behind the first one: same
 *   status, and messages that read alike once the details that vary from case to case (numbers,
 *   quoted layouts and values) are blanked out — a token-set similarity, not a list of known
 *   message formats, so it holds for any exercise's messages.
 */
import type { TestResult } from '../../grading/types.ts';

/** Separator between describe blocks and the test title in `TestResult.name`. */
export const NAME_SEP = ' > ';

export function splitName(name: string): { group: string; title: string } {
  const i = name.lastIndexOf(NAME_SEP);
  return i < 0 ? { group: '', title: name } : { group: name.slice(0, i), title: name.slice(i + NAME_SEP.length) };
}

/** The words of a message with the case-specific details blanked: numbers, quoted text, layouts. */
export function messageShape(message: string): Set<string> {
  const text = message
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|“[^”]*”|`[^`]*`/g, ' Q ')
    .replace(/\b[\w+-]+\*\d+\b/g, ' L ') // layout items such as page*511
    .replace(/0x[0-9a-f]+|\d+(?:\.\d+)?/gi, ' N ');
  return new Set(text.toLowerCase().split(/[^\w]+/).filter(Boolean));
}

/** Dice coefficient of two token sets (1 = same words). */
function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let both = 0;
  for (const t of a) if (b.has(t)) both++;
  return (2 * both) / (a.size + b.size);
}

/** How alike two messages must read to count as "the same way". */
export const ALIKE_THRESHOLD = 0.8;

export interface FailureFold {
  /** Shown in full. */
  first: TestResult;
  /** Failed the same way as `first`: folded behind "N more like this". */
  alike: TestResult[];
}

export interface ResultGroup {
  /** The describe block ("" for top-level tests). */
  name: string;
  total: number;
  passed: TestResult[];
  /** Failures (any status but passed), folded, in the order they ran. */
  folds: FailureFold[];
}

/** Group by describe block (in order of first appearance) and fold alike failures in each. */
export function groupResults(tests: readonly TestResult[]): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  const shapes = new Map<FailureFold, Set<string>>();
  for (const t of tests) {
    const { group } = splitName(t.name);
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { name: group, total: 0, passed: [], folds: [] }));
    g.total++;
    if (t.status === 'passed') {
      g.passed.push(t);
      continue;
    }
    const shape = messageShape(t.message);
    const fold = g.folds.find((f) => f.first.status === t.status && similarity(shapes.get(f)!, shape) >= ALIKE_THRESHOLD);
    if (fold) fold.alike.push(t);
    else {
      const f = { first: t, alike: [] };
      g.folds.push(f);
      shapes.set(f, shape);
    }
  }
  return [...groups.values()];
}

/** Failures in a grouping (shown in full + folded): equals the run's failed count. */
export function countFailures(groups: readonly ResultGroup[]): number {
  return groups.reduce((n, g) => n + g.folds.reduce((m, f) => m + 1 + f.alike.length, 0), 0);
}
