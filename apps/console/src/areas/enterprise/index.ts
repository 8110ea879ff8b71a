import type { ConsoleArea } from '../area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

/** The enterprise's pages: its identifiers (list, form, bulk upload, QR codes and labels), templates, statistics, grants and events. */
export const enterpriseArea: ConsoleArea = {
  role: 'enterprise',
  home: '/enterprise/identifiers',
  routes: [
    { path: '/enterprise/identifiers', component: () => import('./views/IdentifiersPage.vue') },
    { path: '/enterprise/identifiers/new', component: () => import('./views/IdentifierFormPage.vue') },
    { path: '/enterprise/identifiers/edit', component: () => import('./views/IdentifierFormPage.vue') },
    { path: '/enterprise/identifiers/detail', component: () => import('./views/IdentifierPage.vue') },
    { path: '/enterprise/upload', component: () => import('./views/UploadPage.vue') },
    { path: '/enterprise/templates', component: () => import('./views/TemplatesPage.vue') },
    { path: '/enterprise/stats', component: () => import('./views/StatsPage.vue') },
    { path: '/enterprise/grants', component: () => import('./views/GrantsPage.vue') },
    { path: '/enterprise/events', component: () => import('./views/EventsPage.vue') },
    // The shell's first home page; links to it still land somewhere.
    { path: '/enterprise/welcome', redirect: '/enterprise/identifiers' },
  ],
  menu: [
    { to: '/enterprise/identifiers', label: 'enterprise.nav.identifiers' },
    { to: '/enterprise/upload', label: 'enterprise.nav.upload' },
    { to: '/enterprise/templates', label: 'enterprise.nav.templates' },
    { to: '/enterprise/stats', label: 'enterprise.nav.stats' },
    { to: '/enterprise/grants', label: 'enterprise.nav.grants' },
    { to: '/enterprise/events', label: 'enterprise.nav.events' },
  ],
  messages: { 'zh-CN': zhCN, en },
};
