/**
 * Exercise pte-anatomy — what can a PTE hold?
 * Chapter: 03-what-a-pte-can-hold (read it first; the table of swap types is there).
 *
 * Three small functions. The first two have kernel twins in include/linux/swapops.h
 * (https://elixir.bootlin.com/linux/v6.17/source/include/linux/swapops.h); build them from the
 * lower-level helpers imported below, not from the engine's own is_swap_pte/non_swap_entry.
 */
import {
  pte_none,
  pte_present,
  pte_to_swp_entry,
  swp_type,
  MAX_SWAPFILES,
  is_migration_entry,
  is_device_private_entry,
  is_device_exclusive_entry,
  is_hwpoison_entry,
  is_pte_marker_entry,
  type pte_t,
  type swp_entry_t,
} from 'collapse-lab/engine';

/** Everything a PTE can hold, as the course names it. */
export type PteClass =
  | 'none'
  | 'present'
  | 'swap'
  | 'migration'
  | 'device-private'
  | 'device-exclusive'
  | 'hwpoison'
  | 'marker';

/**
 * A "swap PTE" in the kernel's sense.
 */
export function is_swap_pte(pte: pte_t): boolean {
  // TODO(you): chapter 03, "Three states" and "Why `is_swap_pte()` misleads".
  //   What does the kernel call a swap PTE? Two conditions, both from the helpers above.
  //   Careful: a PROT_NONE (NUMA-hinting) PTE has its hardware present bit clear.
  return false;
}

/**
 * Is this entry one of the special (non-swap) types?
 */
export function non_swap_entry(entry: swp_entry_t): boolean {
  // TODO(you): chapter 03, "The non-swap zoo".
  //   Real swap devices use the low type numbers; everything special sits on top.
  //   Compare swp_type(entry) with MAX_SWAPFILES (24). Which side is type 24 on?
  return false;
}

/** Say what a PTE holds. */
export function classify(pte: pte_t): PteClass {
  if (pte_none(pte)) return 'none';
  // TODO(you): chapter 03, "From a PTE to a `swp_entry_t`".
  //   1. present (remember PROT_NONE) → 'present'
  //   2. otherwise decode the entry with pte_to_swp_entry(pte):
  //      a real swap entry → 'swap'; else migration / device-private / device-exclusive /
  //      hwpoison / marker (the is_*_entry helpers above).
  return 'present';
}
