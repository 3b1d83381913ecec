import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Two entries, two bundles: the console (React app) and the respondent page (SurveyJS only).
export default defineConfig({
  root: 'web',
  base: '/assets/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        console: 'web/console.html',
        respond: 'web/respond.html',
      },
    },
  },
});
