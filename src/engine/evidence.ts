/**
 * The private evidence store: each world's trace, bug list and counters, and the ops table and
 * preemption hook its collapse path dispatches through, kept where learner code handed `mm.world`
 * cannot change them. Engine-internal: `index.ts` does not re-export this file, so learner code
 * (which sees the engine through `collapse-lab/engine`) cannot reach these functions either.
 * No kernel twin (the kernel's tracepoints and vm counters are not writable by the code they
 * observe; this is the simulator's way to keep that true).
 *
 * @module
 */
import type { World, TraceEvent, Bug, KernelOps } from './types.ts';

// Saved once at load: an array's own `push`/`splice` (which learner code could define on an
// array it reaches) is never what the engine calls.
const arrayPush = Array.prototype.push;
const arraySplice = Array.prototype.splice;

/** Append `x` to `arr` through the saved `Array.prototype.push` (an own `push` is ignored). */
export function appendTo<T>(arr: T[], x: T): void {
  Reflect.apply(arrayPush, arr, [x]);
}

/** Remove `count` items at `i` through the saved `Array.prototype.splice`. */
export function removeFrom<T>(arr: T[], i: number, count = 1): void {
  Reflect.apply(arraySplice, arr, [i, count]);
}

/**
 * The authoritative evidence of one world: its trace, bug list and counters, and the ops table
 * and preemption hook the collapse path dispatches through. Kept out of learner code's reach
 * (red-team finding: a submission gave `world.bugs` its own `push`, truncated `world.trace` or
 * replaced `world.preemptHook`, so lock bugs were never reported). The `World` exposes read views
 * only (getters returning copies; see {@link sealWorldEvidence}).
 */
interface Evidence {
  readonly trace: TraceEvent[];
  readonly bugs: Bug[];
  readonly counters: Record<string, number>;
  readonly ops: KernelOps;
  preemptHook: (world: World, name: string, slot?: number) => void;
}

// The one exception to "no module-level mutable state": a WeakMap keyed by world, so each
// world's evidence lives (and is collected) with its world, where learner code cannot reach it.
const EVIDENCE = new WeakMap<object, Evidence>();

function evidence(world: World): Evidence {
  const e = EVIDENCE.get(world);
  if (!e) throw new Error('engine: this world was not built by makeWorld/createWorld');
  return e;
}

/** What `world.preemptHook` holds: the same function for every world, calling its installed hook. */
function preemptViaStore(w: World, name: string, slot?: number): void {
  evidence(w).preemptHook(w, name, slot);
}

/**
 * Give `world` its private evidence store; its `preemptHook` becomes a non-writable,
 * non-configurable data property (a function calling the installed hook). `world.trace`/`bugs`/
 * `counters` are getters of the world's class (lockstate.ts) returning the copies
 * {@link evidenceCopy} makes, so changing them changes nothing the engine reports; `world.ops` a
 * getter returning the frozen ops table. Engine-internal (called by createWorld, on a world that
 * is then made non-extensible).
 */
export function sealWorldEvidence(world: World, ops: KernelOps, counters: Record<string, number>): void {
  const e: Evidence = { trace: [], bugs: [], counters: { ...counters }, ops: Object.freeze({ ...ops }), preemptHook: () => {} };
  EVIDENCE.set(world, e);
  Object.defineProperty(world, 'preemptHook', { value: preemptViaStore, writable: false, enumerable: true, configurable: false });
}

/** A copy of the world's trace, bugs or counters (what `world.trace`/`bugs`/`counters` show). */
export function evidenceCopy(world: World, what: 'trace'): TraceEvent[];
export function evidenceCopy(world: World, what: 'bugs'): Bug[];
export function evidenceCopy(world: World, what: 'counters'): Record<string, number>;
export function evidenceCopy(world: World, what: 'trace' | 'bugs' | 'counters'): unknown {
  const e = evidence(world);
  return what === 'counters' ? { ...e.counters } : e[what].slice();
}

/** Install the schedule hook run at each preemption point (engine-internal; run.ts). */
export function setPreemptHook(world: World, hook: (world: World, name: string, slot?: number) => void): void {
  evidence(world).preemptHook = hook;
}

/** Run the installed preemption hook (engine-internal). */
export function callPreemptHook(world: World, name: string, slot?: number): void {
  evidence(world).preemptHook(world, name, slot);
}

/** The ops table the collapse path dispatches through (engine-internal). */
export function opsOf(world: World): KernelOps {
  return evidence(world).ops;
}

/** Append a trace event to the world's private trace (engine-internal; use `traceEvent`). */
export function appendTraceEvent(world: World, ev: TraceEvent): void {
  appendTo(evidence(world).trace, ev);
}

/** Append a bug to the world's private bug list (engine-internal; use `reportBug`). */
export function recordBug(world: World, bug: Bug): void {
  appendTo(evidence(world).bugs, bug);
}

/** Number of trace events / bugs so far (engine-internal; no copy). */
export function evidenceLength(world: World): { trace: number; bugs: number } {
  const e = evidence(world);
  return { trace: e.trace.length, bugs: e.bugs.length };
}

/** Copies of the trace and bugs from the given positions, and of the counters (engine-internal). */
export function evidenceSince(world: World, traceStart: number, bugsStart: number): { trace: TraceEvent[]; bugs: Bug[]; counters: Record<string, number> } {
  const e = evidence(world);
  return { trace: e.trace.slice(traceStart), bugs: e.bugs.slice(bugsStart), counters: { ...e.counters } };
}

/** Add `n` to counter `item` (engine-internal). */
export function bumpCounter(world: World, item: string, n = 1): void {
  const c = evidence(world).counters;
  c[item] = (c[item] ?? 0) + n;
}
