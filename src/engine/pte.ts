/**
 * pte.ts — the page-table entry value (`pte_t`) of the simulated x86-64-like machine.
 *
 * Layout (4 KiB pages, 512 PTEs per PMD), mirroring
 * arch/x86/include/asm/pgtable_types.h and arch/x86/include/asm/pgtable_64.h:
 *
 * Present PTE (`_PAGE_PRESENT` or `_PAGE_PROTNONE` set):
 *
 * | bit   | name               |
 * |-------|--------------------|
 * | 0     | `_PAGE_PRESENT`    |
 * | 1     | `_PAGE_RW`         |
 * | 2     | `_PAGE_USER`       |
 * | 5     | `_PAGE_ACCESSED`   |
 * | 6     | `_PAGE_DIRTY`      |
 * | 8     | `_PAGE_PROTNONE`   |
 * | 9     | `_PAGE_SPECIAL`    |
 * | 10    | `_PAGE_UFFD_WP`    |
 * | 11    | `_PAGE_SOFT_DIRTY` |
 * | 12–51 | PFN                |
 * | 63    | `_PAGE_NX`         |
 *
 * Swap-format PTE (not none, not present): bit 1 `_PAGE_SWP_SOFT_DIRTY`, bit 2
 * `_PAGE_SWP_UFFD_WP`, bit 3 `_PAGE_SWP_EXCLUSIVE`, swap offset in bits 9–58 (stored plainly;
 * real x86-64 stores it inverted as an L1TF mitigation — a documented simplification),
 * swap type in bits 59–63.
 *
 * The swap-type numbers and marker bits are defined here (so that {@link formatPte} and
 * {@link classifyPte} can decode any PTE without an import cycle) and re-exported from
 * `swapops.ts`, where the kernel keeps them.
 *
 * Performance note: a `pte_t` caches its two 32-bit halves (`lo`, `hi`) as plain numbers when
 * it is built; every decoder reads those, never the bigint, so a 512-PTE scan stays cheap.
 *
 * @see https://elixir.bootlin.com/linux/v6.17/source/arch/x86/include/asm/pgtable_types.h
 * @see https://elixir.bootlin.com/linux/v6.17/source/arch/x86/include/asm/pgtable.h
 * @module
 */

/** Page shift of the simulated machine (4 KiB pages). Internal; `PAGE_SIZE` lives in mm.ts. */
const PAGE_SHIFT_ = 12;

// ---------------------------------------------------------------------------------------------
// Bit numbers and masks
// ---------------------------------------------------------------------------------------------

/** Bit number of `_PAGE_PRESENT` (0). */
export const _PAGE_BIT_PRESENT = 0;
/** Bit number of `_PAGE_RW` (1). */
export const _PAGE_BIT_RW = 1;
/** Bit number of `_PAGE_USER` (2). */
export const _PAGE_BIT_USER = 2;
/** Bit number of `_PAGE_PWT` (3); reused as `_PAGE_SWP_EXCLUSIVE` in swap PTEs. */
export const _PAGE_BIT_PWT = 3;
/** Bit number of `_PAGE_ACCESSED` (5). */
export const _PAGE_BIT_ACCESSED = 5;
/** Bit number of `_PAGE_DIRTY` (6). */
export const _PAGE_BIT_DIRTY = 6;
/** Bit number of `_PAGE_PROTNONE` (8; the x86 "global" bit reused for PROT_NONE/NUMA hinting). */
export const _PAGE_BIT_PROTNONE = 8;
/** Bit number of `_PAGE_SPECIAL` (9; x86 SOFTW1) — set on zero-page and other special mappings. */
export const _PAGE_BIT_SPECIAL = 9;
/** Bit number of `_PAGE_UFFD_WP` (10; x86 SOFTW2). */
export const _PAGE_BIT_UFFD_WP = 10;
/** Bit number of `_PAGE_SOFT_DIRTY` (11; x86 SOFTW3). */
export const _PAGE_BIT_SOFT_DIRTY = 11;
/** Bit number of `_PAGE_NX` (63). */
export const _PAGE_BIT_NX = 63;

