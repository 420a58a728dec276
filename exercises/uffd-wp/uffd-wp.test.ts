/**
 * uffd-wp: pte_swp_uffd_wp_any() built from smaller helpers, and the answer to Lance Yang's
 * question (7 Oct 2025) in code. Every entry kind × every combination of the three swap-PTE
 * software bits (soft-dirty, uffd-wp, exclusive), plus present and empty PTEs.
 * The engine's own pte_swp_uffd_wp_any is the oracle for the first function.
 */
import { describe, it, expect } from 'vitest';
import {
  pte_swp_uffd_wp_any,
  plain_check_suffices_without_non_swap_entry,
  plain_check_suffices_after_non_swap_entry,
} from './solution';
import * as engine from 'collapse-lab/engine';
import { __pte, pte_val, swp_entry, swp_entry_to_pte, formatPte, type pte_t } from 'collapse-lab/engine';

const PRESENT = 1n << 0n;
const RW = 1n << 1n;
const USER = 1n << 2n;
const ACCESSED = 1n << 5n;
const DIRTY = 1n << 6n;
const PROTNONE = 1n << 8n;
const PAGE_UFFD_WP = 1n << 10n;
const SPECIAL = 1n << 9n;
// NX (bit 63) and protection key 15 (bits 59–62) of a present x86-64 PTE: the bits where a swap
// PTE keeps its type — read as a swap entry they say type 31, a PTE marker.
const NX_PKEY15 = 0x1fn << 59n;
const SWP_SOFT_DIRTY = 1n << 1n;
const SWP_UFFD_WP = 1n << 2n;
const SWP_EXCLUSIVE = 1n << 3n;

interface Kind {
  name: string;
  type?: number;
  offset?: number;
  raw?: bigint; // present / none PTEs: the whole value
  marker?: number;
}

const KINDS: Kind[] = [
  { name: 'an empty PTE', raw: 0n },
  { name: 'a present anon page (its _PAGE_USER bit 2 is where a swap PTE keeps uffd-wp)', raw: (0x1235n << 12n) | PRESENT | RW | USER | ACCESSED | DIRTY },
  { name: 'a present page write-protected by userfaultfd', raw: (0x1235n << 12n) | PRESENT | USER | ACCESSED | PAGE_UFFD_WP },
  { name: 'a PROT_NONE (NUMA-hinting) PTE', raw: (0x1235n << 12n) | PROTNONE | USER | ACCESSED | DIRTY | RW },
  { name: 'a present page with NX and protection key 15 (bits 59–63 read as "marker" if decoded)', raw: NX_PKEY15 | (0x1235n << 12n) | PRESENT | RW | USER | ACCESSED | DIRTY },
  { name: 'a present special PTE with NX and protection key 15 (decoded, it would read as a UFFD_WP marker)', raw: NX_PKEY15 | (0x1235n << 12n) | PRESENT | USER | ACCESSED | SPECIAL },
  { name: 'a real swap entry (device 0, odd offset)', type: 0, offset: 0x1235 },
  { name: 'a real swap entry (device 23, offset 1)', type: 23, offset: 1 },
  { name: 'a hwpoison entry', type: 24, offset: 0x1235 },
  { name: 'a read migration entry', type: 25, offset: 0x1235 },
  { name: 'a read-exclusive migration entry', type: 26, offset: 0x1235 },
  { name: 'a write migration entry', type: 27, offset: 0x1235 },
  { name: 'a writable device-private entry', type: 28, offset: 0x1235 },
  { name: 'a read-only device-private entry', type: 29, offset: 0x1235 },
  { name: 'a device-exclusive entry', type: 30, offset: 0x1235 },
];
const MARKER_NAMES: Record<number, string> = { 1: 'UFFD_WP', 2: 'POISONED', 4: 'GUARD' };
for (let m = 1; m < 8; m++) {
  const parts = [1, 2, 4].filter((b) => m & b).map((b) => MARKER_NAMES[b]);
  KINDS.push({ name: `a PTE marker ${parts.join('|')} (value ${m})`, type: 31, offset: m, marker: m });
}

const COMBOS: { bits: bigint; name: string }[] = [];
for (let i = 0; i < 8; i++) {
  const parts: string[] = [];
  let bits = 0n;
  if (i & 1) { bits |= SWP_SOFT_DIRTY; parts.push('soft-dirty'); }
  if (i & 2) { bits |= SWP_UFFD_WP; parts.push('uffd-wp bit'); }
  if (i & 4) { bits |= SWP_EXCLUSIVE; parts.push('exclusive'); }
  COMBOS.push({ bits, name: parts.length ? parts.join('+') : 'no software bits' });
}

/** Every PTE value of a kind: entries get all 8 software-bit combinations, present/none stay as they are. */
function values(k: Kind): { pte: pte_t; bits: string; swpUffd: boolean }[] {
  if (k.raw !== undefined) return [{ pte: __pte(k.raw), bits: 'as is', swpUffd: false }];
  const base = pte_val(swp_entry_to_pte(swp_entry(k.type!, k.offset!)));
  return COMBOS.map((c) => ({ pte: __pte(base | c.bits), bits: c.name, swpUffd: (c.bits & SWP_UFFD_WP) !== 0n }));
}

