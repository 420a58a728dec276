/**
 * gen-api — build the engine's API reference page (content/appendix/api.mdx) from the TSDoc of
 * src/engine/*.ts, with the TypeScript 5.9 compiler API.
 *
 *   npx node scripts/gen-api.ts            write content/appendix/api.mdx
 *   npx node scripts/gen-api.ts --check    exit 1 if the page on disk is out of date (for CI)
 *   npx node scripts/gen-api.ts --stdout   print the page instead of writing it
 *
 * What it lists: every exported function, constant, class, type and interface declared in an
 * engine file (tests excluded), grouped by the file that declares it, in declaration order, with
 * its signature (as the type checker prints it) and its doc comment (summary + tags). Exports that
 * `src/engine/index.ts` (the module `collapse-lab/engine`) does not re-export are listed too, marked
 * "internal". The output is deterministic (no timestamps) so `--check` can compare it.
 *
 * The page is MDX: signatures go into fenced code blocks (literal in MDX), and doc text is escaped
 * outside code spans so that `<`, `{` and `}` cannot be parsed as JSX.
 */
import ts from 'typescript';
import { readdirSync, readFileSync, writeFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
// issue 14 (structure only): the page is cut into an overview + one page per engine file.
import { splitApiPage } from './api-pages.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE_DIR = join(ROOT, 'src', 'engine');
const INDEX = join(ENGINE_DIR, 'index.ts');
const OUT = join(ROOT, 'content', 'appendix', 'api.mdx');

type Kind = 'function' | 'const' | 'class' | 'type' | 'interface';

interface Entry {
  name: string;
  kind: Kind;
  signatures: string[];
  doc: string;
  tags: { name: string; text: string }[];
  internal: boolean;
  pos: number;
}

interface FileGroup {
  file: string; // path relative to the repo root
  module: string; // the file's own @module / top comment summary, if any
  entries: Entry[];
}

const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrayAsGenericType;

function engineFiles(): string[] {
  return readdirSync(ENGINE_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort((a, b) => (a === 'index.ts' ? 1 : b === 'index.ts' ? -1 : a.localeCompare(b)))
    .map((f) => join(ENGINE_DIR, f));
}

function loadProgram(files: string[]): ts.Program {
  const configPath = join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, skipLibCheck: true, types: [] };
  return ts.createProgram({ rootNames: files, options });
}

/** Escape MDX-significant characters outside inline code spans and fenced blocks. */
export function escapeMdx(text: string): string {
  const out: string[] = [];
  const fences = text.split(/(```[\s\S]*?```)/g);
  for (const part of fences) {
    if (part.startsWith('```')) {
      out.push(`\n${part}\n`);
      continue;
    }
    const spans = part.split(/(`[^`\n]*`)/g);
    for (const s of spans) {
      if (s.startsWith('`') && s.endsWith('`') && s.length >= 2) out.push(s);
      else
        out.push(
          s
            .replace(/&/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;')
            .replace(/\{/g, '&#123;')
            .replace(/\}/g, '&#125;'),
        );
    }
  }
  return out.join('');
}

/** `{@link foo}` / `{@link foo | text}` / `{@linkcode foo}` → inline code (before escaping). */
function linksToCode(text: string): string {
  return text.replace(/\{@link(?:code|plain)?\s+([^}|\s]+)(?:\s*\|\s*([^}]+))?\}/g, (_m, target: string, label?: string) =>
    label ? `${label.trim()} (\`${target}\`)` : `\`${target}\``,
  );
}

function docText(parts: ts.SymbolDisplayPart[] | undefined): string {
  if (!parts) return '';
  // ts keeps {@link} as link parts; rebuild them as text so linksToCode can turn them into code.
  let s = '';
  for (const p of parts) {
    if (p.kind === 'link') s += p.text === '{@link ' || p.text.startsWith('{@link') ? '{@link ' : p.text;
    else s += p.text;
  }
  return linksToCode(s).trim();
}

function tagText(tag: ts.JSDocTagInfo): string {
  return docText(tag.text);
}

function declKind(decl: ts.Declaration, checker: ts.TypeChecker, sym: ts.Symbol): Kind | null {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isVariableDeclaration(decl)) {
    const init = decl.initializer;
    if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) return 'function';
    const t = checker.getTypeOfSymbolAtLocation(sym, decl);
    if (!init && t.getCallSignatures().length > 0 && t.getProperties().length === 0) return 'function';
    return 'const';
  }
  if (ts.isEnumDeclaration(decl)) return 'const';
  return null;
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

function signaturesOf(name: string, kind: Kind, sym: ts.Symbol, decl: ts.Declaration, checker: ts.TypeChecker): string[] {
  const sf = decl.getSourceFile();
  switch (kind) {
    case 'function': {
      const t = checker.getTypeOfSymbolAtLocation(sym, decl);
      const sigs = t.getCallSignatures();
      return sigs.map((sig) => {
        const typeParams = sig.typeParameters?.length
          ? `<${sig.typeParameters.map((tp) => checker.typeToString(tp, undefined, FORMAT)).join(', ')}>`
          : '';
        const params = sig.parameters.map((p) => {
          const pd = p.valueDeclaration as ts.ParameterDeclaration | undefined;
          const pt = checker.getTypeOfSymbolAtLocation(p, pd ?? decl);
          const rest = pd?.dotDotDotToken ? '...' : '';
          const opt = pd && (pd.questionToken || pd.initializer) ? '?' : '';
          // Print the annotation as written when there is one (keeps kernel type names like pte_t).
          const written = pd?.type ? pd.type.getText(sf) : checker.typeToString(pt, pd, FORMAT);
          return `${rest}${p.getName()}${opt}: ${written}`;
        });
        const ret = sig.getDeclaration() && (sig.getDeclaration() as ts.SignatureDeclaration).type
          ? (sig.getDeclaration() as ts.SignatureDeclaration).type!.getText(sf)
          : checker.typeToString(sig.getReturnType(), undefined, FORMAT);
        return `function ${name}${typeParams}(${params.join(', ')}): ${ret}`;
      });
    }
    case 'const': {
      const vd = decl as ts.VariableDeclaration;
      const written = ts.isVariableDeclaration(vd) && vd.type ? vd.type.getText(sf) : undefined;
      let t = written ?? checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, decl), decl, FORMAT);
      if (t.length > 600) t = checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, decl), decl, ts.TypeFormatFlags.None);
      return [`const ${name}: ${t}`];
    }
    case 'class': {
      const cd = decl as ts.ClassDeclaration;
      const heritage = cd.heritageClauses?.map((h) => h.getText(sf)).join(' ') ?? '';
      const lines = [`class ${name}${heritage ? ' ' + heritage : ''}`];
      for (const m of cd.members) {
        const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
        if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
        if (m.name && ts.isPrivateIdentifier(m.name)) continue;
        if (ts.isConstructorDeclaration(m) || ts.isMethodDeclaration(m) || ts.isPropertyDeclaration(m) || ts.isGetAccessor(m)) {
          const copy = printer.printNode(ts.EmitHint.Unspecified, stripBody(m), sf).replace(/\s+/g, ' ').trim();
          lines.push(`  ${copy}`);
        }
      }
      return [lines.join('\n')];
    }
    case 'type':
    case 'interface': {
      const text = printer.printNode(ts.EmitHint.Unspecified, decl, sf).trim();
      return [text.replace(/^export\s+/, '').replace(/^declare\s+/, '')];
    }
  }
}

