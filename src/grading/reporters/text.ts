/**
 * Human-readable report: ✓ passed, ✗ failed, ⏱ timeout, ! error; `Score: X/Y` is the last line.
 * Every piece of text that a submission can influence (messages, output, names, source lines, file
 * names) goes through escapeControl, and learner text is always indented, so a submission cannot
 * clear the screen, rewrite a line or print a line that looks like the score.
 */
import { score, setupFailure, type Graded } from './common.ts';
import { escapeControl, escapeLine } from './escape.ts';

const MARK = { passed: '✓', failed: '✗', timeout: '⏱', error: '!' } as const;

const indent = (s: string, pad: string) => escapeControl(s).replace(/\s+$/, '').split('\n').map((l) => pad + l).join('\n');

export function formatText(graded: Graded[]): string {
  const out: string[] = [];
  for (const g of graded) {
    const r = g.result;
    const failure = setupFailure(g);
    out.push(`${escapeLine(r.exercise)}${failure ? '' : ` — ${r.passed}/${r.total} passed`}`);
    if (failure) {
      out.push(indent(`! ${failure}`, '  '));
      if (r.compileError && g.source) {
        const line = g.source.split(/\r\n|\r|\n/)[r.compileError.line - 1];
        if (line !== undefined) {
          out.push(`      ${escapeLine(line)}`);
          out.push(`      ${' '.repeat(Math.max(0, r.compileError.column - 1))}^`);
        }
      }
      if (r.output) out.push('    your code printed:', indent(r.output, '      | '));
    }
    for (const t of g.notSubmitted ? [] : r.tests) {
      if (failure && t.name === 'loading your code') continue;
      out.push(`  ${MARK[t.status] ?? '?'} ${escapeLine(t.name)}`);
      if (t.status !== 'passed' && t.message) out.push(indent(t.message, '      '));
      if (t.status !== 'passed' && t.output) out.push('      your code printed:', indent(t.output, '        | '));
    }
    if (r.stoppedAfterMs !== undefined) out.push(`  (run stopped after ${(r.stoppedAfterMs / 1000).toFixed(1)} s)`);
    out.push('');
  }
  const s = score(graded);
  out.push(`Score: ${s.earned}/${s.max}`);
  return out.join('\n');
}
