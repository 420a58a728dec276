// @ts-check
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import mdx from '@astrojs/mdx';
import { fileURLToPath } from 'node:url';
// S1: editor plugins (the engine's .d.ts generated at build time; Monaco CSS kept off reading pages).
import { editorVitePlugins } from './src/editor/vite-plugins.ts';
// Q: Content-Security-Policy meta tag (with hashes of each page's inline scripts) added after build.
import { cspIntegration } from './src/quality/csp.ts';
// G (issue 9): the browser test runner — worker bundled by esbuild, started by a sandboxed host page under its own CSP.
import { graderRunner } from './src/grading/browser/vite-plugin.ts';

const engine = fileURLToPath(new URL('./src/engine/index.ts', import.meta.url));

export default defineConfig({
  site: 'https://collapse-lab.example.org',
  markdown: { processedDirs: ['./content'] },
  integrations: [
    starlight({
      title: 'collapse-lab',
      description:
        'Write the khugepaged non-swap-entry patch yourself, against a faithful simulator, graded in your browser.',
      // S1: autogenerate paths are relative to the project root when content/ is outside src/content/docs
      // (starlight utils/navigation.js), so the directory is 'content', not '.' (the sidebar was empty).
      // Reading order, explicit so the landing page comes first and the appendix gets a proper label.
      sidebar: [
        { label: 'Start', items: [{ label: 'Welcome', link: '/' }, '01-start-here'] },
        {
          label: 'Chapters',
          items: [
            '02-khugepaged',
            '03-what-a-pte-can-hold',
            '04-the-scan',
            '05-do-swap-page',
            '06-the-window',
            '07-uffd-wp',
            '08-writing-it-up',
            '09-what-happened-next',
          ],
        },
        { label: 'Appendix', items: [{ autogenerate: { directory: 'content/appendix' } }] },
        { label: 'Your work', items: ['progress'] },
      ],
      // S2: site-wide CSS (screen-reader utility) and the print stylesheet for the lab handout.
      customCss: ['./src/styles/course.css', './src/styles/print.css'],
      // S1: the default sidebar plus progress marks (✓ on chapters whose exercises passed).
      components: { Sidebar: './src/components/overrides/Sidebar.astro' },
      // Q: registers the offline service worker (public/sw.js); an external file, so the CSP needs no hash for it.
      head: [{ tag: 'script', attrs: { src: '/sw-register.js', defer: true } }],
    }),
    mdx(),
    cspIntegration(),
  ],
  vite: {
    plugins: [editorVitePlugins(engine), graderRunner({ engine })],
    resolve: { alias: { 'collapse-lab/engine': engine } },
    // The grading worker is bundled by graderRunner (above), not by Vite's worker pipeline; other
    // workers stay classic IIFE bundles as before.
    worker: { format: 'iife' },
  },
});
