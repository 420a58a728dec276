// Values layer: every expected value below is written by hand from the documented layout
// (src/engine/README.md, kernel-facts §3), never computed with the code under test.
import { describe, it, expect } from 'vitest';
import * as E from '../../src/engine/index.ts';
import {
  __pte, pte_val, pte_none, pte_present, pte_protnone, pte_write, pte_young, pte_dirty, pte_uffd_wp,
  pte_special, pte_soft_dirty, pte_pfn, pfn_pte, pte_mkuffd_wp, pte_mkold, pte_mkyoung, pte_wrprotect,
  pte_mkdirty, pte_mkclean, pte_clear_uffd_wp, pte_mkwrite_novma, is_zero_pfn, my_zero_pfn, ZERO_PFN, zeroPte,
  PAGE_SHARED, PAGE_READONLY, PAGE_NONE, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY,
  _PAGE_PROTNONE, _PAGE_UFFD_WP, _PAGE_SOFT_DIRTY, _PAGE_NX, _PAGE_SPECIAL, PTE_PFN_MASK,
  _PAGE_SWP_SOFT_DIRTY, _PAGE_SWP_UFFD_WP, _PAGE_SWP_EXCLUSIVE, classifyPte, formatPte, kindLabel, PTE_KINDS,
  pteHex, isPte, type pte_t, type PteKind,
} from '../../src/engine/pte.ts';
import {
  swp_entry, swp_type, swp_offset, swpEntryFromVal, is_swap_pte, pte_to_swp_entry, swp_entry_to_pte,
  non_swap_entry, is_migration_entry, is_writable_migration_entry, is_readable_migration_entry,
  is_readable_exclusive_migration_entry, is_device_private_entry, is_writable_device_private_entry,
  is_device_exclusive_entry, is_hwpoison_entry, is_pfn_swap_entry, swp_offset_pfn, is_pte_marker_entry,
  is_pte_marker, pte_marker_get, make_pte_marker, make_pte_marker_entry, is_guard_swp_entry,
  is_poisoned_swp_entry, pte_marker_uffd_wp, pte_marker_entry_uffd_wp, pte_swp_uffd_wp, pte_swp_mkuffd_wp,
  pte_swp_clear_uffd_wp, pte_swp_soft_dirty, pte_swp_mksoft_dirty, pte_swp_clear_soft_dirty, pte_swp_exclusive,
  pte_swp_mkexclusive, pte_swp_clear_exclusive, pte_swp_clear_flags, pte_swp_uffd_wp_any,
  make_readable_migration_entry, make_writable_migration_entry, make_readable_exclusive_migration_entry,
  make_migration_entry_read, make_migration_entry_write, make_migration_entry_readable_exclusive,
  make_device_exclusive_entry, make_readable_device_private_entry, make_writable_device_private_entry,
  make_hwpoison_entry, formatSwpEntry, isSwpEntry,
  MAX_SWAPFILES, SWP_HWPOISON, SWP_MIGRATION_READ, SWP_MIGRATION_READ_EXCLUSIVE, SWP_MIGRATION_WRITE,
  SWP_DEVICE_WRITE, SWP_DEVICE_READ, SWP_DEVICE_EXCLUSIVE, SWP_PTE_MARKER, PTE_MARKER_UFFD_WP,
  PTE_MARKER_POISONED, PTE_MARKER_GUARD, PTE_MARKER_MASK, SWP_TYPE_SHIFT,
} from '../../src/engine/swapops.ts';
import * as S from '../../src/engine/softleaf.ts';
import * as R from '../../src/engine/scan_result.ts';
import {
  parseLayout, formatLayout, parseWindow, parseKnobs, LayoutError, LAYOUT_KINDS, isLayoutKind,
} from '../../src/engine/layout.ts';

// Hand-computed PTE values (see comments for the arithmetic).
const V = {
  // pfn 0x1234 << 12 = 0x1234000; PAGE_SHARED = P|RW|USER|ACCESSED (0x27) | NX (bit 63)
  pageShared1234: 0x8000000001234027n,
  // 0x67 = P|RW|USER|ACCESSED|DIRTY, pfn 0x1234, no NX
  dirty1234: 0x1234067n,
  // zero page: pfn 0x1000 << 12 = 0x1000000; PAGE_READONLY 0x25 | SPECIAL 0x200 | NX
  zero: 0x8000000001000225n,
  // swap type 0 offset 0x10: 0x10 << 9 = 0x2000
  swap0_10: 0x2000n,
  // swap type 3 offset 0x100: 3 << 59 = 0x1800000000000000; 0x100 << 9 = 0x20000
  swap3_100: 0x1800000000020000n,
  // hwpoison (24 = 0x18) << 59 = 0xc000000000000000; pfn 5 << 9 = 0xa00
  hwpoison5: 0xc000000000000a00n,
  // migration read (25 = 0x19) << 59 = 0xc800000000000000; pfn 1 << 9 = 0x200
  migRead1: 0xc800000000000200n,
  // migration read-exclusive (26 = 0x1a) << 59 = 0xd000000000000000
  migReadEx1: 0xd000000000000200n,
  // migration write (27 = 0x1b) << 59 = 0xd800000000000000; pfn 0x1234 << 9 = 0x246800
  migWrite1234: 0xd800000000246800n,
  // device-private write (28 = 0x1c) << 59 = 0xe000000000000000; pfn 2 << 9 = 0x400
  devWrite2: 0xe000000000000400n,
  // device-private read (29 = 0x1d) << 59 = 0xe800000000000000
  devRead2: 0xe800000000000400n,
  // device-exclusive (30 = 0x1e) << 59 = 0xf000000000000000; pfn 3 << 9 = 0x600
  devExcl3: 0xf000000000000600n,
  // marker (31 = 0x1f) << 59 = 0xf800000000000000; marker bits << 9
  markerUffd: 0xf800000000000200n,
  markerPoison: 0xf800000000000400n,
  markerGuard: 0xf800000000000800n,
} as const;

