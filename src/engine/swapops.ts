/**
 * swapops.ts — swap entries (`swp_entry_t`), the "non-swap" special entries that share the
 * swap-PTE format (migration, device-private, device-exclusive, hwpoison, PTE markers), and the
 * predicates and constructors the kernel keeps in include/linux/swapops.h,
 * include/linux/swap.h and include/linux/userfaultfd_k.h (v6.17 names).
 *
 * Encoding (arch-independent, 64-bit): `val = (type << 58) | offset`; `swp_type` = val >> 58,
 * `swp_offset` = the low 58 bits. Offsets stay below 2^50 (what fits in a swap PTE), so
 * `swp_offset()` returns an exact JS number. PFN-carrying entries keep the PFN in the offset.
 *
 * Converting to/from a PTE (`swp_entry_to_pte` / `pte_to_swp_entry`) uses the swap-PTE layout
 * documented in pte.ts: offset in bits 9–58, type in bits 59–63, software bits 1–3.
 *
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/swapops.h
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/swap.h
 * @module
 */

import {
  type pte_t,
  type swp_entry_t,
  pteFromHalves,
  swpEntryFromHalves,
  swapTypeName,
  MAX_SWAPFILES,
  SWP_HWPOISON,
  SWP_MIGRATION_READ,
  SWP_MIGRATION_READ_EXCLUSIVE,
  SWP_MIGRATION_WRITE,
  SWP_DEVICE_WRITE,
  SWP_DEVICE_READ,
  SWP_DEVICE_EXCLUSIVE,
  SWP_PTE_MARKER,
  PTE_MARKER_UFFD_WP,
  PTE_MARKER_POISONED,
  PTE_MARKER_GUARD,
  PTE_MARKER_MASK,
} from './pte.ts';

export { type swp_entry_t, isSwpEntry, swpEntryFromHalves } from './pte.ts';
export {
  MAX_SWAPFILES,
  SWP_HWPOISON,
  SWP_MIGRATION_READ,
  SWP_MIGRATION_READ_EXCLUSIVE,
  SWP_MIGRATION_WRITE,
  SWP_DEVICE_WRITE,
  SWP_DEVICE_READ,
  SWP_DEVICE_EXCLUSIVE,
  SWP_PTE_MARKER,
  PTE_MARKER_UFFD_WP,
  PTE_MARKER_POISONED,
  PTE_MARKER_GUARD,
  PTE_MARKER_MASK,
} from './pte.ts';

const TWO32 = 4294967296;
const B_SWP_SOFT_DIRTY = 0x2;
const B_SWP_UFFD_WP = 0x4;
const B_SWP_EXCLUSIVE = 0x8;

/** `SWP_TYPE_SHIFT` = 58: where the type starts in `swp_entry_t.val` (BITS_PER_XA_VALUE − 5). */
export const SWP_TYPE_SHIFT = 58;
/** `SWP_OFFSET_MASK` = 2^58 − 1, as a bigint. */
export const SWP_OFFSET_MASK = (1n << 58n) - 1n;
/**
 * `SWP_PFN_BITS` = 40 (MAX_PHYSMEM_BITS 52 − PAGE_SHIFT 12): how many low offset bits of a
 * PFN-carrying entry hold the PFN (`swp_offset_pfn`).
 */
export const SWP_PFN_BITS = 40;
const PFN_MASK_HI = 0xff; // bits 32..39 of the offset

