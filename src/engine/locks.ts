/**
 * locks.ts — lock state per thread, lockdep-like checks, function contracts, and the PTE-table
 * access helpers (`pte_offset_map_lock`, `ptep_get`, …) that go through them.
 *
 * Every thread (the khugepaged thread, the process calling MADV_COLLAPSE, each actor) has a
 * {@link ThreadState}: how it holds the `mmap_lock` (an rwsem), which PTE tables it has mapped
 * (`pte_offset_map*` … `pte_unmap`; in the kernel this is an RCU read section plus a kmap), and
 * which spinlocks (PTLs) it holds. Misuse is recorded as a {@link Bug} with the call path, and
 * the simulation goes on doing what the kernel would do (it does not "fix" the mistake):
 *
 * - unlocking a lock the thread does not hold (`unlock-not-held`) or unlocking twice (`double-unlock`);
 * - reading a PTE through a pointer whose table this thread has not (or no longer) mapped (`pte-read-unmapped`);
 * - a thread ending with a lock still held (`leaked-lock`) or a table still mapped (`pte-mapping-leaked`);
 * - taking the mmap_lock for read twice (`recursive-lock`), or a lock that can never be granted (`deadlock`);
 * - a function breaking its documented contract (`contract`), see {@link checkSwapinExit} and {@link checkScanExit};
 * - `do_swap_page()` being handed a non-swap entry by the collapse path (`non-swap-to-do_swap_page`, recorded in memory.ts).
 *
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/mmap_lock.h
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/mm.h (pte_offset_map_lock)
 * @module
 */
import type { World, mm_struct, pmd_t, PteTable, spinlock_t, Ref, ThreadState, BugKind, Bug, PteMapping } from './types.ts';
import type { pte_t } from './pte.ts';
import { scan_result_name } from './scan_result.ts';
import { HPAGE_PMD_NR, pteIndex } from './mm.ts';
import { traceEvent } from './trace.ts';
import { recordBug, appendTo, removeFrom, callPreemptHook } from './evidence.ts';
import {
  makeThread,
  coreOf,
  coreOfKnown,
  rwCoreOf,
  checkSpinlock,
  ownerOf,
  setOwner,
  makeMapping,
  mappingCore,
  mappingCoreIf,
  type MappingCore,
  currentOf,
  runState,
  spinCurrent,
  switchTo,
  attemptRunning,
  threadsOf,
  type ThreadCore,
} from './lockstate.ts';


/** Thrown when a thread would sleep forever (e.g. `mmap_write_lock` while holding it for read). */
export class KernelHang extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelHang';
  }
}

/**
 * A fresh thread. Its lock state is read-only from outside: only the lock functions change it
 * (the engine keeps it private, see lockstate.ts).
 */
export function newThread(name: string): ThreadState {
  return makeThread(name);
}

/** Get (or create) the thread called `name`. */
export function getThread(world: World, name: string): ThreadState {
  const threads = threadsOf(world);
  let t = threads.get(name);
  if (!t) {
    t = makeThread(name);
    threads.set(name, t);
  }
  return t;
}

/** Run `fn` as `t` (engine-internal: actors, the migration thread, the attempt itself). */
export function runAsThread<T>(world: World, t: ThreadState, fn: () => T): T {
  const prev = switchTo(world, t);
  try {
    return fn();
  } finally {
    switchTo(world, prev);
  }
}

/**
 * Run `fn` as thread `t` (the world's `current` is switched and restored) — for tests and tools,
 * between attempts. While an attempt runs only the engine switches threads: code under test
 * cannot run part of itself as another thread whose leaks nobody checks (hostile round 6).
 */
export function runAs<T>(world: World, t: ThreadState, fn: () => T): T {
  if (attemptRunning(world)) {
    throw new Error('runAs: a collapse attempt is running; only the engine switches threads during an attempt (call runAs between attempts, in tests)');
  }
  return runAsThread(world, t, fn);
}

/** Record a bug (with the current call path) and a `bug` trace event. */
export function reportBug(world: World, kind: BugKind, message: string): Bug {
  const bug: Bug = { kind, message, path: coreOfKnown(world.current).stack.slice() };
  recordBug(world, bug);
  traceEvent(world, 'bug', { kind, message });
  return bug;
}