// Hand-computed swp_entry_t.val values: type << 58 | offset
const EV = {
  swap0_10: 0x10n,
  swap3_100: 0x0c00000000000100n, // 3 << 58
  hwpoison5: 0x6000000000000005n, // 24 << 58 = 0x18 << 58 = 0x60 << 56
  migRead1: 0x6400000000000001n, // 0x19 << 58 = 0x64 << 56
  migReadEx1: 0x6800000000000001n, // 0x1a << 58 = 0x68 << 56
  migWrite1234: 0x6c00000000001234n, // 0x1b << 58 = 0x6c << 56
  devWrite2: 0x7000000000000002n, // 0x1c << 58
  devRead2: 0x7400000000000002n, // 0x1d << 58
  devExcl3: 0x7800000000000003n, // 0x1e << 58
  markerGuard: 0x7c00000000000004n, // 0x1f << 58
} as const;

describe('type numbers and marker bits (kernel-facts §3.2, §3.4)', () => {
  it('has the v6.17 type numbers', () => {
    expect([MAX_SWAPFILES, SWP_HWPOISON, SWP_MIGRATION_READ, SWP_MIGRATION_READ_EXCLUSIVE, SWP_MIGRATION_WRITE,
      SWP_DEVICE_WRITE, SWP_DEVICE_READ, SWP_DEVICE_EXCLUSIVE, SWP_PTE_MARKER]).toEqual([24, 24, 25, 26, 27, 28, 29, 30, 31]);
    expect(SWP_TYPE_SHIFT).toBe(58);
  });
  it('has the marker bits', () => {
    expect([PTE_MARKER_UFFD_WP, PTE_MARKER_POISONED, PTE_MARKER_GUARD, PTE_MARKER_MASK]).toEqual([1, 2, 4, 7]);
  });
  it('has the documented PTE bit masks', () => {
    expect([_PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PROTNONE, _PAGE_SPECIAL,
      _PAGE_UFFD_WP, _PAGE_SOFT_DIRTY]).toEqual([0x1n, 0x2n, 0x4n, 0x20n, 0x40n, 0x100n, 0x200n, 0x400n, 0x800n]);
    expect(_PAGE_NX).toBe(1n << 63n);
    expect(PTE_PFN_MASK).toBe(0x000ffffffffff000n);
    expect([_PAGE_SWP_SOFT_DIRTY, _PAGE_SWP_UFFD_WP, _PAGE_SWP_EXCLUSIVE]).toEqual([0x2n, 0x4n, 0x8n]);
    expect(PAGE_SHARED).toBe(0x8000000000000027n);
    expect(PAGE_READONLY).toBe(0x8000000000000025n);
    expect(PAGE_NONE).toBe(0x120n);
  });
  it('freezes exported constant objects', () => {
    expect(Object.isFrozen(PTE_KINDS)).toBe(true);
    expect(Object.isFrozen(LAYOUT_KINDS)).toBe(true);
  });
});