function hex64(lo: number, hi: number): string {
  return '0x' + hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

function entryOf(type: number, offset: number): swp_entry_t {
  // offset < 2^58 in the kernel; we keep offsets < 2^50 so a number is exact.
  const lo = offset % TWO32;
  const hi = ((type & 0x3f) << 26) | (Math.floor(offset / TWO32) & 0x3ffffff);
  return swpEntryFromHalves(lo, hi);
}

/**
 * `swp_entry(type, offset)`: build an entry; `val = (type << 58) | offset`.
 * @example swp_entry(0, 0x10).val === 0x10n; swp_entry(27, 0x1234).val === 0x6c00000000001234n
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/swp_entry
 */
export function swp_entry(type: number, offset: number): swp_entry_t {
  return entryOf(type, offset);
}

/** Build a swp_entry_t from a raw bigint `val` (the C `(swp_entry_t){ .val = v }`). */
export function swpEntryFromVal(val: bigint): swp_entry_t {
  const v = BigInt.asUintN(64, val);
  return swpEntryFromHalves(Number(v & 0xffffffffn), Number(v >> 32n));
}

/** `swp_type(entry)`: bits 58–63 of val — 0..23 a swap device, 24..31 a special entry. @see https://elixir.bootlin.com/linux/v6.17/A/ident/swp_type */
export function swp_type(entry: swp_entry_t): number {
  return entry.hi >>> 26;
}

/** `swp_offset(entry)`: the low 58 bits of val (slot on the swap device, PFN, or marker bits). @see https://elixir.bootlin.com/linux/v6.17/A/ident/swp_offset */
export function swp_offset(entry: swp_entry_t): number {
  return (entry.hi & 0x3ffffff) * TWO32 + entry.lo;
}

/** A one-line description of an entry, e.g. `0x6c00000000001234 type=27(SWP_MIGRATION_WRITE) offset=0x1234`. */
export function formatSwpEntry(entry: swp_entry_t): string {
  const t = swp_type(entry);
  return `${hex64(entry.lo, entry.hi)} type=${t}(${swapTypeName(t)}) offset=0x${swp_offset(entry).toString(16)}`;
}

// ---------------------------------------------------------------------------------------------
// PTE <-> entry
// ---------------------------------------------------------------------------------------------

/**
 * `is_swap_pte(pte)`: `!pte_none(pte) && !pte_present(pte)`. Despite its name this is TRUE for
 * real swap entries AND for every non-swap entry (migration, device, hwpoison, markers) — the
 * heart of the bug this course is about. Removed upstream by the softleaf series (late 2025).
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_swap_pte
 */
export function is_swap_pte(pte: pte_t): boolean {
  return !(pte.lo === 0 && pte.hi === 0) && (pte.lo & 0x101) === 0;
}

/**
 * `pte_to_swp_entry(pte)`: decode a swap-format PTE into an arch-independent entry. The
 * software bits (exclusive, soft-dirty, uffd-wp: `pte_swp_clear_flags`) are stripped first,
 * so two PTEs differing only in those bits give equal entries. Meaningless (junk) for a
 * present PTE — the kernel only calls it after checking `is_swap_pte` / `!pte_present`.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_to_swp_entry
 */
export function pte_to_swp_entry(pte: pte_t): swp_entry_t {
  const cached = pte._entry;
  if (cached !== null) return cached;
  const lo = pte.lo & ~(B_SWP_SOFT_DIRTY | B_SWP_UFFD_WP | B_SWP_EXCLUSIVE);
  const type = pte.hi >>> 27;
  const offset = (lo >>> 9) + (pte.hi & 0x7ffffff) * 0x800000;
  return entryOf(type, offset);
}

/**
 * `swp_entry_to_pte(entry)`: encode an entry as a swap-format PTE (no software bits set).
 * Note: type 0 offset 0 would encode as a none PTE; slot 0 of a swap device holds the swap
 * header and is never handed out, so real entries never look like that.
 * @example swp_entry_to_pte(swp_entry(27, 0x1234)) // 0xd800000000246800
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/swp_entry_to_pte
 */
export function swp_entry_to_pte(entry: swp_entry_t): pte_t {
  const type = swp_type(entry) & 0x1f;
  const offset = swp_offset(entry);
  const lo = ((offset & 0x7fffff) << 9) >>> 0;
  const hi = ((type << 27) | (Math.floor(offset / 0x800000) & 0x7ffffff)) >>> 0;
  return pteFromHalves(lo, hi);
}

// ---------------------------------------------------------------------------------------------
// Type predicates
// ---------------------------------------------------------------------------------------------

/**
 * `non_swap_entry(entry)`: `swp_type(entry) >= MAX_SWAPFILES` — a migration, device-private,
 * device-exclusive, hwpoison or marker entry, NOT something `do_swap_page()` can read from a
 * swap device. Removed upstream by the softleaf series (replaced by `!softleaf_is_swap`).
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/non_swap_entry
 */
export function non_swap_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 >= MAX_SWAPFILES;
}

