import { createI18n } from 'vue-i18n';
import { AREAS } from './areas';
import type { Messages } from './areas/area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

export type Locale = 'zh-CN' | 'en';
const LOCALE_KEY = 'idis-console-locale';

/** Chinese unless this browser chose English before (the header's button). */
function initialLocale(): Locale {
  return localStorage.getItem(LOCALE_KEY) === 'en' ? 'en' : 'zh-CN';
}

/** The shell's messages, and each area's under its role (`operator.…`, `enterprise.…`, `partner.…`). */
function messagesOf(locale: Locale, shell: Messages): Messages {
  const merged: Messages = { ...shell };
  for (const area of Object.values(AREAS)) merged[area.role] = area.messages[locale];
  return merged;
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': messagesOf('zh-CN', zhCN), en: messagesOf('en', en) },
});

/** Switches the page's language, its `lang` and title, and remembers the choice. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(LOCALE_KEY, locale);
  applyLocaleToDocument();
}

export function applyLocaleToDocument(): void {
  document.documentElement.lang = i18n.global.locale.value;
  document.title = i18n.global.t('app.title');
}
