/**
 * Seeded variants (issue 15): one exercise, a different instance per student, derived from a seed
 * (a student id) the same way in Node (`grade --seed`, `grade --class --seeds student`) and in the
 * browser (`?seed=…` on a course page). Pure: no Node APIs, no DOM, no clock, no randomness other
 * than the seed — so the same seed gives the same variant wherever this module runs.
 *
 * Contract of this module:
 *   - `deriveVariant(exerciseId, seed)` → the variant; without a seed (undefined/null) the
 *     exercise's default, which is the exercise exactly as written. Throws VariantError for a seed
 *     that is empty, longer than 200 characters or holds control characters.
 *   - `bindVariant(testSource, variant)` → the test source with its variant literal replaced. A test
 *     file that has variants declares them between the markers below; both runners already ship
 *     test sources to their worker, so binding the text is the one place both can supply a variant
 *     without widening what the sandboxed runtime hands out (learner code never sees test sources).
 *
 *       const VARIANT = /* collapse-lab:variant *\/ { …default… } /* /collapse-lab:variant *\/;
 *
 * Which exercises have variants, and their parameters: exercises/<id>/variants.json (today only
 * race-schedule). A variant is not a secret — anyone who knows a student's id can derive it; it
 * stops copying a neighbour's answer, not a determined cheat.
 */
import raceParams from '../../exercises/race-schedule/variants.json' with { type: 'json' };

/** The real kernel events a race-schedule variant can ask for (a subset of the engine's actors). */
export type RaceActor = 'migration_start' | 'memory_failure' | 'device_exclusive' | 'madv_guard_install';

/**
 * A race-schedule variant. Plain JSON (it is written into the test source as a literal).
 * - `seed`: the normalised seed, or null for the default (unseeded) exercise.
 * - `layout`: the range the schedule is replayed on (scenario notation, 512 PTEs).
 * - `swapStart`: first slot of the 64 swap entries (slots swapStart..swapStart+63).
 * - `slot` / `actor`: the present slot the race must turn into a non-swap entry, and the real
 *   event that must do it; null in the default (any slot, any real actor).
 * - `extraLayouts`: other layouts on which `slot` is still a present page (for hidden tests).
 */
export interface RaceScheduleVariant {
  exercise: 'race-schedule';
  seed: string | null;
  layout: string;
  swapStart: number;
  slot: number | null;
  actor: RaceActor | null;
  extraLayouts: string[];
}

export type ExerciseVariant = RaceScheduleVariant;

export class VariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VariantError';
  }
}

/** Markers around the variant literal in a test file (see bindVariant). */
export const VARIANT_BEGIN = '/* collapse-lab:variant */';
export const VARIANT_END = '/* /collapse-lab:variant */';

/** Exercises that declare variants (a folder with variants.json read above). */
export const VARIANT_EXERCISES: readonly string[] = Object.freeze(['race-schedule']);

const PTES = 512;
const MAX_SEED_CHARS = 200;

/**
 * Normalise a seed: trimmed, Unicode NFC, lower case (student ids "S123" and " s123" are the same
 * student). Throws VariantError when nothing is left, when it is longer than 200 characters, or when
 * it holds control characters.
 */
