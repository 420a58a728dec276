/**
 * Late diffs, the parent's side (orchestrate.ts `lateDiffs`; loaded only once a run owes diffs, so
 * the browser's verdict path does not carry it): check a runner's 'diffs' message as untrusted
 * input and hand the diffs to the caller, within a bounded wait, then end the runner.
 */
import type { Mailbox, OrchestrateOptions } from './orchestrate.ts';
import type { WorkerMessage } from './runtime/session.ts';
import type { TestResult } from './types.ts';
import { MESSAGE_CAP_CHARS } from './types.ts';

/** A failure's message with its late diff: what an inline run gives for it. */
export interface LateDiffText {
  /** Index of the test in RunResult.tests. */
  index: number;
  name: string;
  /** The whole message (the verdict's message, a blank line, the diff lines), capped. */
  message: string;
}

/** How a run's wait for its late diffs ended ('none': no runner owed any). */
export type LateDiffsEnd = 'delivered' | 'none' | 'timeout' | 'exit' | 'aborted';

/** Longest diff text taken for one failure (what capMessage can leave of message + diff, plus its note). */
const LATE_DIFF_MAX_CHARS = MESSAGE_CAP_CHARS + 200;

/**
 * Check a runner's 'diffs' (untrusted): an array of [index, text] pairs, each index one of the
 * tests whose result said `late` (a failed assertion), once; text a string of at most
 * LATE_DIFF_MAX_CHARS; at most one pair per such test. Anything else is dropped, entry by entry
 * (a non-array drops all). Statuses are never touched: a diff only completes a failure's message.
 */
export function lateDiffsOf(raw: unknown, late: ReadonlySet<number>, results: readonly TestResult[]): LateDiffText[] {
  if (!Array.isArray(raw)) return [];
  const out: LateDiffText[] = [];
  const seen = new Set<number>();
  const n = Math.min(raw.length, late.size);
  for (let k = 0; k < raw.length && out.length < n; k++) {
    const e: unknown = raw[k];
    if (!Array.isArray(e) || e.length !== 2) continue;
    const [index, text] = e as [unknown, unknown];
    if (typeof index !== 'number' || !late.has(index) || seen.has(index) || typeof text !== 'string' || text.length === 0 || text.length > LATE_DIFF_MAX_CHARS) continue;
    const r = results[index];
    if (!r || r.status !== 'failed') continue;
    seen.add(index);
    const message = r.message + text;
    // (a runner's own message may be long too: the whole is capped as capMessage caps, without importing the runtime here)
    out.push({ index, name: r.name, message: message.length > LATE_DIFF_MAX_CHARS ? `${message.slice(0, MESSAGE_CAP_CHARS)}… (message truncated: ${message.length - MESSAGE_CAP_CHARS} more characters)` : message });
  }
  return out;
}

/**
 * After the verdict: wait (bounded) for the runner's late diffs, hand the checked ones to the
 * caller, then end the runner. Never throws.
 */
export async function awaitDiffs(box: Mailbox, late: NonNullable<OrchestrateOptions['lateDiffs']>, indices: ReadonlySet<number>, results: readonly TestResult[], defaultWaitMs: number): Promise<void> {
  const signal = late.signal;
  const onAbort = () => box.end('aborted');
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort(); // (a click while this module loaded)
  let how: LateDiffsEnd = 'none';
  let diffs: LateDiffText[] = [];
  try {
    // A task boundary first: the verdict reaches its reader before any diff does.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    const got = await box.next((m): m is Extract<WorkerMessage, { type: 'diffs' }> => m.type === 'diffs', late.waitMs ?? defaultWaitMs);
    if (signal?.aborted) how = 'aborted';
    else if (got.kind === 'timeout' || got.kind === 'exit') how = got.kind;
    else if (got.kind === 'message') {
      diffs = lateDiffsOf(got.msg.diffs, indices, results);
      if (diffs.length) how = 'delivered';
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Handed over first, then the runner is ended (whatever the callback does).
    try {
      late.onSettled(how, diffs);
    } catch {
      /* the caller's callback must not break anything */
    }
    box.handle.terminate();
  }
}
