import { type CurrencyCode, type Money, minorDigits } from '../core/index';
import { ivrError } from './errors';
import {
  checkDigits,
  type Decimal,
  joinPieces,
  type Piece,
  parseDecimal,
  parseIsoDate,
  parseIsoTime,
  type Spoken,
  splitMoney,
} from './speech';

/**
 * English as the bank's English line says it (American usage, which is also what the Hong
 * Kong and mainland banks' English menus follow):
 *
 * - No "and" inside a number (101 → "one hundred one"); "and" joins the major and minor units
 *   of an amount ("twelve thousand three hundred forty-five yuan and sixty-seven fen").
 * - Tens and units are one word in the text ("forty-five") but two fragments (`en/num/40`,
 *   `en/num/5`), which keeps the catalogue to 28 number fragments.
 * - Renminbi in yuan and fen (not jiao: English speakers count 67 fen, as with cents); US
 *   dollars say "US dollars" because this bank holds several kinds of dollar; singular for one
 *   ("one US dollar", "one cent"); no minor part when it is zero; "zero yuan" for nothing.
 * - Decimals digit by digit after "point" ("zero point zero five"); percentages "one point
 *   three five percent"; negatives with "minus".
 * - Dates "Tuesday, March fifth, twenty twenty-four"; years as they are said (two thousand
 *   five, nineteen oh five, twenty-one hundred). Times on the 12-hour clock ("two oh five
 *   p.m.", "twelve noon", "twelve midnight").
 */
export const enFragments = {
  'num/0': 'zero',
  'num/1': 'one',
  'num/2': 'two',
  'num/3': 'three',
  'num/4': 'four',
  'num/5': 'five',
  'num/6': 'six',
  'num/7': 'seven',
  'num/8': 'eight',
  'num/9': 'nine',
  'num/10': 'ten',
  'num/11': 'eleven',
  'num/12': 'twelve',
  'num/13': 'thirteen',
  'num/14': 'fourteen',
  'num/15': 'fifteen',
  'num/16': 'sixteen',
  'num/17': 'seventeen',
  'num/18': 'eighteen',
  'num/19': 'nineteen',
  'num/20': 'twenty',
  'num/30': 'thirty',
  'num/40': 'forty',
  'num/50': 'fifty',
  'num/60': 'sixty',
  'num/70': 'seventy',
  'num/80': 'eighty',
  'num/90': 'ninety',
  'scale/hundred': 'hundred',
  'scale/thousand': 'thousand',
  'scale/million': 'million',
  'scale/billion': 'billion',
  'scale/trillion': 'trillion',
  'word/and': 'and',
  'word/minus': 'minus',
  'word/point': 'point',
  'word/percent': 'percent',
  'word/oh': 'oh',
  'ord/1': 'first',
  'ord/2': 'second',
  'ord/3': 'third',
  'ord/4': 'fourth',
  'ord/5': 'fifth',
  'ord/6': 'sixth',
  'ord/7': 'seventh',
  'ord/8': 'eighth',
  'ord/9': 'ninth',
  'ord/10': 'tenth',
  'ord/11': 'eleventh',
  'ord/12': 'twelfth',
  'ord/13': 'thirteenth',
  'ord/14': 'fourteenth',
  'ord/15': 'fifteenth',
  'ord/16': 'sixteenth',
  'ord/17': 'seventeenth',
  'ord/18': 'eighteenth',
  'ord/19': 'nineteenth',
  'ord/20': 'twentieth',
  'ord/30': 'thirtieth',
  'month/1': 'January',
  'month/2': 'February',
  'month/3': 'March',
  'month/4': 'April',
  'month/5': 'May',
  'month/6': 'June',
  'month/7': 'July',
  'month/8': 'August',
  'month/9': 'September',
  'month/10': 'October',
  'month/11': 'November',
  'month/12': 'December',
  'week/1': 'Monday',
  'week/2': 'Tuesday',
  'week/3': 'Wednesday',
  'week/4': 'Thursday',
  'week/5': 'Friday',
  'week/6': 'Saturday',
  'week/7': 'Sunday',
  'time/am': 'a.m.',
  'time/pm': 'p.m.',
  'time/noon': 'noon',
  'time/midnight': 'midnight',
  'cur/yuan': 'yuan',
  'cur/fen': 'fen',
  'cur/us': 'US',
  'cur/hong-kong': 'Hong Kong',
  'cur/singapore': 'Singapore',
  'cur/australian': 'Australian',
  'cur/canadian': 'Canadian',
  'cur/swiss': 'Swiss',
  'cur/dollar': 'dollar',
  'cur/dollars': 'dollars',
  'cur/cent': 'cent',
  'cur/cents': 'cents',
  'cur/euro': 'euro',
  'cur/euros': 'euros',
  'cur/pound': 'pound',
  'cur/pounds': 'pounds',
  'cur/penny': 'penny',
  'cur/pence': 'pence',
  'cur/yen': 'yen',
  'cur/franc': 'franc',
  'cur/francs': 'francs',
  'cur/centime': 'centime',
  'cur/centimes': 'centimes',
} as const;