/** `_PAGE_PRESENT` = 0x1: the hardware may use this translation. */
export const _PAGE_PRESENT = 0x1n;
/** `_PAGE_RW` = 0x2: writable (`pte_write`). */
export const _PAGE_RW = 0x2n;
/** `_PAGE_USER` = 0x4: user-accessible. */
export const _PAGE_USER = 0x4n;
/** `_PAGE_PWT` = 0x8: page write-through (not used by the simulation except as the swap exclusive bit). */
export const _PAGE_PWT = 0x8n;
/** `_PAGE_ACCESSED` = 0x20: the young bit (`pte_young`). */
export const _PAGE_ACCESSED = 0x20n;
/** `_PAGE_DIRTY` = 0x40: written since last cleaned (`pte_dirty`). */
export const _PAGE_DIRTY = 0x40n;
/**
 * `_PAGE_PROTNONE` = 0x100: a PROT_NONE or NUMA-hinting PTE. The hardware present bit is clear,
 * yet `pte_present()` is TRUE for the kernel — such a PTE is never a "swap PTE".
 */
export const _PAGE_PROTNONE = 0x100n;
/** `_PAGE_SPECIAL` = 0x200: special mapping with no struct page refcounting (e.g. the zero page). */
export const _PAGE_SPECIAL = 0x200n;
/** `_PAGE_UFFD_WP` = 0x400: present page write-protected by userfaultfd (`pte_uffd_wp`). */
export const _PAGE_UFFD_WP = 0x400n;
/** `_PAGE_SOFT_DIRTY` = 0x800: soft-dirty tracking bit of a present PTE. */
export const _PAGE_SOFT_DIRTY = 0x800n;
/** `_PAGE_NX` = bit 63: no-execute. */
export const _PAGE_NX = 0x8000000000000000n;
/** `PTE_PFN_MASK`: bits 12–51, where a present PTE keeps its page frame number. */
export const PTE_PFN_MASK = 0x000ffffffffff000n;

/** `_PAGE_SWP_SOFT_DIRTY` = bit 1 (= `_PAGE_RW`, which a swap PTE does not need). */
export const _PAGE_SWP_SOFT_DIRTY = 0x2n;
/** `_PAGE_SWP_UFFD_WP` = bit 2 (= `_PAGE_USER`): the swapped-out page was uffd-wp protected. */
export const _PAGE_SWP_UFFD_WP = 0x4n;
/** `_PAGE_SWP_EXCLUSIVE` = bit 3 (= `_PAGE_PWT`): remembers PG_anon_exclusive across swap-out. */
export const _PAGE_SWP_EXCLUSIVE = 0x8n;
/** First bit of the swap offset in a swap-format PTE (9). */
export const SWP_OFFSET_FIRST_BIT = 9;
/** Number of swap-offset bits in a swap-format PTE (50: bits 9–58). */
export const SWP_OFFSET_BITS = 50;
/** First bit of the swap type in a swap-format PTE (59: bits 59–63). */
export const SWP_PTE_TYPE_SHIFT = 59;
/**
 * `_PAGE_BIT_PKEY_BIT0` = 59: x86-64 keeps a present PTE's 4-bit memory protection key in bits
 * 59–62 (and `_PAGE_NX` in 63) — the very bits where a swap-format PTE keeps its swap type.
 * @see https://elixir.bootlin.com/linux/v6.17/source/arch/x86/include/asm/pgtable_types.h
 */
export const _PAGE_BIT_PKEY_BIT0 = 59;
/** `_PAGE_PKEY_MASK`: bits 59–62 of a present PTE (the protection key). */
export const _PAGE_PKEY_MASK = 0x7800000000000000n;

/**
 * `pte_flags_pkey(flags)` (arch/x86): the protection key (0–15) held in bits 59–62 of a
 * present PTE's flags. Meaningless for a non-present PTE (those bits are the swap type there).
 */
export function pte_flags_pkey(flags: bigint): number {
  return Number((flags & _PAGE_PKEY_MASK) >> 59n);
}

// low-half number masks used by the hot decoders
const B_PRESENT = 0x1;
const B_RW = 0x2;
const B_USER = 0x4;
const B_PWT = 0x8;
const B_ACCESSED = 0x20;
const B_DIRTY = 0x40;
const B_PROTNONE = 0x100;
const B_SPECIAL = 0x200;
const B_UFFD_WP = 0x400;
const B_SOFT_DIRTY = 0x800;