function isCollapseThread(world: World): boolean {
  return world.current === world.collapseThread;
}

function lockEvent(world: World, name: Parameters<typeof traceEvent>[1], args: Record<string, unknown> = {}): void {
  if (isCollapseThread(world)) traceEvent(world, name, args);
}

function where(world: World): string {
  const st = coreOfKnown(world.current).stack;
  return st[st.length - 1];
}

// ---------------------------------------------------------------------------------------------
// mmap_lock (rwsem)
// ---------------------------------------------------------------------------------------------

/**
 * The mm's mmap_lock state, found through the world (so a look-alike `mm` carrying its own
 * `mmap_lock` object changes nothing; the lock's own world and running thread are used, never a
 * look-alike world's) — engine-private.
 */
function mmapLockOf(mm: mm_struct) {
  return rwCoreOf(mm.world.mm.mmap_lock);
}

/** Does thread `t` hold the mm's mmap_lock for read? */
export function holdsMmapRead(mm: mm_struct, t: ThreadState): boolean {
  return (mmapLockOf(mm).readers.get(t) ?? 0) > 0;
}

/** Does thread `t` hold the mm's mmap_lock for write? */
export function holdsMmapWrite(mm: mm_struct, t: ThreadState): boolean {
  return mmapLockOf(mm).writer === t;
}

/** Is the mmap_lock held for write by anyone? */
export function mmapWriteHeld(mm: mm_struct): boolean {
  return mmapLockOf(mm).writer !== null;
}

/**
 * `mmap_read_lock(mm)` — take the mmap_lock for read (sleeps while a writer holds it).
 * Taking it again while already holding it for read is reported (`recursive-lock`: an rwsem
 * read side is not recursive — a queued writer in between deadlocks both).
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/mmap_lock.h
 */
export function mmap_read_lock(mm: mm_struct): void {
  const lock = mmapLockOf(mm);
  const world = lock.world;
  const t = lock.run.current;
  const c = coreOfKnown(t);
  if (lock.writer === t) {
    reportBug(world, 'deadlock', `${where(world)}: mmap_read_lock while this thread holds mmap_lock for write — it would wait for itself forever`);
    throw new KernelHang('mmap_read_lock while holding mmap_lock for write');
  }
  if (lock.writer) {
    reportBug(world, 'deadlock', `${where(world)}: mmap_read_lock while ${lock.writer.name} holds mmap_lock for write and never releases it`);
    throw new KernelHang('mmap_read_lock blocked forever');
  }
  const n = lock.readers.get(t) ?? 0;
  if (n > 0) {
    reportBug(
      world,
      'recursive-lock',
      `${where(world)}: mmap_read_lock taken again while this thread already holds mmap_lock for read (it was never released — a leaked lock); an rwsem's read side is not recursive`,
    );
  }
  lock.readers.set(t, n + 1);
  c.mmapRead = n + 1;
  c.mmapLeakReported = false;
  c.released.delete('mmap_lock:read');
  lockEvent(world, 'mmap_read_lock', { by: where(world) });
}

/** `mmap_read_trylock(mm)` — take it for read unless a writer holds it. */
export function mmap_read_trylock(mm: mm_struct): boolean {
  if (mmapLockOf(mm).writer) return false;
  mmap_read_lock(mm);
  return true;
}

/** `mmap_read_unlock(mm)` — release a read hold. Releasing one not held is reported. */
export function mmap_read_unlock(mm: mm_struct): void {
  const lock = mmapLockOf(mm);
  const world = lock.world;
  const t = lock.run.current;
  const c = coreOfKnown(t);
  const n = lock.readers.get(t) ?? 0;
  if (n === 0) {
    if (lock.writer === t) {
      reportBug(world, 'unlock-not-held', `${where(world)}: mmap_read_unlock while holding mmap_lock for write (use mmap_write_unlock)`);
    } else if (c.released.has('mmap_lock:read')) {
      reportBug(world, 'double-unlock', `${where(world)}: mmap_read_unlock of mmap_lock that this thread already released (double unlock)`);
    } else {
      reportBug(world, 'unlock-not-held', `${where(world)}: mmap_read_unlock of mmap_lock that this thread does not hold`);
    }
    return;
  }
  if (n === 1) lock.readers.delete(t);
  else lock.readers.set(t, n - 1);
  c.mmapRead = n - 1;
  if (n === 1) c.released.add('mmap_lock:read');
  lockEvent(world, 'mmap_read_unlock', { by: where(world) });
}

