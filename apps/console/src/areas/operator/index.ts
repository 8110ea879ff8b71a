import type { ConsoleArea } from '../area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

/** The operator's pages. */
export const operatorArea: ConsoleArea = {
  role: 'operator',
  home: '/operator/welcome',
  routes: [{ path: '/operator/welcome', component: () => import('../../views/WelcomePage.vue') }],
  menu: [{ to: '/operator/welcome', label: 'operator.nav.welcome' }],
  messages: { 'zh-CN': zhCN, en },
};