/** `is_migration_entry(entry)`: type is SWP_MIGRATION_READ, _READ_EXCLUSIVE or _WRITE. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_migration_entry */
export function is_migration_entry(entry: swp_entry_t): boolean {
  const t = entry.hi >>> 26;
  return t === SWP_MIGRATION_READ || t === SWP_MIGRATION_READ_EXCLUSIVE || t === SWP_MIGRATION_WRITE;
}
/** `is_writable_migration_entry(entry)`: type == SWP_MIGRATION_WRITE. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_writable_migration_entry */
export function is_writable_migration_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_MIGRATION_WRITE;
}
/** `is_readable_migration_entry(entry)`: type == SWP_MIGRATION_READ. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_readable_migration_entry */
export function is_readable_migration_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_MIGRATION_READ;
}
/** `is_readable_exclusive_migration_entry(entry)`: type == SWP_MIGRATION_READ_EXCLUSIVE. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_readable_exclusive_migration_entry */
export function is_readable_exclusive_migration_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_MIGRATION_READ_EXCLUSIVE;
}
/** `is_device_private_entry(entry)`: type is SWP_DEVICE_READ or SWP_DEVICE_WRITE. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_device_private_entry */
export function is_device_private_entry(entry: swp_entry_t): boolean {
  const t = entry.hi >>> 26;
  return t === SWP_DEVICE_READ || t === SWP_DEVICE_WRITE;
}
/** `is_writable_device_private_entry(entry)`: type == SWP_DEVICE_WRITE. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_writable_device_private_entry */
export function is_writable_device_private_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_DEVICE_WRITE;
}
/** `is_device_exclusive_entry(entry)`: type == SWP_DEVICE_EXCLUSIVE. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_device_exclusive_entry */
export function is_device_exclusive_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_DEVICE_EXCLUSIVE;
}
/** `is_hwpoison_entry(entry)`: type == SWP_HWPOISON. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_hwpoison_entry */
export function is_hwpoison_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_HWPOISON;
}
/**
 * `is_pfn_swap_entry(entry)`: the offset holds a PFN — migration, device-private,
 * device-exclusive or hwpoison entries (not swap, not markers).
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_pfn_swap_entry
 */
export function is_pfn_swap_entry(entry: swp_entry_t): boolean {
  const t = entry.hi >>> 26;
  return t >= SWP_HWPOISON && t <= SWP_DEVICE_EXCLUSIVE;
}
/** `swp_offset_pfn(entry)`: the PFN kept in the low SWP_PFN_BITS of a PFN-carrying entry's offset. @see https://elixir.bootlin.com/linux/v6.17/A/ident/swp_offset_pfn */
export function swp_offset_pfn(entry: swp_entry_t): number {
  return (entry.hi & PFN_MASK_HI) * TWO32 + entry.lo;
}

// ---------------------------------------------------------------------------------------------
// Constructors of special entries
// ---------------------------------------------------------------------------------------------

/** `make_readable_migration_entry(offset)`: migration entry (read) for PFN `offset`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_readable_migration_entry */
export function make_readable_migration_entry(offset: number): swp_entry_t {
  return entryOf(SWP_MIGRATION_READ, offset);
}
/** `make_readable_exclusive_migration_entry(offset)`: migration entry (read, anon-exclusive). @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_readable_exclusive_migration_entry */
export function make_readable_exclusive_migration_entry(offset: number): swp_entry_t {
  return entryOf(SWP_MIGRATION_READ_EXCLUSIVE, offset);
}
/** `make_writable_migration_entry(offset)`: migration entry (write). @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_writable_migration_entry */
export function make_writable_migration_entry(offset: number): swp_entry_t {
  return entryOf(SWP_MIGRATION_WRITE, offset);
}
/** Alias of {@link make_readable_migration_entry} (engine README name). */
export const make_migration_entry_read = make_readable_migration_entry;
/** Alias of {@link make_writable_migration_entry} (engine README name). */
export const make_migration_entry_write = make_writable_migration_entry;
/** Alias of {@link make_readable_exclusive_migration_entry} (engine README name). */
export const make_migration_entry_readable_exclusive = make_readable_exclusive_migration_entry;

