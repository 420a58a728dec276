/**
 * Misconception maps: exercises/<id>/misconceptions.json, one entry per misconception — which
 * tests reveal it, which wrong/ answers embody it, which chapter section to revisit.
 *
 *   { "exercise": "<id>",
 *     "misconceptions": [ { "id": "counts-non-swap", "summary": "…", "wrong": ["counts-non-swap.ts"],
 *                           "tests": ["<describe> > <it>", …],
 *                           "revisit": { "chapter": "04-the-scan", "section": "The checks, in order" } } ] }
 *
 * A student "shows" a misconception when they fail every one of its `tests` (the tests were chosen,
 * per wrong answer, to be failed by it and passed by as many other wrong answers as possible).
 * `tests/grading/class.test.ts` checks each map against the exercise: every test name exists, every
 * wrong/ file is listed, and each listed wrong answer really fails every listed test.
 */
import GithubSlugger from 'github-slugger';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Misconception {
  /** Short, stable id (kebab-case), usually the wrong answer's file name without .ts. */
  id: string;
  /** The mistaken belief, one sentence in the learner's words. */
  summary: string;
  /** File names under the exercise's wrong/ that embody it. */
  wrong: string[];
  /** Full test names ("describe > it") that reveal it; failing all of them means showing it. */
  tests: string[];
  /** Where to send a learner who holds it: content slug of the chapter and a heading's text. */
  revisit: { chapter: string; section: string };
}

export interface MisconceptionMap {
  exercise: string;
  misconceptions: Misconception[];
}

export class MisconceptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MisconceptionsError';
  }
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');

/** Validate a parsed misconceptions.json; throws MisconceptionsError naming the file and the field. */
export function parseMisconceptions(raw: unknown, where: string, exerciseId: string): MisconceptionMap {
  const fail = (why: string): never => {
    throw new MisconceptionsError(`${where}: ${why}`);
  };
  const o = raw as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return fail('not a JSON object');
  if (o.exercise !== exerciseId) fail(`"exercise" must be "${exerciseId}" (found ${JSON.stringify(o.exercise)})`);
  if (!Array.isArray(o.misconceptions)) return fail('"misconceptions" must be an array');
  const seen = new Set<string>();
  const list = (o.misconceptions as unknown[]).map((m, i): Misconception => {
    const at = `misconceptions[${i}]`;
    const e = m as Record<string, unknown>;
    if (!e || typeof e !== 'object' || Array.isArray(e)) return fail(`${at} must be an object`);
    if (typeof e.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(e.id)) fail(`${at}.id must be kebab-case`);
    if (seen.has(e.id as string)) fail(`${at}.id "${String(e.id)}" appears twice`);
    seen.add(e.id as string);
    if (typeof e.summary !== 'string' || e.summary.trim() === '') fail(`${at}.summary must be a sentence`);
    if (!isStrings(e.wrong) || e.wrong.length === 0) fail(`${at}.wrong must list the wrong/ files that embody it`);
    if (!isStrings(e.tests) || e.tests.length === 0) fail(`${at}.tests must list at least one test name`);
    const r = e.revisit as Record<string, unknown>;
    if (!r || typeof r.chapter !== 'string' || typeof r.section !== 'string') fail(`${at}.revisit must be { chapter, section }`);
    return { id: e.id as string, summary: e.summary as string, wrong: e.wrong as string[], tests: e.tests as string[], revisit: { chapter: r.chapter as string, section: r.section as string } };
  });
  return { exercise: exerciseId, misconceptions: list };
}

/** exercises/<id>/misconceptions.json, or an empty map when the exercise has none. */
export function loadMisconceptions(exerciseDir: string, exerciseId: string): MisconceptionMap {
  const file = join(exerciseDir, 'misconceptions.json');
  if (!existsSync(file)) return { exercise: exerciseId, misconceptions: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MisconceptionsError(`${file}: ${(e as Error).message}`);
  }
  return parseMisconceptions(raw, file, exerciseId);
}

/**
 * What each misconception's wrong answers fail (all of them, intersected), measured by grading
 * them: misconception id → test names. Lets the report (a) map any failing test to the
 * misconceptions that fail it and (b) not blame a misconception whose revealing tests another
 * diagnosed misconception already explains.
 */
export type Profiles = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Misconceptions a failing set shows: every one of its `tests` is in `failing`. With `profiles`,
 * a candidate M is dropped when another candidate M' already fails all of M's tests (M.tests ⊆
 * profile(M')) but not the other way round — e.g. "aborts on every non-present PTE" also fails the
 * swap-limit counter test, so a student who fails both is not also blamed for forgetting the counter.
 */
export function diagnose(map: MisconceptionMap, failing: ReadonlySet<string>, profiles?: Profiles): Misconception[] {
  const candidates = map.misconceptions.filter((m) => m.tests.every((t) => failing.has(t)));
  if (!profiles) return candidates;
  const explains = (by: Misconception, m: Misconception) => {
    const p = profiles.get(by.id);
    return p !== undefined && m.tests.every((t) => p.has(t));
  };
  return candidates.filter((m) => !candidates.some((o) => o !== m && explains(o, m) && !explains(m, o)));
}

/** Misconceptions whose wrong answers fail `testName` (by profile), else whose `tests` list it. */
export function misconceptionsOfTest(map: MisconceptionMap, testName: string, profiles?: Profiles): Misconception[] {
  return map.misconceptions.filter((m) => m.tests.includes(testName) || (profiles?.get(m.id)?.has(testName) ?? false));
}

/** The site path of a revisit section: "/<chapter>/#<heading id>" (heading ids as Astro makes them: github-slugger). */
export function revisitHref(r: Misconception['revisit']): string {
  return `/${r.chapter}/#${new GithubSlugger().slug(r.section)}`;
}

