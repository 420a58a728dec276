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
 *   overwriting it;
 * - a page never saves over code that another page (tab, window) wrote after this page last read
 *   it without keeping that code first: every record carries a revision (`rev`), the page passes
 *   the version it started from (`SaveBase`) to `saveCode`, and a differing newer version goes to
 *   the exercise's backup ring (`collapse-lab:v1:<id>:backups`, newest first, `BACKUP_RING_SIZE`
 *   entries) before the write. This holds even when the page missed every storage event;
 * - an import never replaces code without keeping it in the ring, ignores exercise ids the course
 *   does not have, and stops (undoing the entry it was writing) rather than leave storage too full
 *   for the learner's next edit (`IMPORT_RESERVE_CHARS`).
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
  /**
   * True when `passed` came from an imported file and the tests have not passed in this browser
   * since: shown as "imported — not run here", never as a pass (issue 9 item 7).
   */
  passedImported?: boolean;
  /** Revision, +1 on every write (absent in records written before revisions existed = 0). */
  rev?: number;
}

export type StorageProblemKind = 'unavailable' | 'full' | 'corrupt' | 'conflict';

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

/** The store once a probe succeeded in this page (see `browserStore`). */
let probed: KeyValueStore | undefined;

/**
 * localStorage, or null when the browser refuses it (the getter itself can throw).
 *
 * The write probe runs once per page: every write fires a `storage` event in the site's other
 * pages, whose listeners call this function — probing on each call made two open pages bounce
 * probe events between them forever (both main threads busy, found by the two-pages test).
 */
export function browserStore(): KeyValueStore | null {
  if (probed) return probed;
  try {
    const s = globalThis.localStorage;
    if (!s) return null;
    // Some browsers expose the object but throw on use (Safari private mode used to).
    const probe = PROBE_KEY;
    s.setItem(probe, '1');
    s.removeItem(probe);
    return (probed = s);
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

/** Key of the availability probe: never data, and storage listeners can ignore it. */
export const PROBE_KEY = KEY_PREFIX + '__probe__';

/**
 * True for a `storage` event key that may change what a page shows: ours, not a probe or the
 * import's room check (`…__reserve__`), or null (the whole storage was cleared).
 */
export function isDataKey(key: string | null): boolean {
  return key === null || (key.startsWith('collapse-lab:') && !key.includes(':__'));
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
    (o.passedAt === undefined || typeof o.passedAt === 'string') &&
    (o.passedImported === undefined || typeof o.passedImported === 'boolean') &&
    (o.rev === undefined || (typeof o.rev === 'number' && Number.isSafeInteger(o.rev) && o.rev >= 0))
  );
}

/** Parse a stored record: the record, null when absent, or 'corrupt' (bad JSON or not our shape). */
function parseRecord(raw: string | null): SavedExercise | null | 'corrupt' {
  if (raw === null) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return isSaved(v) ? v : 'corrupt';
  } catch {
    return 'corrupt';
  }
}

/**
 * Move unreadable data under `<key>:corrupt:<time>` (never deleted). Returns the new key, or null
 * when storage refused (then the data stays where it was, untouched).
 */
