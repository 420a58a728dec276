/**
 * layout.ts — the scenario notation: what the 512 PTEs of one PMD hold, written as
 * comma-separated items `KIND` or `KIND*N` that must add up to 512 (e.g. `page*511,guard`);
 * plus the `--window` notation (`"10=migration,5=page"`) and `--knob` settings.
 *
 * All parse errors throw {@link LayoutError} with a one-line message a learner can act on.
 * No kernel twin (camelCase helpers).
 * @module
 */

/** PTEs per PMD on the simulated machine (HPAGE_PMD_NR; the exported constant lives in mm.ts). */
const NR = 512;

/**
 * The layout kinds (contract: architecture doc "Scenario notation"):
 * - `page` present anon page, private, young, writable, on LRU
 * - `old` like page but not young / not referenced
 * - `shared` present anon page also mapped by another process
 * - `zero` the shared zero page
 * - `none` pte_none
 * - `swap` real swap entry; `swap+uffd` with the swap-PTE uffd-wp bit
 * - `migration` migration entry (read); `migration-w` (write); `migration+uffd` (read, with uffd-wp bit)
 * - `device-private`, `device-exclusive`, `hwpoison` those special entries
 * - `guard`, `poison`, `uffd-marker` PTE markers GUARD, POISONED, UFFD_WP
 * - `page+uffd` present page write-protected by userfaultfd
 */
export const LAYOUT_KINDS = Object.freeze([
  'page', 'old', 'shared', 'zero', 'none', 'swap', 'swap+uffd', 'migration', 'migration-w',
  'migration+uffd', 'device-private', 'device-exclusive', 'hwpoison', 'guard', 'poison',
  'uffd-marker', 'page+uffd',
] as const);

/** One layout kind (see {@link LAYOUT_KINDS}). */
export type LayoutKind = (typeof LAYOUT_KINDS)[number];

/** One PTE of a parsed layout: its kind. `parseLayout` returns 512 of them, slot order. */
export type LayoutItem = LayoutKind;

/** Human description of each layout kind (for legends and help text). */
export const LAYOUT_KIND_DESCRIPTIONS: Readonly<Record<LayoutKind, string>> = Object.freeze({
  'page': 'present anon page, private, young, writable, on LRU',
  'old': 'present anon page, not young / not referenced',
  'shared': 'present anon page also mapped by another process',
  'zero': 'present mapping of the shared zero page',
  'none': 'empty PTE (pte_none)',
  'swap': 'real swap entry',
  'swap+uffd': 'swap entry with the swap-PTE uffd-wp bit',
  'migration': 'migration entry (read)',
  'migration-w': 'migration entry (write)',
  'migration+uffd': 'migration entry (read) with the swap-PTE uffd-wp bit',
  'device-private': 'device-private entry',
  'device-exclusive': 'device-exclusive entry',
  'hwpoison': 'hwpoison entry',
  'guard': 'PTE marker GUARD (MADV_GUARD_INSTALL)',
  'poison': 'PTE marker POISONED',
  'uffd-marker': 'PTE marker UFFD_WP',
  'page+uffd': 'present page write-protected by userfaultfd',
});

/** Layout kinds that are non-swap entries (swap-format PTEs whose type ≥ MAX_SWAPFILES). */
export const NON_SWAP_LAYOUT_KINDS: readonly LayoutKind[] = Object.freeze([
  'migration', 'migration-w', 'migration+uffd', 'device-private', 'device-exclusive', 'hwpoison',
  'guard', 'poison', 'uffd-marker',
] as const);

/** The error every notation parser here throws; `message` is one line, fit for a CLI. */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

const KIND_SET: ReadonlySet<string> = new Set(LAYOUT_KINDS);

/** True if `s` is one of {@link LAYOUT_KINDS}. */
export function isLayoutKind(s: string): s is LayoutKind {
  return KIND_SET.has(s);
}

function knownKinds(): string {
  return LAYOUT_KINDS.join(', ');
}

/**
 * Parse a layout string into the 512 kinds of a PMD, slot 0 first.
 * @example parseLayout('page*511,guard') // 511 × 'page', then 'guard'
 * @throws {LayoutError} empty item, unknown kind (the message lists the known kinds), bad
 *   count (says which item), or a total other than 512 ("the layout adds up to 511 PTEs, not 512").
 */
