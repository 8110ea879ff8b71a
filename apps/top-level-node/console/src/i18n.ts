import { type Locale, LocaleSwitch } from '@idis/console-kit/locale';
import { createI18n } from 'vue-i18n';
import en from './locales/en';
import zhCN from './locales/zh-CN';

export type { Locale };
const locales = new LocaleSwitch('idis-top-level-locale');

export const i18n = createI18n({
  legacy: false,
  locale: locales.initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  locales.remember(locale);
  applyLocaleToDocument();
}

export function applyLocaleToDocument(): void {
  locales.applyToDocument(i18n.global.locale.value, i18n.global.t('app.title'));
}
