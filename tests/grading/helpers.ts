import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const TOY = `${FIXTURES}toy-sum/`;
export const BAD = `${FIXTURES}bad/`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Run the `grade` command IN-PROCESS: its exported `main` with captured stdout/stderr. Learner code
 * still runs in real sandboxed child processes; only the CLI's own start-up is shared.
 */
export async function grade(args: string[], opts: { exercises?: string | null } = {}): Promise<CliRun> {
  const full = opts.exercises === null ? args : [...args, '--exercises', opts.exercises ?? FIXTURES];
  const { main } = await import('../../src/cli/grade.ts');
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  const code = await main(full, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Run `node src/cli/grade.ts …` as a real process (the same Node as the tests: Node 24 from the devDependency). */
export function gradeProcess(args: string[], opts: { cwd?: string; exercises?: string | null; env?: Record<string, string> } = {}): Promise<CliRun> {
  const full = opts.exercises === null ? args : [...args, '--exercises', opts.exercises ?? FIXTURES];
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [`${ROOT}src/cli/grade.ts`, ...full], { cwd: opts.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
  });
}

/** True if the text looks like it contains a JavaScript stack trace. */
export const hasStackTrace = (s: string) => /\n\s+at .+:\d+:\d+\)?/.test(s) || /node:internal/.test(s);

// ---------------------------------------------------------------------------------------------
// Hostile catalogue helpers (tests/grading/hostile-node.test.ts, autograder.test.ts)

export const HOSTILE = `${FIXTURES}hostile/`;

/** Where an attack would leave its traces, and what it would try to read. */
export interface AttackEnv {
  /** Folder an attack writes marker files into if it ever gets write access. */
  marks: string;
  /** A local TCP port whose server counts connections (an attack that reaches the network connects). */
  port: number;
  /** Files whose content must never show up anywhere (solution, tests, hidden tests, engine source). */
  secrets: string[];
}

/**
 * Ways to turn a module specifier into a module at run time, out of reach of the transpiler's
 * import rewriting. Each is tried for every module in MODULES; a sandbox must refuse them all.
 * The text `import(`/`eval(` is assembled at run time (IMP, EV in attackSource): the hardened
 * realm rejects a FILE that contains it outright (see LITERAL_ROUTES), and these routes must get
 * past that first check to test the ones behind it.
 */
export const IMPORT_ROUTES: Record<string, string> = {
  'the Function constructor': `(s) => new Function('s', 'return ' + IMP + '(s)')(s)`,
  'indirect eval': `(s) => (0, globalThis[EV])('(x) => ' + IMP + '(x)')(s)`,
  'the AsyncFunction constructor': `(s) => (async () => {}).constructor('s', 'return await ' + IMP + '(s)')(s)`,
  "an arrow function's constructor": `(s) => (() => 0).constructor('s', 'return ' + IMP + '(s)')(s)`,
  'a Function built inside a timer': `(s) => new Promise((res, rej) => setTimeout(() => { try { res(Function('s', 'return ' + IMP + '(s)')(s)); } catch (e) { rej(e); } }, 0))`,
  'a nested Compartment': `(s) => new globalThis.Compartment({ __options__: true }).evaluate('(x) => ' + IMP + '(x)')(s)`,
  'require on globalThis': `(s) => globalThis.require(s)`,
  'process.getBuiltinModule': `(s) => globalThis.process.getBuiltinModule(s)`,
  'process from Function("return this")': `(s) => Function('return this')().process.getBuiltinModule(s)`,
  'process.mainModule.require': `(s) => globalThis.process.mainModule.require(s)`,
  'module.require on globalThis': `(s) => globalThis.module.require(s)`,
  'process found through stack frames': `(s) => {
    const old = Error.prepareStackTrace; let found;
    Error.prepareStackTrace = (e, frames) => {
      for (const f of frames) for (const g of [() => f.getThis(), () => f.getFunction()]) {
        try { const v = g(); if (v && v.process) found = v.process; if (v && typeof v.getBuiltinModule === 'function') found = v; } catch {}
      }
      return '';
    };
    try { new Error().stack; } finally { Error.prepareStackTrace = old; }
    return found.getBuiltinModule(s);
  }`,
};

/** Routes whose text alone gets the whole file refused by the hardened realm (each tried in its own file). */
export const LITERAL_ROUTES: Record<string, string> = {
  'import() written in the file': `(s) => import(s)`,
  'direct eval of an import': `(s) => eval('import(s)')`,
  'import() inside a string given to Function': `(s) => new Function('s', 'return import(s)')(s)`,
  'import() in a comment, with the call built at run time': `(s) => /* import(x) */ new Function('s', 'return ' + IMP + '(s)')(s)`,
};

/** Modules an escaped submission would want. */
export const MODULES = [
  'node:fs', 'fs', 'node:fs/promises', 'node:child_process', 'child_process', 'node:inspector', 'node:process',
  'node:net', 'node:http', 'node:worker_threads', 'node:module', 'node:vm', 'data:text/javascript,export default 1',
];