export function parseLayout(s: string): LayoutItem[] {
  if (typeof s !== 'string' || s.trim() === '') {
    throw new LayoutError(`empty layout: write items like "page*511,guard" that add up to ${NR} PTEs`);
  }
  const parts = s.split(',');
  const out: LayoutItem[] = [];
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i].trim();
    const n = i + 1;
    if (raw === '') throw new LayoutError(`layout item ${n} is empty (two commas in a row, or a trailing comma?)`);
    const star = raw.indexOf('*');
    const kind = (star >= 0 ? raw.slice(0, star) : raw).trim();
    let count = 1;
    if (star >= 0) {
      const c = raw.slice(star + 1).trim();
      if (!/^[0-9]+$/.test(c) || Number(c) < 1) {
        throw new LayoutError(`layout item ${n} "${raw}": count "${c}" must be a whole number of at least 1`);
      }
      count = Number(c);
    }
    if (!isLayoutKind(kind)) {
      throw new LayoutError(`layout item ${n} "${raw}": unknown kind "${kind}"; known kinds: ${knownKinds()}`);
    }
    total += count;
    if (total <= NR) for (let k = 0; k < count; k++) out.push(kind);
  }
  if (total !== NR) {
    throw new LayoutError(`the layout adds up to ${total} PTE${total === 1 ? '' : 's'}, not ${NR}`);
  }
  return out;
}

/**
 * The inverse of {@link parseLayout}: run-length encode kinds back into the notation.
 * @example formatLayout(parseLayout('page*448,swap*64')) // "page*448,swap*64"
 */
export function formatLayout(items: readonly LayoutItem[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < items.length) {
    let j = i + 1;
    while (j < items.length && items[j] === items[i]) j++;
    parts.push(j - i === 1 ? items[i] : `${items[i]}*${j - i}`);
    i = j;
  }
  return parts.join(',');
}

/** One change made by another actor while khugepaged has dropped the mmap lock. */
export interface WindowItem {
  /** PTE slot 0..511 in the PMD. */
  slot: number;
  /** What the PTE becomes. */
  kind: LayoutKind;
}

/**
 * Parse the `--window` notation: comma-separated `SLOT=KIND` items, slots 0..511.
 * An empty string gives no changes.
 * @example parseWindow('10=migration,5=page') // [{slot:10,kind:'migration'},{slot:5,kind:'page'}]
 * @throws {LayoutError} with the offending item, the slot range, or the known kinds.
 */
export function parseWindow(s: string): WindowItem[] {
  if (typeof s !== 'string') throw new LayoutError('window must be a string like "10=migration,5=page"');
  if (s.trim() === '') return [];
  const out: WindowItem[] = [];
  const parts = s.split(',');
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i].trim();
    const n = i + 1;
    const eq = raw.indexOf('=');
    if (eq < 0) throw new LayoutError(`window item ${n} "${raw}": expected SLOT=KIND, e.g. "10=migration"`);
    const slotText = raw.slice(0, eq).trim();
    const kind = raw.slice(eq + 1).trim();
    if (!/^[0-9]+$/.test(slotText) || Number(slotText) >= NR) {
      throw new LayoutError(`window item ${n} "${raw}": slot "${slotText}" must be a whole number from 0 to ${NR - 1}`);
    }
    if (!isLayoutKind(kind)) {
      throw new LayoutError(`window item ${n} "${raw}": unknown kind "${kind}"; known kinds: ${knownKinds()}`);
    }
    out.push({ slot: Number(slotText), kind });
  }
  return out;
}

/** The khugepaged knobs settable with `--knob` (sysfs names). */
export const KNOB_NAMES = Object.freeze(['max_ptes_none', 'max_ptes_swap', 'max_ptes_shared'] as const);

/** A knob name (see {@link KNOB_NAMES}). */
export type KnobName = (typeof KNOB_NAMES)[number];

/** Knob settings parsed from `--knob` flags (only the ones given). */
export type KnobSettings = { -readonly [K in KnobName]?: number };

/**
 * Parse `--knob` settings like `["max_ptes_swap=64", "max_ptes_none=0"]`. Values must be whole
 * numbers 0..511 (the range the sysfs store handlers accept, kernel-facts §2.1).
 * @throws {LayoutError} unknown knob (lists the known ones), missing `=`, or a value out of range.
 */
export function parseKnobs(items: readonly string[]): KnobSettings {
  const out: KnobSettings = {};
  for (const raw0 of items) {
    const raw = String(raw0).trim();
    const eq = raw.indexOf('=');
    if (eq < 0) throw new LayoutError(`knob "${raw}": expected NAME=VALUE, e.g. max_ptes_swap=64`);
    const name = raw.slice(0, eq).trim();
    const value = raw.slice(eq + 1).trim();
    if (!(KNOB_NAMES as readonly string[]).includes(name)) {
      throw new LayoutError(`unknown knob "${name}"; known knobs: ${KNOB_NAMES.join(', ')}`);
    }
    if (!/^[0-9]+$/.test(value) || Number(value) > NR - 1) {
      throw new LayoutError(`knob ${name}: value "${value}" must be a whole number from 0 to ${NR - 1}`);
    }
    out[name as KnobName] = Number(value);
  }
  return out;
}
