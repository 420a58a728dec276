/**
 * actors.ts — the rest of the machine: other threads that change PTEs while khugepaged has
 * dropped a lock, run at fixed preemption points by a {@link Schedule}.
 *
 * The collapse path runs synchronously; where the kernel can be raced it calls
 * {@link preempt_point}, which runs the schedule's steps placed there. For a fixed schedule this
 * is the same as a coroutine yield, and it keeps learner code plain functions. Same world
 * options ⇒ same trace.
 *
 * Points: `scan-unlocked` (the scan dropped the PTL; mmap read lock still held — at the entry
 * of collapse_huge_page), `alloc` (mmap lock dropped for the huge-page allocation),
 * `swapin:<slot>` (inside `ptep_get_lockless` in the swap-in loop, before that slot is read),
 * `upgrade` (between mmap_read_unlock and mmap_write_lock).
 *
 * Lock rules: rmap-based actors (`migration_start`, `migration_finish`, `reclaim_swap_out`,
 * `memory_failure`, `device_exclusive`, `set_pte`) need the PTE table's PTL free but not the
 * mmap lock; `madv_guard_install`, `uffdio_writeprotect` and `owner_fault` take the mmap lock
 * for read, so they cannot run while it is held for write. A step that cannot run is recorded
 * as `blocked` in the trace.
 *
 * @module
 */
import type { World, mm_struct, pmd_t, ActorName, Schedule, ScheduleStep, PteTable } from './types.ts';
import {
  type pte_t,
  __pte,
  pte_present,
  pte_none,
  pte_pfn,
  pte_write,
  pte_uffd_wp,
  pte_soft_dirty,
  pte_mkyoung,
  pte_mkuffd_wp,
  pte_wrprotect,
  is_zero_pfn,
  classifyPte,
} from './pte.ts';
import {
  is_swap_pte,
  pte_to_swp_entry,
  swp_type,
  swp_offset,
  swp_entry,
  swp_entry_to_pte,
  non_swap_entry,
  make_readable_migration_entry,
  make_writable_migration_entry,
  make_device_exclusive_entry,
  make_hwpoison_entry,
  make_pte_marker,
  pte_swp_mkuffd_wp,
  pte_swp_mksoft_dirty,
  pte_swp_mkexclusive,
  PTE_MARKER_GUARD,
  PTE_MARKER_UFFD_WP,
} from './swapops.ts';
import { parseWindow } from './layout.ts';
import {
  allocSwapSlot,
  freeFolio,
  materializeKind,
  pmdTable,
  releasePte,
  set_pte_at,
  userfaultfd_wp,
  linear_page_index,
  PAGE_SIZE,
} from './mm.ts';
import { getThread, runAsThread, mmap_read_lock, mmap_read_unlock, pte_offset_map_ro_nolock } from './locks.ts';
import { expectedOf, scheduleDoneOf } from './lockstate.ts';
import { completeMigration, do_swap_page, do_anonymous_page, lru_add_drain, FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_USER, FAULT_FLAG_WRITE } from './memory.ts';
import { traceEvent } from './trace.ts';

/** Every actor name. */
export const ACTOR_NAMES: readonly ActorName[] = Object.freeze([
  'migration_start',
  'migration_finish',
  'reclaim_swap_out',
  'memory_failure',
  'owner_fault',
  'madv_guard_install',
  'uffdio_writeprotect',
  'device_exclusive',
  'set_pte',
] as const);

/** Preemption point names (without the `:<slot>` of `swapin`). */
export const PREEMPT_POINTS = Object.freeze(['scan-unlocked', 'alloc', 'swapin', 'upgrade'] as const);

/** Actors that work through the rmap (need the PTL, not the mmap lock). */
const RMAP_ACTORS: ReadonlySet<string> = new Set(['migration_start', 'migration_finish', 'reclaim_swap_out', 'memory_failure', 'device_exclusive', 'set_pte']);

/** Actors that take the mmap lock for read. */
const MMAP_ACTORS: ReadonlySet<string> = new Set(['madv_guard_install', 'uffdio_writeprotect', 'owner_fault']);

/** What each actor does, in one line (for legends). */
export const ACTOR_DESCRIPTIONS: Readonly<Record<ActorName, string>> = Object.freeze({
  migration_start: 'page migration unmaps a present page: the PTE becomes a migration entry (folio locked)',
  migration_finish: 'page migration completes: the migration entry becomes a present PTE to the new folio',
  reclaim_swap_out: 'reclaim swaps a present page out: the PTE becomes a swap entry',
  memory_failure: 'memory failure poisons a present page: the PTE becomes a hwpoison entry, data lost',
  owner_fault: 'the owning process touches the page (faulting it in if needed)',
  madv_guard_install: 'MADV_GUARD_INSTALL: the page is zapped and a guard marker installed',
  uffdio_writeprotect: 'UFFDIO_WRITEPROTECT: the PTE is write-protected with uffd-wp',
  device_exclusive: 'a device takes exclusive access: the PTE becomes a device-exclusive entry',
  set_pte: 'the PTE becomes the given layout KIND (what --window uses)',
});