describe('pte_t values', () => {
  it('__pte keeps the bigint and caches the halves', () => {
    const p = __pte(0xd800000000246800n);
    expect(p.pte).toBe(0xd800000000246800n);
    expect(pte_val(p)).toBe(0xd800000000246800n);
    expect(p.lo).toBe(0x00246800);
    expect(p.hi).toBe(0xd8000000);
    expect(Object.isFrozen(p)).toBe(true);
    expect(isPte(p)).toBe(true);
    expect(isPte({ pte: 1n })).toBe(false);
  });
  it('__pte masks to 64 bits', () => {
    expect(__pte((1n << 64n) | 5n).pte).toBe(5n);
    expect(__pte(-1n).pte).toBe(0xffffffffffffffffn);
  });
  it('pfn_pte builds the hand-computed value', () => {
    expect(pfn_pte(0x1234, PAGE_SHARED).pte).toBe(V.pageShared1234);
    expect(pfn_pte(0x1234, PAGE_SHARED | _PAGE_DIRTY).pte).toBe(V.pageShared1234 | 0x40n);
  });
  it('decodes a present dirty page', () => {
    const p = __pte(V.dirty1234);
    expect(pte_none(p)).toBe(false);
    expect(pte_present(p)).toBe(true);
    expect(pte_protnone(p)).toBe(false);
    expect(pte_write(p)).toBe(true);
    expect(pte_young(p)).toBe(true);
    expect(pte_dirty(p)).toBe(true);
    expect(pte_uffd_wp(p)).toBe(false);
    expect(pte_soft_dirty(p)).toBe(false);
    expect(pte_pfn(p)).toBe(0x1234);
    expect(is_swap_pte(p)).toBe(false);
  });
  it('pte_pfn reads 40 bits (12..51), ignoring NX and high junk', () => {
    expect(pte_pfn(__pte(0x800ffffffffff067n))).toBe(0xffffffffff);
    expect(pte_pfn(__pte(0x0000123456789000n))).toBe(0x123456789);
  });
  it('pte_pfn of a non-present PTE returns junk like the kernel', () => {
    // 0xd800000000246800 >> 12 = 0xd800000000246; low 40 bits = 0x246
    expect(pte_pfn(__pte(V.migWrite1234))).toBe(0x246);
  });
  it('none is value 0 only', () => {
    expect(pte_none(__pte(0n))).toBe(true);
    expect(pte_present(__pte(0n))).toBe(false);
    expect(is_swap_pte(__pte(0n))).toBe(false);
    expect(pte_none(__pte(1n << 63n))).toBe(false);
  });
  it('PROT_NONE is present for the kernel, not a swap PTE', () => {
    const p = __pte(0x1234120n); // pfn 0x1234 | PROTNONE | ACCESSED
    expect(pte_present(p)).toBe(true);
    expect(pte_protnone(p)).toBe(true);
    expect(is_swap_pte(p)).toBe(false);
    expect(classifyPte(p)).toBe('protnone');
    expect(pfn_pte(7, PAGE_NONE).pte).toBe(0x7120n);
  });
  it('modifiers set and clear exactly their bit', () => {
    const p = __pte(V.pageShared1234);
    expect(pte_mkold(p).pte).toBe(0x8000000001234007n);
    expect(pte_mkyoung(pte_mkold(p)).pte).toBe(V.pageShared1234);
    expect(pte_wrprotect(p).pte).toBe(0x8000000001234025n);
    expect(pte_mkwrite_novma(pte_wrprotect(p)).pte).toBe(V.pageShared1234);
    expect(pte_mkdirty(p).pte).toBe(0x8000000001234067n);
    expect(pte_mkclean(pte_mkdirty(p)).pte).toBe(V.pageShared1234);
    // x86: pte_mkuffd_wp sets bit 10 AND write-protects: 0x27 -> 0x425
    expect(pte_mkuffd_wp(p).pte).toBe(0x8000000001234425n);
    expect(pte_uffd_wp(pte_mkuffd_wp(p))).toBe(true);
    expect(pte_write(pte_mkuffd_wp(p))).toBe(false);
    expect(pte_clear_uffd_wp(pte_mkuffd_wp(p)).pte).toBe(0x8000000001234025n);
    expect(pte_soft_dirty(__pte(0x801n))).toBe(true);
    // the original is untouched (immutable)
    expect(p.pte).toBe(V.pageShared1234);
  });
  it('zero page', () => {
    expect(ZERO_PFN).toBe(0x1000);
    expect(is_zero_pfn(0x1000)).toBe(true);
    expect(is_zero_pfn(0x1001)).toBe(false);
    expect(my_zero_pfn(0x7f0000000000)).toBe(0x1000);
    const z = zeroPte();
    expect(z.pte).toBe(V.zero);
    expect(pte_special(z)).toBe(true);
    expect(pte_write(z)).toBe(false);
    expect(is_zero_pfn(pte_pfn(z))).toBe(true);
    expect(classifyPte(z)).toBe('zero');
  });
  it('prints nicely', () => {
    const s = formatPte(__pte(V.dirty1234));
    expect(s).toBe('0x0000000001234067 present pfn=0x1234 PRESENT|RW|USER|ACCESSED|DIRTY');
    expect(String(__pte(V.migWrite1234))).toBe(
      '0xd800000000246800 migration-write type=27(SWP_MIGRATION_WRITE) offset=0x1234 non-swap');
    expect(formatPte(__pte(V.markerGuard))).toContain('marker=GUARD');
    expect(formatPte(__pte(V.swap0_10 | 0x4n))).toBe('0x0000000000002004 swap-uffd-wp type=0(swapfile 0) offset=0x10 swap SWP_UFFD_WP');
    expect(formatPte(__pte(0n))).toBe('0x0000000000000000 none');
    expect(JSON.stringify({ p: __pte(V.swap3_100) })).toBe('{"p":"0x1800000000020000"}');
    expect(pteHex(__pte(V.zero))).toBe('0x8000000001000225');
  });
});

