/**
 * softleaf.ts — the "software leaf entry" view introduced by Lorenzo Stoakes' series
 * "mm: remove `is_swap_[pte, pmd]()` + non-swap entries, introduce leaf entries" (Oct–Nov 2025,
 * new header include/linux/leafops.h; in mm-unstable by 20 Nov 2025, after v6.17).
 *
 * A `softleaf_t` is the same value as a `swp_entry_t`. The differences from swapops.h:
 * `softleaf_from_pte()` turns a present OR none PTE into the empty leaf (val 0), so one call
 * covers every PTE, and `softleaf_type()` names each kind, making `softleaf_is_swap()` the
 * direct replacement for `!non_swap_entry()` (false for the empty leaf too).
 *
 * The v6.17 tree has no leafops.h; links point to identifier search.
 * @see https://elixir.bootlin.com/linux/latest/A/ident/softleaf_from_pte
 * @module
 */

import { type pte_t } from './pte.ts';
import {
  type swp_entry_t,
  pte_to_swp_entry,
  swp_entry,
  swp_type,
  swp_offset_pfn,
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
} from './swapops.ts';

/** A software leaf entry: same representation as {@link swp_entry_t} (`val`, `lo`, `hi`). */
export type softleaf_t = swp_entry_t;

/** `enum softleaf_type` values, in the order of leafops.h. */
export type softleaf_type_t = number;
/** `SOFTLEAF_NONE` (0): the empty leaf — the PTE was none or present. */
export const SOFTLEAF_NONE = 0;
/** `SOFTLEAF_SWAP` (1): a real swap entry (type < MAX_SWAPFILES). */
export const SOFTLEAF_SWAP = 1;
/** `SOFTLEAF_MIGRATION_READ` (2). */
export const SOFTLEAF_MIGRATION_READ = 2;
/** `SOFTLEAF_MIGRATION_READ_EXCLUSIVE` (3). */
export const SOFTLEAF_MIGRATION_READ_EXCLUSIVE = 3;
/** `SOFTLEAF_MIGRATION_WRITE` (4). */
export const SOFTLEAF_MIGRATION_WRITE = 4;
/** `SOFTLEAF_DEVICE_PRIVATE_READ` (5). */
export const SOFTLEAF_DEVICE_PRIVATE_READ = 5;
/** `SOFTLEAF_DEVICE_PRIVATE_WRITE` (6). */
export const SOFTLEAF_DEVICE_PRIVATE_WRITE = 6;
/** `SOFTLEAF_DEVICE_EXCLUSIVE` (7). */
export const SOFTLEAF_DEVICE_EXCLUSIVE = 7;
/** `SOFTLEAF_HWPOISON` (8). */
export const SOFTLEAF_HWPOISON = 8;
/** `SOFTLEAF_MARKER` (9): a PTE marker (uffd-wp, poisoned, guard). */
export const SOFTLEAF_MARKER = 9;

const SOFTLEAF_NAMES: readonly string[] = Object.freeze([
  'SOFTLEAF_NONE', 'SOFTLEAF_SWAP', 'SOFTLEAF_MIGRATION_READ', 'SOFTLEAF_MIGRATION_READ_EXCLUSIVE',
  'SOFTLEAF_MIGRATION_WRITE', 'SOFTLEAF_DEVICE_PRIVATE_READ', 'SOFTLEAF_DEVICE_PRIVATE_WRITE',
  'SOFTLEAF_DEVICE_EXCLUSIVE', 'SOFTLEAF_HWPOISON', 'SOFTLEAF_MARKER',
]);

/** Name of a softleaf type value, e.g. `softleafTypeName(4)` → `"SOFTLEAF_MIGRATION_WRITE"`. */
export function softleafTypeName(t: softleaf_type_t): string {
  return SOFTLEAF_NAMES[t] ?? `softleaf_type ${t}`;
}

const EMPTY: softleaf_t = swp_entry(0, 0);

/**
 * `softleaf_mk_none()`: the empty leaf entry (val 0).
 * @see https://elixir.bootlin.com/linux/latest/A/ident/softleaf_mk_none
 */
export function softleaf_mk_none(): softleaf_t {
  return EMPTY;
}

/**
 * `softleaf_from_pte(pte)`: a present or none PTE gives the empty leaf (val 0); any other PTE
 * is decoded like `pte_to_swp_entry` (software bits stripped).
 * @see https://elixir.bootlin.com/linux/latest/A/ident/softleaf_from_pte
 */
export function softleaf_from_pte(pte: pte_t): softleaf_t {
  const lo = pte.lo;
  if ((lo === 0 && pte.hi === 0) || (lo & 0x101) !== 0) return EMPTY;
  return pte_to_swp_entry(pte);
}

/**
 * `softleaf_type(entry)`: val 0 → SOFTLEAF_NONE; type < MAX_SWAPFILES → SOFTLEAF_SWAP;
 * otherwise the special kind for the type number.
 * @see https://elixir.bootlin.com/linux/latest/A/ident/softleaf_type
 */
