import { createI18n } from 'vue-i18n';
import en from './locales/en';
import zhCN from './locales/zh-CN';

export type Locale = 'zh-CN' | 'en';
const LOCALE_KEY = 'idis-top-level-locale';

/** Chinese unless this browser chose English before (the header's button). */
function initialLocale(): Locale {
  return localStorage.getItem(LOCALE_KEY) === 'en' ? 'en' : 'zh-CN';
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
});

/** Switches the page's language, its `lang` and title, and remembers the choice. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(LOCALE_KEY, locale);
  applyLocaleToDocument();
}

export function applyLocaleToDocument(): void {
  const locale = i18n.global.locale.value as Locale;
  document.documentElement.lang = locale;
  document.title = i18n.global.t('app.title');
}