describe('swp_entry_t values', () => {
  it('swp_entry/swp_type/swp_offset', () => {
    const e = swp_entry(27, 0x1234);
    expect(e.val).toBe(EV.migWrite1234);
    expect(swp_type(e)).toBe(27);
    expect(swp_offset(e)).toBe(0x1234);
    expect(swp_entry(3, 0x100).val).toBe(EV.swap3_100);
    expect(Object.isFrozen(e)).toBe(true);
    expect(isSwpEntry(e)).toBe(true);
    expect(formatSwpEntry(e)).toBe('0x6c00000000001234 type=27(SWP_MIGRATION_WRITE) offset=0x1234');
  });
  it('keeps offsets above 32 bits exact', () => {
    const e = swp_entry(0, 0x300000001);
    expect(e.val).toBe(0x300000001n);
    expect(swp_offset(e)).toBe(0x300000001);
    // 0x300000001 << 9 = 0x60000000200
    expect(swp_entry_to_pte(e).pte).toBe(0x60000000200n);
    expect(swp_offset(pte_to_swp_entry(__pte(0x60000000200n)))).toBe(0x300000001);
    expect(swpEntryFromVal(0x6c00000000001234n).val).toBe(0x6c00000000001234n);
    expect(swp_type(swpEntryFromVal(0x6c00000000001234n))).toBe(27);
  });
  it('swp_entry_to_pte gives the hand-computed PTEs', () => {
    expect(swp_entry_to_pte(swp_entry(0, 0x10)).pte).toBe(V.swap0_10);
    expect(swp_entry_to_pte(swp_entry(3, 0x100)).pte).toBe(V.swap3_100);
    expect(swp_entry_to_pte(swp_entry(27, 0x1234)).pte).toBe(V.migWrite1234);
  });
  it('pte_to_swp_entry decodes the hand-computed PTEs', () => {
    for (const k of Object.keys(EV) as (keyof typeof EV)[]) {
      expect(pte_to_swp_entry(__pte(V[k])).val, k).toBe(EV[k]);
    }
  });
  it('pte_to_swp_entry strips the software bits first', () => {
    expect(pte_to_swp_entry(__pte(V.migWrite1234 | 0xen)).val).toBe(EV.migWrite1234);
    expect(pte_to_swp_entry(__pte(V.swap0_10 | 0x2n)).val).toBe(0x10n);
    expect(pte_to_swp_entry(__pte(V.swap0_10 | 0x4n)).val).toBe(0x10n);
    expect(pte_to_swp_entry(__pte(V.swap0_10 | 0x8n)).val).toBe(0x10n);
  });
  it('pte_to_swp_entry of a present PTE is junk computed from the bits (like the kernel)', () => {
    // 0x1234067 without bits 1..3 = 0x1234061; >> 9 = 0x91a0; type bits 59..63 = 0
    const e = pte_to_swp_entry(__pte(0x1234067n));
    expect(e.val).toBe(0x91a0n);
    expect(pte_to_swp_entry(__pte(0n)).val).toBe(0n);
  });
  it('the entry cached in a swap-format PTE equals the decoded one', () => {
    const p = __pte(0xd800000000246806n); // migration write, pfn 0x1234, soft-dirty + uffd-wp bits
    expect(p._entry?.val).toBe(0x6c00000000001234n);
    expect(pte_to_swp_entry(p).val).toBe(0x6c00000000001234n);
    expect(__pte(0x1234067n)._entry).toBe(null);
    expect(String(pte_to_swp_entry(p))).toBe('0x6c00000000001234 type=27(SWP_MIGRATION_WRITE) offset=0x1234');
  });
  it('entry makers give the hand-computed values', () => {
    expect(make_hwpoison_entry(5).val).toBe(EV.hwpoison5);
    expect(make_readable_migration_entry(1).val).toBe(EV.migRead1);
    expect(make_readable_exclusive_migration_entry(1).val).toBe(EV.migReadEx1);
    expect(make_writable_migration_entry(0x1234).val).toBe(EV.migWrite1234);
    expect(make_migration_entry_read(1).val).toBe(EV.migRead1);
    expect(make_migration_entry_readable_exclusive(1).val).toBe(EV.migReadEx1);
    expect(make_migration_entry_write(0x1234).val).toBe(EV.migWrite1234);
    expect(make_writable_device_private_entry(2).val).toBe(EV.devWrite2);
    expect(make_readable_device_private_entry(2).val).toBe(EV.devRead2);
    expect(make_device_exclusive_entry(3).val).toBe(EV.devExcl3);
    expect(make_pte_marker_entry(PTE_MARKER_GUARD).val).toBe(EV.markerGuard);
    expect(make_pte_marker(PTE_MARKER_UFFD_WP).pte).toBe(V.markerUffd);
    expect(make_pte_marker(PTE_MARKER_POISONED).pte).toBe(V.markerPoison);
    expect(make_pte_marker(PTE_MARKER_GUARD).pte).toBe(V.markerGuard);
  });
  it('swp_offset_pfn reads the PFN (up to 40 bits)', () => {
    expect(swp_offset_pfn(make_writable_migration_entry(0x1234))).toBe(0x1234);
    expect(swp_offset_pfn(make_writable_migration_entry(0x123456789a))).toBe(0x123456789a);
    expect(swp_offset_pfn(swpEntryFromVal(0x6c0001ffffffffffn))).toBe(0xffffffffff);
  });
});

