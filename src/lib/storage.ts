/**
 * Per-exercise autosave and progress in localStorage.
 *
 * Key: `collapse-lab:v1:<exercise id>` → JSON `SavedExercise`.
 *
 * Storage is treated as unreliable: it may be missing (private mode, disabled cookies → the
 * getter or every call throws), full (`QuotaExceededError`), or hold something that is not ours
 * (bad JSON, a different shape). None of that may cost the learner what they typed:
 * - every function here returns a `StorageProblem` instead of throwing, so the caller can show a
 *   visible notice while the editor keeps working (the editor's model still holds the code);
 * - corrupt data is moved aside to `collapse-lab:v1:<id>:corrupt:<timestamp>`, never deleted, and
 *   if it cannot be moved (storage full) saving for that exercise is suspended rather than
 *   overwriting it.
 *
 * This module is imported by the tiny script that runs on every chapter page, so it must stay
 * small and import nothing heavy. It also runs in Node (the Exercise component hashes the starter
 * at build time with `hashText`).
 */

export const KEY_PREFIX = 'collapse-lab:v1:';

/** What is stored per exercise. */
export interface SavedExercise {
  /** The learner's code. */
  code: string;
  /** ISO time of the last save. */
  savedAt: string;
  /** `hashText(starter)` of the starter this code was started from. */
  starterHash?: string;
  /** True once the exercise has passed all its tests (stays true: progress is "has passed"). */
  passed?: boolean;
  /** ISO time of the first full pass. */
  passedAt?: string;
}

export type StorageProblemKind = 'unavailable' | 'full' | 'corrupt';

export interface StorageProblem {
  kind: StorageProblemKind;
  /** A sentence for the learner. */
  message: string;
  /** For 'corrupt': where the unreadable data was moved to (absent when it could not be moved). */
  movedTo?: string;
}

/** The subset of the Web Storage API used here (so tests can pass a fake). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

/** FNV-1a 32-bit over UTF-16 code units, as 8 hex digits. Small, sync, same in Node and browsers. */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function keyFor(id: string): string {
  return KEY_PREFIX + id;
}

/** localStorage, or null when the browser refuses it (the getter itself can throw). */
export function browserStore(): KeyValueStore | null {
  try {
    const s = globalThis.localStorage;
    if (!s) return null;
    // Some browsers expose the object but throw on use (Safari private mode used to).
    const probe = KEY_PREFIX + '__probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch (e) {
    // A full store also throws on the probe write; it is still readable, so keep it.
    if (isQuotaError(e)) {
      try {
        return globalThis.localStorage ?? null;
      } catch {
        return null;
      }
    }
    return null;
  }
}

export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: string; code?: number };
  return (
    err.name === 'QuotaExceededError' ||
    err.name === 'NS_ERROR_DOM_QUOTA_REACHED' ||
    err.code === 22 ||
    err.code === 1014
  );
}

const UNAVAILABLE: StorageProblem = {
  kind: 'unavailable',
  message:
    'Your browser does not let this page use local storage, so your code is not saved between visits. ' +
    'The editor still works; use “Export my work” on the Progress page to keep a copy.',
};

const FULL: StorageProblem = {
  kind: 'full',
  message:
    'Your browser’s storage for this site is full, so your latest code was not saved. ' +
    'Nothing in the editor is lost; export your work (Progress page) or free some space.',
};

function isSaved(v: unknown): v is SavedExercise {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.code === 'string' &&
    typeof o.savedAt === 'string' &&
    (o.starterHash === undefined || typeof o.starterHash === 'string') &&
    (o.passed === undefined || typeof o.passed === 'boolean') &&
    (o.passedAt === undefined || typeof o.passedAt === 'string')
  );
}

/** Exercises whose saving is suspended because corrupt data could not be moved aside. */
const suspended = new Set<string>();

export interface LoadResult {
  state: SavedExercise | null;
  problem?: StorageProblem;
}

