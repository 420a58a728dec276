/**
 * Vite plugin: Monaco's own CSS becomes part of the lazily loaded editor chunk instead of the page.
 *
 * Monaco's ESM files do `import './x.css'`. Astro 7 attaches every CSS module reachable from a
 * page's scripts to the page — following dynamic imports too (astro/dist/core/build/plugins/
 * plugin-css.js walks `importers` + `dynamicImporters`) — so ~175 KB of editor CSS would be
 * linked from every chapter with an exercise, before anyone opens an editor. Rewriting those
 * imports to `?inline` strings that are injected as <style> when the editor chunk runs keeps the
 * reading page light (budget: ≤ 50 KB gzip JS+CSS) and the editor styled.
 */
import type { Plugin } from 'vite';

const INJECT_ID = 'virtual:collapse-lab/monaco-css';
const RESOLVED = '\0' + INJECT_ID;
const MONACO_ESM = /[\\/]node_modules[\\/]monaco-editor[\\/]esm[\\/].*\.js$/;

export function monacoCssPlugin(): Plugin {
  return {
    name: 'collapse-lab-monaco-css',
    enforce: 'pre',
    resolveId(id) {
      return id === INJECT_ID ? RESOLVED : undefined;
    },
    load(id) {
      if (id !== RESOLVED) return undefined;
      return [
        'const seen = new Set();',
        'export function injectMonacoCss(css) {',
        "  if (typeof document === 'undefined' || seen.has(css)) return;",
        '  seen.add(css);',
        "  const s = document.createElement('style');",
        "  s.setAttribute('data-monaco-css', '');",
        '  s.textContent = css;',
        '  document.head.append(s);',
        '}',
      ].join('\n');
    },
    transform(code, id) {
      if (!MONACO_ESM.test(id) || !code.includes('.css')) return undefined;
      const names: string[] = [];
      const out = code.replace(/^import\s+(['"])([^'"\n]+\.css)\1\s*;?/gm, (_m, q: string, spec: string) => {
        const name = `__monacoCss${names.length}`;
        names.push(name);
        return `import ${name} from ${q}${spec}?inline${q};`;
      });
      if (names.length === 0) return undefined;
      return {
        code:
          out +
          `\nimport { injectMonacoCss as __injectMonacoCss } from '${INJECT_ID}';\n` +
          names.map((n) => `__injectMonacoCss(${n});`).join('\n') +
          '\n',
        map: null,
      };
    },
  };
}
