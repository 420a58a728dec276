/**
 * memory.ts — the fault side (mm/memory.c): `do_swap_page()` with its non-swap branch,
 * `handle_pte_marker()`, `migration_entry_wait()`, and the folio-level primitives other actors
 * use (start/finish a migration, swap a page out, poison it, …).
 *
 * Simplifications (documented, deterministic):
 * - The swap device is a zram-like `SWP_SYNCHRONOUS_IO` device: a swap-in with a swap count of
 *   1 skips the swap cache, reads the slot into a fresh folio and frees the slot; it is always
 *   a major fault (`VM_FAULT_MAJOR`).
 * - A new folio goes to the faulting thread's per-CPU LRU batch (`folio_add_lru`): it holds
 *   an extra reference and is not on the LRU until that thread calls {@link lru_add_drain} —
 *   which is why `__collapse_huge_page_swapin` drains before returning.
 * - `migration_entry_wait()` sleeps until the folio under migration is unlocked. The
 *   simulation lets the migration run to completion at that moment (the migration thread
 *   finishes it: new folio, same content, PTE present again), then the waiter returns 0.
 *
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/memory.c
 * @module
 */
import type { World, folio, mm_struct, pmd_t, spinlock_t, vm_area_struct, Ref, ThreadState } from './types.ts';
import {
  type pte_t,
  __pte,
  pte_val,
  pfn_pte,
  pte_mkold,
  pte_mkuffd_wp,
  pte_mkspecial,
  pte_wrprotect,
  formatPte,
  classifyPte,
  PAGE_ANON_DIRTY,
  PAGE_READONLY,
  _PAGE_SOFT_DIRTY,
} from './pte.ts';
import {
  pte_to_swp_entry,
  non_swap_entry,
  is_migration_entry,
  is_writable_migration_entry,
  is_device_private_entry,
  is_writable_device_private_entry,
  is_device_exclusive_entry,
  is_hwpoison_entry,
  is_pte_marker_entry,
  pte_marker_get,
  pte_marker_entry_uffd_wp,
  pte_swp_soft_dirty,
  pte_swp_uffd_wp,
  pte_swp_exclusive,
  swp_type,
  swp_offset,
  swp_offset_pfn,
  is_swap_pte,
  PTE_MARKER_POISONED,
  PTE_MARKER_GUARD,
} from './swapops.ts';
import {
  VM_FAULT_MAJOR,
  VM_FAULT_SIGBUS,
  VM_FAULT_SIGSEGV,
  VM_FAULT_HWPOISON,
  VM_FAULT_RETRY,
  vmFaultName,
} from './scan_result.ts';
import {
  allocFolio,
  freeFolio,
  folio_trylock,
  folio_unlock,
  pmdTable,
  pte_same,
  set_pte_at,
  swapFree,
  userfaultfd_wp,
  ZERO_CONTENT,
  anonPfnPte,
  PTE_NONE,
} from './mm.ts';
import {
  type pte_ptr,
  pte_offset_map_lock,
  pte_unmap,
  pte_unmap_unlock,
  ptep_get,
  mmap_read_unlock,
  reportBug,
  runAsThread,
  getThread,
} from './locks.ts';
import { attemptOf, coreOfKnown, withFrame } from './lockstate.ts';
import { traceEvent } from './trace.ts';
import { appendTo, bumpCounter } from './evidence.ts';

// ---------------------------------------------------------------------------------------------
// vm_fault
// ---------------------------------------------------------------------------------------------

/** `FAULT_FLAG_WRITE`: the fault was a write. */
export const FAULT_FLAG_WRITE = 1 << 0;
/** `FAULT_FLAG_MKWRITE`. */
export const FAULT_FLAG_MKWRITE = 1 << 1;
/** `FAULT_FLAG_ALLOW_RETRY`: the handler may drop the mmap_lock and return VM_FAULT_RETRY. */
export const FAULT_FLAG_ALLOW_RETRY = 1 << 2;
/** `FAULT_FLAG_RETRY_NOWAIT`. */
export const FAULT_FLAG_RETRY_NOWAIT = 1 << 3;
/** `FAULT_FLAG_KILLABLE`. */
export const FAULT_FLAG_KILLABLE = 1 << 4;
/** `FAULT_FLAG_TRIED`. */
export const FAULT_FLAG_TRIED = 1 << 5;
/** `FAULT_FLAG_USER`. */
export const FAULT_FLAG_USER = 1 << 6;