/**
 * Read the saved state of one exercise. Corrupt data is moved aside (see module doc) and reported.
 * `now` is injectable for tests.
 */
export function loadExercise(
  id: string,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): LoadResult {
  if (!store) return { state: null, problem: UNAVAILABLE };
  const key = keyFor(id);
  let raw: string | null;
  try {
    raw = store.getItem(key);
  } catch {
    return { state: null, problem: UNAVAILABLE };
  }
  if (raw === null) return { state: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (isSaved(parsed)) return { state: parsed };

  // Not ours or damaged: keep it, under a name that says so.
  const aside = `${key}:corrupt:${now().toISOString()}`;
  try {
    store.setItem(aside, raw);
    store.removeItem(key);
    suspended.delete(id);
    return {
      state: null,
      problem: {
        kind: 'corrupt',
        movedTo: aside,
        message:
          `The code saved for this exercise could not be read, so the editor starts from the starter. ` +
          `The unreadable data was kept in local storage under “${aside}”.`,
      },
    };
  } catch {
    suspended.add(id);
    return {
      state: null,
      problem: {
        kind: 'corrupt',
        message:
          `The code saved for this exercise could not be read, and there is no room to set it aside, ` +
          `so it is left untouched under “${key}” and this exercise is not autosaved until you free some space.`,
      },
    };
  }
}

export type SaveResult = { ok: true } | { ok: false; problem: StorageProblem };

/** Save (replace) the state of one exercise. Never throws. */
export function saveExercise(
  id: string,
  state: SavedExercise,
  store: KeyValueStore | null = browserStore(),
): SaveResult {
  if (!store) return { ok: false, problem: UNAVAILABLE };
  if (suspended.has(id)) {
    return {
      ok: false,
      problem: {
        kind: 'corrupt',
        message: `Autosave is paused for this exercise: unreadable saved data under “${keyFor(id)}” could not be set aside (storage full).`,
      },
    };
  }
  try {
    store.setItem(keyFor(id), JSON.stringify(state));
    return { ok: true };
  } catch (e) {
    return { ok: false, problem: isQuotaError(e) ? FULL : UNAVAILABLE };
  }
}

/** Merge `patch` into the saved state (creating it), keeping `passed` sticky. */
export function updateExercise(
  id: string,
  patch: Partial<SavedExercise> & { code: string },
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): SaveResult {
  let prev: SavedExercise | null = null;
  if (store) {
    try {
      const raw = store.getItem(keyFor(id));
      const parsed: unknown = raw === null ? null : JSON.parse(raw);
      prev = isSaved(parsed) ? parsed : null;
    } catch {
      prev = null;
    }
  }
  const next: SavedExercise = { ...(prev ?? {}), ...patch, savedAt: patch.savedAt ?? now().toISOString() };
  if (prev?.passed) {
    next.passed = true;
    next.passedAt = prev.passedAt;
  }
  return saveExercise(id, next, store);
}

/** Every saved exercise (for progress and export), skipping set-aside and unreadable entries. */
export function allSaved(store: KeyValueStore | null = browserStore()): Record<string, SavedExercise> {
  const out: Record<string, SavedExercise> = {};
  if (!store) return out;
  try {
    for (let i = 0; i < store.length; i++) {
      const k = store.key(i);
      if (!k || !k.startsWith(KEY_PREFIX)) continue;
      const id = k.slice(KEY_PREFIX.length);
      if (id.includes(':') || id.startsWith('__')) continue;
      try {
        const v: unknown = JSON.parse(store.getItem(k) ?? 'null');
        if (isSaved(v)) out[id] = v;
      } catch {
        /* unreadable: left for loadExercise to set aside when that exercise is opened */
      }
    }
  } catch {
    /* storage vanished mid-loop: return what we have */
  }
  return out;
}

/** True when the exercise has passed at least once (sidebar marks, progress page). */
export function hasPassed(id: string, store: KeyValueStore | null = browserStore()): boolean {
  if (!store) return false;
  try {
    const raw = store.getItem(keyFor(id));
    if (!raw) return false;
    const v: unknown = JSON.parse(raw);
    return isSaved(v) && v.passed === true;
  } catch {
    return false;
  }
}

/** Event fired on window when progress changes in this tab (storage events cover other tabs). */
export const PROGRESS_EVENT = 'collapse-lab:progress';

/** `fn` called at most once per `ms` of quiet; `flush()` runs a pending call now. */
export function debounce<A extends unknown[]>(
  fn: (...args: A) => void,
  ms: number,
): ((...args: A) => void) & { flush(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const run = () => {
    timer = undefined;
    const a = pending;
    pending = undefined;
    if (a) fn(...a);
  };
  const d = (...args: A) => {
    pending = args;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  d.flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    run();
  };
  d.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    pending = undefined;
  };
  return d;
}

/** One exercise as the work-export format carries it (src/grading/work.ts WorkExercise). */
export interface ExportedExercise {
  code: string;
  savedAt: string;
  passed?: boolean;
  starterHash?: string;
}

/** The exercises to put in an export: every saved exercise, in the export's field set. */
export function exportableExercises(store: KeyValueStore | null = browserStore()): Record<string, ExportedExercise> {
  const out: Record<string, ExportedExercise> = {};
  for (const [id, s] of Object.entries(allSaved(store))) {
    out[id] = {
      code: s.code,
      savedAt: s.savedAt,
      ...(s.passed !== undefined ? { passed: s.passed } : {}),
      ...(s.starterHash !== undefined ? { starterHash: s.starterHash } : {}),
    };
  }
  return out;
}

export interface ImportReport {
  /** Exercises whose saved state now comes from the file. */
  imported: string[];
  /** Exercises whose different local code was kept under a backup key before being replaced. */
  backedUp: { id: string; key: string }[];
  /** Exercises where the file held the same code as this browser (only `passed` may have been merged). */
  unchanged: string[];
  /** Set when storage refused a write; the exercises listed above were handled before it. */
  problem?: StorageProblem;
}

/**
 * Bring exported exercises into this browser. Nothing is lost: when this browser holds different
 * code for an exercise, that code is first copied to `collapse-lab:v1:<id>:backup:<time>`.
 * "passed" is merged (passed here or in the file → passed).
 */
export function importExercises(
  exercises: Record<string, ExportedExercise>,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): ImportReport {
  const report: ImportReport = { imported: [], backedUp: [], unchanged: [] };
  if (!store) return { ...report, problem: UNAVAILABLE };
  for (const [id, incoming] of Object.entries(exercises)) {
    const key = keyFor(id);
    try {
      const raw = store.getItem(key);
      let local: SavedExercise | null = null;
      if (raw !== null) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          parsed = undefined;
        }
        local = isSaved(parsed) ? parsed : null;
        if (!local || local.code !== incoming.code) {
          // different (or unreadable) local data: keep a copy before replacing it
          const backup = `${key}:backup:${now().toISOString()}`;
          store.setItem(backup, raw);
          report.backedUp.push({ id, key: backup });
        }
      }
      const passed = Boolean(incoming.passed || local?.passed);
      const next: SavedExercise = {
        code: incoming.code,
        savedAt: incoming.savedAt,
        ...(incoming.starterHash !== undefined ? { starterHash: incoming.starterHash } : {}),
        ...(passed ? { passed: true, passedAt: local?.passedAt ?? incoming.savedAt } : {}),
      };
      store.setItem(key, JSON.stringify(next));
      suspended.delete(id);
      if (local && local.code === incoming.code) report.unchanged.push(id);
      else report.imported.push(id);
    } catch (e) {
      return { ...report, problem: isQuotaError(e) ? FULL : UNAVAILABLE };
    }
  }
  return report;
}