type Row = {
  name: string; pte: bigint; kind: PteKind; swapPte: boolean; nonSwap: boolean; migration: boolean;
  migW: boolean; migR: boolean; migRX: boolean; devPriv: boolean; devW: boolean; devX: boolean; hwp: boolean;
  pfnEntry: boolean; marker: boolean; guard: boolean; poisoned: boolean; markerUffd: boolean;
  uffdAny: boolean; leaf: number;
};
const f = false, t = true;
// name, pte, kind, is_swap_pte, non_swap, mig, migW, migR, migRX, devPriv, devW, devX, hwp, pfn, marker, guard, poison, markerUffd, uffd_any, softleaf
const ROWS: Row[] = ([
  ['none', 0n, 'none', f, null, f, f, f, f, f, f, f, f, f, f, f, f, f, f, 0],
  ['present', V.dirty1234, 'present', f, null, f, f, f, f, f, f, f, f, f, f, f, f, f, f, 0],
  ['present+uffd', V.pageShared1234 | 0x400n, 'present-uffd-wp', f, null, f, f, f, f, f, f, f, f, f, f, f, f, f, f, 0],
  ['zero', V.zero, 'zero', f, null, f, f, f, f, f, f, f, f, f, f, f, f, f, f, 0],
  ['swap', V.swap0_10, 'swap', t, f, f, f, f, f, f, f, f, f, f, f, f, f, f, f, 1],
  ['swap type 3', V.swap3_100, 'swap', t, f, f, f, f, f, f, f, f, f, f, f, f, f, f, f, 1],
  ['swap+uffd', V.swap0_10 | 0x4n, 'swap-uffd-wp', t, f, f, f, f, f, f, f, f, f, f, f, f, f, f, t, 1],
  ['hwpoison', V.hwpoison5, 'hwpoison', t, t, f, f, f, f, f, f, f, t, t, f, f, f, f, f, 8],
  ['migration read', V.migRead1, 'migration-read', t, t, t, f, t, f, f, f, f, f, t, f, f, f, f, f, 2],
  ['migration read-excl', V.migReadEx1, 'migration-read-exclusive', t, t, t, f, f, t, f, f, f, f, t, f, f, f, f, f, 3],
  ['migration write', V.migWrite1234, 'migration-write', t, t, t, t, f, f, f, f, f, f, t, f, f, f, f, f, 4],
  ['migration+uffd', V.migRead1 | 0x4n, 'migration-read', t, t, t, f, t, f, f, f, f, f, t, f, f, f, f, t, 2],
  ['device-private write', V.devWrite2, 'device-private-write', t, t, f, f, f, f, t, t, f, f, t, f, f, f, f, f, 6],
  ['device-private read', V.devRead2, 'device-private-read', t, t, f, f, f, f, t, f, f, f, t, f, f, f, f, f, 5],
  ['device-exclusive', V.devExcl3, 'device-exclusive', t, t, f, f, f, f, f, f, t, f, t, f, f, f, f, f, 7],
  ['marker uffd-wp', V.markerUffd, 'marker-uffd-wp', t, t, f, f, f, f, f, f, f, f, f, t, f, f, t, t, 9],
  ['marker poisoned', V.markerPoison, 'marker-poisoned', t, t, f, f, f, f, f, f, f, f, f, t, f, t, f, f, 9],
  ['marker guard', V.markerGuard, 'marker-guard', t, t, f, f, f, f, f, f, f, f, f, t, t, f, f, f, 9],
  // uffd-wp|guard marker: 5 << 9 = 0xa00
  ['marker uffd+guard', 0xf800000000000a00n, 'marker-guard', t, t, f, f, f, f, f, f, f, f, f, t, t, f, t, t, 9],
] as const).map((r) => ({
  name: r[0], pte: r[1], kind: r[2] as PteKind, swapPte: r[3], nonSwap: r[4] as boolean, migration: r[5],
  migW: r[6], migR: r[7], migRX: r[8], devPriv: r[9], devW: r[10], devX: r[11], hwp: r[12], pfnEntry: r[13],
  marker: r[14], guard: r[15], poisoned: r[16], markerUffd: r[17], uffdAny: r[18], leaf: r[19],
}));

