import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { defineConfig } from 'vite';
import { bundleBudget } from './bundle-budget';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The secondary node's web console: `npm run build:console` writes it to dist/console, which the node
 * serves at /console/. Element Plus components are imported per use (with their CSS) by the
 * resolver, ECharts per chart from echarts/core; the build fails when the JavaScript the first page
 * loads exceeds its budget (bundle-budget.ts), and writes the figure to dist/console-bundle.json.
 */
export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  resolve: { alias: { '@idis/console-kit': fileURLToPath(new URL('../../libs/console-kit/src', import.meta.url)) } },
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false, dirs: [] }), bundleBudget({ maxInitialGzipBytes: 350 * 1024, reportFile: fileURLToPath(new URL('../../dist/console-bundle.json', import.meta.url)) })],
  define: {
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    chunkSizeWarningLimit: 700,
  },
  server: {
    // `npx vite --config apps/console/vite.config.ts` next to a running node (port 8080).
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
