/**
 * Vite plugin: `import engineDts from 'virtual:collapse-lab/engine-dts'` gives the engine's
 * declarations (see ./engine-dts.ts) as a string, made from src/engine for every build and, in
 * dev, whenever an engine file changes; unchanged sources reuse the last result
 * (./engine-dts-cache.ts). Only the lazily loaded editor chunk imports it.
 */
import type { Plugin } from 'vite';
import { cachedEngineDts } from './engine-dts-cache.ts';

const ID = 'virtual:collapse-lab/engine-dts';
const RESOLVED = '\0' + ID;

export function engineDtsPlugin(indexFile: string): Plugin {
  return {
    name: 'collapse-lab-engine-dts',
    resolveId(id) {
      return id === ID ? RESOLVED : undefined;
    },
    async load(id) {
      if (id !== RESOLVED) return undefined;
      const { dts, files } = await cachedEngineDts(indexFile);
      for (const f of files) this.addWatchFile(f);
      this.addWatchFile(indexFile);
      return `export default ${JSON.stringify(dts)};\n`;
    },
  };
}
