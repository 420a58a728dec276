/** Geometry of the <PteGrid> SVG, shared by the build-time renderer and the client script. */
export const CELL = 18;
export const COLS = 32;
export const ROWS = 16;
export const LEFT = 34;
export const TOP = 16;
export const WIDTH = LEFT + COLS * CELL + 4;
export const HEIGHT = TOP + ROWS * CELL + 4;

/** Top-left corner of a slot's cell. */
export function cellXY(slot: number): { x: number; y: number } {
  return { x: LEFT + (slot % COLS) * CELL, y: TOP + Math.floor(slot / COLS) * CELL };
}

/** The slot under an SVG user-space point, or null outside the grid. */
export function slotAt(x: number, y: number): number | null {
  const col = Math.floor((x - LEFT) / CELL);
  const row = Math.floor((y - TOP) / CELL);
  if (col < 0 || col >= COLS || row < 0 || row >= ROWS) return null;
  return row * COLS + col;
}

/** Keyboard navigation in the grid: arrows by cell/row, Home/End, PageUp/PageDown by 4 rows. */
export function moveSlot(slot: number, key: string): number | null {
  const d: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -COLS, ArrowDown: COLS, PageUp: -4 * COLS, PageDown: 4 * COLS };
  if (key === 'Home') return 0;
  if (key === 'End') return COLS * ROWS - 1;
  if (!(key in d)) return null;
  return Math.min(COLS * ROWS - 1, Math.max(0, slot + d[key]));
}

let counter = 0;
/** A page-unique id prefix for SVG defs (build order is deterministic). */
export function nextId(prefix: string): string {
  counter++;
  return `${prefix}${counter.toString(36)}`;
}
