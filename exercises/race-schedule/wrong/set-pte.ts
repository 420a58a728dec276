/**
 * Exercise race-schedule — WRONG: uses the engine's set_pte tool instead of a real kernel actor.
 * Chapter: 06-the-window.
 *
 */
import type { Schedule } from 'collapse-lab/engine';

export const schedule: Schedule = [{ at: 'alloc', actor: 'set_pte', slot: 10, kind: 'migration' }];