/** `struct vm_fault` — what a fault handler is told. */
export interface vm_fault {
  /** The VMA. */
  vma: vm_area_struct;
  /** Faulting address (page aligned). */
  address: number;
  /** `linear_page_index(vma, address)`. */
  pgoff: number;
  /** FAULT_FLAG_* bits. */
  flags: number;
  /** The PMD. */
  pmd: pmd_t | null;
  /** The PTE value the caller read (the handler rechecks it under the PTL). */
  orig_pte: pte_t;
  /** Mapped pointer to the PTE (do_swap_page unmaps it first thing), or null. */
  pte: pte_ptr | null;
  /** The PTE table lock. */
  ptl: spinlock_t | null;
}

function worldOf(vmf: vm_fault): World {
  return vmf.vma.vm_mm.world;
}

function slotOf(vmf: vm_fault): number {
  return Math.floor(vmf.address / 4096) % 512;
}

function isCollapsePath(world: World): boolean {
  return world.current === world.collapseThread;
}

// ---------------------------------------------------------------------------------------------
// LRU batches
// ---------------------------------------------------------------------------------------------

/**
 * `folio_add_lru(folio)` — queue a new folio for the LRU in this CPU's batch. Until
 * {@link lru_add_drain} runs, the batch holds an extra reference and the folio is not on the LRU.
 */
export function folio_add_lru(world: World, f: folio): void {
  f._refcount++;
  appendTo(coreOfKnown(world.current).lruPending, f);
}

/**
 * `lru_add_drain()` — flush this CPU's LRU batch: queued folios go on the LRU and the batch's
 * extra references are dropped. (The kernel function takes no argument; the engine needs to
 * know the world: pass `mm` or nothing from inside a kernel function that has one.)
 */
export function lru_add_drain(mmOrWorld?: mm_struct | World): void {
  const world = mmOrWorld ? ('world' in mmOrWorld ? mmOrWorld.world : mmOrWorld) : null;
  if (!world) throw new Error('lru_add_drain(mm): pass the mm so the engine can find its world');
  drainThread(world.current);
}

function drainThread(t: ThreadState): void {
  const c = coreOfKnown(t);
  for (const f of c.lruPending as folio[]) {
    if (f.freed) continue;
    f.lru = true;
    f._refcount--;
  }
  c.lruPending = [];
}

// ---------------------------------------------------------------------------------------------
// Folio-level primitives used by faults and by actors
// ---------------------------------------------------------------------------------------------

/** `pte_mksoft_dirty(pte)`. */
export function pte_mksoft_dirty(pte: pte_t): pte_t {
  return __pte(pte_val(pte) | _PAGE_SOFT_DIRTY);
}

/**
 * Complete the migration of the folio a migration entry at `slot` points to (what the
 * migration thread does in `remove_migration_ptes()`): a new folio gets the content, the PTE
 * maps it again (writable for a write migration entry; uffd-wp and soft-dirty carried over),
 * the old folio is unlocked and freed. Returns false if the slot holds no migration entry.
 * The caller runs it as the migration thread.
 */
export function completeMigration(world: World, pmd: pmd_t, slot: number): boolean {
  const table = pmdTable(pmd);
  if (!table) return false;
  const old = table.ptes[slot];
  if (!is_swap_pte(old)) return false;
  const entry = pte_to_swp_entry(old);
  if (!is_migration_entry(entry)) return false;
  const src = world.pages.get(swp_offset_pfn(entry));
  const content = src ? src.content : null;
  const dst = allocFolio(world, 1, content);
  dst._mapcount = 1;
  dst._refcount = 1;
  let pte = pfn_pte(dst.pfn, PAGE_ANON_DIRTY);
  if (!is_writable_migration_entry(entry)) pte = pte_wrprotect(pte);
  if (pte_swp_soft_dirty(old)) pte = pte_mksoft_dirty(pte);
  if (pte_swp_uffd_wp(old)) pte = pte_mkuffd_wp(pte_wrprotect(pte));
  set_pte_at(table, slot, pte);
  folio_add_lru(world, dst);
  if (src) {
    const f = src.folio;
    f.migrating = false;
    f.locked = false;
    f._refcount = 0;
    freeFolio(world, f);
  }
  drainThread(world.current);
  return true;
}

// ---------------------------------------------------------------------------------------------
// do_swap_page and friends
// ---------------------------------------------------------------------------------------------

/**
 * `folio_lock_or_retry(folio, vmf)` — lock the folio; if it is locked and the fault may retry,
 * drop the mmap_lock and return VM_FAULT_RETRY (the caller must not touch the mm again).
 */
