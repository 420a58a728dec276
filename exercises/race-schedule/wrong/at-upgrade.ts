/**
 * Exercise race-schedule — WRONG: migration starts at 'upgrade', after swap-in has already finished (isolate catches it in both kernels).
 * Chapter: 06-the-window.
 *
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'upgrade', actor: 'migration_start', slot: 10 }];