type EnKey = keyof typeof enFragments;

function f(key: EnKey, glue?: 'hyphen'): Piece {
  const piece = { id: `en/${key}`, text: enFragments[key] };
  return glue ? { ...piece, glue } : piece;
}

function isEnKey(key: string): key is EnKey {
  return Object.hasOwn(enFragments, key);
}

/** A fragment whose key is computed (`num/40`, `month/3`); the catalogue must hold it. */
function fk(key: string, glue?: 'hyphen'): Piece {
  if (!isEnKey(key)) throw ivrError('IVR_INTERNAL', `no English fragment ${key}`);
  return f(key, glue);
}

/** The fragment `num/<n>` for 0–19 and the round tens. */
function num(n: number, glue?: 'hyphen'): Piece {
  return fk(`num/${n}`, glue);
}

function below100(n: number): Piece[] {
  if (n < 20) return [num(n)];
  const unit = n % 10;
  return unit === 0 ? [num(n)] : [num(n - unit), num(unit, 'hyphen')];
}

function below1000(n: number): Piece[] {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  const out: Piece[] = hundreds > 0 ? [num(hundreds), f('scale/hundred')] : [];
  if (rest > 0) out.push(...below100(rest));
  return out;
}

const scales = [null, 'scale/thousand', 'scale/million', 'scale/billion', 'scale/trillion'] as const;

function integer(int: string): Piece[] {
  if (/^0*$/.test(int)) return [num(0)];
  const out: Piece[] = [];
  const width = Math.ceil(int.length / 3) * 3;
  const padded = int.padStart(width, '0');
  for (let at = 0; at < width; at += 3) {
    const group = Number(padded.slice(at, at + 3));
    if (group === 0) continue;
    out.push(...below1000(group));
    const scale = scales[(width - at) / 3 - 1];
    if (scale) out.push(f(scale));
  }
  return out;
}

function decimal(value: Decimal): Piece[] {
  const out: Piece[] = value.negative ? [f('word/minus')] : [];
  out.push(...integer(value.int));
  if (value.frac !== '') {
    out.push(f('word/point'));
    for (const d of value.frac) out.push(num(Number(d)));
  }
  return out;
}

export function enDigits(value: string): Spoken {
  return joinPieces(
    'en',
    [...checkDigits(value)].map((d) => num(Number(d))),
  );
}

export function enNumber(value: number | bigint | string): Spoken {
  return joinPieces('en', decimal(parseDecimal(value)));
}

interface UnitWords {
  /** Words before the unit ("US", "Hong Kong"). */
  prefix: EnKey[];
  one: EnKey;
  many: EnKey;
  minorOne: EnKey | null;
  minorMany: EnKey | null;
}

function unitWords(
  prefix: EnKey[],
  one: EnKey,
  many: EnKey,
  minorOne: EnKey | null,
  minorMany: EnKey | null,
): UnitWords {
  return { prefix, one, many, minorOne, minorMany };
}

