/**
 * Reading progress beside the exercises (issue 14, "Progress that tells the truth"): which pages
 * were read to the end and which quizzes were answered, in the same localStorage as the saved
 * code, and in the same export file (an optional top-level `progress` field of the
 * `collapse-lab-work` v1 export; see `parseProgress`).
 *
 * Key: `collapse-lab:progress:v1` → JSON `CourseProgress`. Like ./storage.ts, nothing here throws
 * and unreadable data is set aside under `collapse-lab:progress:v1:corrupt:<time>`, never deleted.
 * Loaded on every page (through the sidebar's marks script), so it stays small.
 */
import { browserStore, type KeyValueStore } from './storage.ts';

export const COURSE_PROGRESS_KEY = 'collapse-lab:progress:v1';
/** Fired on `window` when reading progress changes in this tab (other tabs: storage events). */
export const READING_EVENT = 'collapse-lab:reading';
/** What a quiz dispatches on `document` when answered (the Quiz component, chapters developer). */
export const QUIZ_EVENT = 'collapse-lab:quiz';

export interface QuizAnswer {
  /** The latest answer was right. */
  correct: boolean;
  /** ISO time of the latest answer. */
  answeredAt: string;
  /** Answered right at least once. */
  everCorrect?: boolean;
}

export interface CourseProgress {
  /** Page slug ("04-the-scan") → when its end was first reached. */
  chapters: Record<string, { readAt: string }>;
  /** Page slug → quiz id (the Quiz component's stable id) → the answer. */
  quizzes: Record<string, Record<string, QuizAnswer>>;
}

const empty = (): CourseProgress => ({ chapters: {}, quizzes: {} });

