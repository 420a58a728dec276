/** JUnit XML (the Ant-style schema CI systems read): testsuites > testsuite > testcase > failure|error. */
import { setupFailure, type Graded } from './common.ts';
import { escapeControl } from './escape.ts';

/**
 * Escape text for XML content and attribute values: ANSI colours dropped, other control and bidi
 * characters shown as visible escapes (escapeControl), anything XML 1.0 still forbids replaced.
 */
export function xmlEscape(s: string): string {
  return escapeControl(s.replace(/\u001b\[[0-9;]*m/g, ''))
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const secs = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

export function formatJunit(graded: Graded[]): string {
  const suites: string[] = [];
  let all = 0;
  let allFail = 0;
  let allErr = 0;
  let allMs = 0;
  for (const g of graded) {
    const r = g.result;
    const cases: string[] = [];
    let failures = 0;
    let errors = 0;
    const failure = setupFailure(g);
    if (failure) {
      const names = g.expectedTests && g.expectedTests.length ? g.expectedTests : ['loading your code'];
      for (const name of names) {
        errors++;
        cases.push(`    <testcase classname="${xmlEscape(r.exercise)}" name="${xmlEscape(name)}" time="0.000">\n      <error type="${g.notSubmitted ? 'not-submitted' : r.compileError ? 'compile' : 'load'}" message="${xmlEscape(failure)}">${xmlEscape(failure)}</error>\n    </testcase>`);
      }
    }
    for (const t of failure ? [] : r.tests) {
      const head = `    <testcase classname="${xmlEscape(r.exercise)}" name="${xmlEscape(t.name)}" time="${secs(t.durationMs)}"`;
      const body: string[] = [];
      const firstLine = t.message.split('\n')[0];
      if (t.status === 'failed') {
        failures++;
        body.push(`      <failure type="AssertionError" message="${xmlEscape(firstLine)}">${xmlEscape(t.message)}</failure>`);
      } else if (t.status === 'error' || t.status === 'timeout') {
        errors++;
        body.push(`      <error type="${t.status}" message="${xmlEscape(firstLine)}">${xmlEscape(t.message)}</error>`);
      }
      if (t.output) body.push(`      <system-out>${xmlEscape(t.output)}</system-out>`);
      cases.push(body.length ? `${head}>\n${body.join('\n')}\n    </testcase>` : `${head}/>`);
    }
    const n = cases.length;
    all += n;
    allFail += failures;
    allErr += errors;
    allMs += r.durationMs;
    suites.push(`  <testsuite name="${xmlEscape(r.exercise)}" tests="${n}" failures="${failures}" errors="${errors}" skipped="0" time="${secs(r.durationMs)}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="collapse-lab" tests="${all}" failures="${allFail}" errors="${allErr}" time="${secs(allMs)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