/** A copy of a class member without its body, for a one-line signature. */
function stripBody(m: ts.ClassElement): ts.Node {
  const f = ts.factory;
  if (ts.isMethodDeclaration(m)) return f.updateMethodDeclaration(m, m.modifiers, m.asteriskToken, m.name, m.questionToken, m.typeParameters, m.parameters, m.type, undefined);
  if (ts.isConstructorDeclaration(m)) return f.updateConstructorDeclaration(m, m.modifiers, m.parameters, undefined);
  if (ts.isGetAccessor(m)) return f.updateGetAccessorDeclaration(m, m.modifiers, m.name, m.parameters, m.type, undefined);
  if (ts.isPropertyDeclaration(m)) return f.updatePropertyDeclaration(m, m.modifiers, m.name, m.questionToken ?? m.exclamationToken, m.type, undefined);
  return m;
}

/** The first JSDoc block of a file (a leading comment that is not attached to a declaration). */
function moduleComment(sf: ts.SourceFile): string {
  const text = sf.getFullText();
  const ranges = ts.getLeadingCommentRanges(text, 0) ?? [];
  for (const r of ranges) {
    const c = text.slice(r.pos, r.end);
    if (!c.startsWith('/**')) continue;
    const body = c
      .replace(/^\/\*\*/, '')
      .replace(/\*\/$/, '')
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, ''))
      .filter((l) => !/^@module\b/.test(l.trim()))
      .join('\n')
      .trim();
    // Only if it is a file comment, i.e. followed by more than one statement or marked @module.
    if (/@module\b/.test(c) || (sf.statements.length > 0 && r.end < sf.statements[0]!.getStart(sf) - 1)) {
      // "name.ts — summary" → "Summary"; "@see url" lines → a "See also" list.
      const label = `${basename(sf.fileName)} — `;
      let t = body.startsWith(label) ? body.slice(label.length) : body;
      t = t.charAt(0).toUpperCase() + t.slice(1);
      const sees: string[] = [];
      t = t
        .split('\n')
        .filter((l) => {
          const m = /^@see\s+(.*)$/.exec(l.trim());
          if (m) sees.push(m[1]!);
          return !m;
        })
        .join('\n')
        .trim();
      if (sees.length) t += `\n\nSee also:\n\n${sees.map((x) => `- ${x}`).join('\n')}`;
      return linksToCode(t);
    }
  }
  return '';
}

