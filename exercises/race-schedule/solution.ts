/**
 * Exercise race-schedule — reference solution.
 * Chapter: 06-the-window.
 *
 * While khugepaged has dropped the mmap lock to allocate the huge page, page migration (an rmap
 * walker, which needs no mmap lock) replaces the present page in slot 10 with a migration entry.
 * The old swap-in walks all 512 live PTEs, finds slot 10 "not none, not present" — is_swap_pte()
 * — and hands the migration entry to do_swap_page(). The patched swap-in stops there.
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'alloc', actor: 'migration_start', slot: 10 }];
