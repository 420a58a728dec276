/**
 * Start a grading CHILD PROCESS behind orchestrate's WorkerHandle — the Node sandbox boundary.
 *
 * The child is `node --permission -e LOADER` (same Node binary as the parent) with:
 *   - no file-system permission at all (no --allow-fs-read/--allow-fs-write): it cannot read the
 *     solutions, the tests, the hidden tests, the engine's source or anything else, and cannot write;
 *   - no --allow-child-process, --allow-worker, --allow-addons, --allow-wasi; the inspector is
 *     refused by the permission model too; `process.binding` is refused;
 *   - an empty environment, a 512 MB heap, stdout/stderr piped to us and never shown;
 *   - optionally another (unprivileged) uid/gid ({@link setChildUser}, used by the Gradescope kit).
 * The loader reads the prebuilt runtime bundle (bundle.ts) from stdin, evaluates it with vm.Script
 * and calls child.ts `start()`, which hides `process`, refuses every import and says 'ready'. Then
 * the parent sends the run (learner source + test sources, as text) over the IPC channel.
 * Only the parent writes anything (reports, results.json, the bundle cache).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { WorkerHandle } from '../orchestrate.ts';
import type { WorkerMessage } from '../runtime/session.ts';
import { ensureChildBundle, readCodeCache, writeCodeCache, type ChildBundle } from './bundle.ts';

/** Heap limit of a child, in MB (a learner's runaway allocation ends that child, not the grader). */
export const CHILD_HEAP_MB = 512;

/**
 * Data limit of a child (RLIMIT_DATA, `ulimit -d`), in MB: a backstop for memory that
 * --max-old-space-size does not count. ArrayBuffer/typed-array backing stores live outside V8's
 * heap, so without it learner code filled 1.6 GB (and could go on to the machine's RAM, or the
 * Gradescope container's) under a "512 MB" heap (round-4 red team). Since Linux 4.7 the limit
 * covers private writable mappings (V8's heap pages and backing stores alike); 1 GB leaves the
 * 512 MB heap its normal "heap out of memory" end and typed arrays about 450 MB.
 */
export const CHILD_DATA_MB = 1024;

/** `--permission` (stable since Node 23.5); Node 22 (the engines floor) calls it --experimental-permission. */
function permissionFlag(): string {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 5) ? '--permission' : '--experimental-permission';
}

/** `--disable-sigusr1` (Node ≥ 22.14): a signal cannot open the child's inspector. */
function sigusr1Flag(): string[] {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 14) ? ['--disable-sigusr1'] : [];
}

/**
 * The child's first code: hide function source text, read the bundle from stdin, forget the `-e`
 * module globals, evaluate the bundle with no dynamic-import callback, start it. Strict mode so no
 * sloppy frame leaks `this`.
 *
 * Function source is hidden because learner code can reach engine functions it must not read
 * (the reference kernels sit on every world's `ops`, and `String(fn)` of one is the answer of
 * another exercise). Every non-native function then prints as `function name() { [native code] }`.
 * It has to happen here, before the bundle runs: ses captures `Function.prototype.toString` when
 * its module is evaluated and lockdown() freezes `Function.prototype` afterwards, so the bundle,
 * ses and lockdown all build on this version. Nothing in the runtime reads function source
 * (chai, @vitest/expect and the inspectors use `fn.name`).
 */