export function collect(): { groups: FileGroup[]; publicNames: Set<string> } {
  const files = engineFiles();
  const program = loadProgram(files);
  const checker = program.getTypeChecker();

  const publicNames = new Set<string>();
  const indexSf = program.getSourceFile(INDEX);
  if (indexSf) {
    const modSym = checker.getSymbolAtLocation(indexSf);
    if (modSym) for (const s of checker.getExportsOfModule(modSym)) publicNames.add(s.getName());
  }

  const groups: FileGroup[] = [];
  for (const file of files) {
    if (file === INDEX) continue;
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const modSym = checker.getSymbolAtLocation(sf);
    const entries: Entry[] = [];
    if (modSym) {
      for (const exp of checker.getExportsOfModule(modSym)) {
        // Only symbols declared in this file (skip re-exports from other engine files).
        const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
        const decls = (sym.getDeclarations() ?? []).filter((d) => d.getSourceFile() === sf);
        if (decls.length === 0) continue;
        const decl = decls[0]!;
        const kind = declKind(decl, checker, sym);
        if (!kind) continue;
        const name = exp.getName();
        // Doc comments: for overloaded functions take the first declaration that has one.
        let doc = docText(sym.getDocumentationComment(checker));
        let tags = sym.getJsDocTags(checker).map((t) => ({ name: t.name, text: tagText(t) }));
        if (!doc && kind === 'function') {
          const sig = checker.getTypeOfSymbolAtLocation(sym, decl).getCallSignatures()[0];
          if (sig) {
            doc = docText(sig.getDocumentationComment(checker));
            if (tags.length === 0) tags = sig.getJsDocTags().map((t) => ({ name: t.name, text: tagText(t) }));
          }
        }
        entries.push({
          name,
          kind,
          signatures: signaturesOf(name, kind, sym, decl, checker),
          doc,
          tags,
          internal: !publicNames.has(name),
          pos: decl.getStart(sf),
        });
      }
    }
    entries.sort((a, b) => a.pos - b.pos || a.name.localeCompare(b.name));
    groups.push({ file: relative(ROOT, file).split('\\').join('/'), module: moduleComment(sf), entries });
  }
  return { groups, publicNames };
}

