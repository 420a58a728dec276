/**
 * Make learner-controlled text safe to show: every control character that could move the cursor,
 * clear or recolour a terminal, hide text or reorder it (ESC and the rest of C0, DEL, C1 such as
 * the 8-bit CSI U+009B, the bidirectional overrides/isolates/marks, line/paragraph separators,
 * zero-width joiners used to spoof) is shown as a visible escape like `\x1b` or `\u202e`.
 * Newline and tab stay (reports indent multi-line text, so a learner line can never start at
 * column 0 and look like the grader's own `Score:` line).
 *
 * Hand-rolled on purpose: the set is small, exact and security-relevant; strip-ansi-style
 * libraries remove only well-formed ANSI sequences and leave CR, NUL and bidi controls alone.
 */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g;

const hex = (c: string) => {
  const n = c.charCodeAt(0);
  if (c === '\r') return '\\r';
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/** `s` with every dangerous control character replaced by a visible escape (see module comment). */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, hex);
}

/** Like escapeControl, but newlines and tabs are escaped too (single-line fields: names, titles). */
export function escapeLine(s: string): string {
  return escapeControl(s).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
