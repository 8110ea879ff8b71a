export type Locale = 'zh-CN' | 'en';

/**
 * A console's language: Chinese unless this browser chose English before (the header's button,
 * remembered in localStorage under `storageKey`), with the page's `lang` and title following it.
 */
export class LocaleSwitch {
  constructor(private readonly storageKey: string) {}

  initial(): Locale {
    return localStorage.getItem(this.storageKey) === 'en' ? 'en' : 'zh-CN';
  }

  remember(locale: Locale): void {
    localStorage.setItem(this.storageKey, locale);
  }

  /** The document's `lang` and title in the language now shown. */
  applyToDocument(locale: string, title: string): void {
    document.documentElement.lang = locale;
    document.title = title;
  }
}
