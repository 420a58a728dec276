/**
 * The grading worker's first module: hide function source text from everything that runs after it.
 *
 * Learner code can reach engine functions it must not read (the reference kernels sit on every
 * world's `ops`: `String(mm.world.ops.hpage_collapse_scan_pmd)` while grading swapin-guard is the
 * answer of early-abort). Every non-native function therefore prints as
 * `function name() { [native code] }`. It must run before ses is evaluated: ses captures
 * `Function.prototype.toString` when its module loads and lockdown() freezes
 * `Function.prototype` afterwards, so ses, lockdown and every Compartment build on this version.
 * The Node child does the same in its loader (src/grading/node/process.ts, `LOADER`). Nothing in
 * the runtime reads function source (chai, @vitest/expect and the inspectors use `fn.name`).
 *
 * Imported for its effect only, first in worker.ts (esbuild keeps ES module evaluation order).
 */
const fnToString = Function.prototype.toString;
const apply = Reflect.apply;
const ownDesc = Object.getOwnPropertyDescriptor;
const endsWith = String.prototype.endsWith;

// A method (not an arrow) so `this` is the function being printed; shorthand so it has no
// `prototype` and cannot be `new`ed, like the native one. A non-function `this` throws the
// native TypeError from `fnToString`.
const hidden = {
  toString(this: unknown): string {
    const text = apply(fnToString, this, []) as string;
    if (apply(endsWith, text, [') { [native code] }'])) return text;
    const d = ownDesc(this as object, 'name');
    return `function ${d && typeof d.value === 'string' ? d.value : ''}() { [native code] }`;
  },
}.toString;

Object.defineProperty(Function.prototype, 'toString', { value: hidden, writable: true, enumerable: false, configurable: true });

export {};
