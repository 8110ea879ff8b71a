import { type Locale, LocaleSwitch } from '@idis/console-kit/locale';
import { createI18n } from 'vue-i18n';
import { AREAS } from './areas';
import type { Messages } from './areas/area';
import en from './locales/en';
import zhCN from './locales/zh-CN';

export type { Locale };
const locales = new LocaleSwitch('idis-console-locale');

/** The shell's messages, and each area's under its role (`operator.…`, `enterprise.…`, `partner.…`). */
function messagesOf(locale: Locale, shell: Messages): Messages {
  const merged: Messages = { ...shell };
  for (const area of Object.values(AREAS)) merged[area.role] = area.messages[locale];
  return merged;
}

export const i18n = createI18n({
  legacy: false,
  locale: locales.initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': messagesOf('zh-CN', zhCN), en: messagesOf('en', en) },
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  locales.remember(locale);
  applyLocaleToDocument();
}

export function applyLocaleToDocument(): void {
  locales.applyToDocument(i18n.global.locale.value, i18n.global.t('app.title'));
}