const KIND_ORDER: Kind[] = ['function', 'const', 'class', 'type', 'interface'];
const KIND_TITLE: Record<Kind, string> = {
  function: 'Functions',
  const: 'Constants',
  class: 'Classes',
  type: 'Types',
  interface: 'Interfaces',
};

/** The id Starlight (github-slugger) gives a heading: lower case, punctuation dropped, spaces → '-'. */
function anchor(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** github-slugger's de-duplication: the second "x" becomes "x-1", and so on. */
function makeSlugger(): (text: string) => string {
  const occurrences = new Map<string, number>();
  return (text: string) => {
    const original = anchor(text);
    let result = original;
    while (occurrences.has(result)) {
      const n = (occurrences.get(original) ?? 0) + 1;
      occurrences.set(original, n);
      result = `${original}-${n}`;
    }
    occurrences.set(result, 0);
    return result;
  };
}

/** The first sentence of a file comment, without a leading "name.ts — " label. */
function firstSentence(doc: string, file: string): string {
  const para = doc.split(/\n\s*\n/)[0] ?? '';
  let flat = para.replace(/\s+/g, ' ').trim();
  const label = `${file} — `;
  if (flat.startsWith(label)) flat = flat.slice(label.length); // (moduleComment already strips it)
  // A sentence ends at ". " followed by a capital letter or a backtick — not at "e.g. " or "i.e. ".
  const m = /^(.+?(?<!\be\.g|\bi\.e|\betc)[.!?])\s+(?=[A-Z`(])/.exec(flat);
  let out = m ? m[1]! : flat;
  if (out.length > 220) {
    out = out.slice(0, 217).replace(/\s+\S*$/, '');
    if ((out.match(/`/g) ?? []).length % 2 === 1) out = out.slice(0, out.lastIndexOf('`')).trimEnd();
    out += '…';
  }
  return out.charAt(0).toUpperCase() + out.slice(1);
}

