/**
 * Exercise race-schedule — make the old kernel hand a non-swap entry to do_swap_page().
 * Chapter: 06-the-window ("The lock dance", "Who can change a PTE meanwhile", "Wei Yang's race").
 *
 * The range is fixed: "page*448,swap*64" — 448 present, young pages (slots 0..447) and 64 real
 * swap entries (slots 448..511). khugepaged's scan approves it (64 = max_ptes_swap), drops the
 * mmap lock to allocate a huge page, takes it again and calls __collapse_huge_page_swapin().
 *
 * Write a schedule: which actor does what, on which slot, at which preemption point, so that
 * the UNPATCHED kernel ('before') ends up calling do_swap_page() on something that is not a
 * swap entry. The tests replay your schedule on both kernels; the patched one must stop it.
 *
 * A step is { at, actor, slot }:
 *   at     where khugepaged can be raced:
 *            'scan-unlocked'  the scan has dropped the PTE lock; the mmap read lock is still held
 *            'alloc'          the mmap lock is dropped while the huge page is allocated
 *            'swapin:<slot>'  inside swap-in, just before it reads PTE <slot> (e.g. 'swapin:460')
 *            'upgrade'        swap-in is over; between mmap_read_unlock and mmap_write_lock
 *   actor  who acts (the real events of chapter 6 — `set_pte`, the engine's "install anything"
 *          tool for pictures, is not accepted here):
 *            'migration_start'    page migration replaces a present page's PTE with a migration entry
 *            'migration_finish'   ...and later installs the new page
 *            'reclaim_swap_out'   reclaim writes a present page to swap (a real swap entry)
 *            'memory_failure'     a present page is poisoned (hwpoison entry)
 *            'owner_fault'        the process touches the page: a swapped-out page comes back in
 *            'madv_guard_install' the process installs a guard marker (MADV_GUARD_INSTALL)
 *            'uffdio_writeprotect' the process write-protects the page with userfaultfd
 *            'device_exclusive'   a device driver takes exclusive access to a present page
 *   slot   which PTE, 0..511
 *
 * Steps at the same point run in the order you list them. A step that cannot run (its locks are
 * unavailable, or there is nothing for it to act on) is recorded as blocked.
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [
  // TODO(you): chapter 06, "Wei Yang's race". One well-placed step is enough.
];