const LOADER = `'use strict';
{
  const fnToString = Function.prototype.toString;
  const apply = Reflect.apply;
  const ownDesc = Object.getOwnPropertyDescriptor;
  const endsWith = String.prototype.endsWith;
  const hidden = { toString() {
    const text = apply(fnToString, this, []);
    if (apply(endsWith, text, [') { [native code] }'])) return text;
    const d = ownDesc(this, 'name');
    return 'function ' + (d && typeof d.value === 'string' ? d.value : '') + '() { [native code] }';
  } }.toString;
  Object.defineProperty(Function.prototype, 'toString', { value: hidden, writable: true, enumerable: false, configurable: true });
}
const vm = require('node:vm');
const { registerHooks } = require('node:module');
const proc = process;
const chunks = [];
proc.stdin.on('data', (c) => chunks.push(c));
proc.stdin.on('end', () => {
  const boot = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  chunks.length = 0;
  for (const k of ['require', 'module', 'exports', '__filename', '__dirname']) delete globalThis[k];
  const script = new vm.Script(boot.code, { filename: 'collapse-lab-grader.js', cachedData: boot.cache ? Buffer.from(boot.cache, 'base64') : undefined });
  const mod = { exports: {} };
  script.runInThisContext()(mod, mod.exports);
  mod.exports.start({ process: proc, registerHooks, makeCodeCache: boot.wantCache ? () => script.createCachedData() : null });
});`;

/** The sandbox flags (exported for the hostile tests, which check that each route is shut). */
export const CHILD_PERMISSION_FLAGS = [permissionFlag(), `--max-old-space-size=${CHILD_HEAP_MB}`, ...sigusr1Flag()];
const CHILD_FLAGS = [...CHILD_PERMISSION_FLAGS, '-e', LOADER];

let childUser: { uid: number; gid: number } | null = null;

/**
 * Run later children as `uid`/`gid` (the kit: an unprivileged user). Checks first that this process
 * may switch to it; returns null when it can, else the reason it cannot (nothing is changed then).
 */
export function setChildUser(uid: number, gid: number): string | null {
  const probe = spawnSync(process.execPath, ['-e', '0'], { uid, gid, env: {}, stdio: 'ignore', timeout: 10_000 });
  if (probe.error) return `${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}`;
  if (probe.status !== 0) return `a test process as uid ${uid} exited with ${probe.status ?? probe.signal}`;
  childUser = { uid, gid };
  return null;
}

/** Run later children as this process's own user again. */
export function resetChildUser(): void {
  childUser = null;
}

/** Children not yet ended (so a CLI can stop them all before it exits). */
const live = new Set<ChildProcess>();

/**
 * CPU seconds a grading child may use before the kernel stops it (RLIMIT_CPU, SIGXCPU). A backstop
 * for a child whose parent is gone: learner code in an endless loop never returns to the event
 * loop, so the child cannot notice that its parent was killed (SIGKILL, a crashed CI job) and
 * would spin for ever (a test that SIGKILLed `grade` mid-run left such orphans behind, one per
 * suite run). The parent's own watchdog stops every child long before this (a run's wall-clock
 * limit, 20 s by default); {@link allowChildCpuFor} raises it for longer run limits.
 */
let childCpuLimitS = 120;

/** Make sure children may use the CPU for a whole run of `perRunMs` (plus start-up), at least. */
export function allowChildCpuFor(perRunMs: number): void {
  if (Number.isFinite(perRunMs) && perRunMs > 0) childCpuLimitS = Math.max(childCpuLimitS, Math.ceil(perRunMs / 1000) + 60);
}

/** The current limit (for tests). */
export function childCpuLimitSeconds(): number {
  return childCpuLimitS;
}

// The CLI or the kit stopped by a signal (Ctrl+C, a CI timeout): take the children along. SIGKILL
// cannot be caught; the CPU limit above covers that case.
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only where nobody else handles it (Vitest's workers, an embedding program): then re-raise.
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      for (const c of live) c.kill('SIGKILL');
      process.kill(process.pid, sig);
    });
  }
}

