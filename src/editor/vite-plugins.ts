/**
 * The Vite plugins the in-page editor needs (registered once in astro.config.mjs):
 * - engine-dts: the engine's declarations for Monaco, generated from src/engine at build time;
 * - monaco-css: Monaco's CSS travels with the lazy editor chunk, not with the reading page;
 * - monaco-features: only the editor contributions src/editor/monaco.ts imports are registered.
 */
import type { PluginOption } from 'vite';
import { engineDtsPlugin } from './vite-plugin-engine-dts.ts';
import { monacoCssPlugin } from './vite-plugin-monaco-css.ts';
import { monacoFeaturesPlugin } from './vite-plugin-monaco-features.ts';

export function editorVitePlugins(engineIndexFile: string): PluginOption[] {
  return [engineDtsPlugin(engineIndexFile), monacoCssPlugin(), monacoFeaturesPlugin()];
}
