/**
 * Learner TypeScript → CommonJS with sucrase (strips types, rewrites imports to `require`).
 * Sucrase keeps line numbers, so a runtime error's line in the output is the learner's line.
 */
import { transform } from 'sucrase';
import type { CompileError } from './types.ts';

export type CompileOutcome = { ok: true; code: string } | { ok: false; error: CompileError };

/** 1-based line and column of character offset `pos` in `source` (columns count UTF-16 units). */
export function lineColumnAt(source: string, pos: number): { line: number; column: number } {
  const p = Math.max(0, Math.min(pos, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < p; i++) {
    const ch = source.charCodeAt(i);
    if (ch === 10 /* \n */) {
      line++;
      lineStart = i + 1;
    } else if (ch === 13 /* \r */ && source.charCodeAt(i + 1) !== 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: p - lineStart + 1 };
}

/** Compile learner (or test) TypeScript. Never throws for bad input. */
export function compileTs(source: string, filePath = 'solution.ts'): CompileOutcome {
  try {
    const out = transform(source, {
      transforms: ['typescript', 'imports'],
      filePath,
      // Keep `import type` erasure exact and do not inject interop helpers we do not need.
      disableESTransforms: true,
      production: true,
    });
    return { ok: true, code: out.code };
  } catch (e) {
    const err = e as { message?: unknown; pos?: unknown };
    const raw = typeof err?.message === 'string' ? err.message : String(e);
    // Sucrase appends " (line:col)"; we compute our own from `pos` and drop theirs.
    const message = raw.replace(/^Error transforming [^:]*: /, '').replace(/\s*\(\d+:\d+\)\s*$/, '');
    if (typeof err?.pos === 'number') {
      const { line, column } = lineColumnAt(source, err.pos);
      return { ok: false, error: { line, column, message } };
    }
    const m = /\((\d+):(\d+)\)\s*$/.exec(raw);
    return {
      ok: false,
      error: { line: m ? Number(m[1]) : 1, column: m ? Number(m[2]) : 1, message },
    };
  }
}