// ---------------------------------------------------------------------------------------------
// Swap type numbers and PTE markers (re-exported by swapops.ts; kernel: include/linux/swap.h,
// include/linux/swapops.h)
// ---------------------------------------------------------------------------------------------

/**
 * `MAX_SWAPFILES` = 24: swap types 0..23 are real swap devices; 24..31 are the "non-swap"
 * special entries. 32 type values (MAX_SWAPFILES_SHIFT 5) minus 3 device, 3 migration,
 * 1 hwpoison and 1 marker type.
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/swap.h
 */
export const MAX_SWAPFILES = 24;
/** `SWP_HWPOISON` = 24: the page was found to have a memory error (memory_failure). */
export const SWP_HWPOISON = 24;
/** `SWP_MIGRATION_READ` = 25: the page is being migrated; was mapped read-only. */
export const SWP_MIGRATION_READ = 25;
/** `SWP_MIGRATION_READ_EXCLUSIVE` = 26: being migrated; read-only but exclusive anon. */
export const SWP_MIGRATION_READ_EXCLUSIVE = 26;
/** `SWP_MIGRATION_WRITE` = 27: being migrated; was mapped writable. */
export const SWP_MIGRATION_WRITE = 27;
/** `SWP_DEVICE_WRITE` = 28: device-private memory (e.g. a GPU), writable. */
export const SWP_DEVICE_WRITE = 28;
/** `SWP_DEVICE_READ` = 29: device-private memory, read-only. */
export const SWP_DEVICE_READ = 29;
/** `SWP_DEVICE_EXCLUSIVE` = 30: a device holds exclusive access (single type since ~v6.15). */
export const SWP_DEVICE_EXCLUSIVE = 30;
/** `SWP_PTE_MARKER` = 31: a PTE marker; the offset is a bitmask of `PTE_MARKER_*`. */
export const SWP_PTE_MARKER = 31;

/**
 * `PTE_MARKER_UFFD_WP` = BIT(0): "this none PTE was write-protected by userfaultfd".
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/swapops.h
 */
export const PTE_MARKER_UFFD_WP = 1;
/** `PTE_MARKER_POISONED` = BIT(1): any access faults with VM_FAULT_HWPOISON (UFFDIO_POISON, swap-in errors). */
export const PTE_MARKER_POISONED = 2;
/** `PTE_MARKER_GUARD` = BIT(2): MADV_GUARD_INSTALL guard region; any access faults with SIGSEGV. */
export const PTE_MARKER_GUARD = 4;
/** `PTE_MARKER_MASK` = BIT(3) − 1 = 7: all valid marker bits in v6.17. */
export const PTE_MARKER_MASK = 7;

// ---------------------------------------------------------------------------------------------
// The value
// ---------------------------------------------------------------------------------------------

