/**
 * JSON report. One exercise: the contract shape
 *   { exercise, passed, failed, total, tests: [{ name, status, message }] }
 * (+ compileError / loadError / stoppedAfterMs when set, + output per test when the code printed,
 * + notSubmitted: true for a required exercise the export does not contain — each test then 'error').
 * Several exercises (--work): { exercises: [<that shape>…], passed, failed, total }.
 */
import type { Graded } from './common.ts';

export function jsonShape(g: Graded): Record<string, unknown> {
  const r = g.result;
  const o: Record<string, unknown> = {
    exercise: r.exercise,
    passed: r.passed,
    failed: r.failed,
    total: r.total,
    tests: r.tests.map((t) => ({ name: t.name, status: t.status, message: t.message, ...(t.output ? { output: t.output } : {}) })),
  };
  if (r.compileError) o.compileError = r.compileError;
  if (r.loadError) o.loadError = r.loadError;
  if (r.stoppedAfterMs !== undefined) o.stoppedAfterMs = r.stoppedAfterMs;
  if (g.notSubmitted) o.notSubmitted = true;
  return o;
}

export function formatJson(graded: Graded[], multi = graded.length !== 1): string {
  if (!multi) return JSON.stringify(jsonShape(graded[0]), null, 2);
  const sum = (k: 'passed' | 'failed' | 'total') => graded.reduce((n, g) => n + g.result[k], 0);
  return JSON.stringify({ exercises: graded.map(jsonShape), passed: sum('passed'), failed: sum('failed'), total: sum('total') }, null, 2);
}
