import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The top-level node's operator page: `npm run build:top-level-console` writes it to
 * dist/top-level-console, which the top-level node serves at /console/. Element Plus components are
 * imported per use (with their CSS) by the resolver, ECharts per chart from echarts/core.
 */
export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  resolve: { alias: { '@idis/console-kit': fileURLToPath(new URL('../../../libs/console-kit/src', import.meta.url)) } },
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false, dirs: [] })],
  define: {
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: fileURLToPath(new URL('../../../dist/top-level-console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    chunkSizeWarningLimit: 700,
  },
  server: {
    // `npx vite --config apps/top-level-node/console/vite.config.ts` next to a running top level (port 8090).
    proxy: { '/api': 'http://127.0.0.1:8090' },
  },
});
