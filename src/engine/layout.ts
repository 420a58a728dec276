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
 * - `page+pinned` present anon page with an extra reference (a GUP pin): refcount > mapcount
 * - `page+locked` present anon page whose folio is locked
 * - `page+poisoned` present anon page whose memory is poisoned but not yet found out
 * - `page+pkey` present anon page with NX and protection key 15 (bits 59–63 all set)
 * - `swap@N` / `swap@N+uffd` real swap entry on swap device type N (0–23); `swap` is `swap@0`
 * - `no-table` the PMD has no PTE table at all (only as the whole layout)
 */
export const LAYOUT_KINDS = Object.freeze([
  'page', 'old', 'shared', 'zero', 'none', 'swap', 'swap+uffd', 'migration', 'migration-w',
  'migration+uffd', 'device-private', 'device-exclusive', 'hwpoison', 'guard', 'poison',
  'uffd-marker', 'page+uffd', 'page+pinned', 'page+locked', 'page+poisoned', 'page+pkey',
  'no-table',
] as const);

/** A fixed layout kind (see {@link LAYOUT_KINDS}). */
export type FixedLayoutKind = (typeof LAYOUT_KINDS)[number];

/** A real swap entry on swap device type N (0–23): `swap@N` or `swap@N+uffd`. */
export type SwapAtKind = `swap@${number}` | `swap@${number}+uffd`;

/**
 * One layout kind: a fixed kind, or `swap@N[+uffd]` ({@link swapDeviceOf} reads N). Parsers
 * normalise `swap@0` to `swap` and `swap@0+uffd` to `swap+uffd`, so a kind has one spelling.
 */
export type LayoutKind = FixedLayoutKind | SwapAtKind;

/** One PTE of a parsed layout: its kind. `parseLayout` returns 512 of them, slot order. */
export type LayoutItem = LayoutKind;

/** Human description of each layout kind (for legends and help text). */
export const LAYOUT_KIND_DESCRIPTIONS: Readonly<Record<FixedLayoutKind, string>> = Object.freeze({
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
  'page+pinned': 'present anon page with an extra reference (a GUP pin): refcount > mapcount',
  'page+locked': 'present anon page whose folio is locked',
  'page+poisoned': 'present anon page whose memory is poisoned but not yet found out (the copy hits a machine check)',
  'page+pkey': 'present anon page with NX and protection key 15: bits 59–63, where a swap PTE keeps its type',
  'no-table': 'the PMD has no PTE table at all (pmd_none); only as the whole layout',
});

/** Number of real swap device types (`MAX_SWAPFILES`, include/linux/swap.h; kernel-facts §3.2). */
const MAX_SWAP_DEVICES = 24;

const SWAP_AT = /^swap@([0-9]+)(\+uffd)?$/;

/**
 * The swap device type a swap kind lives on (`swap` → 0, `swap@23+uffd` → 23), or -1 for any
 * other kind.
 */
export function swapDeviceOf(kind: string): number {
  if (kind === 'swap' || kind === 'swap+uffd') return 0;
  const m = SWAP_AT.exec(kind);
  return m ? Number(m[1]) : -1;
}

/** Does this swap kind carry the swap-PTE uffd-wp bit (`swap+uffd`, `swap@N+uffd`)? */
export function swapKindHasUffd(kind: string): boolean {
  return kind === 'swap+uffd' || (kind.startsWith('swap@') && kind.endsWith('+uffd'));
}

/** Description of any kind, `swap@N` included. */
export function describeLayoutKind(kind: LayoutKind): string {
  const dev = swapDeviceOf(kind);
  if (dev > 0) return `real swap entry on swap device type ${dev}${swapKindHasUffd(kind) ? ', with the swap-PTE uffd-wp bit' : ''}`;
  return LAYOUT_KIND_DESCRIPTIONS[kind as FixedLayoutKind] ?? kind;
}

/** Layout kinds that are non-swap entries (swap-format PTEs whose type ≥ MAX_SWAPFILES). */
export const NON_SWAP_LAYOUT_KINDS: readonly LayoutKind[] = Object.freeze([
  'migration', 'migration-w', 'migration+uffd', 'device-private', 'device-exclusive', 'hwpoison',
  'guard', 'poison', 'uffd-marker',
] as const);

/**
 * Show user text inside an error message safely: control characters (newlines, ESC of terminal
 * escape sequences, …) as `\\uXXXX`, and at most 40 characters — so a message stays one
 * printable line whatever was typed. No kernel twin.
 */
export function showInput(text: string): string {
  const cut = text.length > 40 ? text.slice(0, 40) + '…' : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The error every notation parser here throws; `message` is one line, fit for a CLI. */
export class LayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayoutError';
  }
}

const KIND_SET: ReadonlySet<string> = new Set(LAYOUT_KINDS);

/** True if `s` is one of {@link LAYOUT_KINDS} or a well-formed `swap@N[+uffd]` with N 0–23. */
export function isLayoutKind(s: string): s is LayoutKind {
  if (KIND_SET.has(s)) return true;
  const m = SWAP_AT.exec(s);
  return !!m && /^(0|[1-9][0-9]?)$/.test(m[1]) && Number(m[1]) < MAX_SWAP_DEVICES;
}

/** One spelling per kind: `swap@0` → `swap`, `swap@0+uffd` → `swap+uffd`, others unchanged. */
function canonicalKind(kind: LayoutKind): LayoutKind {
  if (kind === 'swap@0') return 'swap';
  if (kind === 'swap@0+uffd') return 'swap+uffd';
  return kind;
}

function knownKinds(): string {
  return `${LAYOUT_KINDS.join(', ')}, swap@N and swap@N+uffd (N = swap device type 0–23)`;
}