function hex64(lo: number, hi: number): string {
  return '0x' + hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * Implementation class of a swap entry (`swp_entry_t`, see swapops.ts). It lives here so that a
 * swap-format {@link pte_t} can carry its decoded entry without an import cycle.
 */
class SwpEntry {
  /** Low 32 bits of `val` (unsigned number, cached at construction). */
  readonly lo: number;
  /** High 32 bits of `val` (unsigned number, cached at construction). */
  readonly hi: number;
  constructor(lo: number, hi: number) {
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    Object.freeze(this);
  }
  /** The 64-bit value as a bigint (the C `entry.val`). */
  get val(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
  /** e.g. `0x6c00000000001234 type=27(SWP_MIGRATION_WRITE) offset=0x1234`. */
  toString(): string {
    return formatEntryHalves(this.lo, this.hi);
  }
  /** JSON form: the hex value of `val`. */
  toJSON(): string {
    return hex64(this.lo, this.hi);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `swp_entry_t(${formatEntryHalves(this.lo, this.hi)})`;
  }
}
Object.freeze(SwpEntry.prototype);

/**
 * A swap entry: an immutable value `{ val: bigint }` (plus cached halves `lo`/`hi`). Despite the
 * name it also carries every non-swap special entry (migration, device, hwpoison, marker).
 * Compare with `a.val === b.val`.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/swp_entry_t
 */
export type swp_entry_t = SwpEntry;

/** Build a swp_entry_t from the two 32-bit halves of `val` (engine helper, no bigint work). */
export function swpEntryFromHalves(lo: number, hi: number): swp_entry_t {
  return new SwpEntry(lo, hi);
}

/** True if `x` is a swp_entry_t built by the engine. */
export function isSwpEntry(x: unknown): x is swp_entry_t {
  return x instanceof SwpEntry;
}

function formatEntryHalves(lo: number, hi: number): string {
  const t = hi >>> 26;
  const offset = (hi & 0x3ffffff) * 4294967296 + lo;
  return `${hex64(lo, hi)} type=${t}(${swapTypeName(t)}) offset=0x${offset.toString(16)}`;
}

/**
 * Implementation class of {@link pte_t}. Use {@link __pte} or the constructors
 * ({@link pfn_pte}, `swp_entry_to_pte`, `make_pte_marker`) to build one.
 */
class Pte {
  /** Low 32 bits of the value, as an unsigned number (cached at construction). */
  readonly lo: number;
  /** High 32 bits of the value, as an unsigned number (cached at construction). */
  readonly hi: number;
  /**
   * Engine cache: for a swap-format PTE (not none, not present) the decoded entry that
   * `pte_to_swp_entry()` returns (software bits stripped), built once here so that scanning
   * allocates nothing; `null` for none and present PTEs.
   */
  readonly _entry: swp_entry_t | null;
  constructor(lo: number, hi: number) {
    lo >>>= 0;
    hi >>>= 0;
    this.lo = lo;
    this.hi = hi;
    if ((lo === 0 && hi === 0) || (lo & (B_PRESENT | B_PROTNONE)) !== 0) this._entry = null;
    else {
      // offset = PTE bits 9..58 → entry bits 0..49; type = PTE bits 59..63 → entry bits 58..62
      this._entry = new SwpEntry((lo >>> 9) | ((hi & 0x1ff) << 23), ((hi >>> 27) << 26) | ((hi >>> 9) & 0x3ffff));
    }
    Object.freeze(this);
  }
  /** The 64-bit value as a bigint (the C `pte.pte`); same as `pte_val(pte)`. */
  get pte(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
  /** One line: hex value and decoded fields (see {@link formatPte}). */
  toString(): string {
    return formatPte(this);
  }
  /** JSON form: the hex value, e.g. `"0x0000000001234067"`. */
  toJSON(): string {
    return hex64(this.lo, this.hi);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `pte_t(${formatPte(this)})`;
  }
}
Object.freeze(Pte.prototype);

/**
 * A page-table entry: an immutable 64-bit value. `pte.pte` is the value as a bigint (like the
 * C struct member); `lo`/`hi` are its cached 32-bit halves. Compare two PTEs with
 * `pte_val(a) === pte_val(b)` (two objects are never `===`, just like two C structs).
 * @see https://elixir.bootlin.com/linux/v6.17/source/arch/x86/include/asm/pgtable_64_types.h
 */
export type pte_t = Pte;

/** Build a pte_t from its two 32-bit halves (no bigint work). Engine-internal helper. */
export function pteFromHalves(lo: number, hi: number): pte_t {
  return new Pte(lo, hi);
}

/** True if `x` is a {@link pte_t} built by this module. */
export function isPte(x: unknown): x is pte_t {
  return x instanceof Pte;
}

/**
 * `__pte(val)`: wrap a raw 64-bit value (bigint, masked to 64 bits) as a `pte_t`.
 * @example __pte(0x1234067n) // present, rw, user, accessed, dirty, pfn 0x1234
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/__pte
 */
export function __pte(val: bigint): pte_t {
  const v = BigInt.asUintN(64, val);
  return new Pte(Number(v & 0xffffffffn), Number(v >> 32n));
}

/** `pte_val(pte)`: the raw 64-bit value as a bigint. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_val */
export function pte_val(pte: pte_t): bigint {
  return pte.pte;
}

/** The PTE value as 16 hex digits with `0x` prefix (camelCase helper, no kernel twin). */
export function pteHex(pte: pte_t): string {
  return hex64(pte.lo, pte.hi);
}

// ---------------------------------------------------------------------------------------------
// Accessors (arch/x86/include/asm/pgtable.h)
// ---------------------------------------------------------------------------------------------

/**
 * `pte_none(pte)`: the entry is empty (value 0) — nothing was ever mapped here, or it was zapped.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_none
 */
export function pte_none(pte: pte_t): boolean {
  return pte.lo === 0 && pte.hi === 0;
}

/**
 * `pte_present(pte)`: `_PAGE_PRESENT` **or** `_PAGE_PROTNONE` is set. PROT_NONE/NUMA-hinting
 * PTEs count as present for the kernel although the hardware cannot use them.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_present
 */
export function pte_present(pte: pte_t): boolean {
  return (pte.lo & (B_PRESENT | B_PROTNONE)) !== 0;
}

/**
 * `pte_protnone(pte)`: `_PAGE_PROTNONE` set and `_PAGE_PRESENT` clear (PROT_NONE / NUMA hinting).
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_protnone
 */
export function pte_protnone(pte: pte_t): boolean {
  return (pte.lo & (B_PRESENT | B_PROTNONE)) === B_PROTNONE;
}

/** `pte_write(pte)`: `_PAGE_RW` set. Meaningful for present PTEs only. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_write */
export function pte_write(pte: pte_t): boolean {
  return (pte.lo & B_RW) !== 0;
}

/** `pte_young(pte)`: `_PAGE_ACCESSED` set (recently used). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_young */
export function pte_young(pte: pte_t): boolean {
  return (pte.lo & B_ACCESSED) !== 0;
}

/** `pte_dirty(pte)`: `_PAGE_DIRTY` set. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_dirty */
export function pte_dirty(pte: pte_t): boolean {
  return (pte.lo & B_DIRTY) !== 0;
}

/** `pte_special(pte)`: `_PAGE_SPECIAL` set (zero page and other special mappings). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_special */
export function pte_special(pte: pte_t): boolean {
  return (pte.lo & B_SPECIAL) !== 0;
}

/**
 * `pte_uffd_wp(pte)`: the PRESENT-PTE userfaultfd write-protect bit (`_PAGE_UFFD_WP`, bit 10).
 * For a swap PTE use `pte_swp_uffd_wp` (bit 2) instead.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_uffd_wp
 */
export function pte_uffd_wp(pte: pte_t): boolean {
  return (pte.lo & B_UFFD_WP) !== 0;
}

/** `pte_soft_dirty(pte)`: present-PTE soft-dirty bit (bit 11). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_soft_dirty */
export function pte_soft_dirty(pte: pte_t): boolean {
  return (pte.lo & B_SOFT_DIRTY) !== 0;
}

/**
 * `pte_pfn(pte)`: bits 12–51 shifted down — the page frame number of a present PTE.
 * Like the kernel, it is computed for ANY pte: for a swap/non-swap entry it returns junk
 * (parts of the swap offset and type). (Real x86-64 also un-inverts the bits of non-present
 * PTEs first; our swap offsets are not inverted, so there is nothing to undo.)
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_pfn
 */
export function pte_pfn(pte: pte_t): number {
  return (pte.lo >>> PAGE_SHIFT_) + (pte.hi & 0xfffff) * 0x100000;
}

/** Page protection bits (a `pgprot_t`), as a bigint of `_PAGE_*` flags. */
export type pgprot_t = bigint;

/** `PAGE_NONE`-like protection: `_PAGE_PROTNONE | _PAGE_ACCESSED` (present for the kernel only). */
export const PAGE_NONE: pgprot_t = _PAGE_PROTNONE | _PAGE_ACCESSED;
/** `PAGE_READONLY`-like: present, user, accessed, no-execute. */
export const PAGE_READONLY: pgprot_t = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX;
/** `PAGE_SHARED`-like (writable): present, rw, user, accessed, no-execute. */
export const PAGE_SHARED: pgprot_t = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX;
/** Writable, young and dirty anonymous page (what a write fault installs): `PAGE_SHARED | _PAGE_DIRTY`. */
export const PAGE_ANON_DIRTY: pgprot_t = PAGE_SHARED | _PAGE_DIRTY;

/**
 * `pfn_pte(pfn, prot)`: a PTE mapping page frame `pfn` with protection `prot`.
 * @example pfn_pte(0x1234, PAGE_SHARED) // 0x8000000001234027
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pfn_pte
 */
export function pfn_pte(pfn: number, prot: pgprot_t): pte_t {
  return __pte(((BigInt(pfn) << 12n) & PTE_PFN_MASK) | (prot & ~PTE_PFN_MASK));
}

function withLo(pte: pte_t, set: number, clear: number): pte_t {
  return new Pte((pte.lo & ~clear) | set, pte.hi);
}

/** `pte_mkold(pte)`: clear `_PAGE_ACCESSED`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkold */
export function pte_mkold(pte: pte_t): pte_t {
  return withLo(pte, 0, B_ACCESSED);
}
/** `pte_mkyoung(pte)`: set `_PAGE_ACCESSED`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkyoung */
export function pte_mkyoung(pte: pte_t): pte_t {
  return withLo(pte, B_ACCESSED, 0);
}
/** `pte_mkdirty(pte)`: set `_PAGE_DIRTY`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkdirty */
export function pte_mkdirty(pte: pte_t): pte_t {
  return withLo(pte, B_DIRTY, 0);
}
/** `pte_mkclean(pte)`: clear `_PAGE_DIRTY`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkclean */
export function pte_mkclean(pte: pte_t): pte_t {
  return withLo(pte, 0, B_DIRTY);
}
/** `pte_wrprotect(pte)`: clear `_PAGE_RW`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_wrprotect */
export function pte_wrprotect(pte: pte_t): pte_t {
  return withLo(pte, 0, B_RW);
}
/**
 * `pte_mkwrite_novma(pte)`: set `_PAGE_RW` (the kernel's `pte_mkwrite(pte, vma)` minus the
 * shadow-stack check). @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkwrite_novma
 */
export function pte_mkwrite_novma(pte: pte_t): pte_t {
  return withLo(pte, B_RW, 0);
}
/** `pte_mkspecial(pte)`: set `_PAGE_SPECIAL`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkspecial */
export function pte_mkspecial(pte: pte_t): pte_t {
  return withLo(pte, B_SPECIAL, 0);
}
/**
 * `pte_mkuffd_wp(pte)`: set `_PAGE_UFFD_WP` **and** clear `_PAGE_RW` — on x86 marking a present
 * PTE uffd-wp also write-protects it, so the next write faults to userfaultfd.
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_mkuffd_wp
 */
export function pte_mkuffd_wp(pte: pte_t): pte_t {
  return withLo(pte, B_UFFD_WP, B_RW);
}
/** `pte_clear_uffd_wp(pte)`: clear `_PAGE_UFFD_WP`. @see https://elixir.bootlin.com/linux/v6.17/A/ident/pte_clear_uffd_wp */
export function pte_clear_uffd_wp(pte: pte_t): pte_t {
  return withLo(pte, 0, B_UFFD_WP);
}

// ---------------------------------------------------------------------------------------------
// The zero page
// ---------------------------------------------------------------------------------------------

/**
 * `ZERO_PFN`: the page frame number of the shared zero page in this simulation, fixed at
 * 0x1000 (physical address 16 MiB). Reading an untouched anonymous page maps it read-only and
 * special; khugepaged counts such PTEs with the none PTEs (`pte_none_or_zero`).
 * @see https://elixir.bootlin.com/linux/v6.17/A/ident/zero_pfn
 */
export const ZERO_PFN = 0x1000;

/** `is_zero_pfn(pfn)`: is this the shared zero page? @see https://elixir.bootlin.com/linux/v6.17/A/ident/is_zero_pfn */
export function is_zero_pfn(pfn: number): boolean {
  return pfn === ZERO_PFN;
}

/**
 * `my_zero_pfn(addr)`: the zero page to use at `addr` (one zero page here, so always
 * {@link ZERO_PFN}). @see https://elixir.bootlin.com/linux/v6.17/A/ident/my_zero_pfn
 */
export function my_zero_pfn(_addr?: number): number {
  return ZERO_PFN;
}

/** A read-only special PTE mapping the zero page (what a read fault on anon memory installs). */
export function zeroPte(): pte_t {
  return pte_mkspecial(pfn_pte(ZERO_PFN, PAGE_READONLY));
}

// ---------------------------------------------------------------------------------------------
// Classification and printing
// ---------------------------------------------------------------------------------------------

/**
 * What a PTE holds, decoded from its bits (no world needed). Software bits on swap-format PTEs
 * (uffd-wp, soft-dirty, exclusive) do not change the kind except `swap-uffd-wp`.
 */
export type PteKind =
  | 'none'
  | 'present'
  | 'present-uffd-wp'
  | 'protnone'
  | 'zero'
  | 'swap'
  | 'swap-uffd-wp'
  | 'hwpoison'
  | 'migration-read'
  | 'migration-read-exclusive'
  | 'migration-write'
  | 'device-private-write'
  | 'device-private-read'
  | 'device-exclusive'
  | 'marker-uffd-wp'
  | 'marker-poisoned'
  | 'marker-guard'
  | 'marker-empty';

/** Every {@link PteKind}, in display order. */
export const PTE_KINDS: readonly PteKind[] = Object.freeze([
  'none', 'present', 'present-uffd-wp', 'protnone', 'zero', 'swap', 'swap-uffd-wp', 'hwpoison',
  'migration-read', 'migration-read-exclusive', 'migration-write', 'device-private-write',
  'device-private-read', 'device-exclusive', 'marker-uffd-wp', 'marker-poisoned', 'marker-guard',
  'marker-empty',
] as const);

const KIND_LABELS: Readonly<Record<PteKind, string>> = Object.freeze({
  'none': 'empty (pte_none)',
  'present': 'present page',
  'present-uffd-wp': 'present page, uffd write-protected',
  'protnone': 'PROT_NONE / NUMA-hinting (present for the kernel)',
  'zero': 'shared zero page',
  'swap': 'swap entry',
  'swap-uffd-wp': 'swap entry with uffd-wp bit',
  'hwpoison': 'hwpoison entry (non-swap)',
  'migration-read': 'migration entry, read (non-swap)',
  'migration-read-exclusive': 'migration entry, read-exclusive (non-swap)',
  'migration-write': 'migration entry, write (non-swap)',
  'device-private-write': 'device-private entry, writable (non-swap)',
  'device-private-read': 'device-private entry, read-only (non-swap)',
  'device-exclusive': 'device-exclusive entry (non-swap)',
  'marker-uffd-wp': 'PTE marker UFFD_WP (non-swap)',
  'marker-poisoned': 'PTE marker POISONED (non-swap)',
  'marker-guard': 'PTE marker GUARD (non-swap)',
  'marker-empty': 'PTE marker with no bits (invalid, non-swap)',
});

/** A short human label for a {@link PteKind}, e.g. `'migration-write'` → "migration entry, write (non-swap)". */
export function kindLabel(kind: PteKind): string {
  return KIND_LABELS[kind] ?? String(kind);
}

/** Swap type (bits 59–63) of a swap-format PTE, from the cached high half. */
function pteSwpType(pte: pte_t): number {
  return pte.hi >>> 27;
}
/** Swap offset (bits 9–58) of a swap-format PTE, from the cached halves. */
function pteSwpOffset(pte: pte_t): number {
  return (pte.lo >>> 9) + (pte.hi & 0x7ffffff) * 0x800000;
}

/**
 * Classify a PTE by its bits: none, present (zero page, uffd-wp, PROT_NONE), a real swap entry,
 * or one of the non-swap special entries / markers. A marker with several bits set is
 * reported by its most severe bit (guard > poisoned > uffd-wp).
 * No kernel twin (camelCase): it condenses `pte_none`, `pte_present`, `is_zero_pfn`,
 * `pte_to_swp_entry` and the `is_*_entry` predicates into one answer.
 */
export function classifyPte(pte: pte_t): PteKind {
  const lo = pte.lo;
  if (lo === 0 && pte.hi === 0) return 'none';
  if ((lo & (B_PRESENT | B_PROTNONE)) !== 0) {
    if ((lo & B_PRESENT) === 0) return 'protnone';
    if (pte_pfn(pte) === ZERO_PFN) return 'zero';
    return (lo & B_UFFD_WP) !== 0 ? 'present-uffd-wp' : 'present';
  }
  const type = pteSwpType(pte);
  if (type < MAX_SWAPFILES) return (lo & B_USER) !== 0 ? 'swap-uffd-wp' : 'swap';
  switch (type) {
    case SWP_HWPOISON: return 'hwpoison';
    case SWP_MIGRATION_READ: return 'migration-read';
    case SWP_MIGRATION_READ_EXCLUSIVE: return 'migration-read-exclusive';
    case SWP_MIGRATION_WRITE: return 'migration-write';
    case SWP_DEVICE_WRITE: return 'device-private-write';
    case SWP_DEVICE_READ: return 'device-private-read';
    case SWP_DEVICE_EXCLUSIVE: return 'device-exclusive';
    default: {
      const m = pteSwpOffset(pte) & PTE_MARKER_MASK;
      if (m & PTE_MARKER_GUARD) return 'marker-guard';
      if (m & PTE_MARKER_POISONED) return 'marker-poisoned';
      if (m & PTE_MARKER_UFFD_WP) return 'marker-uffd-wp';
      return 'marker-empty';
    }
  }
}

const TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  24: 'SWP_HWPOISON', 25: 'SWP_MIGRATION_READ', 26: 'SWP_MIGRATION_READ_EXCLUSIVE',
  27: 'SWP_MIGRATION_WRITE', 28: 'SWP_DEVICE_WRITE', 29: 'SWP_DEVICE_READ',
  30: 'SWP_DEVICE_EXCLUSIVE', 31: 'SWP_PTE_MARKER',
});

/** Name of a swap type number: `"swapfile 3"` for 0..23, `"SWP_MIGRATION_WRITE"` etc. above. */
export function swapTypeName(type: number): string {
  return type < MAX_SWAPFILES ? `swapfile ${type}` : (TYPE_NAMES[type] ?? `type ${type}`);
}

/**
 * One line describing a PTE: hex value, kind and decoded fields, e.g.
 * `0x8000000001234067 present pfn=0x1234 RW USER ACCESSED DIRTY NX` or
 * `0xd800000000246800 migration-write type=27(SWP_MIGRATION_WRITE) offset=0x1234 non-swap`.
 * No kernel twin.
 */
export function formatPte(pte: pte_t): string {
  const kind = classifyPte(pte);
  const head = `${hex64(pte.lo, pte.hi)} ${kind}`;
  if (kind === 'none') return head;
  const lo = pte.lo;
  const flags: string[] = [];
  if (pte_present(pte)) {
    if (lo & B_PRESENT) flags.push('PRESENT');
    if (lo & B_RW) flags.push('RW');
    if (lo & B_USER) flags.push('USER');
    if (lo & B_ACCESSED) flags.push('ACCESSED');
    if (lo & B_DIRTY) flags.push('DIRTY');
    if (lo & B_PROTNONE) flags.push('PROTNONE');
    if (lo & B_SPECIAL) flags.push('SPECIAL');
    if (lo & B_UFFD_WP) flags.push('UFFD_WP');
    if (lo & B_SOFT_DIRTY) flags.push('SOFT_DIRTY');
    if (pte.hi & 0x80000000) flags.push('NX');
    const pkey = (pte.hi >>> 27) & 0xf;
    if (pkey) flags.push(`PKEY=${pkey}`);
    let note = '';
    const asType = pteSwpType(pte);
    if (asType >= MAX_SWAPFILES) {
      // What a decoder that forgets pte_present() would see (kernel-facts §3.3: only a
      // non-present PTE is a swap PTE).
      note = ` (bits 59–63 read ${asType}, ${swapTypeName(asType)}, if misread as a swap PTE — it is present)`;
    }
    return `${head} pfn=0x${pte_pfn(pte).toString(16)}${flags.length ? ' ' + flags.join('|') : ''}${note}`;
  }
  const type = pteSwpType(pte);
  const offset = pteSwpOffset(pte);
  if (lo & B_RW) flags.push('SWP_SOFT_DIRTY');
  if (lo & B_USER) flags.push('SWP_UFFD_WP');
  if (lo & B_PWT) flags.push('SWP_EXCLUSIVE');
  let detail = `type=${type}(${swapTypeName(type)}) offset=0x${offset.toString(16)}`;
  if (type === SWP_PTE_MARKER) {
    const m = offset & PTE_MARKER_MASK;
    const names: string[] = [];
    if (m & PTE_MARKER_UFFD_WP) names.push('UFFD_WP');
    if (m & PTE_MARKER_POISONED) names.push('POISONED');
    if (m & PTE_MARKER_GUARD) names.push('GUARD');
    detail += ` marker=${names.length ? names.join('|') : 'none'}`;
  }
  detail += type >= MAX_SWAPFILES ? ' non-swap' : ' swap';
  return `${head} ${detail}${flags.length ? ' ' + flags.join('|') : ''}`;
}