describe('predicates on every kind', () => {
  for (const r of ROWS) {
    it(`${r.name}: classify, is_swap_pte, non_swap_entry and the type predicates`, () => {
      const p = __pte(r.pte);
      expect(classifyPte(p)).toBe(r.kind);
      expect(typeof kindLabel(r.kind)).toBe('string');
      expect(is_swap_pte(p)).toBe(r.swapPte);
      expect(pte_swp_uffd_wp_any(p)).toBe(r.uffdAny);
      expect(pte_marker_uffd_wp(p)).toBe(r.markerUffd);
      expect(is_pte_marker(p)).toBe(r.marker);
      if (!r.swapPte) return; // entry predicates only make sense for swap-format PTEs
      const e = pte_to_swp_entry(p);
      expect(non_swap_entry(e)).toBe(r.nonSwap);
      expect(is_migration_entry(e)).toBe(r.migration);
      expect(is_writable_migration_entry(e)).toBe(r.migW);
      expect(is_readable_migration_entry(e)).toBe(r.migR);
      expect(is_readable_exclusive_migration_entry(e)).toBe(r.migRX);
      expect(is_device_private_entry(e)).toBe(r.devPriv);
      expect(is_writable_device_private_entry(e)).toBe(r.devW);
      expect(is_device_exclusive_entry(e)).toBe(r.devX);
      expect(is_hwpoison_entry(e)).toBe(r.hwp);
      expect(is_pfn_swap_entry(e)).toBe(r.migration || r.devPriv || r.devX || r.hwp);
      expect(is_pte_marker_entry(e)).toBe(r.marker);
      expect(is_guard_swp_entry(e)).toBe(r.guard);
      expect(is_poisoned_swp_entry(e)).toBe(r.poisoned);
      expect(pte_marker_entry_uffd_wp(e)).toBe(r.markerUffd);
    });
    it(`${r.name}: softleaf view`, () => {
      const p = __pte(r.pte);
      const l = S.softleaf_from_pte(p);
      expect(S.softleaf_type(l)).toBe(r.leaf);
      if (!r.swapPte) expect(l.val).toBe(0n);
      expect(S.softleaf_is_none(l)).toBe(r.leaf === 0);
      expect(S.softleaf_is_swap(l)).toBe(r.swapPte && !r.nonSwap);
      expect(S.softleaf_is_migration(l)).toBe(r.migration);
      expect(S.softleaf_is_migration_write(l)).toBe(r.migW);
      expect(S.softleaf_is_migration_read(l)).toBe(r.migR);
      expect(S.softleaf_is_migration_read_exclusive(l)).toBe(r.migRX);
      expect(S.softleaf_is_device_private(l)).toBe(r.devPriv);
      expect(S.softleaf_is_device_private_write(l)).toBe(r.devW);
      expect(S.softleaf_is_device_exclusive(l)).toBe(r.devX);
      expect(S.softleaf_is_hwpoison(l)).toBe(r.hwp);
      expect(S.softleaf_is_marker(l)).toBe(r.marker);
      expect(S.softleaf_is_guard_marker(l)).toBe(r.guard);
      expect(S.softleaf_is_poison_marker(l)).toBe(r.poisoned);
      expect(S.softleaf_is_uffd_wp_marker(l)).toBe(r.markerUffd);
      expect(S.softleaf_has_pfn(l)).toBe(r.pfnEntry);
      expect(S.pte_is_marker(p)).toBe(r.marker);
      expect(S.pte_is_uffd_wp_marker(p)).toBe(r.markerUffd);
    });
  }
  it('softleaf constants are in leafops.h order', () => {
    expect([S.SOFTLEAF_NONE, S.SOFTLEAF_SWAP, S.SOFTLEAF_MIGRATION_READ, S.SOFTLEAF_MIGRATION_READ_EXCLUSIVE,
      S.SOFTLEAF_MIGRATION_WRITE, S.SOFTLEAF_DEVICE_PRIVATE_READ, S.SOFTLEAF_DEVICE_PRIVATE_WRITE,
      S.SOFTLEAF_DEVICE_EXCLUSIVE, S.SOFTLEAF_HWPOISON, S.SOFTLEAF_MARKER]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(S.softleafTypeName(4)).toBe('SOFTLEAF_MIGRATION_WRITE');
    expect(S.softleaf_mk_none().val).toBe(0n);
  });
  it('softleaf_to_pfn and softleaf_to_marker', () => {
    expect(S.softleaf_to_pfn(S.softleaf_from_pte(__pte(V.migWrite1234)))).toBe(0x1234);
    expect(S.softleaf_to_pfn(S.softleaf_from_pte(__pte(V.hwpoison5)))).toBe(5);
    expect(S.softleaf_to_marker(S.softleaf_from_pte(__pte(0xf800000000000a00n)))).toBe(5);
    expect(S.softleaf_to_marker(S.softleaf_from_pte(__pte(V.swap0_10)))).toBe(0);
  });
  it('pte_marker_get masks with PTE_MARKER_MASK', () => {
    expect(pte_marker_get(make_pte_marker_entry(5))).toBe(5);
    expect(pte_marker_get(swp_entry(31, 0xff))).toBe(7);
  });
  it('every classifyPte kind is listed in PTE_KINDS', () => {
    for (const r of ROWS) expect(PTE_KINDS).toContain(r.kind);
    expect(classifyPte(make_pte_marker(0))).toBe('marker-empty');
  });
});

describe('swap-PTE software bits', () => {
  const s = __pte(V.swap0_10);
  it('uffd-wp is bit 2', () => {
    expect(pte_swp_mkuffd_wp(s).pte).toBe(0x2004n);
    expect(pte_swp_uffd_wp(pte_swp_mkuffd_wp(s))).toBe(true);
    expect(pte_swp_uffd_wp(s)).toBe(false);
    expect(pte_swp_clear_uffd_wp(__pte(0x200en)).pte).toBe(0x200an);
  });
  it('soft-dirty is bit 1', () => {
    expect(pte_swp_mksoft_dirty(s).pte).toBe(0x2002n);
    expect(pte_swp_soft_dirty(__pte(0x2002n))).toBe(true);
    expect(pte_swp_clear_soft_dirty(__pte(0x200en)).pte).toBe(0x200cn);
  });
  it('exclusive is bit 3', () => {
    expect(pte_swp_mkexclusive(s).pte).toBe(0x2008n);
    expect(pte_swp_exclusive(__pte(0x2008n))).toBe(true);
    expect(pte_swp_clear_exclusive(__pte(0x200en)).pte).toBe(0x2006n);
    expect(pte_swp_clear_flags(__pte(0x200en)).pte).toBe(0x2000n);
  });
  it('pte_swp_uffd_wp_any is false for a present page even though its USER bit is bit 2', () => {
    const p = __pte(V.dirty1234);
    expect(pte_swp_uffd_wp(p)).toBe(true); // raw bit, like the kernel accessor
    expect(pte_swp_uffd_wp_any(p)).toBe(false);
  });
  it('the bits do not change the kind of a special entry', () => {
    expect(classifyPte(__pte(V.migWrite1234 | 0xen))).toBe('migration-write');
    expect(non_swap_entry(pte_to_swp_entry(pte_swp_mkuffd_wp(__pte(V.markerGuard))))).toBe(true);
  });
});

describe('scan_result, vm_fault_t, errno', () => {
  // Kernel order of the mm-new baseline (early Oct 2025): v6.17's enum minus SCAN_PAGE_RO, which
  // Dev Jain's "mm: drop all references of writable and SCAN_PAGE_RO" removed (kernel-facts §2.2,
  // §2.3; lore 20250903054635.19949-2-dev.jain@arm.com), so every value after 10 is one lower.
  it('kernel order (mm-new baseline: no SCAN_PAGE_RO, later values move down by one)', () => {
    expect(R.SCAN_FAIL).toBe(0);
    expect(R.SCAN_SUCCEED).toBe(1);
    expect(R.SCAN_EXCEED_NONE_PTE).toBe(5);
    expect(R.SCAN_EXCEED_SWAP_PTE).toBe(6);
    expect(R.SCAN_PTE_NON_PRESENT).toBe(8);
    expect(R.SCAN_PTE_UFFD_WP).toBe(9);
    expect(R.SCAN_PTE_MAPPED_HUGEPAGE).toBe(10);
    expect('SCAN_PAGE_RO' in R, 'SCAN_PAGE_RO is not in the baseline enum').toBe(false);
    expect(R.SCAN_LACK_REFERENCED_PAGE).toBe(11);
    expect(R.SCAN_PAGE_NULL).toBe(12);
    expect(R.SCAN_SCAN_ABORT).toBe(13);
    expect(R.SCAN_PAGE_COUNT).toBe(14);
    expect(R.SCAN_PAGE_LOCK).toBe(16);
    expect(R.SCAN_ALLOC_HUGE_PAGE_FAIL).toBe(24);
    expect(R.SCAN_COPY_MC).toBe(29);
    expect(R.SCAN_PAGE_FILLED).toBe(30);
    expect(R.SCAN_RESULT_COUNT).toBe(31);
  });
  it('names and trace strings', () => {
    expect(R.scan_result_name(8)).toBe('SCAN_PTE_NON_PRESENT');
    expect(R.scan_result_name(30)).toBe('SCAN_PAGE_FILLED');
    expect(R.scan_result_name(31)).toBe('scan_result(31)');
    expect(R.scan_result_name(99)).toBe('scan_result(99)');
    expect(R.scan_result_trace(R.SCAN_PTE_NON_PRESENT)).toBe('pte_non_present');
    expect(R.scan_result_trace(R.SCAN_PTE_UFFD_WP)).toBe('pte_uffd_wp');
    expect(R.SCAN_RESULT_NAMES.map((_, i) => R.scan_result_trace(i)), 'no_writable_page left with SCAN_PAGE_RO').not.toContain('no_writable_page');
    expect(R.scan_result_trace(R.SCAN_SCAN_ABORT)).toBe('scan_aborted');
    expect(R.scan_result_trace(R.SCAN_LACK_REFERENCED_PAGE)).toBe('lack_referenced_page');
    expect(R.SCAN_RESULT_NAMES).toHaveLength(31);
    expect(new Set(R.SCAN_RESULT_NAMES.map((_, i) => R.scan_result_trace(i))).size).toBe(31);
    expect(R.scanResultFromName('SCAN_EXCEED_SWAP_PTE')).toBe(6);
    expect(R.scanResultFromName('pte_non_present')).toBe(8);
    expect(R.scanResultFromName('nope')).toBe(-1);
    // every exported SCAN_* constant matches its name
    for (const [k, v] of Object.entries(R)) if (/^SCAN_[A-Z_]+$/.test(k) && k !== 'SCAN_RESULT_NAMES' && k !== 'SCAN_RESULT_COUNT') {
      expect(R.scan_result_name(v as number), k).toBe(k);
    }
  });
  it('VM_FAULT bits', () => {
    expect([R.VM_FAULT_OOM, R.VM_FAULT_SIGBUS, R.VM_FAULT_MAJOR, R.VM_FAULT_HWPOISON, R.VM_FAULT_HWPOISON_LARGE,
      R.VM_FAULT_SIGSEGV, R.VM_FAULT_NOPAGE, R.VM_FAULT_LOCKED, R.VM_FAULT_RETRY, R.VM_FAULT_FALLBACK,
      R.VM_FAULT_DONE_COW, R.VM_FAULT_NEEDDSYNC, R.VM_FAULT_COMPLETED])
      .toEqual([0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000]);
    expect(R.VM_FAULT_ERROR).toBe(0x873);
    expect(R.vmFaultName(0x402)).toBe('VM_FAULT_SIGBUS|VM_FAULT_RETRY');
    expect(R.vmFaultName(0)).toBe('0');
  });
  it('errno', () => {
    expect([R.EINVAL, R.EBUSY, R.EAGAIN, R.ENOMEM]).toEqual([22, 16, 11, 12]);
  });
});

describe('layout notation', () => {
  it('parses KIND and KIND*N into 512 kinds', () => {
    const l = parseLayout('page*511,guard');
    expect(l).toHaveLength(512);
    expect(l[0]).toBe('page');
    expect(l[510]).toBe('page');
    expect(l[511]).toBe('guard');
    const m = parseLayout(' none*10 , swap+uffd*2,page*500 ');
    expect(m.slice(9, 13)).toEqual(['none', 'swap+uffd', 'swap+uffd', 'page']);
  });
  it('round-trips through formatLayout', () => {
    expect(formatLayout(parseLayout('page*448,swap*64'))).toBe('page*448,swap*64');
    expect(formatLayout(parseLayout('zero,page*510,uffd-marker'))).toBe('zero,page*510,uffd-marker');
  });
  it('accepts every contract kind', () => {
    expect([...LAYOUT_KINDS].sort()).toEqual(['device-exclusive', 'device-private', 'guard', 'hwpoison', 'migration',
      'migration+uffd', 'migration-w', 'no-table', 'none', 'old', 'page', 'page+locked', 'page+pinned', 'page+pkey',
      'page+poisoned', 'page+uffd', 'poison', 'shared', 'swap', 'swap+uffd', 'uffd-marker', 'zero']);
    for (const k of LAYOUT_KINDS) if (k !== 'no-table') expect(parseLayout(`${k}*512`)[0]).toBe(k);
    expect(parseLayout('no-table')).toEqual(new Array(512).fill('no-table'));
    expect(isLayoutKind('page')).toBe(true);
    expect(isLayoutKind('pages')).toBe(false);
  });
  it('counts are exact small integers: a 20-digit count or 2^53 + 1 is refused, never rounded', () => {
    expect(() => parseLayout('page*20000000000000000000')).toThrow(/count "20000000000000000000" must be a whole number from 1 to 512/);
    expect(() => parseLayout('page*9007199254740993')).toThrow(LayoutError);
    expect(() => parseLayout('page*1e3')).toThrow(LayoutError);
    expect(() => parseLayout('page*0')).toThrow(LayoutError);
    expect(parseLayout('page*0511,guard')).toHaveLength(512);
    expect(() => parseKnobs(['max_ptes_swap=8', 'max_ptes_swap=9'])).toThrow(/given twice with different values \(8 and 9\)/);
    expect(parseKnobs(['max_ptes_swap=8', 'max_ptes_swap=008'])).toEqual({ max_ptes_swap: 8 });
  });
  it('says what the total was', () => {
    expect(() => parseLayout('page*511')).toThrow('the layout adds up to 511 PTEs, not 512');
    expect(() => parseLayout('page*512,none')).toThrow('the layout adds up to 513 PTEs, not 512');
    expect(() => parseLayout('page')).toThrow('the layout adds up to 1 PTE, not 512');
    expect(() => parseLayout('page*511')).toThrow(LayoutError);
  });
  it('lists the known kinds for an unknown kind', () => {
    expect(() => parseLayout('page*511,gaurd')).toThrow(/item 2 "gaurd": unknown kind "gaurd"; known kinds: page, old, shared/);
  });
  it('says which item has a bad count', () => {
    expect(() => parseLayout('page*500,swap*x')).toThrow(/layout item 2 "swap\*x": count "x"/);
    expect(() => parseLayout('page*0,page*512')).toThrow(/layout item 1/);
    expect(() => parseLayout('page*-3')).toThrow(/layout item 1/);
    expect(() => parseLayout('page*511,,none')).toThrow(/item 2 is empty/);
    expect(() => parseLayout('')).toThrow(/empty layout/);
  });
  it('parses windows', () => {
    expect(parseWindow('10=migration,5=page')).toEqual([{ slot: 10, kind: 'migration' }, { slot: 5, kind: 'page' }]);
    expect(parseWindow('')).toEqual([]);
    expect(parseWindow('511=guard')).toEqual([{ slot: 511, kind: 'guard' }]);
    expect(() => parseWindow('512=guard')).toThrow(/slot "512" must be a whole number from 0 to 511/);
    expect(() => parseWindow('-1=guard')).toThrow(/slot "-1"/);
    expect(() => parseWindow('3=bogus')).toThrow(/unknown kind "bogus"; known kinds/);
    expect(() => parseWindow('3')).toThrow(/expected SLOT=KIND/);
  });
  it('parses knobs', () => {
    expect(parseKnobs(['max_ptes_swap=64', 'max_ptes_none=0'])).toEqual({ max_ptes_swap: 64, max_ptes_none: 0 });
    expect(parseKnobs(['max_ptes_shared=511'])).toEqual({ max_ptes_shared: 511 });
    expect(parseKnobs([])).toEqual({});
    expect(() => parseKnobs(['max_ptes_swp=3'])).toThrow(/unknown knob "max_ptes_swp"; known knobs: max_ptes_none, max_ptes_swap, max_ptes_shared/);
    expect(() => parseKnobs(['max_ptes_swap=512'])).toThrow(/from 0 to 511/);
    expect(() => parseKnobs(['max_ptes_swap=-1'])).toThrow(/from 0 to 511/);
    expect(() => parseKnobs(['max_ptes_swap'])).toThrow(/NAME=VALUE/);
  });
});

describe('index re-exports the values layer', () => {
  it('exposes the same functions under collapse-lab/engine', () => {
    expect(E.pte_to_swp_entry).toBe(pte_to_swp_entry);
    expect(E.softleaf_from_pte).toBe(S.softleaf_from_pte);
    expect(E.parseLayout).toBe(parseLayout);
    expect(E.SCAN_PTE_NON_PRESENT).toBe(8);
    expect(E.MAX_SWAPFILES).toBe(24);
  });
});

// keep the type import used
const _t: pte_t | undefined = undefined;
void _t;
