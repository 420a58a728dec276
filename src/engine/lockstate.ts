/**
 * The private lock store: the simulated kernel's lock state — each thread's holds (mmap_lock
 * read/write, PTE-table mappings, spinlocks, what it released, its call path), the mmap_lock's
 * readers and writer, each spinlock's owner, each PTE-table mapping's liveness — and each world's
 * running thread, collapsing thread, thread registry, schedule progress and per-attempt
 * bookkeeping. Engine-internal: `index.ts` does not re-export this file.
 *
 * Why (hostile round 6): the engine used to hand learner code the live, writable state — a
 * submission "released" a lock it forgot to unlock by writing `mm.mmap_lock.readers.delete(…)`,
 * `thread.mmapRead = 0` or `ptl.owner = null`, forged an extra read hold to absorb a double unlock,
 * or hid the collapsing thread so `do_swap_page()` recorded nothing. Now:
 * - a thread, an rwsem, a spinlock and a PTE-table mapping are instances of the classes below:
 *   frozen (no own property can be added, changed or redefined), with frozen prototypes, their
 *   state in a `#private` field that only this module's accessors reach; what learner code reads
 *   (`t.mmapRead`, `lock.owner`, `mm.mmap_lock.readers`, `m.live`) are getters, and the getters of
 *   collections return copies;
 * - a world's `current`, `collapseThread`, `attempt`, `threads` and `scheduleDone` are
 *   non-configurable getters over a module-private store (`attempt`, `threads`, `scheduleDone`
 *   return copies);
 * - the lock functions (locks.ts) change this state only through the accessors here, and accept
 *   only the engine's own objects (a look-alike thread, lock or mapping is refused).
 *
 * No kernel twin: in the kernel, lock state is not writable by the code that holds the lock (or
 * rather, writing it is a bug lockdep cannot see); this keeps the simulator's checks honest.
 * @module
 */
import type { World, ThreadState, spinlock_t, rw_semaphore, PteMapping, PteTable, AttemptState, TraceEvent, Bug, KernelOps } from './types.ts';
import { appendTo, evidenceCopy, opsOf } from './evidence.ts';

/** A thread's lock bookkeeping (engine-private; see {@link ThreadState} for the meaning of each field). */
export interface ThreadCore {
  mmapRead: number;
  mmapWrite: boolean;
  mappings: PteMapping[];
  spinlocks: spinlock_t[];
  stack: string[];
  released: Set<string>;
  lruPending: { lru: boolean; freed: boolean }[];
  mmapLeakReported: boolean;
  swapinDepth: number;
}

/**
 * A world's run state (engine-private): who runs now, the collapsing thread, the threads, the
 * schedule's progress and the attempt's bookkeeping. The lock objects of a world keep a private
 * reference to it, so the lock functions find the running thread without a lookup.
 */
export interface RunState {
  current: ThreadState;
  /** The running thread's private state (kept with `current`, for the PTE-read fast path). */
  currentCore: ThreadCore;
  collapseThread: ThreadState | null;
  readonly threads: Map<string, ThreadState>;
  readonly scheduleDone: boolean[];
  attempt: AttemptState;
  /** Expected content per PMD per slot (the checker's oracle; `world.expected` is a copy). */
  readonly expected: (string | null)[][];
}

/** The run state of a world built by createWorld (throws for anything else). */
export function runState(world: World): RunState {
  if (!WORLD.is(world)) throw new Error('engine: this world was not built by makeWorld/createWorld');
  return WORLD.run(world);
}

// Each class's private-field readers and writers, filled once by its static block and then
// frozen: module constants, not state (the state lives in the instances' #private fields).
const TH = {} as { core: (t: ThreadState) => ThreadCore; is: (t: unknown) => boolean };
const threadCore = (t: ThreadState): ThreadCore => TH.core(t);
const isThread = (t: unknown): boolean => TH.is(t);

/**
 * A thread of the simulated machine (`ThreadState`). Its state is private; the public getters
 * show it (collections as copies). Engine code changes it through {@link coreOf}.
 */
