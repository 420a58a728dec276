/**
 * A small reader for self-closing JSX tags in MDX source (`<PteGrid layout="…" focus={3} />`),
 * used by tests/chapters/claims.test.ts to find every picture that makes a claim. It understands
 * what the chapters write: "…" and '…' strings, {numbers}, {true/false}, {"strings"}, {[…]} JSON
 * arrays, and bare boolean attributes. Fenced code blocks and inline code are skipped, so a chapter
 * may show a tag as an example without it being checked.
 */
export interface FoundTag {
  name: string;
  /** 1-based line of the `<` */
  line: number;
  props: Record<string, unknown>;
  /** The source text of the tag. */
  source: string;
}

/** Blank out fenced code blocks and inline code, keeping offsets and line numbers. */
function maskCode(src: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = src.replace(/^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm, blank);
  out = out.replace(/`[^`\n]+`/g, blank);
  return out;
}

function parseExpression(expr: string, where: string): unknown {
  const e = expr.trim();
  if (e === 'true') return true;
  if (e === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  try {
    return JSON.parse(e);
  } catch {
    // `{'single'}` strings
    const m = /^'([^']*)'$/.exec(e);
    if (m) return m[1];
    throw new Error(`${where}: cannot read the expression {${e}} (use a string, number, boolean or JSON array)`);
  }
}

/** Find every `<Name … />` for the given component names. */
export function findTags(src: string, names: readonly string[], file = '<mdx>'): FoundTag[] {
  const masked = maskCode(src);
  const found: FoundTag[] = [];
  const open = new RegExp(`<(${names.join('|')})(?=[\\s/>])`, 'g');
  let m: RegExpExecArray | null;
  while ((m = open.exec(masked))) {
    const name = m[1];
    const start = m.index;
    const line = masked.slice(0, start).split('\n').length;
    const where = `${file}:${line} <${name}>`;
    let i = open.lastIndex;
    const props: Record<string, unknown> = {};
    for (;;) {
      while (i < src.length && /\s/.test(src[i])) i++;
      if (i >= src.length) throw new Error(`${where}: tag is not closed`);
      if (src.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (src[i] === '>') throw new Error(`${where}: expected a self-closing tag (… />)`);
      const attr = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
      if (!attr) throw new Error(`${where}: cannot read an attribute at "${src.slice(i, i + 20)}"`);
      const key = attr[0];
      i += key.length;
      while (i < src.length && /[ \t]/.test(src[i])) i++;
      if (src[i] !== '=') {
        props[key] = true;
        continue;
      }
      i++;
      while (i < src.length && /\s/.test(src[i])) i++;
      const q = src[i];
      if (q === '"' || q === "'") {
        const end = src.indexOf(q, i + 1);
        if (end < 0) throw new Error(`${where}: unterminated string for ${key}`);
        props[key] = src.slice(i + 1, end);
        i = end + 1;
      } else if (q === '{') {
        // balanced braces, respecting strings inside
        let depth = 0;
        let j = i;
        let inStr: string | null = null;
        for (; j < src.length; j++) {
          const c = src[j];
          if (inStr) {
            if (c === '\\') j++;
            else if (c === inStr) inStr = null;
          } else if (c === '"' || c === "'" || c === '`') inStr = c;
          else if (c === '{') depth++;
          else if (c === '}' && --depth === 0) break;
        }
        if (j >= src.length) throw new Error(`${where}: unbalanced { } for ${key}`);
        props[key] = parseExpression(src.slice(i + 1, j), `${where} ${key}`);
        i = j + 1;
      } else {
        throw new Error(`${where}: cannot read the value of ${key}`);
      }
    }
    found.push({ name, line, props, source: src.slice(start, i) });
    open.lastIndex = i;
  }
  return found;
}
