import type { RouteRecordRaw } from 'vue-router';
import type { Role } from '../logic/types';

/** Messages of one language: nested objects of strings (vue-i18n's message format). */
export interface Messages {
  [key: string]: string | Messages;
}

/**
 * What one kind of user gets in the console: its pages (mounted under the shell, each marked with
 * the role), its menu, its home page and its messages (merged under the area's own top-level key,
 * so that areas never clash). Areas never import each other.
 */
export interface ConsoleArea {
  role: Role;
  /** The page a user of this role lands on after sign-in. */
  home: string;
  routes: RouteRecordRaw[];
  menu: Array<{ to: string; label: string }>;
  /** Pages anyone may open, signed in or not (the partner's scan page, say). */
  publicRoutes?: RouteRecordRaw[];
  messages: { 'zh-CN': Messages; en: Messages };
}