/**
 * `mmap_write_lock(mm)` — take the mmap_lock for write: waits for every reader. If this very
 * thread still holds it for read (a leak), it waits forever: recorded as `deadlock` and the
 * attempt stops ({@link KernelHang}).
 */
export function mmap_write_lock(mm: mm_struct): void {
  const lock = mmapLockOf(mm);
  const world = lock.world;
  const t = lock.run.current;
  const c = coreOfKnown(t);
  if ((lock.readers.get(t) ?? 0) > 0) {
    reportBug(
      world,
      'deadlock',
      `${where(world)}: mmap_write_lock while this thread still holds mmap_lock for read — it waits for itself forever (the read hold leaked earlier)`,
    );
    throw new KernelHang('mmap_write_lock while holding mmap_lock for read');
  }
  if (lock.writer === t) {
    reportBug(world, 'deadlock', `${where(world)}: mmap_write_lock while already holding it for write`);
    throw new KernelHang('mmap_write_lock twice');
  }
  if (lock.writer || lock.readers.size > 0) {
    const who = lock.writer ? lock.writer.name : [...lock.readers.keys()].map((r) => r.name).join(', ');
    reportBug(world, 'deadlock', `${where(world)}: mmap_write_lock waits forever for ${who}, which never releases mmap_lock`);
    throw new KernelHang('mmap_write_lock blocked forever');
  }
  lock.writer = t;
  c.mmapWrite = true;
  c.released.delete('mmap_lock:write');
  lockEvent(world, 'mmap_write_lock', { by: where(world) });
}

/** `mmap_write_unlock(mm)`. Releasing one not held is reported. */
export function mmap_write_unlock(mm: mm_struct): void {
  const lock = mmapLockOf(mm);
  const world = lock.world;
  const t = lock.run.current;
  const c = coreOfKnown(t);
  if (lock.writer !== t) {
    const kind = c.released.has('mmap_lock:write') ? 'double-unlock' : 'unlock-not-held';
    reportBug(world, kind, `${where(world)}: mmap_write_unlock of mmap_lock that this thread does not hold for write`);
    return;
  }
  lock.writer = null;
  c.mmapWrite = false;
  c.released.add('mmap_lock:write');
  lockEvent(world, 'mmap_write_unlock', { by: where(world) });
}

/** `mmap_assert_locked(mm)` — lockdep assertion: read or write held by this thread. */
export function mmap_assert_locked(mm: mm_struct): void {
  const t = currentOf(mm.world);
  if (!holdsMmapRead(mm, t) && !holdsMmapWrite(mm, t)) {
    reportBug(mm.world, 'contract', `${where(mm.world)}: mmap_assert_locked failed — mmap_lock not held`);
  }
}

/** `mmap_assert_write_locked(mm)`. */
export function mmap_assert_write_locked(mm: mm_struct): void {
  if (!holdsMmapWrite(mm, currentOf(mm.world))) {
    reportBug(mm.world, 'contract', `${where(mm.world)}: mmap_assert_write_locked failed — mmap_lock not held for write`);
  }
}

// ---------------------------------------------------------------------------------------------
// Spinlocks
// ---------------------------------------------------------------------------------------------

/** `spin_lock(lock)`. Taking a spinlock the thread already holds is an AA deadlock. */
export function spin_lock(lock: spinlock_t): void {
  checkSpinlock(lock, 'spin_lock');
  const world = lock.world;
  const t = spinCurrent(lock);
  const c = coreOfKnown(t);
  const owner = ownerOf(lock);
  if (owner === t) {
    reportBug(world, 'deadlock', `${where(world)}: spin_lock(${lock.name}) while already holding it (AA deadlock)`);
    throw new KernelHang(`spin_lock(${lock.name}) twice`);
  }
  if (owner) {
    reportBug(world, 'deadlock', `${where(world)}: spin_lock(${lock.name}) held by ${owner.name} forever`);
    throw new KernelHang(`spin_lock(${lock.name}) blocked`);
  }
  setOwner(lock, t);
  appendTo(c.spinlocks, lock);
  c.released.delete(lock.name);
  lockEvent(world, 'ptl_lock', { lock: lock.name });
}