export function render(groups: FileGroup[]): string {
  const lines: string[] = [];
  const total = groups.reduce((n, g) => n + g.entries.length, 0);
  const fnCount = groups.reduce((n, g) => n + g.entries.filter((e) => e.kind === 'function').length, 0);
  const constCount = groups.reduce((n, g) => n + g.entries.filter((e) => e.kind === 'const').length, 0);
  lines.push('---');
  lines.push('title: Engine API reference');
  lines.push(
    'description: Every exported function, constant and type of the collapse-lab engine (collapse-lab/engine), with its signature and documentation, grouped by file. Generated from the TSDoc.',
  );
  lines.push('sidebar:');
  lines.push('  order: 102');
  lines.push('---');
  lines.push('');
  lines.push('{/* GENERATED by scripts/gen-api.ts from the TSDoc in src/engine/*.ts — do not edit by hand. */}');
  lines.push('');
  lines.push(
    'This page lists everything the engine exports: what you can import from `collapse-lab/engine` in an exercise, and what the editor shows when you hover a name. Kernel names (snake_case, kernel argument order) have a kernel twin; camelCase helpers do not. Entries marked *internal* are exported by their file but not re-exported by `collapse-lab/engine`.',
  );
  lines.push('');
  lines.push(
    `${groups.length} files, ${total} exports: ${fnCount} functions, ${constCount} constants, and the classes, types and interfaces they use. Generated by \`npx node scripts/gen-api.ts\`; the text comes from the doc comments in \`src/engine/\`.`,
  );
  lines.push('');
  // Heading ids, computed in the order the headings appear (as the Markdown pipeline does).
  const slug = makeSlugger();
  slug('Files');
  const fileIds = new Map<FileGroup, string>();
  const entryIds = new Map<Entry, string>();
  for (const g of groups) {
    fileIds.set(g, slug(basename(g.file)));
    for (const kind of KIND_ORDER) {
      const es = g.entries.filter((e) => e.kind === kind);
      if (es.length === 0) continue;
      slug(`${KIND_TITLE[kind]} (${basename(g.file)})`);
      for (const e of es) entryIds.set(e, slug(e.internal ? `${e.name} (internal)` : e.name));
    }
  }
  lines.push('## Files');
  lines.push('');
  for (const g of groups) {
    const summary = g.module ? ` — ${escapeMdx(firstSentence(g.module, basename(g.file)))}` : '';
    lines.push(`- [\`${basename(g.file)}\`](#${fileIds.get(g)})${summary} (${g.entries.length})`);
  }
  lines.push('');
  for (const g of groups) {
    lines.push(`## ${basename(g.file)}`);
    lines.push('');
    lines.push(`Source: \`${g.file}\`.`);
    lines.push('');
    if (g.module) {
      lines.push(escapeMdx(g.module));
      lines.push('');
    }
    const fns = g.entries.filter((e) => e.kind === 'function' || e.kind === 'const');
    if (fns.length) {
      lines.push(`**Index:** ${fns.map((e) => `[\`${e.name}\`](#${entryIds.get(e)})`).join(' · ')}`);
      lines.push('');
    }
    if (g.entries.length === 0) {
      lines.push('*(no exports)*');
      lines.push('');
      continue;
    }
    for (const kind of KIND_ORDER) {
      const es = g.entries.filter((e) => e.kind === kind);
      if (es.length === 0) continue;
      lines.push(`### ${KIND_TITLE[kind]} (${basename(g.file)})`);
      lines.push('');
      for (const e of es) {
        lines.push(`#### \`${e.name}\`${e.internal ? ' *(internal)*' : ''}`);
        lines.push('');
        // `wrap`: Expressive Code wraps long lines instead of making the block a scroll region
        // (a scrollable <pre> must be keyboard-focusable — axe's scrollable-region-focusable).
        lines.push('```ts wrap');
        for (const s of e.signatures) lines.push(breakLong(s));
        lines.push('```');
        lines.push('');
        if (e.doc) {
          lines.push(escapeMdx(e.doc));
          lines.push('');
        } else {
          lines.push('*(no doc comment)*');
          lines.push('');
        }
        const shown = e.tags.filter((t) => t.name !== 'module' && t.name !== 'example');
        if (shown.length) {
          for (const t of shown) lines.push(`- ${renderTag(t)}`);
          lines.push('');
        }
        for (const t of e.tags.filter((t) => t.name === 'example')) {
          lines.push('Example:');
          lines.push('');
          lines.push('```ts wrap');
          lines.push(t.text.replace(/^```\w*\n?|\n?```$/g, ''));
          lines.push('```');
          lines.push('');
        }
      }
    }
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** Put the parameters of a long one-line function signature on their own lines. */
function breakLong(sig: string, max = 90): string {
  if (sig.includes('\n') || sig.length <= max || !sig.startsWith('function ')) return sig;
  const open = sig.indexOf('(');
  // find the matching close paren of the parameter list
  let depth = 0;
  let close = -1;
  for (let i = open; i < sig.length; i++) {
    const c = sig[i];
    if (c === '(' || c === '{' || c === '[' || c === '<') depth++;
    else if (c === ')' || c === '}' || c === ']' || (c === '>' && sig[i - 1] !== '=')) depth--;
    if (depth === 0) {
      close = i;
      break;
    }
  }
  if (open < 0 || close < 0) return sig;
  const inner = sig.slice(open + 1, close);
  const params: string[] = [];
  let cur = '';
  depth = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '(' || c === '{' || c === '[' || c === '<') depth++;
    else if (c === ')' || c === '}' || c === ']' || (c === '>' && inner[i - 1] !== '=')) depth--;
    if (c === ',' && depth === 0) {
      params.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) params.push(cur.trim());
  if (params.length < 2) return sig;
  return `${sig.slice(0, open)}(\n${params.map((p) => `  ${p},`).join('\n')}\n${sig.slice(close)}`;
}

const TAG_TITLE: Record<string, string> = {
  param: 'Parameter',
  returns: 'Returns',
  return: 'Returns',
  throws: 'Throws',
  see: 'See',
  remarks: 'Remarks',
  deprecated: 'Deprecated',
  default: 'Default',
  defaultValue: 'Default',
};

/** One doc tag as a Markdown list item: `@throws {LayoutError} …` → "**Throws** `LayoutError` …". */
function renderTag(t: { name: string; text: string }): string {
  const title = TAG_TITLE[t.name] ?? `@${t.name}`;
  let text = t.text.replace(/\n+/g, ' ').trim();
  let lead = '';
  const typed = /^\{([^}]+)\}\s*(.*)$/.exec(text);
  if (typed) {
    lead = `\`${typed[1]}\` `;
    text = typed[2]!;
  }
  if (t.name === 'param') {
    const m = /^(\S+)\s*(?:-\s*)?(.*)$/.exec(text);
    if (m) {
      lead += `\`${m[1]}\` `;
      text = m[2]!;
    }
  }
  const body = `${lead}${escapeMdx(text)}`.trim();
  return body ? `**${title}** ${body}` : `**${title}**`;
}

