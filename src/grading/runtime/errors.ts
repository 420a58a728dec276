/** Describe a thrown value that is not an Error: "threw a string: 'boom'". */
export function describeThrown(v: unknown): string {
  const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
  let shown: string;
  try {
    if (typeof v === 'string') shown = `'${v.length > 500 ? `${v.slice(0, 500)}…` : v}'`;
    else if (typeof v === 'bigint') shown = `${v}n`;
    else if (typeof v === 'symbol' || typeof v === 'function') shown = String(v);
    else if (v === undefined) shown = 'undefined';
    else {
      const j = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
      shown = j === undefined ? String(v) : j.length > 500 ? `${j.slice(0, 500)}…` : j;
    }
  } catch {
    shown = Object.prototype.toString.call(v);
  }
  if (v === null || v === undefined) return `threw ${shown} instead of an Error`;
  const article = kind === 'object' ? 'an object' : kind === 'an array' ? 'an array' : `a ${kind}`;
  return `threw ${article}: ${shown}`;
}