/** `make_readable_device_private_entry(offset)`: type SWP_DEVICE_READ, PFN in offset. @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_readable_device_private_entry */
export function make_readable_device_private_entry(offset: number): swp_entry_t {
  return entryOf(SWP_DEVICE_READ, offset);
}
/** `make_writable_device_private_entry(offset)`: type SWP_DEVICE_WRITE, PFN in offset. @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_writable_device_private_entry */
export function make_writable_device_private_entry(offset: number): swp_entry_t {
  return entryOf(SWP_DEVICE_WRITE, offset);
}
/** `make_device_exclusive_entry(offset)`: type SWP_DEVICE_EXCLUSIVE, PFN in offset. @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_device_exclusive_entry */
export function make_device_exclusive_entry(offset: number): swp_entry_t {
  return entryOf(SWP_DEVICE_EXCLUSIVE, offset);
}
/**
 * `make_hwpoison_entry(pfn)`: type SWP_HWPOISON. The kernel takes a `struct page *` and stores
 * its PFN; here you pass the PFN directly.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_hwpoison_entry
 */
export function make_hwpoison_entry(pfn: number): swp_entry_t {
  return entryOf(SWP_HWPOISON, pfn);
}

// ---------------------------------------------------------------------------------------------
// PTE markers
// ---------------------------------------------------------------------------------------------

/** A PTE marker bitmask (`pte_marker`): OR of `PTE_MARKER_UFFD_WP | _POISONED | _GUARD`. */
export type pte_marker = number;

/** `is_pte_marker_entry(entry)`: type == SWP_PTE_MARKER. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_pte_marker_entry */
export function is_pte_marker_entry(entry: swp_entry_t): boolean {
  return entry.hi >>> 26 === SWP_PTE_MARKER;
}
/** `pte_marker_get(entry)`: the marker bits, `swp_offset(entry) & PTE_MARKER_MASK`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_marker_get */
export function pte_marker_get(entry: swp_entry_t): pte_marker {
  return entry.lo & PTE_MARKER_MASK;
}
/** `make_pte_marker_entry(marker)`: `swp_entry(SWP_PTE_MARKER, marker)`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_pte_marker_entry */
export function make_pte_marker_entry(marker: pte_marker): swp_entry_t {
  return entryOf(SWP_PTE_MARKER, marker);
}
/** `make_pte_marker(marker)`: a marker PTE, `swp_entry_to_pte(make_pte_marker_entry(marker))`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/make_pte_marker */
export function make_pte_marker(marker: pte_marker): pte_t {
  return swp_entry_to_pte(entryOf(SWP_PTE_MARKER, marker));
}
/**
 * `is_pte_marker(pte)`: a non-present, non-none PTE whose entry is a marker.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_pte_marker
 */
export function is_pte_marker(pte: pte_t): boolean {
  return is_swap_pte(pte) && pte.hi >>> 27 === SWP_PTE_MARKER;
}
/** `is_guard_swp_entry(entry)`: a marker entry with PTE_MARKER_GUARD. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_guard_swp_entry */
export function is_guard_swp_entry(entry: swp_entry_t): boolean {
  return is_pte_marker_entry(entry) && (entry.lo & PTE_MARKER_GUARD) !== 0;
}
/** `is_poisoned_swp_entry(entry)`: a marker entry with PTE_MARKER_POISONED. @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_poisoned_swp_entry */
export function is_poisoned_swp_entry(entry: swp_entry_t): boolean {
  return is_pte_marker_entry(entry) && (entry.lo & PTE_MARKER_POISONED) !== 0;
}
/** `pte_marker_entry_uffd_wp(entry)`: a marker entry with PTE_MARKER_UFFD_WP. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_marker_entry_uffd_wp */
export function pte_marker_entry_uffd_wp(entry: swp_entry_t): boolean {
  return is_pte_marker_entry(entry) && (entry.lo & PTE_MARKER_UFFD_WP) !== 0;
}
/**
 * `pte_marker_uffd_wp(pte)`: the PTE is a swap-format PTE holding a marker with
 * PTE_MARKER_UFFD_WP ("this empty PTE is write-protected by userfaultfd").
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/userfaultfd_k.h
 */
