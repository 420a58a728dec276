/**
 * How each layout KIND (the scenario notation, src/engine/layout.ts) is drawn: a fill colour, a
 * text colour and a short letter code, so colour is never the only cue. Shared by <PteGrid>,
 * <Timeline> and the client scripts. Mid-tone fills that keep their letters readable on both
 * Starlight themes; `page` (the common case) is plain, `none` is an empty dashed cell.
 */
import { LAYOUT_KIND_DESCRIPTIONS, type LayoutKind } from 'collapse-lab/engine';

export interface KindStyle {
  fill: string;
  text: string;
  /** 0–2 characters drawn in the cell. */
  letter: string;
  /** Group, for legends and summaries. */
  group: 'present' | 'empty' | 'swap' | 'non-swap';
}

export const KIND_STYLES: Readonly<Record<LayoutKind, KindStyle>> = Object.freeze({
  'page': { fill: '#3f9b57', text: '#fff', letter: '', group: 'present' },
  'old': { fill: '#9fd3a9', text: '#123', letter: 'o', group: 'present' },
  'shared': { fill: '#1f6f6b', text: '#fff', letter: 'sh', group: 'present' },
  'page+uffd': { fill: '#3f9b57', text: '#fff', letter: 'wp', group: 'present' },
  'zero': { fill: '#cfd4db', text: '#123', letter: '0', group: 'empty' },
  'none': { fill: 'none', text: '#567', letter: '', group: 'empty' },
  'swap': { fill: '#2f6db5', text: '#fff', letter: 'S', group: 'swap' },
  'swap+uffd': { fill: '#2f6db5', text: '#fff', letter: 'Su', group: 'swap' },
  'migration': { fill: '#f0a030', text: '#111', letter: 'M', group: 'non-swap' },
  'migration-w': { fill: '#f0a030', text: '#111', letter: 'Mw', group: 'non-swap' },
  'migration+uffd': { fill: '#f0a030', text: '#111', letter: 'Mu', group: 'non-swap' },
  'device-private': { fill: '#7d4fb5', text: '#fff', letter: 'DP', group: 'non-swap' },
  'device-exclusive': { fill: '#7d4fb5', text: '#fff', letter: 'DX', group: 'non-swap' },
  'hwpoison': { fill: '#b53030', text: '#fff', letter: 'H', group: 'non-swap' },
  'poison': { fill: '#b53030', text: '#fff', letter: 'P', group: 'non-swap' },
  'guard': { fill: '#2b2b2b', text: '#fff', letter: 'G', group: 'non-swap' },
  'uffd-marker': { fill: '#d9c23a', text: '#111', letter: 'U', group: 'non-swap' },
  // engine round 2 (issue 11): present pages with a property the scan or the copy trips over keep
  // the page green and say which in letters; a memory error to come is drawn in dark red.
  'page+pinned': { fill: '#3f9b57', text: '#fff', letter: 'pn', group: 'present' },
  'page+locked': { fill: '#3f9b57', text: '#fff', letter: 'lk', group: 'present' },
  'page+poisoned': { fill: '#7a2a2a', text: '#fff', letter: 'mc', group: 'present' },
  'page+pkey': { fill: '#3f9b57', text: '#fff', letter: 'pk', group: 'present' },
  // no PTE table at all: dotted empty cells and a band across the grid (ptegrid.ts)
  'no-table': { fill: 'none', text: '#567', letter: '·', group: 'empty' },
});

const FALLBACK: KindStyle = { fill: '#888', text: '#fff', letter: '?', group: 'non-swap' };

export function kindStyle(kind: string): KindStyle {
  if (kind.startsWith('swap@')) return kind.endsWith('+uffd') ? KIND_STYLES['swap+uffd'] : KIND_STYLES.swap; // swap@N (engine round 2)
  return (KIND_STYLES as Record<string, KindStyle>)[kind] ?? FALLBACK;
}

/** "swap entry" style description for legends and summaries. */
export function kindDescription(kind: string): string {
  return (LAYOUT_KIND_DESCRIPTIONS as Record<string, string>)[kind] ?? kind;
}

/** Escape text for HTML/SVG text nodes and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Runs of equal kinds: [{kind, start, count}]. */
export function runsOf(kinds: readonly string[]): { kind: string; start: number; count: number }[] {
  const runs: { kind: string; start: number; count: number }[] = [];
  for (let i = 0; i < kinds.length; ) {
    let j = i + 1;
    while (j < kinds.length && kinds[j] === kinds[i]) j++;
    runs.push({ kind: kinds[i], start: i, count: j - i });
    i = j;
  }
  return runs;
}

/** "slot 7" / "slots 0–447". */
export function slotRange(start: number, count: number): string {
  return count === 1 ? `slot ${start}` : `slots ${start}–${start + count - 1}`;
}
