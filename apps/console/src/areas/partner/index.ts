import type { ConsoleArea } from '../area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

/** The partner's pages. */
export const partnerArea: ConsoleArea = {
  role: 'partner',
  home: '/partner/welcome',
  routes: [{ path: '/partner/welcome', component: () => import('../../views/WelcomePage.vue') }],
  menu: [{ to: '/partner/welcome', label: 'partner.nav.welcome' }],
  messages: { 'zh-CN': zhCN, en },
};
