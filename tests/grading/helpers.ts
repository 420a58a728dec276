import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
export function gradeProcess(args: string[], opts: { cwd?: string; exercises?: string | null } = {}): Promise<CliRun> {
  const full = opts.exercises === null ? args : [...args, '--exercises', opts.exercises ?? FIXTURES];
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [`${ROOT}src/cli/grade.ts`, ...full], { cwd: opts.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
  });
}

/** True if the text looks like it contains a JavaScript stack trace. */
export const hasStackTrace = (s: string) => /\n\s+at .+:\d+:\d+\)?/.test(s) || /node:internal/.test(s);
