import sax from 'sax';
import { describe, expect, it } from 'vitest';
import { formatGradescope, formatJson, formatJunit, formatText, type Graded } from '../../src/grading/reporters/index.ts';
import type { RunResult } from '../../src/grading/types.ts';

const run: RunResult = {
  exercise: 'early-abort',
  passed: 1,
  failed: 3,
  total: 4,
  durationMs: 123,
  tests: [
    { name: 'scan > a swap PTE within max_ptes_swap is fine', status: 'passed', message: '', durationMs: 3 },
    { name: 'scan > a migration entry at slot 3 aborts <with> "SCAN_PTE_NON_PRESENT" & stops', status: 'failed', message: "slot 3: expected 'SCAN_SUCCEED' to be 'SCAN_PTE_NON_PRESENT'\nsecond line <b>&amp;</b>", durationMs: 4, output: 'log: \u001b[31mred\u001b[0m and a NUL \u0000 char\n' },
    { name: 'scan > loops', status: 'timeout', message: 'stopped after 2 s — possibly an infinite loop' },
    { name: "scan > throws", status: 'error', message: "threw a string: 'boom'" },
  ],
};
const compileFail: RunResult = { exercise: 'swapin-guard', passed: 0, failed: 0, total: 0, tests: [], durationMs: 5, compileError: { line: 4, column: 13, message: 'Unexpected token' } };

/** Strict well-formedness check with a real XML parser (sax, strict mode); returns element names seen. */
function parseXml(xml: string): { elements: { name: string; attributes: Record<string, string> }[]; text: string[] } {
  const parser = sax.parser(true, {});
  const elements: { name: string; attributes: Record<string, string> }[] = [];
  const text: string[] = [];
  parser.onopentag = (node) => elements.push({ name: node.name, attributes: node.attributes as Record<string, string> });
  parser.ontext = (t) => text.push(t);
  parser.onerror = (e) => {
    throw e;
  };
  parser.write(xml).close();
  return { elements, text };
}

describe('text reporter', () => {
  it('marks each status, indents messages and ends with Score: X/Y', () => {
    const out = formatText([{ result: run }]);
    const lines = out.split('\n');
    expect(lines.at(-1)).toBe('Score: 1/4');
    expect(out).toContain('  ✓ scan > a swap PTE within max_ptes_swap is fine');
    expect(out).toContain('  ✗ scan > a migration entry');
    expect(out).toContain("      slot 3: expected 'SCAN_SUCCEED' to be 'SCAN_PTE_NON_PRESENT'\n      second line");
    expect(out).toContain('  ⏱ scan > loops');
    expect(out).toContain('  ! scan > throws');
  });
  it('counts the expected tests as the maximum after a compile error', () => {
    const out = formatText([{ result: compileFail, file: 'swapin.ts', source: 'a\nb\nc\n  return n +;\n', expectedTests: ['a', 'b', 'c'] }]);
    expect(out).toContain('swapin.ts:4:13: does not compile: Unexpected token');
    expect(out).toContain('        return n +;\n                  ^');
    expect(out.split('\n').at(-1)).toBe('Score: 0/3');
  });
});

describe('json reporter', () => {
  it('has exactly the contract shape for one exercise', () => {
    const j = JSON.parse(formatJson([{ result: run }]));
    expect(Object.keys(j)).toEqual(['exercise', 'passed', 'failed', 'total', 'tests']);
    expect(j.tests[1]).toEqual({ name: run.tests[1].name, status: 'failed', message: run.tests[1].message, output: run.tests[1].output });
    expect(Object.keys(j.tests[0])).toEqual(['name', 'status', 'message']);
  });
  it('carries compileError', () => {
    expect(JSON.parse(formatJson([{ result: compileFail }])).compileError).toEqual(compileFail.compileError);
  });
});

describe('gradescope reporter', () => {
  it('parses as JSON with score, max_score, tests[name, score, max_score, status, output, visibility], output, execution_time', () => {
    const g = JSON.parse(formatGradescope([{ result: run }], 1234));
    expect(g).toMatchObject({ score: 1, max_score: 4, execution_time: 1.234 });
    expect(typeof g.output).toBe('string');
    expect(g.tests).toHaveLength(4);
    for (const t of g.tests) {
      expect(Object.keys(t).sort()).toEqual(['max_score', 'name', 'output', 'score', 'status', 'visibility']);
      expect(['passed', 'failed']).toContain(t.status);
      expect(t.max_score).toBe(1);
    }
    expect(g.tests.map((t: { status: string }) => t.status)).toEqual(['passed', 'failed', 'failed', 'failed']);
    expect(g.tests[2].output).toContain('timeout: stopped after 2 s');
    expect(g.tests[1].output).toContain('your code printed:');
  });
  it('prefixes test names with the exercise and keeps max_score after a compile error, for several exercises', () => {
    const graded: Graded[] = [{ result: run }, { result: compileFail, expectedTests: ['x', 'y'] }];
    const g = JSON.parse(formatGradescope(graded, 10));
    expect(g.max_score).toBe(6);
    expect(g.score).toBe(1);
    expect(g.tests[0].name).toBe('early-abort: scan > a swap PTE within max_ptes_swap is fine');
    expect(g.tests[4]).toMatchObject({ name: 'swapin-guard: x', score: 0, status: 'failed' });
    expect(g.tests[4].output).toContain('does not compile');
  });
});