class Thread implements ThreadState {
  readonly name: string;
  #c: ThreadCore;
  constructor(name: string) {
    this.name = String(name);
    this.#c = {
      mmapRead: 0,
      mmapWrite: false,
      mappings: [],
      spinlocks: [],
      stack: [this.name],
      released: new Set(),
      lruPending: [],
      mmapLeakReported: false,
      swapinDepth: -1,
    };
    Object.freeze(this);
  }
  static {
    TH.core = (t) => (t as Thread).#c;
    TH.is = (t) => typeof t === 'object' && t !== null && #c in t;
    Object.freeze(TH);
  }
  get mmapRead(): number {
    return this.#c.mmapRead;
  }
  get mmapWrite(): boolean {
    return this.#c.mmapWrite;
  }
  get mappings(): readonly PteMapping[] {
    return this.#c.mappings.slice();
  }
  get spinlocks(): readonly spinlock_t[] {
    return this.#c.spinlocks.slice();
  }
  get stack(): readonly string[] {
    return this.#c.stack.slice();
  }
  get released(): ReadonlySet<string> {
    return new Set(this.#c.released);
  }
  get lruPending(): readonly { lru: boolean; freed: boolean }[] {
    return this.#c.lruPending.slice();
  }
  get mmapLeakReported(): boolean {
    return this.#c.mmapLeakReported;
  }
  get swapinDepth(): number {
    return this.#c.swapinDepth;
  }
}
Object.freeze(Thread.prototype);
Object.freeze(Thread);

/** A fresh thread (engine-internal; `newThread` in locks.ts is the public name). */
export function makeThread(name: string): ThreadState {
  return new Thread(name);
}

/**
 * The private state of an engine thread. Throws a TypeError for anything else (a look-alike
 * object built by learner code is not a thread of the simulated machine).
 */
export function coreOf(t: ThreadState): ThreadCore {
  if (!isThread(t)) throw new TypeError('not a thread of the simulated machine (threads come from the engine: world.current, getThread, newThread)');
  return threadCore(t);
}

/** The private state of a thread the engine itself handed over (no check: engine-internal hot paths). */
export function coreOfKnown(t: ThreadState): ThreadCore {
  return threadCore(t);
}

// ---------------------------------------------------------------------------------------------
// rw_semaphore (the mmap_lock)
// ---------------------------------------------------------------------------------------------

/** Engine-private state of an rwsem: read holds per thread (by identity) and the writer. */
export interface RwCore {
  readers: Map<ThreadState, number>;
  writer: ThreadState | null;
  /** The lock's world, and its run state (who runs now). */
  readonly world: World;
  readonly run: RunState;
}

const RW = {} as { core: (l: rw_semaphore) => RwCore; is: (l: unknown) => boolean };

class RwSemaphore implements rw_semaphore {
  #c: RwCore;
  constructor(world: World) {
    this.#c = { readers: new Map(), writer: null, world, run: runState(world) };
    Object.freeze(this);
  }
  static {
    RW.core = (l) => (l as RwSemaphore).#c;
    RW.is = (l) => typeof l === 'object' && l !== null && #c in l;
    Object.freeze(RW);
  }
  get readers(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [t, n] of this.#c.readers) out.set(t.name, (out.get(t.name) ?? 0) + n);
    return out;
  }
  get writer(): ThreadState | null {
    return this.#c.writer;
  }
}
Object.freeze(RwSemaphore.prototype);
Object.freeze(RwSemaphore);

/** A fresh, free rwsem (engine-internal; mm.ts builds the mmap_lock with it). */
export function makeRwSemaphore(world: World): rw_semaphore {
  return new RwSemaphore(world);
}

/** The private state of an engine rwsem (TypeError for anything else). */
export function rwCoreOf(l: rw_semaphore): RwCore {
  if (!RW.is(l)) throw new TypeError('not an rw_semaphore of the simulated machine');
  return RW.core(l);
}

// ---------------------------------------------------------------------------------------------
// spinlock_t
// ---------------------------------------------------------------------------------------------

const SPIN = {} as { get: (l: spinlock_t) => ThreadState | null; put: (l: spinlock_t, t: ThreadState | null) => void; is: (l: unknown) => boolean; run: (l: spinlock_t) => RunState };

class SpinLock implements spinlock_t {
  readonly name: string;
  readonly world: World;
  #owner: ThreadState | null = null;
  #run: RunState;
  constructor(name: string, world: World) {
    this.name = name;
    this.world = world;
    this.#run = runState(world);
    Object.freeze(this);
  }
  static {
    SPIN.get = (l) => (l as SpinLock).#owner;
    SPIN.put = (l, t) => {
      (l as SpinLock).#owner = t;
    };
    SPIN.is = (l) => typeof l === 'object' && l !== null && #owner in l;
    SPIN.run = (l) => (l as SpinLock).#run;
    Object.freeze(SPIN);
  }
  get owner(): ThreadState | null {
    return this.#owner;
  }
}
Object.freeze(SpinLock.prototype);
Object.freeze(SpinLock);

/** A fresh, free spinlock of `world` (engine-internal; mm.ts builds PTLs and the PMD lock with it). */
export function makeSpinlock(name: string, world: World): spinlock_t {
  return new SpinLock(name, world);
}

