/**
 * Exercise pte-anatomy — WRONG: non_swap_entry uses >= MAX_SWAPFILES - 1, taking MAX_SWAPFILES for the number of the last swap device, so swap device 23 looks special.
 * Chapter: 03-what-a-pte-can-hold.
 *
 * Kernel twins: is_swap_pte() and non_swap_entry() in include/linux/swapops.h (v6.17),
 * https://elixir.bootlin.com/linux/v6.17/source/include/linux/swapops.h
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
 * A "swap PTE" in the kernel's (misleading) sense: not empty and not present.
 * That includes every non-swap entry too. PROT_NONE PTEs count as present.
 */
export function is_swap_pte(pte: pte_t): boolean {
  return !pte_none(pte) && !pte_present(pte);
}

/** True for the special entry types that live above the real swap devices (types 24..31). */
export function non_swap_entry(entry: swp_entry_t): boolean {
  return swp_type(entry) >= MAX_SWAPFILES - 1;
}

/** Say what a PTE holds. */
export function classify(pte: pte_t): PteClass {
  if (pte_none(pte)) return 'none';
  if (pte_present(pte)) return 'present';
  const entry = pte_to_swp_entry(pte);
  if (!non_swap_entry(entry)) return 'swap';
  if (is_migration_entry(entry)) return 'migration';
  if (is_device_private_entry(entry)) return 'device-private';
  if (is_device_exclusive_entry(entry)) return 'device-exclusive';
  if (is_hwpoison_entry(entry)) return 'hwpoison';
  if (is_pte_marker_entry(entry)) return 'marker';
  throw new Error(`unknown swap type ${swp_type(entry)}`);
}