/** `spin_unlock(lock)`. Releasing one not held (or twice) is reported. */
export function spin_unlock(lock: spinlock_t): void {
  checkSpinlock(lock, 'spin_unlock');
  const world = lock.world;
  const t = spinCurrent(lock);
  const c = coreOfKnown(t);
  if (ownerOf(lock) !== t) {
    const kind = c.released.has(lock.name) ? 'double-unlock' : 'unlock-not-held';
    reportBug(world, kind, `${where(world)}: spin_unlock(${lock.name}) of a lock this thread does not hold${kind === 'double-unlock' ? ' (double unlock)' : ''}`);
    return;
  }
  setOwner(lock, null);
  const i = c.spinlocks.lastIndexOf(lock);
  if (i >= 0) removeFrom(c.spinlocks, i);
  c.released.add(lock.name);
  lockEvent(world, 'ptl_unlock', { lock: lock.name });
}

// ---------------------------------------------------------------------------------------------
// PTE pointers and mapping
// ---------------------------------------------------------------------------------------------

/**
 * The engine-private state of the mapping a pointer names (TypeError for a look-alike mapping
 * object: a forged `{ live: true, thread }` cannot pass a read's checks).
 */
function ptrCore(p: pte_ptr): MappingCore {
  const mc = mappingCoreIf(p.map);
  if (mc === null) throw new TypeError('pte_t pointer: its mapping is not one pte_offset_map*() made');
  return mc;
}

/**
 * `pte_t *` — a pointer to one entry of a mapped PTE table. C pointer arithmetic becomes
 * `pte.add(i)` (`pte + i`) and `pte.next()` (`pte + 1`, the loop's `_pte++`); `pte.index` is
 * the slot (0..511) and `a.index < b.index` compares pointers. Read through it with
 * {@link ptep_get}; the table must be mapped by the reading thread.
 *
 * Whatever a pointer's fields say, what a read checks comes from the engine's private state of
 * the mapping it names (live? mapped by whom? which table?): `map` must be a mapping that
 * `pte_offset_map*()` made — a look-alike is refused with a TypeError — and the table read is
 * that mapping's. Pointing a pointer at another real mapping gains nothing a `pte.add()` on that
 * mapping's own pointer would not give.
 */
export class pte_ptr {
  /** The table pointed into. */
  readonly table: PteTable;
  /** Slot 0..511 (may run one past the end, like a C end pointer; reading there throws). */
  readonly index: number;
  /** The `pte_offset_map*()` mapping this pointer came from. */
  readonly map: PteMapping;
  constructor(table: PteTable, index: number, map: PteMapping) {
    this.table = table;
    this.index = index;
    this.map = map;
  }
  /** `pte + i`. */
  add(i: number): pte_ptr {
    return new pte_ptr(this.table, this.index + i, this.map);
  }
  /** `pte + 1` (the C `_pte++`). */
  next(): pte_ptr {
    return new pte_ptr(this.table, this.index + 1, this.map);
  }
  /** `a - b`: distance in entries. */
  sub(other: pte_ptr): number {
    return this.index - other.index;
  }
}
Object.freeze(pte_ptr.prototype);

function mapTable(world: World, table: PteTable, by: string): PteMapping {
  const run = runState(world);
  const t = run.current;
  const m = makeMapping(table, t, by, run);
  appendTo(coreOfKnown(t).mappings, m);
  lockEvent(world, 'pte_map', { by, table: table.id });
  return m;
}

function doMap(mm: mm_struct, pmd: pmd_t | null, addr: number, by: string): pte_ptr | null {
  if (!pmd || pmd.entry.type !== 'table') return null;
  const table = pmd.entry.table;
  const m = mapTable(mm.world, table, by);
  return new pte_ptr(table, pteIndex(addr), m);
}

function resolvePtl(ptl: spinlock_t | Ref<spinlock_t | null> | null | undefined): spinlock_t | null {
  if (!ptl) return null;
  if ('value' in ptl) return ptl.value;
  return ptl;
}

