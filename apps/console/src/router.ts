import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { AREAS } from './areas';
import type { Role } from './logic/types';
import { currentUser, session, signedIn } from './session';

declare module 'vue-router' {
  interface RouteMeta {
    /** Open without signing in. */
    public?: boolean;
    /** The only role whose menu leads here (the API refuses the others anyway). */
    role?: Role;
  }
}

function areaRoutes(): RouteRecordRaw[] {
  const routes: RouteRecordRaw[] = [];
  for (const area of Object.values(AREAS)) {
    for (const route of area.routes) routes.push({ ...route, meta: { ...route.meta, role: area.role } } as RouteRecordRaw);
    for (const route of area.publicRoutes ?? []) routes.push({ ...route, meta: { ...route.meta, public: true } } as RouteRecordRaw);
  }
  return routes;
}

/** History-mode routes under /console/ (the node answers every one of them with index.html). */
export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'home', component: () => import('./views/WelcomePage.vue') },
    { path: '/sign-in', name: 'sign-in', component: () => import('./views/SignInPage.vue'), meta: { public: true } },
    ...areaRoutes(),
    { path: '/:unknown(.*)*', name: 'not-found', component: () => import('./views/NotFoundPage.vue'), meta: { public: true } },
  ],
});

/** Where a role lands after sign-in. */
export function homeOf(role: Role): string {
  return AREAS[role].home;
}

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!signedIn()) return { name: 'sign-in', query: { next: to.fullPath } };
  let role: Role;
  try {
    const me = await currentUser();
    if (me === null) return { name: 'sign-in', query: { next: to.fullPath } };
    role = me.role;
  } catch {
    // a refused token has signed the user out (session.notice says why); any other failure shows sign-in too
    if (session.token !== null) session.notice = 'signIn.unavailable';
    return { name: 'sign-in', query: { next: to.fullPath } };
  }
  if (to.name === 'home' || (to.meta.role !== undefined && to.meta.role !== role)) return homeOf(role);
  return true;
});
