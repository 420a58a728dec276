/**
 * `npm test`: the type check, the generated-API check and the Vitest suite — the last two beside
 * the type check instead of after it.
 *
 *   npm test [-- <vitest arguments>]     (arguments go to `vitest run`, e.g. a reporter)
 *
 * Why not `a && b && c`: the suite is CPU-bound on two cores, but `tsc` is single-threaded and
 * took ~10 s with the second core idle before Vitest started. Run together, the check costs the
 * suite a few seconds of CPU instead of ten of wall time.
 *
 * The one hazard: `tsc` reads Astro's generated declarations (.astro/, written by `astro sync`),
 * and the suite's own Astro runs (the browser project's build, the lab build, the dev server)
 * rewrite them while it reads. So `astro sync` runs first, and `tsc` checks a snapshot of .astro/
 * (a sibling folder at the same depth, so its relative imports still resolve) through a generated
 * tsconfig that extends the project's. Exit status: the first failing step's, else 0; every
 * step's output is shown, the two checks' when they end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (pkg: string, file: string) => join(ROOT, 'node_modules', pkg, file);
const SNAPSHOT = join(ROOT, '.astro-typecheck');

function run(label: string, args: string[], opts: { stream: boolean }): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: opts.stream ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => out.push(d));
    child.on('error', (e) => {
      process.stderr.write(`${label}: could not start: ${e.message}\n`);
      done(1);
    });
    child.on('close', (code, signal) => {
      const status = code ?? (signal ? 1 : 0);
      if (!opts.stream) {
        const text = Buffer.concat(out).toString();
        process.stdout.write(`\n== ${label}: ${status === 0 ? 'ok' : `FAILED (exit ${status})`}\n${text}${text && !text.endsWith('\n') ? '\n' : ''}`);
      }
      done(status);
    });
  });
}

// 1. Astro's declarations, then a snapshot of them that no later Astro run touches.
const sync = spawnSync(process.execPath, [bin('astro', 'bin/astro.mjs'), 'sync'], { cwd: ROOT, stdio: 'inherit' });
if (sync.status !== 0) process.exit(sync.status ?? 1);
rmSync(SNAPSHOT, { recursive: true, force: true });
mkdirSync(SNAPSHOT, { recursive: true });
// The declarations (and settings.json); not the content data store (~450 KB of JSON tsc never reads).
cpSync(join(ROOT, '.astro'), SNAPSHOT, { recursive: true, filter: (src) => !src.endsWith('.json') || src.endsWith('settings.json') });
const project = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
const checkConfig = join(SNAPSHOT, 'tsconfig.check.json');
writeFileSync(
  checkConfig,
  JSON.stringify(
    {
      extends: '../tsconfig.json',
      // `include` of an extending config is relative to it: the project's list, with the snapshot for .astro/.
      include: project.include.map((p) => (p.startsWith('.astro/') ? p.slice('.astro/'.length) : `../${p}`)),
    },
    null,
    2,
  ),
);

// 2. The three steps at once; Vitest's output streams, the checks' come when they end.
const [tsc, api, vitest] = await Promise.all([
  run('tsc --noEmit', [bin('typescript', 'bin/tsc'), '--noEmit', '-p', checkConfig], { stream: false }),
  run('generated API pages up to date', [join(ROOT, 'scripts/gen-api.ts'), '--check'], { stream: false }),
  run('vitest', [bin('vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)], { stream: true }),
]);
rmSync(SNAPSHOT, { recursive: true, force: true });
const failed = [tsc, api, vitest].find((s) => s !== 0);
if (failed !== undefined) {
  process.stderr.write(`\nnpm test: FAILED (${[tsc ? 'type check' : '', api ? 'API pages' : '', vitest ? 'tests' : ''].filter(Boolean).join(', ')})\n`);
  process.exit(failed);
}
