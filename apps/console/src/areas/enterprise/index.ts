import type { ConsoleArea } from '../area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

/** The enterprise's pages. */
export const enterpriseArea: ConsoleArea = {
  role: 'enterprise',
  home: '/enterprise/welcome',
  routes: [{ path: '/enterprise/welcome', component: () => import('../../views/WelcomePage.vue') }],
  menu: [{ to: '/enterprise/welcome', label: 'enterprise.nav.welcome' }],
  messages: { 'zh-CN': zhCN, en },
};