function setAside(store: KeyValueStore, key: string, raw: string, now: () => Date): string | null {
  const aside = `${key}:corrupt:${now().toISOString()}`;
  try {
    store.setItem(aside, raw);
    store.removeItem(key);
    return aside;
  } catch {
    return null;
  }
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
  const rec = parseRecord(raw);
  if (rec !== 'corrupt') return { state: rec };

  // Not ours or damaged: keep it, under a name that says so.
  const aside = setAside(store, key, raw!, now);
  if (aside) {
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
  }
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

/** What a page last read from, or wrote to, an exercise's record: the version its editor follows. */
export type SaveBase = Pick<SavedExercise, 'code' | 'savedAt' | 'rev'> | null;

export interface CodeSaveOk {
  ok: true;
  /** What is stored now (pass it as the base of the next save). */
  state: SavedExercise;
  /** Set when another page's newer, different code was moved to the backup ring first. */
  kept?: BackupEntry;
}
export type CodeSaveResult = CodeSaveOk | { ok: false; problem: StorageProblem };

function sameVersion(cur: SavedExercise, base: SaveBase): boolean {
  return base !== null && (cur.rev ?? 0) === (base.rev ?? 0) && cur.savedAt === base.savedAt;
}

/**
 * Save the learner's code (and, on a full pass, `passed`) without ever losing another page's
 * newer code: when the stored record is not the version `base` describes (another tab or window
 * wrote since) and holds different code, that code goes to the backup ring first; if the ring
 * cannot be written, nothing is written and the result says why (the editor still has the code).
 * `passed: true` records a pass in this browser (clears `passedImported`, keeps the first
 * `passedAt`); a stored pass is sticky. Never throws.
 */
export function saveCode(
  id: string,
  patch: { code: string; starterHash?: string; passed?: true },
  base: SaveBase,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): CodeSaveResult {
  if (!store) return { ok: false, problem: UNAVAILABLE };
  const key = keyFor(id);
  let raw: string | null;
  try {
    raw = store.getItem(key);
  } catch {
    return { ok: false, problem: UNAVAILABLE };
  }
  let cur = parseRecord(raw);
  if (cur === 'corrupt') {
    // Appeared since the page loaded (another page, an extension): keep it aside, never overwrite.
    if (!setAside(store, key, raw!, now)) suspended.add(id);
    cur = null;
  }
  if (suspended.has(id)) {
    return {
      ok: false,
      problem: {
        kind: 'corrupt',
        message: `Autosave is paused for this exercise: unreadable saved data under “${key}” could not be set aside (storage full).`,
      },
    };
  }
  const at = now().toISOString();
  let kept: BackupEntry | undefined;
  if (cur && !sameVersion(cur, base) && cur.code !== patch.code && cur.code !== base?.code) {
    kept = { code: cur.code, savedAt: cur.savedAt, keptAt: at, reason: 'other-page' };
    const pushed = pushBackup(id, kept, store, now);
    if (!pushed.ok) {
      return {
        ok: false,
        problem: {
          kind: 'conflict',
          message:
            'Another tab or window saved different code for this exercise after this page loaded it, and there is no room ' +
            'to keep a backup of it, so this page did not save over it. Your code here is still in the editor; free some ' +
            'storage or export your work (Progress page).',
        },
      };
    }
  }
  const next: SavedExercise = {
    ...(cur ?? {}),
    code: patch.code,
    savedAt: at,
    rev: (cur?.rev ?? 0) + 1,
    ...(patch.starterHash !== undefined ? { starterHash: patch.starterHash } : {}),
  };
  if (patch.passed) {
    if (!cur?.passed || cur.passedImported) next.passedAt = at;
    next.passed = true;
    delete next.passedImported;
  }
  const w = saveExercise(id, next, store);
  return w.ok ? { ok: true, state: next, ...(kept ? { kept } : {}) } : w;
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
      const rec = parseRecord(store.getItem(keyFor(id)));
      prev = rec === 'corrupt' ? null : rec;
    } catch {
      prev = null;
    }
  }
  const next: SavedExercise = { ...(prev ?? {}), ...patch, savedAt: patch.savedAt ?? now().toISOString(), rev: (prev?.rev ?? 0) + 1 };
  if (prev?.passed && !prev.passedImported) {
    next.passed = true;
    next.passedAt = prev.passedAt;
    delete next.passedImported;
  }
  return saveExercise(id, next, store);
}

// ---- the backup ring -------------------------------------------------------------------------

/** How many backups are kept per exercise (newest first; the oldest drops out). */
export const BACKUP_RING_SIZE = 5;

export type BackupReason = 'other-page' | 'import' | 'restore';

/** One kept copy of an exercise's code. */
export interface BackupEntry {
  code: string;
  /** When that code was saved (ISO). */
  savedAt: string;
  /** When it was moved here (ISO). */
  keptAt: string;
  /** Why: another page saved over it, an import replaced it, or a restore did. */
  reason: BackupReason;
}

export function backupKey(id: string): string {
  return `${keyFor(id)}:backups`;
}

function isBackup(v: unknown): v is BackupEntry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.code === 'string' &&
    typeof o.savedAt === 'string' &&
    typeof o.keptAt === 'string' &&
    (o.reason === 'other-page' || o.reason === 'import' || o.reason === 'restore')
  );
}

/** The ring's entries, newest first; 'corrupt' when the stored ring is unreadable. */
function readRing(raw: string | null): BackupEntry[] | 'corrupt' {
  if (raw === null) return [];
  try {
    const v = JSON.parse(raw) as { entries?: unknown };
    if (Array.isArray(v?.entries) && v.entries.every(isBackup)) return v.entries;
  } catch {
    /* fall through */
  }
  return 'corrupt';
}