export function folio_lock_or_retry(f: folio, vmf: vm_fault): number {
  if (folio_trylock(f)) return 0;
  if (vmf.flags & FAULT_FLAG_ALLOW_RETRY) {
    mmap_read_unlock(vmf.vma.vm_mm);
    return VM_FAULT_RETRY;
  }
  return VM_FAULT_RETRY;
}

/**
 * `migration_entry_wait(mm, pmd, address)` — sleep until the migration of the folio behind a
 * migration entry is over. In the simulation the migration completes while we sleep (see the
 * module comment); returns when the PTE is present again.
 */
export function migration_entry_wait(mm: mm_struct, pmd: pmd_t, address: number): void {
  const world = mm.world;
  const ptl: Ref<spinlock_t | null> = { value: null };
  const ptep = pte_offset_map_lock(mm, pmd, address, ptl);
  if (!ptep) return;
  const pte = ptep_get(ptep);
  const slot = ptep.index;
  pte_unmap_unlock(ptep, ptl);
  if (!is_swap_pte(pte) || !is_migration_entry(pte_to_swp_entry(pte))) return;
  // migration_entry_wait_on_locked(): sleep on the folio lock; the migration thread finishes.
  const mig = getThread(world, 'migration');
  runAsThread(world, mig, () => {
    completeMigration(world, pmd, slot);
    traceEvent(world, 'actor', { actor: 'migration_finish', slot, before: classifyPte(pte), after: classifyPte(pmdTable(pmd)!.ptes[slot]), note: 'the migration ends; the waiter in migration_entry_wait wakes up' });
  });
}

/**
 * `remove_device_exclusive_entry(vmf)` — end a device's exclusive access: lock the folio (or
 * drop the mmap_lock and return VM_FAULT_RETRY if it is locked), then restore a normal present
 * PTE (old; writable; uffd-wp and soft-dirty carried over). v6.15+: the folio stayed mapped.
 */
export function remove_device_exclusive_entry(vmf: vm_fault): number {
  const world = worldOf(vmf);
  const entry = pte_to_swp_entry(vmf.orig_pte);
  const p = world.pages.get(swp_offset_pfn(entry));
  if (!p) return 0;
  const f = p.folio;
  f._refcount++; // folio_try_get
  const ret = folio_lock_or_retry(f, vmf);
  if (ret) {
    f._refcount--;
    return ret;
  }
  const ptl: Ref<spinlock_t | null> = { value: null };
  const ptep = pte_offset_map_lock(vmf.vma.vm_mm, vmf.pmd, vmf.address, ptl);
  if (ptep) {
    if (pte_same(ptep_get(ptep), vmf.orig_pte)) {
      let pte = pte_mkold(pfn_pte(f.pfn, PAGE_ANON_DIRTY));
      if (pte_swp_soft_dirty(vmf.orig_pte)) pte = pte_mksoft_dirty(pte);
      if (pte_swp_uffd_wp(vmf.orig_pte)) pte = pte_mkuffd_wp(pte_wrprotect(pte));
      set_pte_at(ptep.table, ptep.index, pte);
    }
    pte_unmap_unlock(ptep, ptl);
  }
  folio_unlock(f);
  f._refcount--;
  return 0;
}

/**
 * Device-private `migrate_to_ram()` (the driver's `dev_pagemap_ops`): copy the data back into a
 * new system-RAM folio and map it (writable if the entry was). Returns 0.
 */
function migrate_to_ram(vmf: vm_fault): number {
  const world = worldOf(vmf);
  const entry = pte_to_swp_entry(vmf.orig_pte);
  const dev = world.pages.get(swp_offset_pfn(entry));
  const ptl: Ref<spinlock_t | null> = { value: null };
  const ptep = pte_offset_map_lock(vmf.vma.vm_mm, vmf.pmd, vmf.address, ptl);
  if (!ptep) return 0;
  if (pte_same(ptep_get(ptep), vmf.orig_pte)) {
    const f = allocFolio(world, 1, dev ? dev.content : null);
    f._mapcount = 1;
    f._refcount = 1;
    let pte = pfn_pte(f.pfn, PAGE_ANON_DIRTY);
    if (!is_writable_device_private_entry(entry)) pte = pte_wrprotect(pte);
    set_pte_at(ptep.table, ptep.index, pte);
    folio_add_lru(world, f);
    if (dev) {
      dev.folio._refcount = 0;
      freeFolio(world, dev.folio);
    }
  }
  pte_unmap_unlock(ptep, ptl);
  return 0;
}

