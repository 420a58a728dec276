/**
 * Vite plugin: `import engineDts from 'virtual:collapse-lab/engine-dts'` gives the engine's
 * declarations (see ./engine-dts.ts) as a string, regenerated from src/engine on every build and,
 * in dev, whenever an engine file changes. Only the lazily loaded editor chunk imports it.
 */
import type { Plugin } from 'vite';
import { buildEngineDts } from './engine-dts.ts';

const ID = 'virtual:collapse-lab/engine-dts';
const RESOLVED = '\0' + ID;

export function engineDtsPlugin(indexFile: string): Plugin {
  return {
    name: 'collapse-lab-engine-dts',
    resolveId(id) {
      return id === ID ? RESOLVED : undefined;
    },
    load(id) {
      if (id !== RESOLVED) return undefined;
      const { dts, files } = buildEngineDts(indexFile);
      for (const f of files) this.addWatchFile(f);
      this.addWatchFile(indexFile);
      return `export default ${JSON.stringify(dts)};\n`;
    },
  };
}
