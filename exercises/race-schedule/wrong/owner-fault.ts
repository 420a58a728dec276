/**
 * Exercise race-schedule — WRONG: the owner faults a swapped-out page back in: it becomes present, which swap-in skips.
 * Chapter: 06-the-window.
 *
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'alloc', actor: 'owner_fault', slot: 460 }];
