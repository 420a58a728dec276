/**
 * Exercise race-schedule — WRONG: tries to migrate a page that is out on swap (slot 460): migration needs a present page.
 * Chapter: 06-the-window.
 *
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'alloc', actor: 'migration_start', slot: 460 }];