function main(argv: string[]): number {
  const { groups } = collect();
  const page = render(groups);
  if (argv.includes('--stdout')) {
    process.stdout.write(page);
    return 0;
  }
  // issue 14: written as content/appendix/api.mdx (overview) + content/api/<file>.mdx (scripts/api-pages.ts)
  const pages = splitApiPage(page);
  const apiDir = join(ROOT, 'content', 'api');
  const stale = existsSync(apiDir) ? readdirSync(apiDir).map((f) => `content/api/${f}`).filter((f) => f.endsWith('.mdx') && !pages.has(f)) : [];
  if (argv.includes('--check')) {
    const outdated = [...pages].filter(([rel, text]) => (existsSync(join(ROOT, rel)) ? readFileSync(join(ROOT, rel), 'utf8') : '') !== text).map(([rel]) => rel);
    if (outdated.length || stale.length) {
      process.stderr.write(`${[...outdated, ...stale.map((f) => `${f} (no longer generated)`)].join(', ')} out of date: run npx node scripts/gen-api.ts\n`);
      return 1;
    }
    process.stdout.write(`${relative(ROOT, OUT)} and ${pages.size - 1} pages in content/api/ are up to date\n`);
    return 0;
  }
  for (const [rel, text] of pages) {
    mkdirSync(dirname(join(ROOT, rel)), { recursive: true });
    writeFileSync(join(ROOT, rel), text);
  }
  for (const f of stale) rmSync(join(ROOT, f));
  const total = groups.reduce((n, g) => n + g.entries.length, 0);
  const undocumented = groups.flatMap((g) => g.entries.filter((e) => !e.doc).map((e) => `${basename(g.file)}:${e.name}`));
  process.stdout.write(`wrote ${relative(ROOT, OUT)} and ${pages.size - 1} pages in content/api/: ${groups.length} files, ${total} exports`);
  process.stdout.write(undocumented.length ? `, ${undocumented.length} without a doc comment\n` : ', all documented\n');
  if (undocumented.length && argv.includes('--verbose')) process.stdout.write(undocumented.join('\n') + '\n');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen-api.ts')) {
  process.exitCode = main(process.argv.slice(2));
}
