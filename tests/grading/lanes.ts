/**
 * At most N things at once, shared by every caller in this test file (each Vitest file is its own
 * module graph, so each file gets its own lanes).
 *
 * Why: Vitest gives the unit project one worker on a 2-core machine (maxWorkers = cores − 1), so a
 * file whose tests wait on grading children one after the other leaves a core idle. Tests that are
 * independent are declared `concurrent` and take a lane each; two lanes keep both cores busy
 * without oversubscribing them (a grading child is one busy core; more at once only slows each one,
 * which the per-test limits of some tests would feel). Every submission still gets its own sandboxed
 * child: lanes only decide how many of those run at the same time.
 */
export const GRADING_LANES = 2;

export interface Lanes {
  <T>(fn: () => Promise<T>): Promise<T>;
}

export function lanes(n = GRADING_LANES): Lanes {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** `fn` over `items` through `lane`, results in order (each item takes its own lane turn). */
export function mapInLanes<T, R>(lane: Lanes, items: readonly T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  return Promise.all(items.map((item, i) => lane(() => fn(item, i))));
}
