/**
 * HOSTILE CATALOGUE — Node (`grade` CLI; the Gradescope kit's own cases are in autograder.test.ts).
 * Each class of attack from issue 9 is tried through several routes/spellings, and judged by its
 * concrete effect (a marker file that must not exist, a TCP server that must see no connection, a
 * secret that must not appear in any output, a score that must not be full), never by one probe's
 * exact text. Where practical the SAME attack runs unsandboxed first to show it would work there.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChildBundle } from '../../src/grading/node/bundle.ts';
import { CHILD_PERMISSION_FLAGS, resetChildUser, setChildUser, spawnChild } from '../../src/grading/node/process.ts';
import { HOSTILE, IMPORT_ROUTES, LITERAL_ROUTES, MODULES, ROOT, TOY, attackSource, connectionCounter, grade as gradeInProcess, type AttackEnv } from './helpers.ts';
import { lanes } from './lanes.ts';

// Attacks that share nothing (own marker folder, own connection counter, own files) run side by
// side, two grades at a time. Those that share a counter or the child user stay in order.
const lane = lanes();
const grade = (...a: Parameters<typeof gradeInProcess>) => lane(() => gradeInProcess(...a));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROBE = `${HOSTILE}probe/`;
const ENGINE_FILE = join(ROOT, 'src/engine/khugepaged.ts');

/** Raw control characters a report must never contain (newline and tab are fine). */
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/;

function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' }, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const json = (s: string) => JSON.parse(s) as { passed: number; failed: number; total: number; tests: { name: string; status: string; message: string; output?: string }[] };

describe('hostile (Node): a run-time-built import of a Node built-in reaches nothing', { timeout: 120_000 }, () => {
  let server: Awaited<ReturnType<typeof connectionCounter>>;
  let env: AttackEnv;
  let hiddenToken: string;
  let extraDir: string;
  beforeAll(async () => {
    server = await connectionCounter();
    const dir = tempDir('hostile-');
    const marks = join(dir, 'marks');
    mkdirSync(marks);
    hiddenToken = `SECRET-IN-HIDDEN-${randomUUID()}`;
    extraDir = join(dir, 'extra');
    mkdirSync(join(extraDir, 'probe'), { recursive: true });
    const hidden = write(join(extraDir, 'probe'), 'hidden.test.ts', `// ${hiddenToken}\nimport { it, expect } from 'vitest';\nit('hidden instructor test', () => { expect(2).toBe(2); });\n`);
    const bundle = ensureChildBundle();
    env = { marks, port: server.port, secrets: [`${PROBE}solution.ts`, `${PROBE}probe.test.ts`, hidden, ENGINE_FILE, ...(bundle.dir ? [join(bundle.dir, 'grader-child.js')] : [])] };
  });
  afterAll(async () => server?.close());

  it('baseline: the same attack, run as plain Node, writes its markers, connects and reads the secrets', async () => {
    const dir = tempDir('hostile-baseline-');
    const marks = join(dir, 'marks');
    mkdirSync(marks);
    const before = server.count();
    // Only the first route: enough to show that what the sandbox must stop does real harm outside it.
    const first = Object.fromEntries(Object.entries(IMPORT_ROUTES).slice(0, 1));
    const file = write(dir, 'attack.mjs', attackSource({ ...env, marks }, first));
    const r = await run(process.execPath, ['-e', `import(${JSON.stringify(pathToFileURL(file).href)}).then((m) => m.attack()).then((x) => console.log(JSON.stringify(x)))`]);
    await sleep(800); // the detached writer
    const written = readdirSync(marks);
    for (const mod of ['fs', 'fs_promises', 'child_process', 'process', 'worker_threads', 'module', 'vm']) {
      expect(written.some((f) => f.endsWith(`_node_${mod}`)), `baseline marker for node:${mod} (${written.join(', ')}; ${r.stderr})`).toBe(true);
    }
    expect(server.count()).toBeGreaterThan(before);
    expect(r.stdout).toContain('SECRET-IN-SOLUTION');
    expect(r.stdout).toContain('SECRET-IN-TESTS');
    expect(r.stdout).toContain(hiddenToken);
  });

  it(`in the grader: ${Object.keys(IMPORT_ROUTES).length} routes × ${MODULES.length} modules — no marker, no connection, no secret, nothing reached`, async () => {
    const dir = tempDir('hostile-sub-');
    const file = write(dir, 'probe.ts', attackSource(env));
    const before = server.count();
    const r = await grade(['probe', file, '--format', 'json', '--extra-tests', extraDir], { exercises: HOSTILE });
    await sleep(800); // a detached writer, had one been started, would have written by now
    expect(readdirSync(env.marks)).toEqual([]);
    expect(server.count()).toBe(before);
    const all = r.stdout + r.stderr;
    for (const secret of ['SECRET-IN-SOLUTION', 'SECRET-IN-TESTS', hiddenToken, 'LEAK ']) expect(all).not.toContain(secret);
    const j = json(r.stdout);
    const probe = j.tests.find((t) => t.name === 'probe > the attack reaches nothing');
    expect(probe?.status, probe?.message).toBe('passed');
    // The attack really ran every route (so "nothing reached" is not "nothing tried").
    expect(probe?.output ?? '').toContain(`tried ${Object.keys(IMPORT_ROUTES).length * MODULES.length + 3} routes`);
    expect(j.total).toBe(3); // 2 own tests + the hidden one, nothing more, nothing less
  });
});