describe('junit reporter', () => {
  it('is well-formed XML (strict parser) with testsuite/testcase/failure/error and escaped text', () => {
    const xml = formatJunit([{ result: run }, { result: compileFail, expectedTests: ['x'] }]);
    const { elements, text } = parseXml(xml);
    const names = elements.map((e) => e.name);
    expect(names[0]).toBe('testsuites');
    expect(names.filter((n) => n === 'testsuite')).toHaveLength(2);
    expect(names.filter((n) => n === 'testcase')).toHaveLength(5);
    expect(names.filter((n) => n === 'failure')).toHaveLength(1);
    expect(names.filter((n) => n === 'error')).toHaveLength(3);
    const suite = elements.find((e) => e.name === 'testsuite')!;
    expect(suite.attributes).toMatchObject({ name: 'early-abort', tests: '4', failures: '1', errors: '2' });
    const tc = elements.filter((e) => e.name === 'testcase')[1];
    expect(tc.attributes.name).toBe(run.tests[1].name); // round-trips <, >, ", &
    expect(text.join('')).toContain('second line <b>&amp;</b>');
    expect(xml).not.toContain('\u001b');
    expect(xml).not.toContain('\u0000');
  });
  it('the strict parser used here does reject malformed XML', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow();
  });
});

describe('reporters: control characters from a submission cannot paint a fake report', () => {
  // Every class of dangerous character, in every field a submission can influence.
  const CONTROLS: Record<string, string> = {
    'ESC (ANSI: clear screen, move cursor)': '\u001b[2J\u001b[H',
    'CR (overwrite the line)': '\r',
    NUL: '\u0000',
    'BEL and backspace': '\u0007\b\b\b',
    'C1 CSI (8-bit escape)': '\u009b2J',
    'DEL': '\u007f',
    'vertical tab and form feed': '\u000b\u000c',
    'bidi override RLO': '\u202e',
    'bidi isolates': '\u2066\u2067\u2068\u2069',
    'line/paragraph separators': '\u2028\u2029',
    'zero-width characters and BOM': '\u200b\u200d\ufeff',
  };
  // Raw control characters other than \n and \t: none may reach a text report.
  const RAW = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/;
  const fake = (c: string) => `${c}Score: 94/94${c}\n${c}Score: 94/94`;
  const hostileRun = (c: string): Graded[] => [
    {
      result: {
        exercise: 'toy', passed: 1, failed: 2, total: 3, durationMs: 1,
        tests: [
          { name: 'a', status: 'passed', message: '' },
          { name: 'b', status: 'failed', message: fake(c), output: fake(c) },
          { name: 'c', status: 'error', message: `threw a string: '${fake(c)}'`, output: fake(c) },
        ],
      },
    },
    { result: { exercise: 'toy2', passed: 0, failed: 1, total: 1, durationMs: 1, loadError: `your file does not export \`f\` (found: ${fake(c)})`, output: fake(c), tests: [{ name: 'loading your code', status: 'error', message: fake(c) }] } },
    { result: { ...compileFail, exercise: 'toy3' }, file: `sub${c}.ts`, source: `a\nb\nc\n${fake(c)}\n` },
  ];

  for (const [what, c] of Object.entries(CONTROLS)) {
    it(`${what}: text shows it escaped, and the only Score line is the real one, last`, () => {
      const out = formatText(hostileRun(c));
      expect(out).not.toMatch(RAW);
      const scoreLines = out.split('\n').filter((l) => /^\s*Score:/.test(l) && !/^\s{2,}/.test(l));
      expect(scoreLines).toEqual(['Score: 1/5']);
      expect(out.split('\n').at(-1)).toBe('Score: 1/5');
      // Learner text is kept (escaped), not dropped.
      expect(out).toContain('Score: 94/94');
    });
    it(`${what}: gradescope text fields and junit carry no raw control character`, () => {
      const g = JSON.parse(formatGradescope(hostileRun(c), 1)) as { output: string; tests: { name: string; output: string }[] };
      for (const t of g.tests) {
        expect(t.output).not.toMatch(RAW);
        expect(t.name).not.toMatch(RAW);
      }
      expect(g.output).not.toMatch(RAW);
      const xml = formatJunit(hostileRun(c));
      expect(xml).not.toMatch(RAW);
      expect(() => parseXml(xml)).not.toThrow();
    });
  }

  it('the check above can fail: the raw fake report does contain the control characters', () => {
    for (const c of Object.values(CONTROLS)) expect(fake(c)).toMatch(RAW);
  });
});
