import { createRouter, createWebHistory } from 'vue-router';
import { signedIn } from './session';

/** History-mode routes under /console/ (the top-level node answers every one of them with index.html). */
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', redirect: '/nodes' },
    { path: '/sign-in', name: 'sign-in', component: () => import('./views/SignInPage.vue'), meta: { public: true } },
    { path: '/nodes', name: 'nodes', component: () => import('./views/NodesPage.vue') },
    { path: '/filings', name: 'filings', component: () => import('./views/FilingsPage.vue') },
    { path: '/volumes', name: 'volumes', component: () => import('./views/VolumesPage.vue') },
    { path: '/:unknown(.*)*', redirect: '/nodes' },
  ],
});

router.beforeEach((to) => {
  if (!to.meta.public && !signedIn()) return { name: 'sign-in', query: { next: to.fullPath } };
  return true;
});