export function softleaf_type(entry: softleaf_t): softleaf_type_t {
  if (entry.lo === 0 && entry.hi === 0) return SOFTLEAF_NONE;
  const t = swp_type(entry);
  if (t < MAX_SWAPFILES) return SOFTLEAF_SWAP;
  switch (t) {
    case SWP_MIGRATION_READ: return SOFTLEAF_MIGRATION_READ;
    case SWP_MIGRATION_READ_EXCLUSIVE: return SOFTLEAF_MIGRATION_READ_EXCLUSIVE;
    case SWP_MIGRATION_WRITE: return SOFTLEAF_MIGRATION_WRITE;
    case SWP_DEVICE_READ: return SOFTLEAF_DEVICE_PRIVATE_READ;
    case SWP_DEVICE_WRITE: return SOFTLEAF_DEVICE_PRIVATE_WRITE;
    case SWP_DEVICE_EXCLUSIVE: return SOFTLEAF_DEVICE_EXCLUSIVE;
    case SWP_HWPOISON: return SOFTLEAF_HWPOISON;
    case SWP_PTE_MARKER: return SOFTLEAF_MARKER;
    default: return SOFTLEAF_NONE; // the kernel WARNs: unknown type
  }
}

/** `softleaf_is_none(entry)`: the empty leaf. */
export function softleaf_is_none(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_NONE;
}
/** `softleaf_is_swap(entry)`: a REAL swap entry — the replacement for `!non_swap_entry()`; false for the empty leaf. */
export function softleaf_is_swap(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_SWAP;
}
/** `softleaf_is_migration(entry)`: any of the three migration types. */
export function softleaf_is_migration(entry: softleaf_t): boolean {
  const t = softleaf_type(entry);
  return t === SOFTLEAF_MIGRATION_READ || t === SOFTLEAF_MIGRATION_READ_EXCLUSIVE || t === SOFTLEAF_MIGRATION_WRITE;
}
/** `softleaf_is_migration_read(entry)`. */
export function softleaf_is_migration_read(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_MIGRATION_READ;
}
/** `softleaf_is_migration_read_exclusive(entry)`. */
export function softleaf_is_migration_read_exclusive(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_MIGRATION_READ_EXCLUSIVE;
}
/** `softleaf_is_migration_write(entry)`. */
export function softleaf_is_migration_write(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_MIGRATION_WRITE;
}
/** `softleaf_is_device_private(entry)`: read or write device-private. */
export function softleaf_is_device_private(entry: softleaf_t): boolean {
  const t = softleaf_type(entry);
  return t === SOFTLEAF_DEVICE_PRIVATE_READ || t === SOFTLEAF_DEVICE_PRIVATE_WRITE;
}
/** `softleaf_is_device_private_write(entry)`. */
export function softleaf_is_device_private_write(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_DEVICE_PRIVATE_WRITE;
}
/** `softleaf_is_device_exclusive(entry)`. */
export function softleaf_is_device_exclusive(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_DEVICE_EXCLUSIVE;
}
/** `softleaf_is_hwpoison(entry)`. */
export function softleaf_is_hwpoison(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_HWPOISON;
}
/** `softleaf_is_marker(entry)`: a PTE marker (was `is_pte_marker_entry`). */
export function softleaf_is_marker(entry: softleaf_t): boolean {
  return softleaf_type(entry) === SOFTLEAF_MARKER;
}
/** `softleaf_to_marker(entry)`: the marker bits (was `pte_marker_get`); 0 if not a marker (the kernel WARNs). */
export function softleaf_to_marker(entry: softleaf_t): number {
  return softleaf_is_marker(entry) ? entry.lo & PTE_MARKER_MASK : 0;
}
/** `softleaf_is_poison_marker(entry)`: marker with PTE_MARKER_POISONED (was `is_poisoned_swp_entry`). */
export function softleaf_is_poison_marker(entry: softleaf_t): boolean {
  return (softleaf_to_marker(entry) & PTE_MARKER_POISONED) !== 0;
}
/** `softleaf_is_guard_marker(entry)`: marker with PTE_MARKER_GUARD (was `is_guard_swp_entry`). */
export function softleaf_is_guard_marker(entry: softleaf_t): boolean {
  return (softleaf_to_marker(entry) & PTE_MARKER_GUARD) !== 0;
}
/** `softleaf_is_uffd_wp_marker(entry)`: marker with PTE_MARKER_UFFD_WP (was `pte_marker_entry_uffd_wp`). */
export function softleaf_is_uffd_wp_marker(entry: softleaf_t): boolean {
  return (softleaf_to_marker(entry) & PTE_MARKER_UFFD_WP) !== 0;
}
/** `softleaf_has_pfn(entry)`: migration, device-private, device-exclusive or hwpoison (the offset is a PFN). */
export function softleaf_has_pfn(entry: softleaf_t): boolean {
  const t = softleaf_type(entry);
  return t >= SOFTLEAF_MIGRATION_READ && t <= SOFTLEAF_HWPOISON;
}
/** `softleaf_to_pfn(entry)`: the PFN of a PFN-carrying leaf (was `swp_offset_pfn`). */
export function softleaf_to_pfn(entry: softleaf_t): number {
  return swp_offset_pfn(entry);
}
/** `pte_is_marker(pte)`: the PTE holds a marker (was `is_pte_marker`). */
export function pte_is_marker(pte: pte_t): boolean {
  return softleaf_is_marker(softleaf_from_pte(pte));
}
/** `pte_is_uffd_wp_marker(pte)`: the PTE holds a uffd-wp marker (was `pte_marker_uffd_wp`). */
export function pte_is_uffd_wp_marker(pte: pte_t): boolean {
  return softleaf_is_uffd_wp_marker(softleaf_from_pte(pte));
}