function show(p: pte_t): string {
  try {
    return formatPte(p);
  } catch {
    return '0x' + pte_val(p).toString(16);
  }
}

/** Hand-written truth, from the definitions in chapter 07. */
function truthAny(k: Kind, swpUffd: boolean): boolean {
  if (k.raw !== undefined) return false; // none or present: no swap software bits to read
  if (swpUffd) return true;
  return k.marker !== undefined && (k.marker & 1) !== 0;
}
function isSpecial(k: Kind): boolean {
  return k.type !== undefined && k.type >= 24;
}

describe('pte_swp_uffd_wp_any: every kind × every software-bit combination', () => {
  for (const k of KINDS) {
    it(`${k.name}: matches the definition and the engine's pte_swp_uffd_wp_any`, () => {
      for (const v of values(k)) {
        const want = truthAny(k, v.swpUffd);
        const got = pte_swp_uffd_wp_any(v.pte);
        const engineSays = engine.pte_swp_uffd_wp_any(v.pte);
        let why = '';
        if (k.raw !== undefined && want === false && got === true)
          why = ' — a present or empty PTE has no swap software bits; check is_swap_pte() before reading them';
        else if (k.marker !== undefined && (k.marker & 1) && !v.swpUffd && !got)
          why = ' — a uffd-wp marker is the second form of write-protect (PTE_MARKER_UFFD_WP)';
        else if (k.marker !== undefined && !(k.marker & 1) && !v.swpUffd && got)
          why = ' — only the PTE_MARKER_UFFD_WP bit of a marker means write-protected, not any marker';
        else if (k.marker === undefined && !v.swpUffd && got)
          why = ' — the marker bits mean something only when the entry IS a PTE marker (is_pte_marker_entry)';
        expect(
          got,
          `pte_swp_uffd_wp_any(${show(v.pte)}) — ${k.name}, ${v.bits} — should be ${want}, got ${got}${why}`,
        ).toBe(want);
        expect(engineSays, `(engine self-check) engine.pte_swp_uffd_wp_any disagrees with the definition for ${k.name}, ${v.bits}`).toBe(want);
      }
    });
  }
});

describe('without the non_swap_entry() guard (pre-patch scan): is plain pte_swp_uffd_wp() enough?', () => {
  for (const k of KINDS) {
    const mustDiffer = k.marker !== undefined && (k.marker & 1) !== 0;
    it(`${k.name}: ${mustDiffer ? 'plain is NOT enough without its uffd-wp bit' : 'plain gives the same answer'}`, () => {
      for (const v of values(k)) {
        const want = !(mustDiffer && !v.swpUffd);
        const got = plain_check_suffices_without_non_swap_entry(v.pte);
        expect(
          got,
          `plain_check_suffices_without_non_swap_entry(${show(v.pte)}) — ${k.name}, ${v.bits} — should be ${want}, got ${got}` +
            (want
              ? ' — here pte_swp_uffd_wp() and pte_swp_uffd_wp_any() agree (or the PTE never reaches the check)'
              : ' — this uffd-wp marker reaches the check before the patch; plain pte_swp_uffd_wp() says false, _any says true'),
        ).toBe(want);
      }
    });
  }
  it('the PTEs where plain is not enough are exactly the uffd-wp markers without the swap uffd-wp bit', () => {
    const differ: string[] = [];
    for (const k of KINDS) for (const v of values(k)) if (!plain_check_suffices_without_non_swap_entry(v.pte)) differ.push(`${k.name}, ${v.bits}`);
    const want: string[] = [];
    for (const k of KINDS) for (const v of values(k)) if (k.marker !== undefined && (k.marker & 1) && !v.swpUffd) want.push(`${k.name}, ${v.bits}`);
    expect(differ, 'the list of PTEs for which your answer says plain is not enough').toEqual(want);
  });
});

describe("after the non_swap_entry() guard (the patch): David's answer", () => {
  for (const k of KINDS) {
    it(`${k.name}: plain pte_swp_uffd_wp() is enough${isSpecial(k) ? ' (the guard stops it first)' : ''}`, () => {
      for (const v of values(k)) {
        const got = plain_check_suffices_after_non_swap_entry(v.pte);
        expect(
          got,
          `plain_check_suffices_after_non_swap_entry(${show(v.pte)}) — ${k.name}, ${v.bits} — should be true, got ${got}` +
            (isSpecial(k)
              ? ' — non_swap_entry() already stopped this entry with SCAN_PTE_NON_PRESENT, so the uffd-wp test never sees it'
              : k.raw !== undefined
                ? ' — an empty or present PTE never reaches the non-present branch'
                : ' — for a real swap entry the only form of uffd-wp is the software bit, which plain reads'),
        ).toBe(true);
      }
    });
  }
});
