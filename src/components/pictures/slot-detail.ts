/**
 * The words shown for one PTE slot in a picture's details panel. No engine import: the build
 * (ptegrid.ts) and the browser (ptegrid-inspect.ts) pass in the `formatPte` line, so the same
 * sentence appears with and without JavaScript.
 */
export interface SlotFacts {
  slot: number;
  /** Virtual address of the slot. */
  addr: number;
  /** Layout kind at the start of the attempt. */
  kind: string;
  /** Description of that kind. */
  desc: string;
  /** `formatPte()` of the initial value. */
  bits: string;
  /** Set when another actor changed this slot during the attempt. */
  change?: { after: string; actor: string; at: string } | undefined;
  /** The scan stopped at this slot, with this result. */
  stoppedHere?: string | undefined;
  /** The scan never looked at this slot. */
  unreached?: boolean;
}

export function slotHeadline(f: SlotFacts): string {
  return `Slot ${f.slot} · address 0x${f.addr.toString(16)} · ${f.kind}: ${f.desc}`;
}

export function slotNotes(f: SlotFacts): string[] {
  const notes: string[] = [];
  if (f.stoppedHere) notes.push(`The scan stopped here: ${f.stoppedHere}.`);
  if (f.unreached) notes.push('The scan stopped before reaching this slot.');
  if (f.change) notes.push(`Changed during the attempt by ${f.change.actor} (at ${f.change.at}): ${f.kind} → ${f.change.after}.`);
  return notes;
}

/** One plain-text line (for aria-valuetext and tests). */
export function slotSentence(f: SlotFacts): string {
  return [slotHeadline(f), ...slotNotes(f)].join(' ');
}
