/**
 * Every export of the kernel-side engine files carries a TSDoc comment (it becomes the learner's
 * hover docs and the API appendix), and the files keep the engine's house rules: erasable syntax,
 * `.ts` relative imports, nothing outside src/engine, no module-level mutable state.
 */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';

const FILES = ['mm', 'locks', 'trace', 'memory', 'khugepaged', 'actors', 'explore', 'run', 'narrate'];
const dir = path.resolve('src/engine');

describe('engine house rules (kernel-side files)', () => {
  for (const f of FILES) {
    const src = fs.readFileSync(path.join(dir, `${f}.ts`), 'utf8');
    const lines = src.split('\n');

    it(`${f}.ts: every export has a TSDoc comment`, () => {
      const missing: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (!/^export (function|const|class|interface|type|async function)\b/.test(lines[i])) continue;
        let j = i - 1;
        while (j >= 0 && lines[j].trim() === '') j--;
        if (!/\*\/\s*$/.test(lines[j] ?? '')) missing.push(`${f}.ts:${i + 1} ${lines[i].slice(0, 80)}`);
      }
      expect(missing).toEqual([]);
    });

    it(`${f}.ts: erasable syntax, .ts relative imports, imports only from src/engine`, () => {
      expect(src).not.toMatch(/^\s*(export\s+)?(const\s+)?enum\s/m);
      expect(src).not.toMatch(/^\s*(export\s+)?namespace\s/m);
      expect(src).not.toMatch(/constructor\([^)]*\b(public|private|protected|readonly)\s/);
      for (const m of src.matchAll(/from '([^']+)'/g)) {
        expect(m[1], `${f}.ts imports ${m[1]}`).toMatch(/^\.\/[a-z_]+\.ts$/);
      }
    });

    it(`${f}.ts: no module-level mutable state (top-level let/var)`, () => {
      expect(lines.filter((l) => /^(let|var) /.test(l))).toEqual([]);
    });
  }
});