/** Throw unless `l` is one of the engine's spinlocks (a look-alike `{ owner, world }` is refused). */
export function checkSpinlock(l: spinlock_t, fn: string): void {
  if (!SPIN.is(l)) throw new TypeError(`${fn}: not a spinlock_t of the simulated machine (use the lock pte_offset_map_lock() gave you, or pmd->ptl)`);
}

/** Who holds `l` (engine-internal; `l` must be checked). */
export function ownerOf(l: spinlock_t): ThreadState | null {
  return SPIN.get(l);
}

/** The thread running now in `l`'s world (engine-internal; `l` must be checked). */
export function spinCurrent(l: spinlock_t): ThreadState {
  return SPIN.run(l).current;
}

/** Set who holds `l` (engine-internal; only spin_lock/spin_unlock and the end of a thread). */
export function setOwner(l: spinlock_t, t: ThreadState | null): void {
  SPIN.put(l, t);
}

// ---------------------------------------------------------------------------------------------
// PTE-table mappings
// ---------------------------------------------------------------------------------------------

/**
 * A mapping's engine-private state, shared by the mapping and every `pte_t *` made from it: the
 * table, the thread that mapped it, whether it is live, and its world's run state (so a PTE read
 * needs no lookup to know who is reading).
 */
export interface MappingCore {
  readonly table: PteTable;
  readonly thread: ThreadState;
  readonly by: string;
  live: boolean;
  readonly run: RunState;
  /** The public mapping object (what `pte.map` shows). */
  readonly mapping: PteMapping;
}


const MAP = {} as { core: (m: PteMapping) => MappingCore; is: (m: unknown) => boolean; coreIf: (m: unknown) => MappingCore | null };