/**
 * Why a kind is unknown, in one clause: a swap device out of range gets its own reason
 * ("swap device 24 does not exist: MAX_SWAPFILES is 24, so real swap types are 0–23 …").
 */
function unknownKindMessage(kind: string): string {
  const m = /^swap@(.*?)(\+uffd)?$/.exec(kind);
  if (m) {
    if (!/^[0-9]+$/.test(m[1])) return `"${showInput(kind)}": the swap device must be a whole number from 0 to ${MAX_SWAP_DEVICES - 1}, as in swap@3`;
    return `"${showInput(kind)}": swap device ${showInput(m[1])} does not exist — MAX_SWAPFILES is ${MAX_SWAP_DEVICES}, so real swap types are 0–${MAX_SWAP_DEVICES - 1} (types 24–31 are the non-swap entries: write hwpoison, migration, device-private, device-exclusive or a marker kind)`;
  }
  return `unknown kind "${showInput(kind)}"; known kinds: ${knownKinds()}`;
}

/**
 * Decimal digits with at most 3 significant ones (leading zeros allowed, as the kernel's
 * kstrtouint allows them): every value the notation needs (≤ 512) and nothing a JS number
 * could round — "20000000000000000000" or 2^64 + 64 are refused, never rounded or wrapped.
 */
function isSmallWhole(text: string): boolean {
  return /^0*[0-9]{1,3}$/.test(text);
}

/** Largest count a layout item may carry: a PMD has 512 PTEs. */
const MAX_COUNT = NR;

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
  if (parts.length === 1 && parts[0].trim() === 'no-table') return new Array<LayoutItem>(NR).fill('no-table');
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
      // Exact small integers only: "1e3", "0x10", 20-digit numbers are refused, never rounded.
      if (!isSmallWhole(c) || Number(c) < 1 || Number(c) > MAX_COUNT) {
        throw new LayoutError(`layout item ${n} "${showInput(raw)}": count "${showInput(c)}" must be a whole number from 1 to ${MAX_COUNT} (a PMD has ${NR} PTEs)`);
      }
      count = Number(c);
    }
    if (kind === 'no-table') {
      throw new LayoutError(`layout item ${n} "${showInput(raw)}": no-table means the PMD has no PTE table at all, so it can only be the whole layout (--layout no-table)`);
    }
    if (!isLayoutKind(kind)) {
      throw new LayoutError(`layout item ${n} "${showInput(raw)}": ${unknownKindMessage(kind)}`);
    }
    const k = canonicalKind(kind);
    total += count;
    if (total <= NR) for (let c = 0; c < count; c++) out.push(k);
  }
  if (total !== NR) {
    throw new LayoutError(`the layout adds up to ${total} PTE${total === 1 ? '' : 's'}, not ${NR}`);
  }
  return out;
}

/** Is this parsed layout the whole-PMD `no-table` layout? */
export function isNoTable(items: readonly LayoutItem[]): boolean {
  return items.length > 0 && items[0] === 'no-table';
}

/**
 * Parse several PMD layouts (the CLI's repeated `--layout`), in address order. An error names
 * the PMD: "PMD 2: the layout adds up to 511 PTEs, not 512".
 * @throws {LayoutError}
 */
export function parseLayouts(list: readonly string[]): LayoutItem[][] {
  if (list.length === 0) throw new LayoutError('no layout given: one --layout per PMD, e.g. --layout "page*511,guard"');
  return list.map((l, i) => {
    try {
      return parseLayout(l);
    } catch (e) {
      if (e instanceof LayoutError && list.length > 1) throw new LayoutError(`PMD ${i}: ${e.message}`);
      throw e;
    }
  });
}

/**
 * The inverse of {@link parseLayout}: run-length encode kinds back into the notation.
 * @example formatLayout(parseLayout('page*448,swap*64')) // "page*448,swap*64"
 */
export function formatLayout(items: readonly LayoutItem[]): string {
  if (isNoTable(items)) return 'no-table';
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
    if (eq < 0) throw new LayoutError(`window item ${n} "${showInput(raw)}": expected SLOT=KIND, e.g. "10=migration"`);
    const slotText = raw.slice(0, eq).trim();
    const kind = raw.slice(eq + 1).trim();
    if (!isSmallWhole(slotText) || Number(slotText) >= NR) {
      throw new LayoutError(`window item ${n} "${showInput(raw)}": slot "${showInput(slotText)}" must be a whole number from 0 to ${NR - 1}`);
    }
    if (kind === 'no-table') throw new LayoutError(`window item ${n} "${showInput(raw)}": no-table is a whole-PMD layout, not something one PTE can become`);
    if (!isLayoutKind(kind)) {
      throw new LayoutError(`window item ${n} "${showInput(raw)}": ${unknownKindMessage(kind)}`);
    }
    out.push({ slot: Number(slotText), kind: canonicalKind(kind) });
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
    if (eq < 0) throw new LayoutError(`knob "${showInput(raw)}": expected NAME=VALUE, e.g. max_ptes_swap=64`);
    const name = raw.slice(0, eq).trim();
    const value = raw.slice(eq + 1).trim();
    if (!(KNOB_NAMES as readonly string[]).includes(name)) {
      throw new LayoutError(`unknown knob "${showInput(name)}"; known knobs: ${KNOB_NAMES.join(', ')}`);
    }
    if (!isSmallWhole(value) || Number(value) > NR - 1) {
      throw new LayoutError(`knob ${name}: value "${showInput(value)}" must be a whole number from 0 to ${NR - 1}`);
    }
    const prev = out[name as KnobName];
    if (prev !== undefined && prev !== Number(value)) {
      throw new LayoutError(`knob ${name} given twice with different values (${prev} and ${Number(value)}); give it once`);
    }
    out[name as KnobName] = Number(value);
  }
  return out;
}