export function pte_marker_uffd_wp(pte: pte_t): boolean {
  return is_pte_marker(pte) && ((pte.lo >>> 9) & PTE_MARKER_UFFD_WP) !== 0;
}

// ---------------------------------------------------------------------------------------------
// Swap-PTE software bits (arch/x86/include/asm/pgtable.h)
// ---------------------------------------------------------------------------------------------

function swpWith(pte: pte_t, set: number, clear: number): pte_t {
  return pteFromHalves((pte.lo & ~clear) | set, pte.hi);
}

/** `pte_swp_uffd_wp(pte)`: the swap-PTE uffd-wp bit (`_PAGE_SWP_UFFD_WP`, bit 2). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_uffd_wp */
export function pte_swp_uffd_wp(pte: pte_t): boolean {
  return (pte.lo & B_SWP_UFFD_WP) !== 0;
}
/** `pte_swp_mkuffd_wp(pte)`: set `_PAGE_SWP_UFFD_WP`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_mkuffd_wp */
export function pte_swp_mkuffd_wp(pte: pte_t): pte_t {
  return swpWith(pte, B_SWP_UFFD_WP, 0);
}
/** `pte_swp_clear_uffd_wp(pte)`: clear `_PAGE_SWP_UFFD_WP`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_clear_uffd_wp */
export function pte_swp_clear_uffd_wp(pte: pte_t): pte_t {
  return swpWith(pte, 0, B_SWP_UFFD_WP);
}
/** `pte_swp_soft_dirty(pte)`: `_PAGE_SWP_SOFT_DIRTY` (bit 1). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_soft_dirty */
export function pte_swp_soft_dirty(pte: pte_t): boolean {
  return (pte.lo & B_SWP_SOFT_DIRTY) !== 0;
}
/** `pte_swp_mksoft_dirty(pte)`: set `_PAGE_SWP_SOFT_DIRTY`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_mksoft_dirty */
export function pte_swp_mksoft_dirty(pte: pte_t): pte_t {
  return swpWith(pte, B_SWP_SOFT_DIRTY, 0);
}
/** `pte_swp_clear_soft_dirty(pte)`: clear `_PAGE_SWP_SOFT_DIRTY`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_clear_soft_dirty */
export function pte_swp_clear_soft_dirty(pte: pte_t): pte_t {
  return swpWith(pte, 0, B_SWP_SOFT_DIRTY);
}
/** `pte_swp_exclusive(pte)`: `_PAGE_SWP_EXCLUSIVE` (bit 3): the page was anon-exclusive. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_exclusive */
export function pte_swp_exclusive(pte: pte_t): boolean {
  return (pte.lo & B_SWP_EXCLUSIVE) !== 0;
}
/** `pte_swp_mkexclusive(pte)`: set `_PAGE_SWP_EXCLUSIVE`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_mkexclusive */
export function pte_swp_mkexclusive(pte: pte_t): pte_t {
  return swpWith(pte, B_SWP_EXCLUSIVE, 0);
}
/** `pte_swp_clear_exclusive(pte)`: clear `_PAGE_SWP_EXCLUSIVE`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_clear_exclusive */
export function pte_swp_clear_exclusive(pte: pte_t): pte_t {
  return swpWith(pte, 0, B_SWP_EXCLUSIVE);
}
/** `pte_swp_clear_flags(pte)`: clear all three swap software bits (what `pte_to_swp_entry` does first). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_swp_clear_flags */
export function pte_swp_clear_flags(pte: pte_t): pte_t {
  return swpWith(pte, 0, B_SWP_SOFT_DIRTY | B_SWP_UFFD_WP | B_SWP_EXCLUSIVE);
}

/**
 * `pte_swp_uffd_wp_any(pte)`: false unless the PTE is a swap-format PTE; then true if the
 * swap uffd-wp bit is set OR it is a uffd-wp marker. khugepaged refuses to collapse such a
 * range (SCAN_PTE_UFFD_WP), because a huge PMD cannot keep per-page write protection.
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/userfaultfd_k.h
 */
export function pte_swp_uffd_wp_any(pte: pte_t): boolean {
  if (!is_swap_pte(pte)) return false;
  if ((pte.lo & B_SWP_UFFD_WP) !== 0) return true;
  return pte_marker_uffd_wp(pte);
}

