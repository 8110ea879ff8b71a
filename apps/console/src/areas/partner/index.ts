import type { ConsoleArea } from '../area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

/**
 * The partner's pages: a product's traceability (opened from the product page a QR label leads to,
 * /partner/trace/{handle}, or by typing a handle) and the enterprises that granted it access.
 */
export const partnerArea: ConsoleArea = {
  role: 'partner',
  home: '/partner/trace',
  routes: [
    { path: '/partner/trace', component: () => import('./views/TracePage.vue') },
    // The handle keeps its slashes (88.118.8/lot/7).
    { path: '/partner/trace/:handle(.*)', component: () => import('./views/TracePage.vue') },
    { path: '/partner/grants', component: () => import('./views/GrantsPage.vue') },
  ],
  menu: [
    { to: '/partner/trace', label: 'partner.nav.trace' },
    { to: '/partner/grants', label: 'partner.nav.grants' },
  ],
  messages: { 'zh-CN': zhCN, en },
};
