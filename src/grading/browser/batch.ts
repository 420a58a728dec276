/**
 * Results in batches (issue 10): the browser runner posts a finished test's result together with
 * the next ones instead of one message each. Every post from the worker wakes the page's thread in
 * another process; measured in Chromium on the early-abort starter (~108 messages a run), posting
 * cost the worker 10–25 ms of a ~130 ms warm run and up to ~45 ms on a runner that had not warmed
 * up, while the same messages cost < 1 ms to post in a burst. Whole Chromium CPU per back-to-back
 * run: 607 → 551 ms (docs/quality.md "Round 6").
 *
 * The catch is the watchdog: it names the test that hangs by the results it has NOT received, and
 * a held result hides how far the runner got. So a batch is small and short — at most
 * {@link RESULT_BATCH_MAX} results, flushed as soon as {@link RESULT_BATCH_MS} passed since the
 * last post, and at the last test — and after a timeout (or a crash) of a batching runner the
 * parent runs the possibly-held tests again one by one (`oneByOne`, orchestrate.ts) to find the
 * culprit. Any message that is not a result goes at once, after what is held (order is kept).
 *
 * Hand-rolled: a dozen lines tied to this protocol's watchdog; no library batches postMessage with
 * that guarantee.
 */
import type { WorkerMessage } from '../runtime/session.ts';

/** A result is held at most this long after the previous post (ms). */
export const RESULT_BATCH_MS = 8;
/** At most this many results travel in one post (so at most this many minus one are ever held). */
export const RESULT_BATCH_MAX = 16;

export interface ResultBatcher {
  /** Post `m` now or with the next batch (every message keeps its order). */
  send(m: WorkerMessage): void;
  /** From now on every message goes on its own (the parent asked with `oneByOne`). */
  oneByOne(): void;
}

/**
 * `postRaw` posts one message or an array of messages (the page unpacks arrays one level deep:
 * client.ts). `now` is a millisecond clock (performance.now in the worker).
 */
export function createResultBatcher(postRaw: (m: WorkerMessage | WorkerMessage[]) => void, now: () => number): ResultBatcher {
  let held: WorkerMessage[] = [];
  let sentAt = now();
  let lastIndex = -1;
  let single = false;
  const flush = () => {
    sentAt = now();
    if (held.length === 1) postRaw(held[0]!);
    else if (held.length > 1) postRaw(held);
    held = [];
  };
  return {
    send(m) {
      if (single) return postRaw(m);
      held.push(m);
      if (m.type === 'loaded') lastIndex = m.names.length - 1;
      if (m.type !== 'result' || m.index >= lastIndex || held.length >= RESULT_BATCH_MAX || now() - sentAt >= RESULT_BATCH_MS) flush();
    },
    oneByOne() {
      single = true;
      flush();
    },
  };
}

/**
 * The page's side: hand each message of `data` to `receive` — the entries of an array one by one
 * (one level only: an array inside it is handed on as a message, which the protocol check then
 * refuses), anything else as it is. A throwing `receive` loses only that entry.
 */
export function unpackBatch(data: unknown, receive: (m: WorkerMessage) => void): void {
  if (!Array.isArray(data)) return receive(data as WorkerMessage);
  for (const m of data) {
    try {
      receive(m as WorkerMessage);
    } catch {
      /* as for a message on its own */
    }
  }
}