/**
 * Turn the `--window` notation ("10=migration,5=page") into schedule steps: `set_pte` at the
 * `alloc` point (while khugepaged has dropped the mmap lock for the allocation).
 */
export function windowToSchedule(window: string): Schedule {
  return parseWindow(window).map((w) => ({ at: 'alloc', actor: 'set_pte' as const, slot: w.slot, kind: w.kind }));
}

/**
 * `preempt_point(mm, name, slot?)` — where the collapse path can be raced: run every
 * not-yet-run schedule step placed at `name` (or at `name:slot`). No kernel twin (in the kernel
 * any point may be preempted; the engine makes the interesting ones explicit).
 */
export function preempt_point(mm: mm_struct, name: string, slot?: number): void {
  runPreempt(mm.world, name, slot);
}

/** Engine hook installed as `world.preemptHook`. */
export function runPreempt(world: World, name: string, slot?: number): void {
  const full = slot === undefined ? name : `${name}:${slot}`;
  world.reachedPoints.add(full);
  const sched = world.schedule;
  const done = scheduleDoneOf(world);
  let any = false;
  for (let i = 0; i < sched.length; i++) {
    if (done[i]) continue;
    const st = sched[i];
    if (st.at !== full && st.at !== name) continue;
    if (st.at === name && slot !== undefined) continue; // 'swapin' without a slot never matches
    if (!any) {
      traceEvent(world, 'preempt', { point: full });
      any = true;
    }
    done[i] = true;
    runStep(world, st);
  }
  if (!any && slot === undefined) traceEvent(world, 'preempt', { point: full });
}

function pteAt(world: World, pmdIndex: number): { pmd: pmd_t; table: PteTable | null } {
  const pmd = world.mm.pmds[pmdIndex];
  return { pmd, table: pmd ? pmdTable(pmd) : null };
}

/** Run one schedule step as its own thread, checking the locks it needs. */
export function runStep(world: World, st: ScheduleStep): void {
  const pmdIndex = st.pmd ?? 0;
  const t = getThread(world, st.actor);
  runAsThread(world, t, () => {
    const { pmd, table } = pteAt(world, pmdIndex);
    if (!pmd || !table) {
      traceEvent(world, 'actor', { actor: st.actor, slot: st.slot, note: 'no PTE table here (PMD none or huge): nothing to do' });
      return;
    }
    const writer = world.mm.mmap_lock.writer;
    if (MMAP_ACTORS.has(st.actor) && writer) {
      traceEvent(world, 'blocked', { actor: st.actor, slot: st.slot, reason: `needs mmap_lock for read; ${writer.name} holds it for write` });
      return;
    }
    if (table.ptl.owner) {
      traceEvent(world, 'blocked', { actor: st.actor, slot: st.slot, reason: `needs the PTL; ${table.ptl.owner.name} holds it` });
      return;
    }
    if (!RMAP_ACTORS.has(st.actor) && !MMAP_ACTORS.has(st.actor)) throw new Error(`unknown actor "${st.actor}"`);
    const before = table.ptes[st.slot];
    let note = '';
    if (MMAP_ACTORS.has(st.actor)) mmap_read_lock(world.mm);
    try {
      note = ACT[st.actor](world, pmd, table, st);
    } finally {
      if (MMAP_ACTORS.has(st.actor)) mmap_read_unlock(world.mm);
      lru_add_drain(world);
    }
    const after = table.ptes[st.slot];
    traceEvent(world, 'actor', {
      actor: st.actor,
      slot: st.slot,
      ...(pmdIndex ? { pmd: pmdIndex } : {}),
      before: classifyPte(before),
      after: classifyPte(after),
      ...(note ? { note } : {}),
    });
  });
}

type ActFn = (world: World, pmd: pmd_t, table: PteTable, st: ScheduleStep) => string;

function presentAnon(world: World, pte: pte_t) {
  if (!pte_present(pte) || is_zero_pfn(pte_pfn(pte))) return null;
  const p = world.pages.get(pte_pfn(pte));
  return p && p.folio.anon && !p.folio.zone_device ? p : null;
}

function swapEntryInfo(pte: pte_t): { type: number; offset: number } | null {
  if (!is_swap_pte(pte)) return null;
  const e = pte_to_swp_entry(pte);
  return { type: swp_type(e), offset: swp_offset(e) };
}