/**
 * `pte_offset_map(pmd, addr)` — map the PTE table `pmd` points to (RCU read section) and
 * return a pointer to the entry for `addr`; null if the PMD holds no table (none or huge).
 * Pair with {@link pte_unmap}.
 */
export function pte_offset_map(pmd: pmd_t, addr: number): pte_ptr | null {
  return doMap(pmd.mm, pmd, addr, where(pmd.mm.world));
}

/**
 * `pte_offset_map_ro_nolock(mm, pmd, addr, &ptl)` — map the table for reading without taking
 * its lock; `ptl.value` is set to the table's lock so the caller may take it later (swap-in
 * only uses it for `pte_same()` checks in `do_swap_page()`). Returns null if the PMD holds no
 * table. Pair with {@link pte_unmap}. This is what `__collapse_huge_page_swapin()` calls in the
 * mm-new baseline: Qi Zheng's 2024 series split `pte_offset_map_ro_nolock()` into `_ro_` and `_rw_`
 * variants (v6.13) and removed the old name.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_offset_map_ro_nolock
 */
export function pte_offset_map_ro_nolock(mm: mm_struct, pmd: pmd_t | null, addr: number, ptl: Ref<spinlock_t | null>): pte_ptr | null {
  const p = doMap(mm, pmd, addr, where(mm.world));
  ptl.value = p ? p.table.ptl : null;
  return p;
}

/**
 * `pte_offset_map_lock(mm, pmd, addr, &ptl)` — map the table and take its PTL
 * (`ptl.value` = the lock). Returns null (nothing mapped or locked) if the PMD holds no table.
 * Pair with {@link pte_unmap_unlock}.
 */
export function pte_offset_map_lock(mm: mm_struct, pmd: pmd_t | null, addr: number, ptl: Ref<spinlock_t | null>): pte_ptr | null {
  const p = doMap(mm, pmd, addr, where(mm.world));
  if (!p) {
    ptl.value = null;
    return null;
  }
  ptl.value = p.table.ptl;
  spin_lock(p.table.ptl);
  return p;
}

/**
 * `pte_unmap(pte)` — end the mapping `pte` came from. Unmapping twice is reported.
 */
export function pte_unmap(pte: pte_ptr | null): void {
  if (!pte) return;
  const mc = ptrCore(pte);
  const table = mc.table;
  const world = table.world;
  const m = mc.mapping;
  if (!mc.live) {
    reportBug(world, 'double-unlock', `${where(world)}: pte_unmap of a PTE table mapping that was already unmapped (double unmap)`);
    return;
  }
  if (m.thread !== mc.run.current) {
    reportBug(world, 'unlock-not-held', `${where(world)}: pte_unmap of a mapping made by ${m.thread.name}`);
    return;
  }
  mc.live = false;
  const ms = coreOfKnown(m.thread).mappings;
  const i = ms.lastIndexOf(m);
  if (i >= 0) removeFrom(ms, i);
  lockEvent(world, 'pte_unmap', { table: table.id });
}

/**
 * `pte_unmap_unlock(pte, ptl)` — release the PTL and unmap. `ptl` may be the lock or the
 * `Ref` that `pte_offset_map_lock` filled.
 */
export function pte_unmap_unlock(pte: pte_ptr, ptl: spinlock_t | Ref<spinlock_t | null> | null): void {
  const lock = resolvePtl(ptl);
  const world = ptrCore(pte).table.world;
  if (lock) spin_unlock(lock);
  else reportBug(world, 'unlock-not-held', `${where(world)}: pte_unmap_unlock with no lock (ptl is null)`);
  pte_unmap(pte);
}

function badRead(pte: pte_ptr, fn: string): void {
  const mc = ptrCore(pte);
  const world = mc.table.world;
  const why = !mc.live
    ? `its mapping (made by ${mc.by}) was already unmapped`
    : `it was mapped by ${mc.thread.name}, not by ${mc.run.current.name}`;
  reportBug(world, 'pte-read-unmapped', `${where(world)}: ${fn} of slot ${pte.index} through a PTE pointer whose table is not mapped: ${why}`);
}