/**
 * A submission for the `probe` fixture exercise (also valid plain JavaScript, so the SAME text can run
 * unsandboxed as a baseline): `attack()` tries every route × module; for each module it gets, it does
 * the concrete harm that module allows (write a marker, read the secrets into its output, spawn a
 * detached writer, attach the inspector, connect to the port, start a worker). Returns what it reached.
 */
export function attackSource(env: AttackEnv, routes: Record<string, string> = IMPORT_ROUTES, modules: string[] = MODULES): string {
  const routeTable = Object.entries(routes).map(([k, v]) => `  ${JSON.stringify(k)}: ${v},`).join('\n');
  return `// A hostile submission (tests/grading/helpers.ts attackSource).
const IMP = 'imp' + 'ort';
const EV = 'ev' + 'al';
const MARKS = ${JSON.stringify(env.marks)};
const PORT = ${env.port};
const SECRETS = ${JSON.stringify(env.secrets)};
const ROUTES = {
${routeTable}
};
const MODULES = ${JSON.stringify(modules)};

async function harm(spec, m, tag, reached) {
  const d = m && m.default ? m.default : m;
  const mark = MARKS + '/' + tag;
  const name = spec.replace(/^node:/, '');
  if (name === 'fs') {
    d.writeFileSync(mark, 'x');
    for (const p of SECRETS) { try { console.log('LEAK ' + d.readFileSync(p, 'utf8')); reached.push('read ' + p); } catch {} }
  } else if (name === 'fs/promises') {
    await d.writeFile(mark, 'x');
  } else if (name === 'child_process') {
    d.spawn('/bin/sh', ['-c', 'sleep 0.3; echo x > "' + mark + '"'], { detached: true, stdio: 'ignore' }).unref();
  } else if (name === 'inspector') {
    const s = new d.Session();
    s.connect();
    await new Promise((res) => s.post('Runtime.evaluate', { expression: "process.getBuiltinModule('fs').writeFileSync(" + JSON.stringify(mark) + ", 'x')" }, res));
  } else if (name === 'process') {
    d.getBuiltinModule('fs').writeFileSync(mark, 'x');
  } else if (name === 'net') {
    await new Promise((res) => { const c = d.connect(PORT, '127.0.0.1', () => { c.end(); res(); }); c.on('error', res); });
  } else if (name === 'http') {
    await new Promise((res) => { d.get('http://127.0.0.1:' + PORT + '/', (r) => { r.resume(); res(); }).on('error', res); });
  } else if (name === 'worker_threads') {
    await new Promise((res) => { const w = new d.Worker("require('fs').writeFileSync(" + JSON.stringify(mark) + ", 'x')", { eval: true }); w.on('exit', res); w.on('error', res); });
  } else if (name === 'module') {
    d.createRequire(MARKS + '/x.js')('fs').writeFileSync(mark, 'x');
  } else if (name === 'vm') {
    const fs = await d.runInThisContext(IMP + "('node:fs')", { importModuleDynamically: d.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
    fs.writeFileSync(mark, 'x');
  }
}

export async function attack() {
  const reached = [];
  let tried = 0;
  for (const [route, get] of Object.entries(ROUTES)) {
    for (const spec of MODULES) {
      tried++;
      let m;
      try { m = await get(spec); } catch { continue; }
      if (!m) continue;
      const tag = (route + '-' + spec).replace(/[^a-z0-9]+/gi, '_').slice(0, 80);
      reached.push(route + ' -> ' + spec);
      try { await harm(spec, m, tag, reached); } catch (e) { reached.push('harm failed: ' + String(e).slice(0, 200)); }
    }
  }
  for (const [name, use] of [
    ['fetch', () => globalThis.fetch('http://127.0.0.1:' + PORT + '/')],
    ['WebSocket', () => new globalThis.WebSocket('ws://127.0.0.1:' + PORT + '/')],
    ['EventSource', () => new globalThis.EventSource('http://127.0.0.1:' + PORT + '/')],
  ]) {
    tried++;
    try { const p = use(); reached.push('global ' + name); if (p && p.then) await p.catch(() => 0); else await new Promise((r) => setTimeout(r, 200)); } catch {}
  }
  console.log('tried ' + tried + ' routes');
  return reached;
}
`;
}

/** A TCP server on 127.0.0.1 that counts connections (the network probe). */
export async function connectionCounter(): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  const net = await import('node:net');
  let n = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((s) => {
    n++;
    sockets.add(s);
    s.on('error', () => {});
    s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    port,
    count: () => n,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/**
 * A fresh, empty COLLAPSE_LAB_CACHE_DIR for the enclosing describe block: made and set in its
 * beforeAll; the old value put back and the folder removed in its afterAll. Returns the folder
 * (read it inside a test or hook, once beforeAll has run).
 */
export function freshCacheDir(prefix: string): () => string {
  let dir = '';
  let before: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    before = process.env.COLLAPSE_LAB_CACHE_DIR;
    process.env.COLLAPSE_LAB_CACHE_DIR = dir;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.COLLAPSE_LAB_CACHE_DIR;
    else process.env.COLLAPSE_LAB_CACHE_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