const ACT: Readonly<Record<ActorName, ActFn>> = Object.freeze({
  migration_start(world, _pmd, table, st) {
    const pte = table.ptes[st.slot];
    const p = presentAnon(world, pte);
    if (!p) return 'not a present anon page: nothing to migrate';
    const f = p.folio;
    if (f.locked) return 'folio locked by someone else: migration skips it';
    // try_to_migrate(): lock + isolate the folio, replace the PTE by a migration entry.
    f.locked = true;
    f.migrating = true;
    f.lru = false;
    f._mapcount = Math.max(0, f._mapcount - 1);
    let npte = swp_entry_to_pte(pte_write(pte) ? make_writable_migration_entry(f.pfn) : make_readable_migration_entry(f.pfn));
    if (pte_soft_dirty(pte)) npte = pte_swp_mksoft_dirty(npte);
    if (pte_uffd_wp(pte)) npte = pte_swp_mkuffd_wp(npte);
    set_pte_at(table, st.slot, npte);
    return '';
  },
  migration_finish(world, pmd, _table, st) {
    return completeMigration(world, pmd, st.slot) ? '' : 'no migration entry here: nothing to finish';
  },
  reclaim_swap_out(world, _pmd, table, st) {
    const pte = table.ptes[st.slot];
    const p = presentAnon(world, pte);
    if (!p) return 'not a present anon page: nothing to reclaim';
    const f = p.folio;
    if (f.locked) return 'folio locked: reclaim skips it';
    const off = allocSwapSlot(world, p.content);
    let npte = swp_entry_to_pte(swp_entry(world.swap.type, off));
    if (f._mapcount <= 1) npte = pte_swp_mkexclusive(npte);
    if (pte_soft_dirty(pte)) npte = pte_swp_mksoft_dirty(npte);
    if (pte_uffd_wp(pte)) npte = pte_swp_mkuffd_wp(npte);
    set_pte_at(table, st.slot, npte);
    f._mapcount = Math.max(0, f._mapcount - 1);
    f._refcount = Math.max(0, f._refcount - 1);
    if (f._refcount === 0) freeFolio(world, f);
    return '';
  },
  memory_failure(world, pmd, table, st) {
    const pte = table.ptes[st.slot];
    const p = presentAnon(world, pte);
    if (!p) return 'not a present anon page: nothing to poison';
    const f = p.folio;
    f.hwpoison = true;
    p.content = null;
    f._mapcount = Math.max(0, f._mapcount - 1);
    f.lru = false;
    set_pte_at(table, st.slot, swp_entry_to_pte(make_hwpoison_entry(f.pfn)));
    expectedOf(world)[pmd.index][st.slot] = null;
    return '';
  },
  owner_fault(world, pmd, table, st) {
    const pte = table.ptes[st.slot];
    const vma = world.vma;
    const address = pmd.addr + st.slot * PAGE_SIZE;
    if (pte_present(pte)) {
      set_pte_at(table, st.slot, pte_mkyoung(pte));
      return 'page present: the access marks it young';
    }
    const vmf = {
      vma,
      address,
      pgoff: linear_page_index(vma, address),
      flags: FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_USER,
      pmd,
      orig_pte: pte,
      pte: null as ReturnType<typeof pte_offset_map_ro_nolock>,
      ptl: null as PteTable['ptl'] | null,
    };
    if (pte_none(pte)) {
      do_anonymous_page({ ...vmf, flags: vmf.flags | FAULT_FLAG_WRITE }, false);
      return 'write fault on an empty PTE: a new zero-filled page';
    }
    const ptl = { value: null as PteTable['ptl'] | null };
    vmf.pte = pte_offset_map_ro_nolock(world.mm, pmd, address, ptl);
    vmf.ptl = ptl.value;
    const ret = do_swap_page(vmf);
    return ret ? `do_swap_page returned ${ret}` : '';
  },
  madv_guard_install(world, pmd, table, st) {
    const pte = table.ptes[st.slot];
    releasePte(world, pte, swapEntryInfo(pte));
    set_pte_at(table, st.slot, make_pte_marker(PTE_MARKER_GUARD));
    expectedOf(world)[pmd.index][st.slot] = null;
    return '';
  },
  uffdio_writeprotect(world, _pmd, table, st) {
    if (!userfaultfd_wp(world.vma)) return 'VMA not registered with UFFDIO_REGISTER_MODE_WP: -ENOENT, nothing changed';
    const pte = table.ptes[st.slot];
    if (pte_present(pte)) set_pte_at(table, st.slot, pte_mkuffd_wp(pte_wrprotect(pte)));
    else if (pte_none(pte)) set_pte_at(table, st.slot, make_pte_marker(PTE_MARKER_UFFD_WP));
    else if (!non_swap_entry(pte_to_swp_entry(pte))) set_pte_at(table, st.slot, pte_swp_mkuffd_wp(pte));
    else return 'special entry: left alone';
    return '';
  },
  device_exclusive(world, _pmd, table, st) {
    const pte = table.ptes[st.slot];
    const p = presentAnon(world, pte);
    if (!p) return 'not a present anon page: make_device_exclusive needs one';
    let npte = swp_entry_to_pte(make_device_exclusive_entry(p.pfn));
    if (pte_soft_dirty(pte)) npte = pte_swp_mksoft_dirty(npte);
    if (pte_uffd_wp(pte)) npte = pte_swp_mkuffd_wp(npte);
    set_pte_at(table, st.slot, npte);
    return '';
  },
  set_pte(world, pmd, table, st) {
    if (!st.kind) throw new Error('set_pte needs a kind');
    const pte = table.ptes[st.slot];
    releasePte(world, pte, swapEntryInfo(pte));
    set_pte_at(table, st.slot, __pte(0n));
    materializeKind(world, pmd.index, st.slot, st.kind);
    return '';
  },
});