/** Put `entry` at the front of the exercise's ring (an identical older copy moves up). Never throws. */
export function pushBackup(
  id: string,
  entry: BackupEntry,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): SaveResult {
  if (!store) return { ok: false, problem: UNAVAILABLE };
  const key = backupKey(id);
  try {
    const raw = store.getItem(key);
    let entries = readRing(raw);
    if (entries === 'corrupt') {
      if (!setAside(store, key, raw!, now)) return { ok: false, problem: FULL };
      entries = [];
    }
    const next = [entry, ...entries.filter((e) => e.code !== entry.code)].slice(0, BACKUP_RING_SIZE);
    store.setItem(key, JSON.stringify({ entries: next }));
    return { ok: true };
  } catch (e) {
    return { ok: false, problem: isQuotaError(e) ? FULL : UNAVAILABLE };
  }
}

/** Something kept for an exercise, as the progress page lists it. */
export type KeptItem =
  | { kind: 'backup'; id: string; index: number; entry: BackupEntry }
  /** An import backup written before the ring existed (`…:backup:<time>`, a whole record). */
  | { kind: 'legacy'; id: string; key: string; entry: BackupEntry }
  /** Unreadable data set aside (`…:corrupt:<time>`): can be downloaded, not restored. */
  | { kind: 'set-aside'; id: string; key: string; raw: string };

/** Every backup and set-aside item in this browser, by exercise id, newest first within each. */
export function listKept(store: KeyValueStore | null = browserStore()): KeptItem[] {
  const out: KeptItem[] = [];
  if (!store) return out;
  try {
    for (let i = 0; i < store.length; i++) {
      const k = store.key(i);
      if (!k?.startsWith(KEY_PREFIX)) continue;
      const rest = k.slice(KEY_PREFIX.length);
      const m = /^([^:]+):(backups|backup:(.+)|.*corrupt:(.+))$/.exec(rest);
      if (!m) continue;
      const id = m[1]!;
      const raw = store.getItem(k) ?? '';
      if (m[2] === 'backups') {
        const entries = readRing(raw);
        if (entries === 'corrupt') out.push({ kind: 'set-aside', id, key: k, raw });
        else entries.forEach((entry, index) => out.push({ kind: 'backup', id, index, entry }));
      } else if (m[3] !== undefined) {
        const rec = parseRecord(raw);
        if (rec && rec !== 'corrupt') out.push({ kind: 'legacy', id, key: k, entry: { code: rec.code, savedAt: rec.savedAt, keptAt: m[3], reason: 'import' } });
        else out.push({ kind: 'set-aside', id, key: k, raw });
      } else {
        out.push({ kind: 'set-aside', id, key: k, raw });
      }
    }
  } catch {
    /* storage vanished mid-loop: list what we have */
  }
  const when = (x: KeptItem) => (x.kind === 'set-aside' ? (/:corrupt:(.+)$/.exec(x.key)?.[1] ?? '') : x.entry.keptAt);
  return out.sort((a, b) => a.id.localeCompare(b.id) || when(b).localeCompare(when(a)));
}

/**
 * Make a kept copy the exercise's code again. What was stored is first kept in the ring (reason
 * 'restore'), so a restore is itself undoable from the same list. The restored copy leaves the
 * ring (or its legacy key is removed) only after the new record is written.
 */
