/**
 * The globals learner code has in the test runner, declared for the editor's TypeScript.
 *
 * The runner evaluates a learner's file in a ses Compartment whose global object holds the
 * language's own intrinsics plus exactly the endowments of `makeCompartment`
 * (src/grading/runtime/realm.ts): the console capture (`learnerConsole`, runtime/session.ts), the
 * timers and `queueMicrotask` (and the start realm's `Date` and `Math`, which lib.esnext already
 * declares), and what ses puts in every compartment (`harden`, `lockdown`, `Compartment`,
 * `TextEncoder`, `TextDecoder`). There is no DOM, no `fetch`, no storage.
 *
 * The editor therefore type-checks with `lib: ['esnext']` and this file, not TypeScript's default
 * lib (which adds the whole DOM): code that uses `document` or `fetch` is flagged where it is
 * written instead of failing with a ReferenceError when the tests run. Not parsing lib.dom.d.ts
 * (~2 MB) also saves the TypeScript worker about 0.6 s of CPU each time the editor opens
 * (measured on the built site, docs/quality.md "Round 5").
 *
 * tests/grading/realm-globals.test.ts checks both directions against a real runner: every global and
 * console method the compartment has is declared here, and nothing else is.
 */
export const REALM_GLOBALS_DTS = `/** The test runner's console: what it prints appears under the test that printed it. */
interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  trace(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  dir(...data: unknown[]): void;
  table(...data: unknown[]): void;
  group(...data: unknown[]): void;
  groupEnd(): void;
  time(label?: string): void;
  timeEnd(label?: string): void;
  assert(condition?: unknown, ...data: unknown[]): void;
  count(...data: unknown[]): void;
}
declare var console: Console;
/** Calls \`handler\` once after \`timeout\` ms; a callback that throws fails the test that started it. */
declare function setTimeout<A extends unknown[]>(handler: (...args: A) => void, timeout?: number, ...args: A): number;
declare function clearTimeout(id?: number): void;
declare function setInterval<A extends unknown[]>(handler: (...args: A) => void, timeout?: number, ...args: A): number;
declare function clearInterval(id?: number): void;
declare function queueMicrotask(callback: () => void): void;
/** WHATWG Encoding (ses gives every compartment these two: pure string ↔ UTF-8 bytes). */
interface TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare var TextEncoder: { prototype: TextEncoder; new (): TextEncoder };
interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
declare var TextDecoder: { prototype: TextDecoder; new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };
/** Hardened JavaScript (ses), present in every compartment: freezes \`value\` and everything reachable from it. */
declare function harden<T>(value: T): T;
/** Hardened JavaScript (ses): already done by the runner; calling it again throws. */
declare function lockdown(options?: Record<string, unknown>): void;
/** Hardened JavaScript (ses): a nested compartment (its own globals, the same frozen intrinsics). */
declare class Compartment {
  constructor(options?: Record<string, unknown>);
  readonly globalThis: Record<string, unknown>;
  readonly name: string;
  evaluate(code: string): unknown;
}
`;

/** Where the editor registers {@link REALM_GLOBALS_DTS} (an extra lib; any path outside the learner's files). */
export const REALM_GLOBALS_PATH = 'file:///node_modules/@types/collapse-lab__runner-globals/index.d.ts';
