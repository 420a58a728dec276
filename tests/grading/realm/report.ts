import type { RunResult } from '../../../src/grading/types.ts';

/** The JSON a probe printed as `REPORT <json>` (in the load output or any test's output or message). */
export function report<T>(r: RunResult): T {
  const all = [r.output ?? '', ...r.tests.map((t) => `${t.output ?? ''}\n${t.message}`)].join('\n');
  const m = /REPORT (\{.*\})/.exec(all);
  if (!m) throw new Error(`no REPORT in the run: ${JSON.stringify(r).slice(0, 2000)}`);
  return JSON.parse(m[1]!) as T;
}