export function restoreKept(
  item: Extract<KeptItem, { kind: 'backup' | 'legacy' }>,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
): CodeSaveResult {
  if (!store) return { ok: false, problem: UNAVAILABLE };
  const key = keyFor(item.id);
  let cur: SavedExercise | null | 'corrupt';
  try {
    cur = parseRecord(store.getItem(key));
  } catch {
    return { ok: false, problem: UNAVAILABLE };
  }
  if (cur === 'corrupt') {
    const r = loadExercise(item.id, store, now); // sets it aside (or refuses)
    if (r.problem && !r.problem.movedTo) return { ok: false, problem: r.problem };
    cur = null;
  }
  if (item.kind === 'backup') {
    // drop the restored entry first (found by content: indexes move when the ring changes)
    const ring = readRing(store.getItem(backupKey(item.id)));
    if (ring !== 'corrupt') {
      const rest = ring.filter((e) => e.code !== item.entry.code);
      try {
        store.setItem(backupKey(item.id), JSON.stringify({ entries: rest }));
      } catch {
        /* shrinking cannot hit the quota; if storage failed, the entry simply stays */
      }
    }
  }
  const at = now().toISOString();
  if (cur && cur.code !== item.entry.code) {
    const pushed = pushBackup(item.id, { code: cur.code, savedAt: cur.savedAt, keptAt: at, reason: 'restore' }, store, now);
    if (!pushed.ok) {
      if (item.kind === 'backup') pushBackup(item.id, item.entry, store, now);
      return pushed;
    }
  }
  const next: SavedExercise = { ...(cur ?? {}), code: item.entry.code, savedAt: at, rev: ((cur && cur.rev) ?? 0) + 1 };
  const w = saveExercise(item.id, next, store);
  if (!w.ok) return w;
  if (item.kind === 'legacy') {
    try {
      store.removeItem(item.key);
    } catch {
      /* it stays listed: harmless */
    }
  }
  return { ok: true, state: next };
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

/** True when the exercise has passed at least once in this browser (sidebar marks, progress page); an imported claim is not a pass. */
export function hasPassed(id: string, store: KeyValueStore | null = browserStore()): boolean {
  if (!store) return false;
  try {
    const raw = store.getItem(keyFor(id));
    if (!raw) return false;
    const v: unknown = JSON.parse(raw);
    return isSaved(v) && v.passed === true && !v.passedImported;
  } catch {
    return false;
  }
}

/** 'passed' (in this browser), 'imported' (an imported claim, not run here) or null. */
export function passStatus(id: string, store: KeyValueStore | null = browserStore()): 'passed' | 'imported' | null {
  if (!store) return null;
  try {
    const rec = parseRecord(store.getItem(keyFor(id)));
    if (!rec || rec === 'corrupt' || !rec.passed) return null;
    return rec.passedImported ? 'imported' : 'passed';
  } catch {
    return null;
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

/**
 * The exercises to put in an export: every saved exercise, in the export's field set. `passed` is
 * written only for a pass in this browser: a claim that came in with an import and never ran here
 * is not passed on as one.
 */
export function exportableExercises(store: KeyValueStore | null = browserStore()): Record<string, ExportedExercise> {
  const out: Record<string, ExportedExercise> = {};
  for (const [id, s] of Object.entries(allSaved(store))) {
    out[id] = {
      code: s.code,
      savedAt: s.savedAt,
      ...(s.passed && !s.passedImported ? { passed: true } : {}),
      ...(s.starterHash !== undefined ? { starterHash: s.starterHash } : {}),
    };
  }
  return out;
}

/** Longest code accepted per imported exercise (the starters are ~10,000 characters). */
export const IMPORT_MAX_CODE_CHARS = 200_000;
/**
 * Room (in characters) an import must leave free after each exercise it writes, so the learner's
 * next edit can still be saved; the import stops before eating into it.
 */
export const IMPORT_RESERVE_CHARS = 100_000;

export interface ImportReport {
  /** Exercises whose saved state now comes from the file. */
  imported: string[];
  /** Exercises whose different local code was first kept in the backup ring. */
  backedUp: { id: string; key: string }[];
  /** Exercises where the file held the same code as this browser (only `passed` may have been merged). */
  unchanged: string[];
  /** Ids in the file that this course does not have: ignored. */
  unknown: string[];
  /** Exercises not imported, with the reason (too large, no room left); nothing of theirs changed here. */
  skipped: { id: string; why: string }[];
  /** Set when storage refused a write; the exercises listed above were handled before it. */
  problem?: StorageProblem;
}

/** What importing one exercise did (see `importOne`). */
type OneImport = { kind: 'imported' | 'unchanged'; backedUp: boolean } | { kind: 'skipped'; why: string; problem?: StorageProblem };

/**
 * Import one exercise: set unreadable local data aside, keep different local code in the ring,
 * write the record, then check that `IMPORT_RESERVE_CHARS` still fit. On a storage failure it
 * undoes its own writes (record and ring as they were) and throws, so the caller can stop.
 */
function importOne(id: string, incoming: ExportedExercise, store: KeyValueStore, now: () => Date): OneImport {
  const key = keyFor(id);
  const ringKey = backupKey(id);
  let raw = store.getItem(key);
  const ringRaw = store.getItem(ringKey);
  let local = parseRecord(raw);
  if (local === 'corrupt') {
    if (!loadExercise(id, store, now).problem?.movedTo) return { kind: 'skipped', why: 'unreadable data saved here could not be set aside (storage full)' };
    raw = null;
    local = null;
  }
  const same = local !== null && local.code === incoming.code;
  if (local && !same) {
    const pushed = pushBackup(id, { code: local.code, savedAt: local.savedAt, keptAt: now().toISOString(), reason: 'import' }, store, now);
    if (!pushed.ok) return { kind: 'skipped', why: 'there is no room to keep a backup of the different code saved here', problem: pushed.problem };
  }
  const next: SavedExercise = {
    code: incoming.code,
    savedAt: same ? local!.savedAt : incoming.savedAt,
    rev: (local?.rev ?? 0) + 1,
    ...(incoming.starterHash !== undefined ? { starterHash: incoming.starterHash } : local?.starterHash ? { starterHash: local.starterHash } : {}),
  };
  if (local?.passed && !local.passedImported) {
    next.passed = true; // a pass here is never downgraded
    if (local.passedAt) next.passedAt = local.passedAt;
  } else if (incoming.passed || local?.passed) {
    next.passed = true;
    next.passedImported = true;
    next.passedAt = local?.passedAt ?? incoming.savedAt;
  }
  let wrote = false;
  try {
    store.setItem(key, JSON.stringify(next));
    wrote = true;
    // Leave room for the learner's next edit (isDataKey() is false for this key: listeners ignore it).
    const probe = `${KEY_PREFIX}__reserve__`;
    try {
      store.setItem(probe, 'x'.repeat(IMPORT_RESERVE_CHARS));
    } finally {
      store.removeItem(probe);
    }
  } catch (e) {
    try {
      if (wrote) {
        if (raw === null) store.removeItem(key);
        else store.setItem(key, raw);
      }
      if (ringRaw === null) store.removeItem(ringKey);
      else store.setItem(ringKey, ringRaw);
    } catch {
      /* restoring smaller data does not hit the quota; nothing more to do */
    }
    throw e;
  }
  suspended.delete(id);
  return { kind: same ? 'unchanged' : 'imported', backedUp: Boolean(local && !same) };
}

/**
 * Bring exported exercises into this browser. Nothing is lost: when this browser holds different
 * code for an exercise, that code goes to the backup ring first (no room for it → that exercise
 * is skipped). Ids outside `opts.known` (when given) are ignored and listed; code longer than
 * `IMPORT_MAX_CODE_CHARS` is refused; after each write at least `IMPORT_RESERVE_CHARS` must still
 * fit, or that write is undone and the import stops (the learner's own edits keep their room).
 * An imported `passed` is kept as `passedImported` ("imported — not run here") until the tests
 * pass in this browser; a pass here is never downgraded.
 */
export function importExercises(
  exercises: Record<string, ExportedExercise>,
  store: KeyValueStore | null = browserStore(),
  now: () => Date = () => new Date(),
  opts: { known?: readonly string[] } = {},
): ImportReport {
  const report: ImportReport = { imported: [], backedUp: [], unchanged: [], unknown: [], skipped: [] };
  if (!store) return { ...report, problem: UNAVAILABLE };
  const known = opts.known ? new Set(opts.known) : null;
  const ids = Object.keys(exercises);
  for (const [n, id] of ids.entries()) {
    const incoming = exercises[id]!;
    if (known && !known.has(id)) {
      report.unknown.push(id);
      continue;
    }
    if (incoming.code.length > IMPORT_MAX_CODE_CHARS) {
      report.skipped.push({ id, why: `its code is ${incoming.code.length.toLocaleString('en')} characters long (the limit is ${IMPORT_MAX_CODE_CHARS.toLocaleString('en')})` });
      continue;
    }
    let r: OneImport;
    try {
      r = importOne(id, incoming, store, now);
    } catch (e) {
      const full = isQuotaError(e);
      for (const rest of ids.slice(n)) {
        if (!known || known.has(rest)) report.skipped.push({ id: rest, why: full ? 'storage is nearly full: importing it would leave no room to save your edits' : 'storage refused the write' });
        else report.unknown.push(rest);
      }
      return { ...report, problem: full ? FULL : UNAVAILABLE };
    }
    if (r.kind === 'skipped') {
      report.skipped.push({ id, why: r.why });
      if (r.problem) report.problem = r.problem;
      continue;
    }
    report[r.kind].push(id);
    if (r.backedUp) report.backedUp.push({ id, key: backupKey(id) });
  }
  return report;
}
