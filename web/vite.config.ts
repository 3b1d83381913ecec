import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Two entries, two bundles: the console (React app) and the respondent page (React + SurveyJS
// only). Shared code lands in shared chunks, so the respondent page never loads console code.
export default defineConfig({
  root: here('.'),
  // Assets land in dist/assets/ and are referenced as /assets/<name>-<hash>.js.
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 2048,
    rolldownOptions: {
      input: {
        console: here('console.html'),
        respond: here('respond.html'),
      },
      output: {
        // Named vendor chunks, shared by both pages; SurveyJS's translations stay separate chunks.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            {
              name: 'surveyjs',
              test: /node_modules[\\/]survey-(core|react-ui)[\\/](fesm[\\/]survey-[a-z-]+\.mjs|survey-core\.fontless\.min\.css)$/,
            },
          ],
        },
      },
    },
  },
});
