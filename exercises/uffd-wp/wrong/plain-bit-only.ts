/**
 * Exercise uffd-wp — WRONG: forgets the marker form; only the swap-PTE uffd-wp bit counts.
 * Chapter: 07-uffd-wp.
 *
 * Kernel twins: pte_marker_uffd_wp() and pte_swp_uffd_wp_any() in include/linux/userfaultfd_k.h
 * (v6.17), https://elixir.bootlin.com/linux/v6.17/source/include/linux/userfaultfd_k.h
 */
import {
  is_swap_pte,
  pte_to_swp_entry,
  non_swap_entry,
  pte_swp_uffd_wp,
  is_pte_marker_entry,
  pte_marker_get,
  PTE_MARKER_UFFD_WP,
  type pte_t,
} from 'collapse-lab/engine';

/**
 * Is this non-present PTE write-protected by userfaultfd in any form: the swap-PTE uffd-wp
 * software bit, or a PTE marker carrying PTE_MARKER_UFFD_WP?
 */
export function pte_swp_uffd_wp_any(pte: pte_t): boolean {
  // The swap-PTE software bits alias bits of present PTEs: only read them on a swap PTE.
  if (!is_swap_pte(pte)) return false;
  return pte_swp_uffd_wp(pte);
}

/**
 * The pre-patch scan (no non_swap_entry() guard): every "swap PTE" reaches the uffd-wp test.
 * Would the plain pte_swp_uffd_wp() give the same answer as pte_swp_uffd_wp_any() for this PTE?
 */
export function plain_check_suffices_without_non_swap_entry(pte: pte_t): boolean {
  if (!is_swap_pte(pte)) return true; // never reaches the check
  return pte_swp_uffd_wp(pte) === pte_swp_uffd_wp_any(pte);
}

/**
 * The patched scan: non_swap_entry() has already stopped every special entry (markers
 * included) before the uffd-wp test. Would the plain check give the same answer as _any here?
 */
export function plain_check_suffices_after_non_swap_entry(pte: pte_t): boolean {
  if (!is_swap_pte(pte)) return true; // never reaches the check
  if (non_swap_entry(pte_to_swp_entry(pte))) return true; // stopped just above the check
  return pte_swp_uffd_wp(pte) === pte_swp_uffd_wp_any(pte);
}
