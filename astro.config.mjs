// @ts-check
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import mdx from '@astrojs/mdx';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('./src/engine/index.ts', import.meta.url));

export default defineConfig({
  site: 'https://collapse-lab.example.org',
  markdown: { processedDirs: ['./content'] },
  integrations: [
    starlight({
      title: 'collapse-lab',
      description:
        'Write the khugepaged non-swap-entry patch yourself, against a faithful simulator, graded in your browser.',
      sidebar: [{ label: 'Course', items: [{ autogenerate: { directory: '.' } }] }],
      // S2: site-wide CSS (screen-reader utility) and the print stylesheet for the lab handout.
      customCss: ['./src/styles/course.css', './src/styles/print.css'],
    }),
    mdx(),
  ],
  vite: {
    resolve: { alias: { 'collapse-lab/engine': engine } },
  },
});