describe.concurrent('hostile (Node): import()/eval written in the file itself', { timeout: 120_000 }, () => {
  for (const [what, route] of Object.entries(LITERAL_ROUTES)) {
    it(`${what}: refused (the file does not load, or the route reaches nothing), no marker`, async () => {
      const dir = tempDir('hostile-literal-');
      const marks = join(dir, 'marks');
      mkdirSync(marks);
      const server = await connectionCounter();
      try {
        const r = await grade(['probe', write(dir, 'probe.ts', attackSource({ marks, port: server.port, secrets: [`${PROBE}solution.ts`] }, { [what]: route })), '--format', 'json'], { exercises: HOSTILE });
        await sleep(500);
        expect(readdirSync(marks)).toEqual([]);
        expect(server.count()).toBe(0);
        expect(r.stdout + r.stderr).not.toContain('SECRET-IN-SOLUTION');
        const j = json(r.stdout) as ReturnType<typeof json> & { loadError?: string };
        if (j.loadError) expect(r.code).toBe(2);
        else expect(j.tests.find((t) => t.name === 'probe > the attack reaches nothing')?.status).toBe('passed');
      } finally {
        await server.close();
      }
    });
  }
});

describe('hostile (Node): the child process itself refuses, even if a module were reached', { timeout: 60_000 }, () => {
  // The second line: the permission model of the OS process the learner's code runs in.
  const probe = (secret: string, mark: string) => `
    const out = {};
    const tryIt = (name, f) => { try { f(); out[name] = 'allowed'; } catch (e) { out[name] = e.code || e.message; } };
    tryIt('read a file', () => require('fs').readFileSync(${JSON.stringify(secret)}));
    tryIt('list a folder', () => require('fs').readdirSync(${JSON.stringify(ROOT)}));
    tryIt('write a file', () => require('fs').writeFileSync(${JSON.stringify(mark)}, 'x'));
    tryIt('spawn a process', () => require('child_process').spawnSync('/bin/sh', ['-c', 'true']));
    tryIt('start a worker', () => new (require('worker_threads').Worker)('1', { eval: true }));
    tryIt('open the inspector', () => new (require('inspector').Session)().connect());
    tryIt('process.binding', () => process.binding('fs'));
    tryIt('load an addon', () => process.dlopen({ exports: {} }, '/nonexistent.node'));
    tryIt('WASI', () => new (require('wasi').WASI)({ version: 'preview1' }));
    console.log(JSON.stringify(out));`;

  it('with the sandbox flags every route is ERR_ACCESS_DENIED; without them (baseline) reading and writing work', async () => {
    const dir = tempDir('hostile-perm-');
    const secret = write(dir, 'secret.txt', 'SECRET');
    const sandboxed = await run(process.execPath, [...CHILD_PERMISSION_FLAGS, '-e', probe(secret, join(dir, 'mark-sandboxed'))]);
    const out = JSON.parse(sandboxed.stdout) as Record<string, string>;
    expect(Object.keys(out)).toHaveLength(9);
    // Addons are refused before the permission check proper (ERR_DLOPEN_DISABLED under --permission).
    for (const [what, outcome] of Object.entries(out)) expect(['ERR_ACCESS_DENIED', 'ERR_DLOPEN_DISABLED'], `${what}: ${outcome}`).toContain(outcome);
    expect(readdirSync(dir)).toEqual(['secret.txt']);
    const open = JSON.parse((await run(process.execPath, ['-e', probe(secret, join(dir, 'mark-open'))])).stdout) as Record<string, string>;
    expect(open['read a file']).toBe('allowed');
    expect(open['write a file']).toBe('allowed');
    expect(readdirSync(dir)).toContain('mark-open');
  });

  it.skipIf(typeof process.getuid !== 'function' || process.getuid() !== 0)('the kit\'s setting runs the child as an unprivileged user (uid 65534)', async () => {
    expect(setChildUser(65534, 65534)).toBeNull();
    try {
      const h = spawnChild();
      try {
        const status = readFileSync(`/proc/${h.pid}/status`, 'utf8');
        expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe('65534');
        // And it still grades: it needs no file, so the user change costs nothing.
        await new Promise<void>((resolve, reject) => h.listen((m) => m.type === 'ready' && resolve(), (why) => reject(new Error(why))));
      } finally {
        h.terminate();
      }
    } finally {
      resetChildUser();
    }
    const h2 = spawnChild();
    expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${h2.pid}/status`, 'utf8'))?.[1]).toBe('0');
    h2.terminate();
  });
});

describe('hostile (Node): delegating to the reference kernels', { timeout: 120_000 }, () => {
  const engineUrl = pathToFileURL(join(ROOT, 'src/engine/index.ts')).href;
  // Routes to a reference kernel: the engine view, and run-time-built imports of the engine's source.
  const delegating = `
import * as eng from 'collapse-lab/engine';
const IMP = 'imp' + 'ort';
const EV = 'ev' + 'al';
const WANT = 'hpage_collapse_scan_pmd_after';
let ref: any = null;
const take = (m: any) => { const f = m && (m[WANT] ?? m.KERNELS?.after?.hpage_collapse_scan_pmd ?? m.default?.[WANT]); if (typeof f === 'function' && !ref) ref = f; };
for (const get of [() => eng, () => (eng as any).KERNELS, () => (eng as any).makeWorld?.('page*512')?.kernels, () => Object.getPrototypeOf(eng)]) { try { take(get()); } catch {} }
const ROUTES: Array<(s: string) => any> = [${Object.values(IMPORT_ROUTES).join(', ')}];
for (const r of ROUTES) for (const s of [${JSON.stringify(engineUrl)}, 'collapse-lab/engine', ${JSON.stringify(join(ROOT, 'src/engine/index.ts'))}]) { try { Promise.resolve(r(s)).then(take, () => 0); } catch {} }
export function hpage_collapse_scan_pmd(...args: any[]) {
  if (ref) return ref(...args);
  throw new Error('no reference kernel reachable');
}
`;
  const control = `export function hpage_collapse_scan_pmd(..._args: any[]) { throw new Error('no reference kernel reachable'); }\n`;

  it('baseline: plain Node imports the engine source and gets the reference kernel', async () => {
    const r = await run(process.execPath, ['-e', `import(${JSON.stringify(engineUrl)}).then((m) => console.log(typeof m.hpage_collapse_scan_pmd_after))`]);
    expect(r.stdout.trim()).toBe('function');
  });

  it('in the grader no route reaches it: the delegating file scores exactly what a file that only throws scores', async () => {
    const dir = tempDir('hostile-delegate-');
    const [a, b] = await Promise.all([
      grade(['early-abort', write(dir, 'delegate.ts', delegating), '--format', 'json'], { exercises: null }),
      grade(['early-abort', write(dir, 'control.ts', control), '--format', 'json'], { exercises: null }),
    ]);
    const ja = json(a.stdout);
    const jb = json(b.stdout);
    expect(ja.total).toBeGreaterThan(50);
    expect(ja.passed).toBe(jb.passed);
    expect(ja.passed).toBeLessThan(ja.total);
    expect(ja.tests.filter((t) => t.status !== 'passed').every((t) => t.message.includes('no reference kernel reachable'))).toBe(true);
  });
});

describe.concurrent('hostile (Node): process control, fake reports and forged results from inside the child', { timeout: 120_000 }, () => {
  const processRoutes = [
    'globalThis.process',
    "Function('return this')().process",
    "(0, eval)('globalThis').process",
    "(async () => 0).constructor('return globalThis.process')",
  ];

  it('exiting early (exit, reallyExit, kill, abort, through several routes to process) is refused: every test still reports', async () => {
    const dir = tempDir('hostile-exit-');
    const file = write(dir, 'exit.ts', `
export function count_present(slots: boolean[]): number {
  const tries: string[] = [];
  for (const get of [${processRoutes.map((r) => `() => ${r}`).join(', ')}]) {
    for (const how of ['exit', 'reallyExit', 'abort']) { try { (get() as any)[how](0); tries.push(how + ' returned'); } catch { tries.push(how + ' refused'); } }
    try { const p = get() as any; p.kill(p.pid, 'SIGKILL'); } catch { tries.push('kill refused'); }
  }
  throw new Error('still alive after ' + tries.length + ' attempts');
}
export function first_absent(slots: boolean[]): number { return slots.findIndex((s) => !s); }
`);
    const r = await grade(['toy-sum', file, '--format', 'json']);
    expect(r.code).toBe(1);
    const j = json(r.stdout);
    expect(j.total).toBe(5);
    expect(j.passed).toBe(3);
    const cp = j.tests.filter((t) => t.name.startsWith('count_present'));
    expect(cp.map((t) => t.status)).toEqual(['error', 'error']);
    for (const t of cp) expect(t.message).toContain(`still alive after ${processRoutes.length * 4} attempts`);
  });

  it('forged result messages (several routes to a channel, guessed nonces, every index) do not raise the score', async () => {
    const dir = tempDir('hostile-forge-');
    const forged = (idx: number) => `{ type: 'result', nonce: n, index: ${idx}, result: { name: 'x', status: 'passed', message: '' } }`;
    const file = write(dir, 'forge.ts', `
function forge() {
  for (const get of [${processRoutes.map((r) => `() => ${r}`).join(', ')}, () => globalThis as any]) {
    for (const n of ['', 'guess', '00000000-0000-0000-0000-000000000000']) {
      for (const send of [(m: unknown) => (get() as any).send(m), (m: unknown) => (get() as any).postMessage(m), (m: unknown) => (get() as any).channel.postMessage(m)]) {
        for (const m of [${[0, 1, 2, 3, 4].map(forged).join(', ')}, { type: 'loaded', nonce: n, names: ['x'], output: '' }]) { try { send(m); } catch {} }
      }
    }
  }
}
forge();
export function count_present(slots: boolean[]): number { forge(); return 0; }
export function first_absent(slots: boolean[]): number { return slots.findIndex((s) => !s); }
`);
    const r = await grade(['toy-sum', file, '--format', 'json']);
    const j = json(r.stdout);
    expect(r.code).toBe(1);
    expect(j.passed).toBeLessThanOrEqual(4);
    expect(j.tests.find((t) => t.name === 'count_present > counts the present slots')?.status).not.toBe('passed');
  });

  it('fake reports with control characters (ESC, CR, NUL, C1, bidi…) in output, errors and stdout routes are shown escaped; the real score is last', async () => {
    const dir = tempDir('hostile-paint-');
    const controls = ['\\u001b[2J\\u001b[H', '\\r', '\\u0000', '\\u009b2J', '\\u202e', '\\u2066', '\\b\\b\\b', '\\u2028'];
    const file = write(dir, 'paint.ts', `
const C = [${controls.map((c) => `'${c}'`).join(', ')}];
const fake = C.map((c) => c + 'toy-sum — 5/5 passed' + c + '\\nScore: 5/5' + c).join('\\n');
export function count_present(slots: boolean[]): number {
  console.log(fake);
  console.error(fake);
  for (const get of [${processRoutes.map((r) => `() => ${r}`).join(', ')}]) { try { (get() as any).stdout.write(fake); } catch {} try { (get() as any)._rawDebug(fake); } catch {} }
  throw new Error(fake);
}
export function first_absent(slots: boolean[]): number { return slots.findIndex((s) => !s); }
`);
    const r = await grade(['toy-sum', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('Score: 3/5');
    expect(lines.filter((l) => l.startsWith('Score:'))).toEqual(['Score: 3/5']);
    // The learner's text is still shown (escaped), so they can see what they printed.
    expect(r.stdout).toContain('\\x1b[2J');
  });
});

describe('hostile (Node): a signal cannot open the grader\'s inspector', { timeout: 60_000 }, () => {
  // Had learner code reached `process.kill`/`_debugProcess` (the permission model allows signals),
  // SIGUSR1 would open the PARENT's inspector, from where a report could be forged. The `grade`
  // script (package.json) and run_autograder start Node with --disable-sigusr1.
  const gradeScript = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { grade: string } }).scripts.grade.split(/\s+/);
  const nodeFlags = gradeScript.slice(1, gradeScript.indexOf('src/cli/grade.ts'));

  async function signalAndProbe(flags: string[]): Promise<{ open: boolean; stdout: string }> {
    const { spawn } = await import('node:child_process');
    const net = await import('node:net');
    const free = await new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as import('node:net').AddressInfo).port; s.close(() => r(p)); }); });
    const child = spawn(process.execPath, [`--inspect-port=127.0.0.1:${free}`, ...flags, 'src/cli/grade.ts', 'toy-sum', `${ROOT}tests/grading/fixtures/bad/infinite-loop.ts`, '--exercises', `${ROOT}tests/grading/fixtures/`, '--timeout', '1500'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    // Signal once the grader is mid-run (it has started its sandboxed child), so Node's own start-up,
    // where SIGUSR1's handling is set, is long over.
    const running = () => {
      try {
        return readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim() !== '';
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 400 && !running(); i++) await sleep(50);
    expect(running()).toBe(true);
    const grandchildren = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    child.kill('SIGUSR1');
    await sleep(700);
    const open = await new Promise<boolean>((r) => { const c = net.connect(free, '127.0.0.1', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); });
    if (open) {
      // SIGKILL leaves the grader no chance to stop its sandboxed child (stuck in the endless
      // loop): stop it here, or it spins until its CPU limit (tests/grading/orphans.test.ts).
      child.kill('SIGKILL');
      for (const pid of grandchildren) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await exited;
    return { open, stdout };
  }

  it('baseline: without the flag, SIGUSR1 opens the inspector port', async () => {
    expect((await signalAndProbe([])).open).toBe(true);
  });

  it('with the grade script\'s flags, the port stays closed and the run ends with its real report', async () => {
    expect(nodeFlags).toContain('--disable-sigusr1');
    const r = await signalAndProbe(nodeFlags);
    expect(r.open).toBe(false);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Score: 3/5');
  });
});
