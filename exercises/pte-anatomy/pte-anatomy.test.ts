/**
 * pte-anatomy: is_swap_pte(), non_swap_entry() and classify() on every kind of PTE value.
 * Expected answers are written out here from the kernel's definitions (swapops.h, v6.17),
 * independent of the engine's own predicates.
 */
import { describe, it, expect } from 'vitest';
import { is_swap_pte, non_swap_entry, classify } from './solution';
import {
  __pte,
  pte_val,
  swp_entry,
  swp_entry_to_pte,
  formatPte,
  MAX_SWAPFILES,
  type pte_t,
} from 'collapse-lab/engine';

// Bits of the documented x86-64-like layout (src/engine/README.md).
const PRESENT = 1n << 0n;
const RW = 1n << 1n;
const USER = 1n << 2n;
const ACCESSED = 1n << 5n;
const DIRTY = 1n << 6n;
const PROTNONE = 1n << 8n;
const PAGE_UFFD_WP = 1n << 10n;
const NX = 1n << 63n;
// x86-64 memory protection key of a present PTE: bits 59–62 (arch/x86/include/asm/pgtable_types.h).
const PKEY15 = 0xfn << 59n;
// Swap-PTE software bits.
const SWP_SOFT_DIRTY = 1n << 1n;
const SWP_UFFD_WP = 1n << 2n;
const SWP_EXCLUSIVE = 1n << 3n;

const PFN = 0x1234n;

type Class = ReturnType<typeof classify>;

function typeName(t: number): { cls: Class; what: string } {
  if (t < 24) return { cls: 'swap', what: `swap device ${t}` };
  if (t === 24) return { cls: 'hwpoison', what: 'SWP_HWPOISON' };
  if (t === 25) return { cls: 'migration', what: 'SWP_MIGRATION_READ' };
  if (t === 26) return { cls: 'migration', what: 'SWP_MIGRATION_READ_EXCLUSIVE' };
  if (t === 27) return { cls: 'migration', what: 'SWP_MIGRATION_WRITE' };
  if (t === 28) return { cls: 'device-private', what: 'SWP_DEVICE_WRITE (device-private)' };
  if (t === 29) return { cls: 'device-private', what: 'SWP_DEVICE_READ (device-private)' };
  if (t === 30) return { cls: 'device-exclusive', what: 'SWP_DEVICE_EXCLUSIVE' };
  return { cls: 'marker', what: 'SWP_PTE_MARKER' };
}

/** An offset that suits the type: markers carry a marker bit mask, the rest a PFN/slot. */
function offsetFor(t: number): number {
  return t === 31 ? 4 /* PTE_MARKER_GUARD */ : 0x1234;
}

const FLAG_COMBOS: { bits: bigint; name: string }[] = [];
for (let m = 0; m < 8; m++) {
  const parts: string[] = [];
  let bits = 0n;
  if (m & 1) { bits |= SWP_SOFT_DIRTY; parts.push('soft-dirty'); }
  if (m & 2) { bits |= SWP_UFFD_WP; parts.push('uffd-wp'); }
  if (m & 4) { bits |= SWP_EXCLUSIVE; parts.push('exclusive'); }
  FLAG_COMBOS.push({ bits, name: parts.length ? parts.join('+') : 'no software bits' });
}

function entryPte(t: number, flags = 0n): pte_t {
  const p = swp_entry_to_pte(swp_entry(t, offsetFor(t)));
  return __pte(pte_val(p) | flags);
}

function show(p: pte_t): string {
  try {
    return formatPte(p);
  } catch {
    return '0x' + pte_val(p).toString(16);
  }
}

describe('non_swap_entry: which swap types are special', () => {
  it('MAX_SWAPFILES is 24 in this kernel (types 0..23 are real swap devices)', () => {
    expect(MAX_SWAPFILES, 'the engine should use the v6.17 value of MAX_SWAPFILES').toBe(24);
  });
  for (let t = 0; t < 32; t++) {
    const { what } = typeName(t);
    const expected = t >= 24;
    it(`type ${t} (${what}) is ${expected ? 'a non-swap entry' : 'a real swap entry'}`, () => {
      const got = non_swap_entry(swp_entry(t, offsetFor(t)));
      expect(
        got,
        `non_swap_entry(swp_entry(${t}, …)): type ${t} is ${what}, so non_swap_entry should return ${expected}, ` +
          `but it returned ${got}` +
          (t === 24 ? ' — type 24 is the first special type (MAX_SWAPFILES itself is already taken: >=, not >)' : '') +
          (t === 23 ? ' — swap device 23 is a real swap device: MAX_SWAPFILES is 24, so types 0–23 are swap devices (MAX_SWAPFILES - 1 is the last one, not the first special type)' : ''),
      ).toBe(expected);
    });
  }
});