/**
 * `do_anonymous_page(vmf)` — a fault on a none PTE of anonymous memory. A read fault maps the
 * shared zero page (keeping uffd-wp if the PTE carried a uffd-wp marker); a write fault maps a
 * new zero-filled page. Used here for the uffd-wp marker's "missing page" path.
 */
export function do_anonymous_page(vmf: vm_fault, uffd_wp: boolean): number {
  const world = worldOf(vmf);
  const ptl: Ref<spinlock_t | null> = { value: null };
  const ptep = pte_offset_map_lock(vmf.vma.vm_mm, vmf.pmd, vmf.address, ptl);
  if (!ptep) return 0;
  if (pte_same(ptep_get(ptep), vmf.orig_pte)) {
    let pte: pte_t;
    if (!(vmf.flags & FAULT_FLAG_WRITE)) {
      pte = pte_mkspecial(pfn_pte(world.zero_page.pfn, PAGE_READONLY));
    } else {
      const f = allocFolio(world, 1, ZERO_CONTENT);
      f._mapcount = 1;
      f._refcount = 1;
      folio_add_lru(world, f);
      pte = pfn_pte(f.pfn, PAGE_ANON_DIRTY);
    }
    if (uffd_wp) pte = pte_mkuffd_wp(pte_wrprotect(pte));
    set_pte_at(ptep.table, ptep.index, pte);
  }
  pte_unmap_unlock(ptep, ptl);
  return 0;
}

/**
 * `handle_pte_marker(vmf)` (mm/memory.c, v6.13+): what a fault on a PTE marker does —
 * no marker bit → SIGBUS (WARN); POISONED → VM_FAULT_HWPOISON (checked first);
 * GUARD → VM_FAULT_SIGSEGV; UFFD_WP → if the VMA is no longer uffd-wp registered the stale
 * marker is cleared (PTE none, returns 0), else it is a missing-page fault
 * (`do_pte_missing` → {@link do_anonymous_page}, keeping the write protection);
 * anything else → SIGBUS.
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/memory.c
 */
export function handle_pte_marker(vmf: vm_fault): number {
  const entry = pte_to_swp_entry(vmf.orig_pte);
  const marker = pte_marker_get(entry);
  if (!marker) return VM_FAULT_SIGBUS;
  if (marker & PTE_MARKER_POISONED) return VM_FAULT_HWPOISON;
  if (marker & PTE_MARKER_GUARD) return VM_FAULT_SIGSEGV;
  if (pte_marker_entry_uffd_wp(entry)) return pte_marker_handle_uffd_wp(vmf);
  return VM_FAULT_SIGBUS;
}

/** `pte_marker_handle_uffd_wp(vmf)` — see {@link handle_pte_marker}. */
export function pte_marker_handle_uffd_wp(vmf: vm_fault): number {
  if (!userfaultfd_wp(vmf.vma)) return pte_marker_clear(vmf);
  return do_anonymous_page(vmf, true);
}

/** `pte_marker_clear(vmf)` — replace a stale marker by the none PTE. Returns 0. */
export function pte_marker_clear(vmf: vm_fault): number {
  const ptl: Ref<spinlock_t | null> = { value: null };
  const ptep = pte_offset_map_lock(vmf.vma.vm_mm, vmf.pmd, vmf.address, ptl);
  if (!ptep) return 0;
  if (pte_same(ptep_get(ptep), vmf.orig_pte)) set_pte_at(ptep.table, ptep.index, PTE_NONE);
  pte_unmap_unlock(ptep, ptl);
  return 0;
}

function describeNonSwap(pte: pte_t): string {
  const k = classifyPte(pte);
  const e = pte_to_swp_entry(pte);
  return `${k} entry, swap type ${swp_type(e)}`;
}

/**
 * `do_swap_page(vmf)` (mm/memory.c) — fault in a non-present, non-none PTE.
 *
 * First `pte_unmap_same()`: the caller's mapping `vmf.pte` is unmapped (vmf.pte = null). Then:
 * - a **non-swap entry** is dispatched: migration → {@link migration_entry_wait} (0);
 *   device-exclusive → {@link remove_device_exclusive_entry}; device-private → migrate to RAM
 *   (0); hwpoison → VM_FAULT_HWPOISON; PTE marker → {@link handle_pte_marker}; else SIGBUS.
 * - a **real swap entry** is read into a new folio (zram-like device, swap cache skipped), the
 *   PTE rechecked under the PTL and replaced by a present PTE (young; writable if the entry
 *   was exclusive and not uffd-wp; soft-dirty and uffd-wp carried over), the slot freed:
 *   VM_FAULT_MAJOR. If the PTE changed meanwhile nothing is mapped (returns 0).
 *
 * When the collapse path (khugepaged / MADV_COLLAPSE) hands it a non-swap entry, the engine
 * records a `non-swap-to-do_swap_page` bug — what the course patch is about — and then does
 * what the kernel does.
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/memory.c
 */