function outOfRange(pte: pte_ptr, fn: string): never {
  throw new RangeError(`${fn}: PTE pointer index ${pte.index} is outside the table (0..${HPAGE_PMD_NR - 1}) — a loop ran past the end`);
}


/** The PTE read behind ptep_get/ptep_get_lockless (plain loads once the mapping is checked). */
function readPte(p: pte_ptr, fn: string): pte_t {
  const mc = ptrCore(p);
  const i = p.index;
  const run = mc.run;
  const c = run.currentCore;
  if (c.swapinDepth === c.stack.length) swapinPoint(mc.table.world, i);
  if (!mc.live || mc.thread !== run.current) badRead(p, fn);
  if (!(i >= 0 && i < HPAGE_PMD_NR)) outOfRange(p, fn);
  return mc.table.ptes[i];
}

/**
 * `ptep_get(pte)` — read the entry `pte` points to (the table must be mapped by this thread;
 * otherwise a `pte-read-unmapped` bug is recorded and the stale value returned).
 */
export function ptep_get(pte: pte_ptr): pte_t {
  return readPte(pte, 'ptep_get');
}

/** Inside `__collapse_huge_page_swapin` (its own code, not a callee), a read is the point `swapin:<slot>`. */
function swapinPoint(world: World, index: number): void {
  if (index >= 0 && index < HPAGE_PMD_NR) callPreemptHook(world, 'swapin', index);
}

/**
 * `ptep_get_lockless(pte)` — read an entry without the PTL (other CPUs may change it at any
 * time). Inside `__collapse_huge_page_swapin` a read (lockless or not) is the preemption point
 * `swapin:<slot>`: scheduled actors run just before the slot is read.
 */
export function ptep_get_lockless(pte: pte_ptr): pte_t {
  return readPte(pte, 'ptep_get_lockless');
}

// ---------------------------------------------------------------------------------------------
// Contracts
// ---------------------------------------------------------------------------------------------

/** What a thread holds, at one moment. */
export interface LockSnapshot {
  read: number;
  write: boolean;
  mappings: number;
  spinlocks: number;
}

/** Snapshot the current thread's locks. */
export function lockSnapshot(world: World): LockSnapshot {
  const c = coreOfKnown(currentOf(world));
  return { read: c.mmapRead, write: c.mmapWrite, mappings: c.mappings.length, spinlocks: c.spinlocks.length };
}

/**
 * Contract of `__collapse_huge_page_swapin` on entry (kernel comment above the function,
 * mm/khugepaged.c v6.17): called with the mmap_lock held for read and no PTE mapped or
 * spinlock held.
 */
export function checkSwapinEntry(world: World): LockSnapshot {
  const s = lockSnapshot(world);
  if (s.read === 0) reportBug(world, 'contract', '__collapse_huge_page_swapin called without mmap_lock held for read (its contract: entered with it held)');
  if (s.mappings > 0) reportBug(world, 'contract', '__collapse_huge_page_swapin called with a PTE table mapped (its contract: no PTE mapped on entry)');
  if (s.spinlocks > 0) reportBug(world, 'contract', '__collapse_huge_page_swapin called with a spinlock held');
  return s;
}

/**
 * Contract of `__collapse_huge_page_swapin` on return: no PTE mapped and no spinlock held; if
 * the result is not SCAN_SUCCEED the mmap_lock has been released; on SCAN_SUCCEED it is still
 * held for read.
 */
export function checkSwapinExit(world: World, before: LockSnapshot, result: number): void {
  const t: ThreadCore = coreOfKnown(currentOf(world));
  const name = scan_result_name(result);
  if (t.mappings.length > before.mappings) {
    reportBug(world, 'contract', `__collapse_huge_page_swapin returned ${name} with a PTE table still mapped (its contract: returns without pte mapped; pte_offset_map also holds rcu_read_lock)`);
  }
  if (t.spinlocks.length > before.spinlocks) {
    reportBug(world, 'contract', `__collapse_huge_page_swapin returned ${name} with a spinlock still held (its contract: returns without spinlocks held)`);
  }
  if (result !== 1) {
    if (t.mmapRead > 0) {
      reportBug(world, 'contract', `__collapse_huge_page_swapin returned ${name} with mmap_lock still held for read (its contract: released on failure)`);
      t.mmapLeakReported = true;
    }
  } else if (t.mmapRead === 0) {
    reportBug(world, 'contract', `__collapse_huge_page_swapin returned SCAN_SUCCEED without mmap_lock held (its contract: still held for read on success)`);
  }
}

