/**
 * Exercise race-schedule — WRONG: migration starts and also finishes during the allocation, so swap-in finds a present page again.
 * Chapter: 06-the-window.
 *
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'alloc', actor: 'migration_start', slot: 10 }, { at: 'alloc', actor: 'migration_finish', slot: 10 }];
