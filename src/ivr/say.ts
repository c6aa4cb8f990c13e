import type { Money } from '../core/index';
import type { Lang, Spoken } from './speech';
import { enAmount, enDate, enDigits, enFragments, enNumber, enPercent, enTime } from './speech-en';
import { zhAmount, zhDate, zhDigits, zhFragments, zhNumber, zhPercent, zhTime } from './speech-zh';

/** One thing to speak. Dates and times are already in the bank's time zone. */
export type Sayable =
  | { kind: 'digits'; value: string }
  | { kind: 'number'; value: number | bigint | string }
  | { kind: 'amount'; value: Money }
  | { kind: 'date'; value: string; weekday?: boolean }
  | { kind: 'time'; value: string }
  | { kind: 'percent'; value: number | bigint | string };

export function say(lang: Lang, item: Sayable): Spoken {
  const zh = lang === 'zh';
  switch (item.kind) {
    case 'digits':
      return zh ? zhDigits(item.value) : enDigits(item.value);
    case 'number':
      return zh ? zhNumber(item.value) : enNumber(item.value);
    case 'amount':
      return zh ? zhAmount(item.value) : enAmount(item.value);
    case 'date': {
      const options = { weekday: item.weekday ?? false };
      return zh ? zhDate(item.value, options) : enDate(item.value, options);
    }
    case 'time':
      return zh ? zhTime(item.value) : enTime(item.value);
    case 'percent':
      return zh ? zhPercent(item.value) : enPercent(item.value);
  }
}

/** Every fragment the composers of a language can produce: full id → text. */
export function speechFragments(lang: Lang): ReadonlyMap<string, string> {
  const table: Record<string, string> = lang === 'zh' ? zhFragments : enFragments;
  return new Map(Object.entries(table).map(([key, text]) => [`${lang}/${key}`, text]));
}
