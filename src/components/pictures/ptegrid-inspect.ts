/**
 * Client side of <PteGrid> (a few KB, no framework): hover, click or focus the grid and use the
 * arrow keys to inspect any slot; the details panel shows the PTE's bits through the engine's own
 * `formatPte` (only pte.ts is bundled), and the focusable frame is an ARIA slider whose value text
 * describes the slot. The picture itself is static SVG rendered at build time.
 */
import { __pte, formatPte } from '../../engine/pte.ts';
import { cellXY, moveSlot, slotAt, HEIGHT, WIDTH } from './geometry.ts';
import { slotHeadline, slotNotes, slotSentence, type SlotFacts } from './slot-detail.ts';

interface GridData {
  kinds: string[];
  ptes: string;
  desc: Record<string, string>;
  stop: { slot: number; result: string } | null;
  changes: Map<number, { after: string; actor: string; at: string }>;
  vmStart: number;
}

function readData(block: HTMLElement): GridData {
  const d = block.dataset;
  const kinds: string[] = [];
  for (const [k, n] of JSON.parse(d.runs ?? '[]') as [string, number][]) for (let i = 0; i < n; i++) kinds.push(k);
  const [stopSlot, stopResult] = (d.stop ?? '').split(':');
  const changes = new Map<number, { after: string; actor: string; at: string }>();
  for (const [slot, after, actor, at] of JSON.parse(d.changes ?? '[]') as [number, string, string, string][]) changes.set(slot, { after, actor, at });
  return {
    kinds,
    ptes: d.ptes ?? '',
    desc: JSON.parse(d.desc ?? '{}') as Record<string, string>,
    stop: stopSlot ? { slot: Number(stopSlot), result: stopResult } : null,
    changes,
    vmStart: Number(d.vmStart ?? 0),
  };
}

function facts(g: GridData, slot: number): SlotFacts {
  const bits = formatPte(__pte(BigInt('0x' + g.ptes.slice(slot * 16, slot * 16 + 16))));
  return {
    slot,
    addr: g.vmStart + slot * 4096,
    kind: g.kinds[slot],
    desc: g.desc[g.kinds[slot]] ?? g.kinds[slot],
    bits,
    change: g.changes.get(slot),
    stoppedHere: g.stop?.slot === slot ? g.stop.result : undefined,
    unreached: g.stop !== null && slot > g.stop.slot,
  };
}

function renderDetail(panel: HTMLElement, f: SlotFacts): void {
  const p = (text: string, cls?: string, code = false) => {
    const el = document.createElement('p');
    if (cls) el.className = cls;
    if (code) {
      const c = document.createElement('code');
      c.className = 'cl-bits';
      c.textContent = text;
      el.append(c);
    } else el.textContent = text;
    return el;
  };
  panel.replaceChildren(p(slotHeadline(f), 'cl-detail-head'), p(f.bits, undefined, true), ...slotNotes(f).map((n) => p(n)));
}

/** Make every picture under `root` interactive (each PMD's grid of a <PteGrid> on its own). */
export function initPteGrids(root: ParentNode): void {
  for (const fig of Array.from(root.querySelectorAll<HTMLElement>('[data-cl-ptegrid]'))) {
    if (fig.dataset.clReady) continue;
    fig.dataset.clReady = '1';
    for (const block of Array.from(fig.querySelectorAll<HTMLElement>('[data-cl-pmd]'))) initGrid(fig, block);
  }
}

function initGrid(fig: HTMLElement, block: HTMLElement): void {
  {
    const g = readData(block);
    const frame = block.querySelector<HTMLElement>('[data-cl-frame]');
    const svg = block.querySelector<SVGSVGElement>('[data-cl-svg]');
    const cursor = block.querySelector<SVGRectElement>('[data-cl-cursor]');
    const panel = block.querySelector<HTMLElement>('[data-cl-detail]');
    if (!frame || !svg || !cursor || !panel || g.kinds.length !== 512) return;
    let selected = Number(block.dataset.shown ?? 0);
    let shown = -1;

    const show = (slot: number) => {
      if (slot === shown) return;
      shown = slot;
      const f = facts(g, slot);
      renderDetail(panel, f);
      const { x, y } = cellXY(slot);
      cursor.setAttribute('x', String(x - 1));
      cursor.setAttribute('y', String(y - 1));
      cursor.setAttribute('visibility', 'visible');
      frame.setAttribute('aria-valuenow', String(slot));
      frame.setAttribute('aria-valuetext', slotSentence(f));
    };

    frame.tabIndex = 0;
    frame.setAttribute('role', 'slider');
    const pmd = fig.querySelectorAll('[data-cl-pmd]').length > 1 ? `PMD ${block.dataset.clPmd}: ` : '';
    frame.setAttribute('aria-label', `${pmd}PTE slot to inspect (arrow keys move, Home/End jump)`);
    frame.setAttribute('aria-valuemin', '0');
    frame.setAttribute('aria-valuemax', '511');
    frame.setAttribute('aria-valuenow', String(selected));
    frame.setAttribute('aria-controls', panel.id);
    fig.classList.add('cl-live');

    const slotFromEvent = (e: PointerEvent | MouseEvent): number | null => {
      const r = svg.getBoundingClientRect();
      if (!r.width || !r.height) return null;
      return slotAt(((e.clientX - r.left) * WIDTH) / r.width, ((e.clientY - r.top) * HEIGHT) / r.height);
    };
    svg.addEventListener('pointermove', (e) => {
      const s = slotFromEvent(e);
      if (s !== null) show(s);
    });
    svg.addEventListener('pointerleave', () => show(selected));
    svg.addEventListener('click', (e) => {
      const s = slotFromEvent(e);
      if (s === null) return;
      selected = s;
      show(s);
      frame.focus({ preventScroll: true });
    });
    frame.addEventListener('focus', () => show(selected));
    frame.addEventListener('keydown', (e) => {
      const next = moveSlot(selected, e.key);
      if (next === null) return;
      e.preventDefault();
      selected = next;
      show(next);
    });
  }
}