const currencyWords: Record<CurrencyCode, UnitWords> = {
  CNY: unitWords([], 'cur/yuan', 'cur/yuan', 'cur/fen', 'cur/fen'),
  USD: unitWords(['cur/us'], 'cur/dollar', 'cur/dollars', 'cur/cent', 'cur/cents'),
  HKD: unitWords(['cur/hong-kong'], 'cur/dollar', 'cur/dollars', 'cur/cent', 'cur/cents'),
  EUR: unitWords([], 'cur/euro', 'cur/euros', 'cur/cent', 'cur/cents'),
  GBP: unitWords([], 'cur/pound', 'cur/pounds', 'cur/penny', 'cur/pence'),
  JPY: unitWords([], 'cur/yen', 'cur/yen', null, null),
  SGD: unitWords(['cur/singapore'], 'cur/dollar', 'cur/dollars', 'cur/cent', 'cur/cents'),
  AUD: unitWords(['cur/australian'], 'cur/dollar', 'cur/dollars', 'cur/cent', 'cur/cents'),
  CAD: unitWords(['cur/canadian'], 'cur/dollar', 'cur/dollars', 'cur/cent', 'cur/cents'),
  CHF: unitWords(['cur/swiss'], 'cur/franc', 'cur/francs', 'cur/centime', 'cur/centimes'),
};

export function enAmount(value: Money): Spoken {
  const words = currencyWords[value.currency];
  const parts = splitMoney(value, minorDigits(value.currency));
  const minor = parts.frac === '' ? 0 : Number(parts.frac);
  const out: Piece[] = parts.negative ? [f('word/minus')] : [];
  const major = (): Piece[] => [
    ...integer(parts.int),
    ...words.prefix.map((key) => f(key)),
    f(parts.int === '1' ? words.one : words.many),
  ];
  if (minor === 0 || !words.minorOne || !words.minorMany) out.push(...major());
  else {
    if (parts.int !== '0') out.push(...major(), f('word/and'));
    out.push(...below100(minor), f(minor === 1 ? words.minorOne : words.minorMany));
  }
  return joinPieces('en', out);
}

export function enPercent(value: number | bigint | string): Spoken {
  return joinPieces('en', [...decimal(parseDecimal(value)), f('word/percent')]);
}

function ordinal(n: number): Piece[] {
  const key = `ord/${n}`;
  if (isEnKey(key)) return [f(key)];
  const unit = n % 10;
  return [num(n - unit), fk(`ord/${unit}`, 'hyphen')];
}

function year(y: number): Piece[] {
  if (y < 1000 || y > 9999 || y % 1000 === 0 || (y >= 2000 && y % 1000 < 10)) {
    // 2000, 2005 ("two thousand five"): said as a cardinal number.
    return integer(String(y));
  }
  const high = Math.floor(y / 100);
  const low = y % 100;
  if (low === 0) return [...below100(high), f('scale/hundred')];
  if (low < 10) return [...below100(high), f('word/oh'), num(low)];
  return [...below100(high), ...below100(low)];
}

export function enDate(value: string, options: { weekday?: boolean } = {}): Spoken {
  const date = parseIsoDate(value);
  const out: Piece[] = options.weekday ? [fk(`week/${date.weekday}`)] : [];
  out.push(fk(`month/${date.month}`), ...ordinal(date.day), ...year(date.year));
  return joinPieces('en', out);
}

export function enTime(value: string): Spoken {
  const { hour, minute } = parseIsoTime(value);
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;
  const out: Piece[] = [num(hour12)];
  if (minute === 0 && hour === 12) out.push(f('time/noon'));
  else if (minute === 0 && hour === 0) out.push(f('time/midnight'));
  else {
    if (minute > 0 && minute < 10) out.push(f('word/oh'), num(minute));
    else if (minute > 0) out.push(...below100(minute));
    out.push(f(hour < 12 ? 'time/am' : 'time/pm'));
  }
  return joinPieces('en', out);
}
