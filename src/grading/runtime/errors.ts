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
    shown = tagOf(v);
  }
  if (v === null || v === undefined) return `threw ${shown} instead of an Error`;
  const article = kind === 'object' ? 'an object' : kind === 'an array' ? 'an array' : `a ${kind}`;
  return `threw ${article}: ${shown}`;
}

/** `[object Object]` and the like, or a fixed text when even that runs learner code that throws (a Proxy's traps). */
function tagOf(v: unknown): string {
  try {
    return Object.prototype.toString.call(v);
  } catch {
    return '[a value whose properties throw]';
  }
}

/**
 * Run `describe` on a value learner code threw or rejected with; never throws. A Proxy whose every
 * trap throws (itself) made `instanceof`, `.message`, `.stack` and `String()` throw inside the
 * runtime, which crashed the runner and cost the next test too (round-4 red team).
 */
export function describeSafely(v: unknown, describe: (v: unknown) => string): string {
  try {
    return describe(v);
  } catch {
    return unshowable(v);
  }
}

/** What the runtime says about a thrown value it cannot read. */
export function unshowable(v: unknown): string {
  return `threw a value that cannot be shown (${tagOf(v)}: reading it throws)`;
}
