/**
 * Build-time generation of the engine's type declarations for the in-page editor.
 *
 * Monaco's TypeScript worker needs to know what `import { … } from 'collapse-lab/engine'` means,
 * with the engine's TSDoc (hover docs) and exact signatures (type errors). We generate them from
 * the real engine source with the TypeScript 5.9 compiler API (declaration-only emit, in memory)
 * every time the site is built, so they cannot drift from the engine.
 *
 * The per-file .d.ts outputs are wrapped as ambient modules in ONE extra-lib file:
 *   declare module "collapse-lab/engine/internal/pte" { … }      (one per engine file)
 *   declare module "collapse-lab/engine" { export * from "collapse-lab/engine/internal/pte"; … }
 * because module resolution across several extra libs is flaky in Monaco (monaco-editor#754,
 * #276, #2850; anchors-courses.md §5.3), while ambient modules in one file always resolve.
 *
 * Runs in Node only (imported by the Vite plugin in ./vite-plugin-engine-dts.ts).
 */
import ts from 'typescript';
import { createHash } from 'node:crypto';
import path from 'node:path';

export const ENGINE_MODULE = 'collapse-lab/engine';

export interface EngineDts {
  /** The extra-lib text. */
  dts: string;
  /** Source files that went into it (for the bundler's watch list). */
  files: string[];
  /**
   * What the text was made from, for a cache (./engine-dts-cache.ts): every file the compiler read
   * apart from its own libs, with the sha-256 (hex) of the very text it read, and every path it
   * looked for and did not find (an import of a file that does not exist yet). Absent when there
   * is no engine.
   */
  sources?: { read: [file: string, sha256: string][]; absent: string[] };
}

function moduleNameFor(dtsFile: string, indexDts: string, engineDir: string): string {
  if (path.resolve(dtsFile) === path.resolve(indexDts)) return ENGINE_MODULE;
  const rel = path
    .relative(engineDir, dtsFile)
    .replace(/\\/g, '/')
    .replace(/\.d\.ts$/, '');
  return `${ENGINE_MODULE}/internal/${rel}`;
}

/**
 * Generate the declarations of the engine whose entry is `indexFile` (src/engine/index.ts).
 * When the entry does not exist yet, returns an empty module (the editor still works, without
 * engine types) and says so in a comment.
 */
export function buildEngineDts(indexFile: string): EngineDts {
  const fsys = ts.sys;
  if (!fsys.fileExists(indexFile)) {
    return {
      dts: `// ${indexFile} not found at build time: no engine types.\ndeclare module "${ENGINE_MODULE}" {}\n`,
      files: [],
    };
  }
  const engineDir = path.dirname(path.resolve(indexFile));
  const options: ts.CompilerOptions = {
    declaration: true,
    emitDeclarationOnly: true,
    noEmit: false,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    strict: true,
    skipLibCheck: true,
    stripInternal: true,
    removeComments: false,
    types: [],
    lib: ['lib.es2023.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  // Record what the program is made of as the compiler sees it: the text it read (hashed as read,
  // so a file saved during the emit is not taken for the text that was used) and the paths it
  // probed in vain. TypeScript's own lib files are left out (they come with its version).
  const libDir = path.dirname(ts.getDefaultLibFilePath(options)) + path.sep;
  const read = new Map<string, string>();
  const absent = new Set<string>();
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => {
    const text = readFile(name);
    const abs = path.resolve(name);
    if (text !== undefined && !abs.startsWith(libDir)) read.set(abs, createHash('sha256').update(text).digest('hex'));
    return text;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => {
    const found = fileExists(name);
    if (!found) absent.add(path.resolve(name));
    return found;
  };
  const directoryExists = host.directoryExists?.bind(host);
  if (directoryExists) {
    host.directoryExists = (name) => {
      const found = directoryExists(name);
      if (!found) absent.add(path.resolve(name));
      return found;
    };
  }
  const outputs = new Map<string, string>();
  host.writeFile = (name, text) => {
    outputs.set(path.resolve(name), text);
  };
  const program = ts.createProgram([path.resolve(indexFile)], options, host);
  program.emit(undefined, undefined, undefined, true);

  const indexDts = path.resolve(indexFile).replace(/\.ts$/, '.d.ts');
  const files = program
    .getSourceFiles()
    .map((f) => path.resolve(f.fileName))
    .filter((f) => f.startsWith(engineDir + path.sep) && !f.endsWith('.d.ts'));

  const blocks: string[] = [];
  // Deterministic order: index last so its re-exports read after the modules they name.
  const names = [...outputs.keys()].filter((n) => n.startsWith(engineDir + path.sep)).sort();
  names.sort((a, b) => Number(a === indexDts) - Number(b === indexDts));
  for (const name of names) {
    const text = outputs.get(name)!;
    const dir = path.dirname(name);
    const rewritten = text
      // relative specifiers → the ambient module names
      .replace(/(\bfrom\s+|\bimport\s*\(\s*|^import\s+)(['"])(\.\.?\/[^'"]+)\2/gm, (_m, pre: string, _q: string, spec: string) => {
        const target = path.resolve(dir, spec).replace(/\.(d\.ts|ts|js|mts|mjs)$/, '') + '.d.ts';
        return `${pre}"${moduleNameFor(target, indexDts, engineDir)}"`;
      })
      // `declare` is an error inside an ambient module (TS1038)
      .replace(/^(\s*)(export\s+)?(default\s+)?declare\s+/gm, '$1$2$3')
      .replace(/^\/\/# sourceMappingURL=.*$/gm, '');
    const body = rewritten
      .trimEnd()
      .split('\n')
      .map((l) => (l ? '    ' + l : l))
      .join('\n');
    blocks.push(`declare module "${moduleNameFor(name, indexDts, engineDir)}" {\n${body}\n}`);
  }
  const header =
    `// Generated at build time from src/engine by src/editor/engine-dts.ts — do not edit.\n` +
    `// TypeScript ${ts.version}.\n`;
  return { dts: header + blocks.join('\n\n') + '\n', files, sources: { read: [...read].sort(), absent: [...absent].sort() } };
}