describe('is_swap_pte: not empty and not present', () => {
  const cases: { name: string; pte: pte_t; expected: boolean; why: string }[] = [
    { name: 'an empty PTE (value 0)', pte: __pte(0n), expected: false, why: 'pte_none: nothing is mapped, there is no entry to decode' },
    { name: 'a present anon page', pte: __pte((PFN << 12n) | PRESENT | RW | USER | ACCESSED | DIRTY), expected: false, why: 'it is present' },
    {
      name: 'a PROT_NONE (NUMA-hinting) PTE, hardware present bit clear',
      pte: __pte((PFN << 12n) | PROTNONE | USER | ACCESSED),
      expected: false,
      why: 'pte_present() is true for _PAGE_PROTNONE PTEs on every architecture; testing bit 0 alone gets this wrong',
    },
    { name: 'a present page write-protected by userfaultfd', pte: __pte((PFN << 12n) | PRESENT | USER | ACCESSED | PAGE_UFFD_WP), expected: false, why: 'it is present' },
    { name: 'a present no-execute page (bit 63 set)', pte: __pte(NX | (PFN << 12n) | PRESENT | USER), expected: false, why: 'it is present' },
    {
      name: 'a present page with protection key 15 and NX (bits 59–63 all set)',
      pte: __pte(NX | PKEY15 | (PFN << 12n) | PRESENT | RW | USER | ACCESSED | DIRTY),
      expected: false,
      why: 'it is present — its high bits are NX and the protection key, not a swap type',
    },
    { name: 'a real swap entry on device 0', pte: entryPte(0), expected: true, why: 'not none, not present' },
    { name: 'a real swap entry on device 23 with all software bits', pte: entryPte(23, SWP_SOFT_DIRTY | SWP_UFFD_WP | SWP_EXCLUSIVE), expected: true, why: 'not none, not present' },
    { name: 'a migration entry', pte: entryPte(25), expected: true, why: 'despite the name, is_swap_pte() is true for non-swap entries too' },
    { name: 'a hwpoison entry', pte: entryPte(24), expected: true, why: 'despite the name, is_swap_pte() is true for non-swap entries too' },
    { name: 'a guard marker', pte: entryPte(31), expected: true, why: 'despite the name, is_swap_pte() is true for PTE markers too' },
  ];
  for (const c of cases) {
    it(`${c.name} ${c.expected ? 'is' : 'is not'} a "swap PTE"`, () => {
      const got = is_swap_pte(c.pte);
      expect(got, `is_swap_pte(${show(c.pte)}) should be ${c.expected} (${c.why}), but it returned ${got}`).toBe(c.expected);
    });
  }
});

describe('classify: what the PTE holds', () => {
  it("an empty PTE is 'none'", () => {
    expect(classify(__pte(0n)), "classify(value 0) should be 'none'").toBe('none');
  });
  it("a present anon page is 'present'", () => {
    const p = __pte((PFN << 12n) | PRESENT | RW | USER | ACCESSED | DIRTY);
    expect(classify(p), `classify(${show(p)}) should be 'present'`).toBe('present');
  });
  it("a PROT_NONE PTE (present bit clear, _PAGE_PROTNONE set) is 'present'", () => {
    const p = __pte((PFN << 12n) | PROTNONE | USER | ACCESSED);
    expect(
      classify(p),
      `classify(${show(p)}): the hardware present bit is clear but _PAGE_PROTNONE is set; pte_present() says present`,
    ).toBe('present');
  });
  it("a present page with the userfaultfd write-protect bit is 'present'", () => {
    const p = __pte((PFN << 12n) | PRESENT | USER | ACCESSED | PAGE_UFFD_WP);
    expect(classify(p), `classify(${show(p)}) should be 'present'`).toBe('present');
  });
  it("a present no-execute page (bit 63, where a swap PTE keeps its type) is 'present'", () => {
    const p = __pte(NX | (PFN << 12n) | PRESENT | USER);
    expect(classify(p), `classify(${show(p)}) should be 'present' — decode the entry only for non-present PTEs`).toBe('present');
  });
  it("a present page with protection key 15 and NX (bits 59–63 all set, where a swap PTE keeps its type) is 'present'", () => {
    const p = __pte(NX | PKEY15 | (PFN << 12n) | PRESENT | RW | USER | ACCESSED | DIRTY);
    const got = classify(p);
    expect(
      got,
      `classify(${show(p)}) should be 'present', but it returned '${got}' — bits 59–63 of this PTE are NX and protection key 15; read as a swap entry they would say type 31 (a marker), but the PTE is present: decode the entry only after pte_present() says it is not`,
    ).toBe('present');
  });
  for (let t = 0; t < 32; t++) {
    const { cls, what } = typeName(t);
    if (t > 0 && t < 22) continue; // 0, 22, 23 stand for the real swap devices
    it(`type ${t} (${what}) is '${cls}', whatever software bits are set`, () => {
      for (const f of FLAG_COMBOS) {
        const p = entryPte(t, f.bits);
        expect(classify(p), `classify(${show(p)}) — type ${t} with ${f.name} — should be '${cls}'`).toBe(cls);
      }
    });
  }
  it("every marker value (UFFD_WP 1, POISONED 2, GUARD 4 and their combinations) is 'marker'", () => {
    for (let m = 1; m < 8; m++) {
      const p = swp_entry_to_pte(swp_entry(31, m));
      expect(classify(p), `classify(marker with value ${m}) should be 'marker'`).toBe('marker');
    }
  });
});
