/**
 * Exercise race-schedule — WRONG: reclaim swaps a page out during the allocation: that is a REAL swap entry, which swap-in handles correctly.
 * Chapter: 06-the-window.
 *
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'alloc', actor: 'reclaim_swap_out', slot: 10 }];
