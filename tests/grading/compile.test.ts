import { describe, expect, it } from 'vitest';
import { compileTs, lineColumnAt } from '../../src/grading/compile.ts';

describe('lineColumnAt', () => {
  it('is 1-based for the first character', () => {
    expect(lineColumnAt('abc', 0)).toEqual({ line: 1, column: 1 });
  });
  it('counts LF, CRLF and lone CR line ends once each', () => {
    const src = 'a\nbb\r\nccc\rdddd';
    expect(lineColumnAt(src, src.indexOf('bb') + 1)).toEqual({ line: 2, column: 2 });
    expect(lineColumnAt(src, src.indexOf('ccc') + 2)).toEqual({ line: 3, column: 3 });
    expect(lineColumnAt(src, src.indexOf('dddd') + 3)).toEqual({ line: 4, column: 4 });
  });
  it('clamps positions past the end', () => {
    expect(lineColumnAt('ab\ncd', 99)).toEqual({ line: 2, column: 3 });
  });
});

describe('compileTs', () => {
  it('strips types and turns imports into require calls', () => {
    const out = compileTs("import { x } from 'collapse-lab/engine';\nexport function f(a: number): number { return x(a); }");
    expect(out.ok).toBe(true);
    if (out.ok) {
      expect(out.code).toContain("require('collapse-lab/engine')");
      expect(out.code).not.toContain(': number');
    }
  });
  it('reports a syntax error at the line and column of the offending token', () => {
    const src = 'export function f(n: number) {\n  let x = 1;\n  return n +;\n}\n';
    const out = compileTs(src);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error).toMatchObject({ line: 3, column: 13 });
      expect(src.split('\n')[out.error.line - 1][out.error.column - 1]).toBe(';');
      expect(out.error.message).toMatch(/Unexpected token/);
      expect(out.error.message).not.toMatch(/\(\d+:\d+\)|Error transforming/);
    }
  });
  it('reports an unclosed brace at the end of the file', () => {
    const out = compileTs('export function f() {\n  return 1;\n');
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.line).toBe(3);
  });
  it('counts columns after CRLF line ends from the start of the line', () => {
    const src = 'const a = 1;\r\nconst b = ;\r\n';
    const out = compileTs(src);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatchObject({ line: 2, column: 11 });
  });
});
