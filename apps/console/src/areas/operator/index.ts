import type { ConsoleArea } from '../area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

/** The operator's pages: the overview (home), applications, enterprises, the upstream link, ingestion and the monthly report. */
export const operatorArea: ConsoleArea = {
  role: 'operator',
  home: '/operator/overview',
  routes: [
    { path: '/operator/overview', component: () => import('./views/OverviewPage.vue') },
    { path: '/operator/applications', component: () => import('./views/ApplicationsPage.vue') },
    { path: '/operator/enterprises', component: () => import('./views/EnterprisesPage.vue') },
    { path: '/operator/enterprises/:id', component: () => import('./views/EnterpriseDetailPage.vue') },
    { path: '/operator/node', component: () => import('./views/NodePage.vue') },
    { path: '/operator/ingestion', component: () => import('./views/IngestionPage.vue') },
    { path: '/operator/reports', component: () => import('./views/ReportsPage.vue') },
    // the shell's placeholder address, kept for old bookmarks
    { path: '/operator/welcome', redirect: '/operator/overview' },
  ],
  menu: [
    { to: '/operator/overview', label: 'operator.nav.overview' },
    { to: '/operator/applications', label: 'operator.nav.applications' },
    { to: '/operator/enterprises', label: 'operator.nav.enterprises' },
    { to: '/operator/node', label: 'operator.nav.node' },
    { to: '/operator/ingestion', label: 'operator.nav.ingestion' },
    { to: '/operator/reports', label: 'operator.nav.reports' },
  ],
  messages: { 'zh-CN': zhCN, en },
};
