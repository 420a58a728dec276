/**
 * Tamper check — the second line behind runtime/realm.ts (lockdown + harden make these objects
 * immutable; this catches anything left mutable). Before learner code runs we record the property descriptors of the built-ins
 * the test runtime relies on (Object.is, Array.prototype.*, JSON, Math, Promise…), of chai's
 * Assertion prototype, and of the engine's exports. After loading and after every test we compare;
 * anything replaced is put back and the test is reported as an error, so learner code can neither
 * make `expect` lie nor leave a patched engine for the next test.
 */

interface Entry {
  label: string;
  target: object;
  descriptors: Map<PropertyKey, PropertyDescriptor>;
  onlyKeys: boolean;
}

const is = Object.is;
const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor | undefined): boolean =>
  !!b && is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable;

export class IntegrityGuard {
  private entries: Entry[] = [];
  private readonly getOwn = Reflect.ownKeys;
  private readonly getDesc = Object.getOwnPropertyDescriptor;
  private readonly define = Reflect.defineProperty;
  private readonly del = Reflect.deleteProperty;
  private readonly frozen = Object.isFrozen;

  /** Watch every own property of `target` (and flag properties added later), or only `keys`. */
  watch(label: string, target: unknown, keys?: PropertyKey[]): void {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return;
    const t = target as object;
    if (this.entries.some((e) => e.target === t)) return;
    const descriptors = new Map<PropertyKey, PropertyDescriptor>();
    for (const k of keys ?? this.getOwn(t)) {
      const d = this.getDesc(t, k);
      if (d) descriptors.set(k, d);
    }
    this.entries.push({ label, target: t, descriptors, onlyKeys: !!keys });
  }

  /** Return the names of everything changed since `watch` (and put the originals back). */
  checkAndRestore(): string[] {
    const changed: string[] = [];
    for (const e of this.entries) {
      // A frozen object can never change again (freezing is irreversible), so comparing it is
      // exact to skip; after lockdown that is every built-in, the matchers, expect and the engine.
      if (this.frozen(e.target)) continue;
      for (const [k, d] of e.descriptors) {
        const now = this.getDesc(e.target, k);
        if (!sameDescriptor(d, now)) {
          changed.push(`${e.label}.${String(k)}`);
          this.define(e.target, k, d);
        }
      }
      if (e.onlyKeys) continue;
      for (const k of this.getOwn(e.target)) {
        if (!e.descriptors.has(k)) {
          changed.push(`${e.label}.${String(k)}`);
          this.del(e.target, k);
        }
      }
    }
    return changed;
  }
}

/** The built-ins worth guarding (what chai, @vitest/expect and the engine call). */
export function builtinTargets(g: typeof globalThis): Array<[string, unknown]> {
  const list: Array<[string, unknown]> = [
    ['Object', Object],
    ['Object.prototype', Object.prototype],
    ['Function.prototype', Function.prototype],
    ['Array', Array],
    ['Array.prototype', Array.prototype],
    ['String', String],
    ['String.prototype', String.prototype],
    ['Number', Number],
    ['Number.prototype', Number.prototype],
    ['BigInt', BigInt],
    ['BigInt.prototype', BigInt.prototype],
    ['Boolean.prototype', Boolean.prototype],
    ['Symbol', Symbol],
    ['Math', Math],
    ['JSON', JSON],
    ['Reflect', Reflect],
    ['Promise', Promise],
    ['Promise.prototype', Promise.prototype],
    ['Map.prototype', Map.prototype],
    ['Set.prototype', Set.prototype],
    ['WeakMap.prototype', WeakMap.prototype],
    ['Error', Error],
    ['Error.prototype', Error.prototype],
    ['RegExp.prototype', RegExp.prototype],
    ['Date', Date],
    ['Date.prototype', Date.prototype],
  ];
  return list;
}

/** Globals the runtime reads; other globals (Node's lazy getters, learner helpers) are not watched. */
export const WATCHED_GLOBALS = [
  'Object', 'Function', 'Array', 'String', 'Number', 'BigInt', 'Boolean', 'Symbol', 'Math', 'JSON',
  'Reflect', 'Promise', 'Map', 'Set', 'WeakMap', 'Error', 'TypeError', 'RegExp', 'Date',
  'setTimeout', 'clearTimeout', 'queueMicrotask', 'console',
];