/** Kill every grading child still running and wait until they are gone. */
export async function terminateAllWorkers(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(
    all.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

/** Why a child ended, in the learner's words. `stderrTail` is Node's own output (never learner text). */
function exitReason(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): string {
  if (/heap out of memory|Allocation failed|process out of memory/i.test(stderrTail)) return `it ran out of memory (more than ${CHILD_HEAP_MB} MB)`;
  if (signal === 'SIGXCPU') return `it used more than ${childCpuLimitS} s of CPU time`;
  if (signal) return `it was stopped by ${signal}`;
  return `it exited (code ${code}) — does your code end the process?`;
}

/** Start one sandboxed grading child. Synchronous (builds the bundle first if it is stale). `pid` is for tests. */
/**
 * The shell step that sets RLIMIT_DATA (Linux only: macOS does not count mmap'd memory in it).
 * `ulimit -d` can only fail where the hard limit is already lower than ours (lowering is always
 * allowed), so the child then starts under that stricter limit.
 */
function dataLimit(): string {
  return process.platform === 'linux' ? `{ ulimit -d ${CHILD_DATA_MB * 1024} || true; } 2>/dev/null && ` : '';
}

export function spawnChild(bundle: ChildBundle = ensureChildBundle()): WorkerHandle & { pid: number | undefined } {
  const cache = readCodeCache(bundle);
  hookSignals();
  // Through /bin/sh only to set RLIMIT_CPU (and RLIMIT_DATA) before exec'ing Node (Node has no setrlimit); the
  // arguments travel as "$@", untouched. Elsewhere (no /bin/sh) Node starts directly.
  const viaShell = process.platform === 'linux' || process.platform === 'darwin';
  const [cmd, args] = viaShell
    ? ['/bin/sh', ['-c', `ulimit -t ${childCpuLimitS} && ${dataLimit()}exec "$0" "$@"`, process.execPath, ...CHILD_FLAGS]]
    : [process.execPath, CHILD_FLAGS];
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    env: {},
    ...(childUser ?? {}),
  });
  live.add(child);
  let stderrTail = '';
  child.stdout?.resume(); // nobody reads what a child prints (learner code cannot reach it anyway)
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString('utf8')).slice(-2000);
  });
  child.stdin?.on('error', () => {}); // a child that died before reading its code: reported by 'exit'
  child.stdin?.end(JSON.stringify({ code: bundle.code, cache: cache ? cache.toString('base64') : null, wantCache: cache === null && bundle.dir !== null }));

  const early: WorkerMessage[] = [];
  let onMsg: ((m: WorkerMessage) => void) | null = null;
  let onExit: ((reason: string) => void) | null = null;
  let exitText: string | null = null;
  let terminated = false;
  let ready = false;
  child.on('message', (m: unknown) => {
    const msg = m as { type?: unknown; data?: unknown };
    if (!ready && msg && msg.type === 'code-cache') {
      // Accepted only before 'ready', i.e. before the parent has sent any learner code.
      if (typeof msg.data === 'string') writeCodeCache(bundle, Buffer.from(msg.data, 'base64'));
      return;
    }
    if (msg && msg.type === 'ready') ready = true;
    if (onMsg) onMsg(m as WorkerMessage);
    else early.push(m as WorkerMessage);
  });
  const died = (reason: string) => {
    if (exitText !== null) return;
    exitText = reason;
    onExit?.(reason);
  };
  child.on('error', (e) => died(`it could not be started: ${e.message}`));
  child.on('exit', (code, signal) => {
    live.delete(child);
    // Let the last stderr chunk arrive before naming the reason (an out-of-memory report).
    setImmediate(() => {
      if (!terminated) died(exitReason(code, signal, stderrTail));
    });
  });
  // Never keep the grader alive by itself (an unused prestarted runner must not hang the CLI);
  // while a run waits for it, the watchdog's timers keep the event loop going.
  child.unref();
  child.channel?.unref();
  for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

  return {
    pid: child.pid,
    post: (msg) => {
      if (child.connected) child.send(msg);
    },
    listen(m, x) {
      onMsg = m;
      onExit = x;
      for (const msg of early.splice(0)) m(msg);
      if (exitText !== null) x(exitText);
    },
    terminate() {
      terminated = true;
      live.delete(child);
      child.kill('SIGKILL');
    },
  };
}

/** orchestrate's SpawnWorker for Node (the old worker_threads name is kept for callers). */
export const spawnNodeWorker = (): WorkerHandle => spawnChild();
