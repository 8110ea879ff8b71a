import { createApp } from 'vue';
import App from './App.vue';
import { applyLocaleToDocument, i18n } from './i18n';
import { router } from './router';
import '@idis/console-kit/theme.css';

applyLocaleToDocument();
createApp(App).use(i18n).use(router).mount('#app');