export function normalizeSeed(seed: string): string {
  if (typeof seed !== 'string') throw new VariantError('a seed must be a string (e.g. a student id)');
  const s = seed.trim().normalize('NFC').toLowerCase();
  if (s === '') throw new VariantError('the seed is empty: give a student id, e.g. --seed s1234567');
  if (s.length > MAX_SEED_CHARS) throw new VariantError(`the seed is ${s.length} characters long; at most ${MAX_SEED_CHARS} are accepted`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new VariantError('the seed holds control characters; use a plain student id');
  return s;
}

/**
 * 32-bit hash of a string's UTF-8 bytes: FNV-1a, then MurmurHash3's fmix32 finaliser to spread
 * the bits. Hand-rolled on purpose: it must be synchronous and identical in Node, a browser page
 * and a Worker, and the platform's hash (Web Crypto `digest`) is asynchronous only. It is not a
 * security primitive (variants are not secrets).
 */
export function hashSeed(text: string): number {
  const bytes = new TextEncoder().encode(text);
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a tiny deterministic generator over a 32-bit state, returning integers in [0, n). */
function generator(state: number): (n: number) => number {
  let a = state >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(u * n);
  };
}

/** "page*A,swap*64,page*B" in scenario notation, leaving out empty runs. */
function raceLayout(swapStart: number, swapCount: number): string {
  const after = PTES - swapStart - swapCount;
  return [swapStart > 0 ? `page*${swapStart}` : '', `swap*${swapCount}`, after > 0 ? `page*${after}` : ''].filter(Boolean).join(',');
}

function raceVariant(seed: string | null): RaceScheduleVariant {
  const p = raceParams as { default: { layout: string; swapStart: number }; swapCount: number; swapStarts: number[]; actors: RaceActor[] };
  if (seed === null) {
    return { exercise: 'race-schedule', seed: null, layout: p.default.layout, swapStart: p.default.swapStart, slot: null, actor: null, extraLayouts: [] };
  }
  const next = generator(hashSeed(`race-schedule\u0000${seed}`));
  const swapStart = p.swapStarts[next(p.swapStarts.length)];
  const actor = p.actors[next(p.actors.length)];
  // The slot is one of the 448 present slots: index k among them, skipping the swap block.
  const k = next(PTES - p.swapCount);
  const slot = k < swapStart ? k : k + p.swapCount;
  const extraLayouts = p.swapStarts
    .filter((s) => s !== swapStart && (slot < s || slot >= s + p.swapCount))
    .map((s) => raceLayout(s, p.swapCount));
  return { exercise: 'race-schedule', seed, layout: raceLayout(swapStart, p.swapCount), swapStart, slot, actor, extraLayouts };
}

/**
 * The variant of `exerciseId` for `seed` (a student id; normalised with normalizeSeed), or the
 * default variant when `seed` is undefined or null. Returns null for an exercise without variants.
 * Same inputs → same output, in any JavaScript runtime.
 */
export function deriveVariant(exerciseId: string, seed?: string | null): ExerciseVariant | null {
  if (!VARIANT_EXERCISES.includes(exerciseId)) return null;
  const s = seed === undefined || seed === null ? null : normalizeSeed(seed);
  return raceVariant(s);
}

/** One line for a learner or an instructor: "your variant: …". */
export function describeVariant(v: ExerciseVariant): string {
  if (v.seed === null || v.slot === null || v.actor === null) return `the range is "${v.layout}"; any real actor, any slot`;
  const last = v.swapStart + 63;
  return `the range is "${v.layout}" (swap entries in slots ${v.swapStart}–${last}); make ${v.actor} turn the page in slot ${v.slot} into a non-swap entry that the old swap-in hands to do_swap_page()`;
}

/**
 * Replace the variant literal of a test source (between VARIANT_BEGIN and VARIANT_END) with
 * `variant` as JSON. A source without the markers is returned unchanged (it has no variants, e.g. an
 * instructor's extra test that does not ask). Throws VariantError when the markers are there but
 * broken (only one of them, or twice), so a variant is never silently dropped.
 */
export function bindVariant(testSource: string, variant: ExerciseVariant): string {
  const begin = testSource.indexOf(VARIANT_BEGIN);
  const end = testSource.indexOf(VARIANT_END);
  if (begin < 0 && end < 0) return testSource;
  if (begin < 0 || end < begin || testSource.indexOf(VARIANT_BEGIN, begin + 1) >= 0 || testSource.indexOf(VARIANT_END, end + 1) >= 0) {
    throw new VariantError(`the test source's variant markers are broken: it needs exactly one ${VARIANT_BEGIN} … ${VARIANT_END}`);
  }
  return `${testSource.slice(0, begin + VARIANT_BEGIN.length)} ${JSON.stringify(variant)} ${testSource.slice(end)}`;
}

/**
 * The variant literal written in a test source (between the markers), parsed; null when the source
 * has no markers. For checks that a test file's default is deriveVariant(id) without a seed.
 */
export function readBoundVariant(testSource: string): unknown {
  const begin = testSource.indexOf(VARIANT_BEGIN);
  const end = testSource.indexOf(VARIANT_END);
  if (begin < 0 || end < begin) return null;
  const literal = testSource.slice(begin + VARIANT_BEGIN.length, end).trim();
  // The literal is written as JSON (keys quoted) so it can be read back without evaluating code.
  return JSON.parse(literal) as unknown;
}

/** The raw `seed` parameter of a query string ("?seed=s123&x=1"), or null. */
export function seedFromSearch(search: string): string | null {
  return new URLSearchParams(search).get('seed');
}

/**
 * For the browser runner: `testSource` bound to the variant of the seed in `search` (a page's
 * `location.search`); unchanged without a seed, for an exercise without variants, or when the seed
 * is unusable (the page banner says so).
 */
export function bindVariantForSearch(exerciseId: string, testSource: string, search: string): string {
  const raw = seedFromSearch(search);
  if (raw === null) return testSource;
  let v: ExerciseVariant | null;
  try {
    v = deriveVariant(exerciseId, normalizeSeed(raw));
  } catch {
    return testSource;
  }
  return v ? bindVariant(testSource, v) : testSource;
}