/** Limits on what is kept or imported (a flood of made-up pages must not fill the storage). */
const MAX_PAGES = 500;
const MAX_QUIZZES_PER_PAGE = 100;
const SLUG = /^[a-z0-9][a-z0-9/_-]{0,199}$/;
const QUIZ_ID = /^[A-Za-z0-9_-]{1,100}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** "/04-the-scan/" or "04-the-scan" or a full URL → "04-the-scan" ("" for the home page). */
export function pageSlug(page: string): string {
  let p = page;
  try {
    if (/^[a-z]+:\/\//i.test(p)) p = new URL(p).pathname;
    p = decodeURIComponent(p);
  } catch {
    /* keep as given */
  }
  return p.replace(/[?#].*$/, '').replace(/^\/+|\/+$/g, '').replace(/\/index(\.html)?$/, '');
}

/**
 * Validate a `progress` value from storage or an export. Bad entries are dropped and counted,
 * never fatal. `knownPages` (slugs), when given, drops pages this course does not have.
 */
export function parseProgress(v: unknown, knownPages?: readonly string[]): { progress: CourseProgress; dropped: number } {
  const out = empty();
  let dropped = 0;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { progress: out, dropped: v === undefined ? 0 : 1 };
  const o = v as Record<string, unknown>;
  const known = knownPages ? new Set(knownPages) : null;
  const pageOk = (p: string) => SLUG.test(p) && (!known || known.has(p));
  if (typeof o.chapters === 'object' && o.chapters !== null) {
    for (const [p, c] of Object.entries(o.chapters as Record<string, unknown>)) {
      const at = (c as { readAt?: unknown } | null)?.readAt;
      if (pageOk(p) && typeof at === 'string' && ISO.test(at) && Object.keys(out.chapters).length < MAX_PAGES) out.chapters[p] = { readAt: at };
      else dropped++;
    }
  }
  if (typeof o.quizzes === 'object' && o.quizzes !== null) {
    for (const [p, qs] of Object.entries(o.quizzes as Record<string, unknown>)) {
      if (!pageOk(p) || typeof qs !== 'object' || qs === null || Object.keys(out.quizzes).length >= MAX_PAGES) {
        dropped++;
        continue;
      }
      const page: Record<string, QuizAnswer> = {};
      for (const [q, a] of Object.entries(qs as Record<string, unknown>)) {
        const x = a as Partial<QuizAnswer> | null;
        if (QUIZ_ID.test(q) && x && typeof x.correct === 'boolean' && typeof x.answeredAt === 'string' && ISO.test(x.answeredAt) && (x.everCorrect === undefined || typeof x.everCorrect === 'boolean') && Object.keys(page).length < MAX_QUIZZES_PER_PAGE) {
          page[q] = { correct: x.correct, answeredAt: x.answeredAt, ...(x.everCorrect || x.correct ? { everCorrect: true } : {}) };
        } else dropped++;
      }
      if (Object.keys(page).length) out.quizzes[p] = page;
    }
  }
  return { progress: out, dropped };
}

export interface ProgressLoad {
  progress: CourseProgress;
  /** Where unreadable stored progress was set aside (it was not deleted). */
  setAsideTo?: string;
}

/**
 * Read the reading progress (empty when none or unavailable). Damaged data is copied aside under
 * `…:corrupt:<time>` and the readable part kept; if there is no room for the copy, the stored data
 * is left untouched and only read.
 */
export function loadProgress(store: KeyValueStore | null = browserStore(), now: () => Date = () => new Date()): ProgressLoad {
  if (!store) return { progress: empty() };
  let raw: string | null;
  try {
    raw = store.getItem(COURSE_PROGRESS_KEY);
  } catch {
    return { progress: empty() };
  }
  if (raw === null) return { progress: empty() };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = null;
  }
  const { progress, dropped } = parseProgress(v);
  if (v !== null && dropped === 0) return { progress };
  const aside = `${COURSE_PROGRESS_KEY}:corrupt:${now().toISOString()}`;
  try {
    store.setItem(aside, raw);
    store.setItem(COURSE_PROGRESS_KEY, JSON.stringify(progress));
    return { progress, setAsideTo: aside };
  } catch {
    return { progress };
  }
}

function write(store: KeyValueStore, p: CourseProgress): boolean {
  try {
    store.setItem(COURSE_PROGRESS_KEY, JSON.stringify(p));
    return true;
  } catch {
    // Full or refused: reading progress is a nicety and the learner's code has priority, so this
    // is reported (false) but never worked around by evicting anything.
    return false;
  }
}

/** Record that `page`'s end was reached (first time only). Returns true when something changed. */
export function markRead(page: string, store: KeyValueStore | null = browserStore(), now: () => Date = () => new Date()): boolean {
  const slug = pageSlug(page);
  if (!store || !SLUG.test(slug)) return false;
  const { progress } = loadProgress(store, now);
  if (progress.chapters[slug] || Object.keys(progress.chapters).length >= MAX_PAGES) return false;
  progress.chapters[slug] = { readAt: now().toISOString() };
  return write(store, progress);
}

/** Record a quiz answer (the latest answer counts; `everCorrect` remembers a right one). */
export function recordQuiz(
  page: string,
  quiz: string,
  correct: boolean,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): boolean {
  const slug = pageSlug(page);
  if (!store || !SLUG.test(slug) || !QUIZ_ID.test(quiz)) return false;
  const { progress } = loadProgress(store, now);
  const onPage = (progress.quizzes[slug] ??= {});
  if (!onPage[quiz] && Object.keys(onPage).length >= MAX_QUIZZES_PER_PAGE) return false;
  const everCorrect = correct || Boolean(onPage[quiz]?.everCorrect);
  onPage[quiz] = { correct, answeredAt: now().toISOString(), ...(everCorrect ? { everCorrect: true } : {}) };
  return write(store, progress);
}

/** Progress for an export, or undefined when there is none (the field is then left out). */
export function exportableProgress(store: KeyValueStore | null = browserStore()): CourseProgress | undefined {
  const { progress } = loadProgress(store);
  return Object.keys(progress.chapters).length || Object.keys(progress.quizzes).length ? progress : undefined;
}

export interface ProgressMerge {
  chapters: number;
  quizzes: number;
  /** Entries of the file that were malformed or about pages this course does not have. */
  dropped: number;
  saved: boolean;
}

/**
 * Merge imported progress into this browser's: a page stays read (earliest `readAt` kept), a quiz
 * keeps its latest answer and `everCorrect` if either side had it. Counts what the file added.
 */
export function mergeProgress(
  incoming: unknown,
  knownPages: readonly string[] | undefined,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): ProgressMerge {
  const { progress: inc, dropped } = parseProgress(incoming, knownPages);
  const res: ProgressMerge = { chapters: 0, quizzes: 0, dropped, saved: true };
  if (!store) return { ...res, saved: false };
  const { progress } = loadProgress(store, now);
  for (const [p, c] of Object.entries(inc.chapters)) {
    const mine = progress.chapters[p];
    if (!mine) res.chapters++;
    if (!mine || c.readAt < mine.readAt) progress.chapters[p] = c;
  }
  for (const [p, qs] of Object.entries(inc.quizzes)) {
    const onPage = (progress.quizzes[p] ??= {});
    for (const [q, a] of Object.entries(qs)) {
      const mine = onPage[q];
      if (!mine) res.quizzes++;
      const latest = !mine || a.answeredAt > mine.answeredAt ? a : mine;
      const ever = Boolean(a.everCorrect || mine?.everCorrect);
      onPage[q] = { correct: latest.correct, answeredAt: latest.answeredAt, ...(ever ? { everCorrect: true } : {}) };
    }
  }
  res.saved = write(store, progress);
  return res;
}