export function do_swap_page(vmf: vm_fault): number {
  const world = worldOf(vmf);
  return withFrame(world, 'do_swap_page', () => {
    const slot = vmf.pte ? vmf.pte.index : slotOf(vmf);
    // pte_unmap_same(): on x86-64 (pte_t fits a long) only unmaps.
    if (vmf.pte) pte_unmap(vmf.pte);
    vmf.pte = null;
    const orig = vmf.orig_pte;
    const entry = pte_to_swp_entry(orig);
    const nonSwap = non_swap_entry(entry);
    if (isCollapsePath(world)) {
      appendTo(attemptOf(world).doSwapPageCalls, { slot, entry: formatPte(orig), non_swap: nonSwap });
      if (nonSwap) {
        reportBug(
          world,
          'non-swap-to-do_swap_page',
          `do_swap_page() was handed a non-swap entry at slot ${slot} (${describeNonSwap(orig)}) by the collapse path — "swap-in" of something that is not in swap`,
        );
      }
    }
    let ret: number;
    if (nonSwap) {
      if (is_migration_entry(entry)) {
        if (vmf.pmd) migration_entry_wait(vmf.vma.vm_mm, vmf.pmd, vmf.address);
        ret = 0;
      } else if (is_device_exclusive_entry(entry)) {
        ret = remove_device_exclusive_entry(vmf);
      } else if (is_device_private_entry(entry)) {
        ret = migrate_to_ram(vmf);
      } else if (is_hwpoison_entry(entry)) {
        ret = VM_FAULT_HWPOISON;
      } else if (is_pte_marker_entry(entry)) {
        ret = handle_pte_marker(vmf);
      } else {
        ret = VM_FAULT_SIGBUS; // print_bad_pte()
      }
    } else {
      ret = swapInReal(world, vmf, entry, slot);
    }
    traceEvent(world, 'do_swap_page', { slot, entry: classifyPte(orig), non_swap: nonSwap, ret: ret === VM_FAULT_MAJOR ? 'VM_FAULT_MAJOR' : vmFaultName(ret) });
    return ret;
  });
}

function swapInReal(world: World, vmf: vm_fault, entry: ReturnType<typeof pte_to_swp_entry>, slot: number): number {
  const type = swp_type(entry);
  const offset = swp_offset(entry);
  // get_swap_device(): the device of this type (0–23); a stale/unknown entry faults nothing in.
  const si = world.swap_info[type];
  if (!si || offset >= si.swap_map.length || si.swap_map[offset] === 0) return 0;
  const content = si.contents[offset];
  const f = allocFolio(world, 1, content);
  f._refcount = 1;
  f.locked = true; // a freshly read folio is locked until mapped
  const ptl: Ref<spinlock_t | null> = { value: null };
  const ptep = pte_offset_map_lock(vmf.vma.vm_mm, vmf.pmd, vmf.address, ptl);
  if (!ptep || !pte_same(ptep_get(ptep), vmf.orig_pte)) {
    // out_nomap: somebody else changed the PTE; drop our folio.
    if (ptep) pte_unmap_unlock(ptep, ptl);
    f._refcount = 0;
    freeFolio(world, f);
    return 0;
  }
  let pte = anonPfnPte(f.pfn);
  const exclusive = pte_swp_exclusive(vmf.orig_pte);
  const uffd = pte_swp_uffd_wp(vmf.orig_pte);
  if (!exclusive || uffd) pte = pte_wrprotect(pte);
  if (pte_swp_soft_dirty(vmf.orig_pte)) pte = pte_mksoft_dirty(pte);
  if (uffd) pte = pte_mkuffd_wp(pte);
  f._mapcount = 1;
  folio_add_lru(world, f);
  set_pte_at(ptep.table, ptep.index, pte);
  swapFree(world, offset, type); // swap_free_nr()
  folio_unlock(f);
  pte_unmap_unlock(ptep, ptl);
  if (isCollapsePath(world)) {
    attemptOf(world).realSwapins++;
    bumpCounter(world, 'swapins');
  }
  traceEvent(world, 'swap_in', { slot, offset, content });
  return VM_FAULT_MAJOR;
}
