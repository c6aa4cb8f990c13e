/**
 * Two languages, one typed dictionary: every key exists in English and in Chinese (the type of
 * `zh` is the key set of `en`), the choice is remembered in localStorage, and antd's own texts
 * (date pickers, pagination, empty tables) follow through its locale.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { en, type MessageKey, zh } from './messages';

export const languages = ['zh-CN', 'en'] as const;
export type Lang = (typeof languages)[number];

const storageKey = 'teller.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(storageKey);
  if (saved === 'zh-CN' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18nValue {
  lang: Lang;
  setLang(lang: Lang): void;
  t: Translate;
  /** A label for a server code (reason, wrap-up, intent …) when the dictionary has one, else the code. */
  tOr(key: string, fallback: string): string;
}

const I18nContext = createContext<I18nValue | undefined>(undefined);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(storageKey, next);
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18nValue>(() => {
    const dict = lang === 'zh-CN' ? zh : en;
    const t: Translate = (key, vars) => {
      const text = dict[key];
      if (!vars) return text;
      return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
        vars[name] !== undefined ? String(vars[name]) : whole,
      );
    };
    const tOr = (key: string, fallback: string) => (key in dict ? dict[key as MessageKey] : fallback);
    return { lang, setLang, t, tOr };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