/** Contract of `hpage_collapse_scan_pmd` on entry: mmap_lock held for read. */
export function checkScanEntry(world: World): LockSnapshot {
  const s = lockSnapshot(world);
  if (s.read === 0 && !s.write) reportBug(world, 'contract', 'hpage_collapse_scan_pmd called without mmap_lock held for read');
  return s;
}

/**
 * Contract of `hpage_collapse_scan_pmd` on return: no PTE mapped and no PTL held; if it called
 * `collapse_huge_page()` then `*mmap_locked` is false and the lock is really released;
 * otherwise `*mmap_locked` is still true and the lock still held.
 */
export function checkScanExit(world: World, before: LockSnapshot, result: number, mmapLocked: boolean, calledCollapse: boolean): void {
  const t: ThreadCore = coreOfKnown(currentOf(world));
  const name = scan_result_name(result);
  if (t.mappings.length > before.mappings && !t.mappings.every((m) => m.by === '__collapse_huge_page_swapin')) {
    reportBug(world, 'contract', `hpage_collapse_scan_pmd returned ${name} with a PTE table still mapped (pte_unmap_unlock missing on this path)`);
  }
  if (t.spinlocks.length > before.spinlocks) {
    reportBug(world, 'contract', `hpage_collapse_scan_pmd returned ${name} with the PTL still held (pte_unmap_unlock missing on this path)`);
  }
  if (calledCollapse) {
    if (mmapLocked) {
      reportBug(world, 'contract', `hpage_collapse_scan_pmd called collapse_huge_page but left *mmap_locked = true (collapse_huge_page always returns with mmap_lock released)`);
    } else if (t.mmapRead > 0 && !t.mmapLeakReported) {
      reportBug(world, 'contract', `hpage_collapse_scan_pmd returned ${name} with *mmap_locked = false but mmap_lock still held for read`);
      t.mmapLeakReported = true;
    }
  } else {
    if (!mmapLocked) reportBug(world, 'contract', `hpage_collapse_scan_pmd set *mmap_locked = false without calling collapse_huge_page`);
    else if (t.mmapRead === 0 && !t.mmapWrite) reportBug(world, 'contract', `hpage_collapse_scan_pmd returned ${name} having released mmap_lock while *mmap_locked is still true`);
  }
}

/**
 * End of a thread (end of an attempt, or the point where it hung): anything still held is a
 * leak. The leaked state is then cleaned up so the world can be inspected (and the next attempt
 * can run).
 */
export function threadExit(world: World, t: ThreadState, hung = false): void {
  const ended = hung ? 'hung' : 'finished the attempt';
  const c = coreOf(t);
  runAsThread(world, t, () => {
    const lock = mmapLockOf(world.mm);
    if (c.mmapRead > 0) {
      reportBug(world, 'leaked-lock', `${t.name} ${ended} still holding mmap_lock for read${c.mmapRead > 1 ? ` (${c.mmapRead} times)` : ''}: every later mmap_write_lock (munmap, mprotect, the next collapse) would hang`);
      lock.readers.delete(t);
      c.mmapRead = 0;
    }
    if (c.mmapWrite) {
      reportBug(world, 'leaked-lock', `${t.name} ${ended} still holding mmap_lock for write`);
      if (lock.writer === t) lock.writer = null;
      c.mmapWrite = false;
    }
    for (const l of c.spinlocks) {
      reportBug(world, 'leaked-lock', `${t.name} ${ended} still holding spinlock ${l.name}`);
      if (ownerOf(l) === t) setOwner(l, null);
    }
    c.spinlocks = [];
    for (const m of c.mappings) {
      reportBug(world, 'pte-mapping-leaked', `${t.name} ${ended} with a PTE table still mapped (mapped in ${m.by}, never pte_unmap()ed; the RCU read section never ends)`);
      mappingCore(m).live = false;
    }
    c.mappings = [];
  });
}
