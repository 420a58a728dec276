/**
 * Exercise uffd-wp — is plain pte_swp_uffd_wp() enough after non_swap_entry()?
 * Chapter: 07-uffd-wp.
 *
 * Lance Yang asked this on 7 Oct 2025; David Hildenbrand answered the next day. Answer it in code:
 * first build pte_swp_uffd_wp_any() yourself (kernel twin in include/linux/userfaultfd_k.h,
 * https://elixir.bootlin.com/linux/v6.17/source/include/linux/userfaultfd_k.h), then say, for any
 * PTE, whether the plain check would do — with and without the non_swap_entry() guard in front.
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
  // TODO(you): chapter 07, "Three traces of write-protection".
  //   - Only a swap-format PTE (not none, not present) has swap software bits to read.
  //   - Form 1: the swap-PTE uffd-wp bit (pte_swp_uffd_wp).
  //   - Form 2: a PTE marker whose marker bits include PTE_MARKER_UFFD_WP.
  return pte_swp_uffd_wp(pte);
}

/**
 * The pre-patch scan (no non_swap_entry() guard): every "swap PTE" reaches the uffd-wp test.
 * Would the plain pte_swp_uffd_wp() give the same answer as pte_swp_uffd_wp_any() for this PTE?
 * (A PTE that never reaches the test: answer true, nothing can go wrong.)
 */
export function plain_check_suffices_without_non_swap_entry(pte: pte_t): boolean {
  // TODO(you): chapter 07, "The check before the patch".
  return true;
}

/**
 * The patched scan: non_swap_entry() has already stopped every special entry before the
 * uffd-wp test. Would the plain check give the same answer as _any for this PTE?
 */
export function plain_check_suffices_after_non_swap_entry(pte: pte_t): boolean {
  // TODO(you): chapter 07, "Why the plain check suffices". Which PTEs still reach the test after the guard?
  return false;
}