class Mapping implements PteMapping {
  readonly table: PteTable;
  readonly thread: ThreadState;
  readonly by: string;
  #c: MappingCore;
  constructor(table: PteTable, thread: ThreadState, by: string, run: RunState) {
    this.table = table;
    this.thread = thread;
    this.by = by;
    this.#c = { table, thread, by, live: true, run, mapping: this };
    Object.freeze(this);
  }
  static {
    MAP.core = (m) => (m as Mapping).#c;
    MAP.is = (m) => typeof m === 'object' && m !== null && #c in m;
    MAP.coreIf = (m) => (typeof m === 'object' && m !== null && #c in m ? (m as Mapping).#c : null);
    Object.freeze(MAP);
  }
  get live(): boolean {
    return this.#c.live;
  }
}
Object.freeze(Mapping.prototype);
Object.freeze(Mapping);

/** A new, live mapping of `table` by `thread` (engine-internal; pte_offset_map* make them). */
export function makeMapping(table: PteTable, thread: ThreadState, by: string, run: RunState): PteMapping {
  return new Mapping(table, thread, by, run);
}

/** Is `m` one of the engine's mappings? */
export function isEngineMapping(m: unknown): m is PteMapping {
  return MAP.is(m);
}

/** The private state of `m` if it is an engine mapping, else null (one check, for the PTE-read path). */
export function mappingCoreIf(m: unknown): MappingCore | null {
  return MAP.coreIf(m);
}

/** The private state of an engine mapping (TypeError for a look-alike). */
export function mappingCore(m: PteMapping): MappingCore {
  return MAP.core(m);
}

// ---------------------------------------------------------------------------------------------
// Per-world run state: running thread, collapsing thread, threads, schedule progress, attempt
// ---------------------------------------------------------------------------------------------


/** A deep copy of an attempt's bookkeeping (what `world.attempt` shows). */
function copyAttempt(a: AttemptState): AttemptState {
  return {
    ...a,
    doSwapPageCalls: a.doSwapPageCalls.map((c) => ({ ...c })),
    madvise: a.madvise ? { ...a.madvise, results: a.madvise.results.slice() } : null,
    pmdScans: a.pmdScans.map((s) => ({ ...s })),
  };
}

const WORLD = {} as { run: (w: World) => RunState; is: (w: unknown) => boolean };

/**
 * The class of every world (engine-internal): its run state sits in a `#private` field, and the
 * views learner code reads — `current`, `collapseThread`, and copies of `attempt`, `threads`,
 * `scheduleDone`, `expected`, `trace`, `bugs`, `counters` — are getters of this frozen class.
 * A world is made non-extensible once built, so no own property can shadow them; and every world
 * has the same shape, so the engine's reads of `world.x` stay monomorphic.
 */
class EngineWorld {
  #run: RunState;
  constructor(run: RunState) {
    this.#run = run;
  }
  static {
    WORLD.run = (w) => (w as unknown as EngineWorld).#run;
    WORLD.is = (w) => typeof w === 'object' && w !== null && #run in w;
    Object.freeze(WORLD);
  }
  /** The thread running now (read-only: the engine switches threads). */
  get current(): ThreadState {
    return this.#run.current;
  }
  /** The collapsing thread, or null between attempts. */
  get collapseThread(): ThreadState | null {
    return this.#run.collapseThread;
  }
  /** A copy of the attempt's bookkeeping. */
  get attempt(): AttemptState {
    return copyAttempt(this.#run.attempt);
  }
  /** A copy of the thread registry. */
  get threads(): ReadonlyMap<string, ThreadState> {
    return new Map(this.#run.threads);
  }
  /** A copy of the schedule's progress. */
  get scheduleDone(): readonly boolean[] {
    return this.#run.scheduleDone.slice();
  }
  /** A copy of the expected contents. */
  get expected(): readonly (readonly (string | null)[])[] {
    return this.#run.expected.map((row) => row.slice());
  }
  /** A copy of the trace. */
  get trace(): TraceEvent[] {
    return evidenceCopy(this as unknown as World, 'trace');
  }
  /** A copy of the bugs found. */
  get bugs(): Bug[] {
    return evidenceCopy(this as unknown as World, 'bugs');
  }
  /** A copy of the counters. */
  get counters(): Record<string, number> {
    return evidenceCopy(this as unknown as World, 'counters');
  }
  /** The kernel functions in use (the frozen ops table). */
  get ops(): KernelOps {
    return opsOf(this as unknown as World);
  }
}
Object.freeze(EngineWorld.prototype);
Object.freeze(EngineWorld);

/**
 * A new world object with its private run state (engine-internal; createWorld adds the fields,
 * seals the evidence and makes it non-extensible).
 */
export function newWorldObject(mainThread: ThreadState, attempt: AttemptState, scheduleLength: number): World {
  const s: RunState = {
    current: mainThread,
    currentCore: coreOf(mainThread),
    collapseThread: null,
    threads: new Map([[mainThread.name, mainThread]]),
    scheduleDone: new Array<boolean>(scheduleLength).fill(false),
    attempt,
    expected: [],
  };
  return new EngineWorld(s) as unknown as World;
}

/** The thread running now in `world` (engine-internal). */
export function currentOf(world: World): ThreadState {
  return runState(world).current;
}

/** Make `t` the running thread; returns the previous one (engine-internal: runAs). */
export function switchTo(world: World, t: ThreadState): ThreadState {
  const s = runState(world);
  const prev = s.current;
  s.currentCore = coreOf(t);
  s.current = t;
  return prev;
}

/** Set the collapsing thread (engine-internal: runCollapse). */
export function setCollapseThread(world: World, t: ThreadState | null): void {
  if (t) coreOf(t);
  runState(world).collapseThread = t;
}

/** Is an attempt running (a collapsing thread set)? */
export function attemptRunning(world: World): boolean {
  return runState(world).collapseThread !== null;
}

/** The world's thread registry (engine-internal; `world.threads` is a copy). */
export function threadsOf(world: World): Map<string, ThreadState> {
  return runState(world).threads;
}

/** Which schedule steps already ran (engine-internal; `world.scheduleDone` is a copy). */
export function scheduleDoneOf(world: World): boolean[] {
  return runState(world).scheduleDone;
}

/** The expected contents, per PMD per slot (engine-internal; `world.expected` is a copy). */
export function expectedOf(world: World): (string | null)[][] {
  return runState(world).expected;
}

/** The live per-attempt bookkeeping (engine-internal; `world.attempt` is a copy). */
export function attemptOf(world: World): AttemptState {
  return runState(world).attempt;
}

/** Start a new attempt's bookkeeping (engine-internal: runCollapse). */
export function setAttempt(world: World, a: AttemptState): void {
  runState(world).attempt = a;
}

/**
 * Run `fn` with `name` pushed on the current thread's call path (engine-internal: the kernel
 * functions' frames; not part of the public API, so code under test cannot push frames of its
 * own and hide its reads from the swap-in preemption points).
 */
export function withFrame<T>(world: World, name: string, fn: () => T): T {
  // world.current: a non-configurable getter on an engine world; threadCore refuses anything
  // but an engine thread (a look-alike world can at most push frames on a real thread's path).
  const st = threadCore(world.current).stack;
  const depth = st.length;
  appendTo(st, name);
  try {
    return fn();
  } finally {
    st.length = depth;
  }
}

/** The innermost frame of the running thread's call path (engine-internal; observe.ts). */
export function currentFrame(world: World): string | undefined {
  const st = threadCore(runState(world).current).stack;
  return st[st.length - 1];
}
