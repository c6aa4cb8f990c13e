import { type CurrencyCode, type Money, minorDigits } from '../core/index';
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
 * Mandarin (zh-CN) as a bank's telephone line says it. The choices, written down once:
 *
 * - Zeros: one 零 stands for any run of zeros inside the number (一千零一, 一万零五, 一亿零五百);
 *   trailing zeros are silent; a group of four that starts with zero after a higher group gets
 *   its 零 (十万零一十), a group of four at 1000 or above does not (一百万五千).
 * - 十: a number that starts in the tens drops the 一 (十, 十五, 十万); inside a number it stays
 *   (一百一十, 一万零一十).
 * - 两 and 二: 两 only where Mandarin requires a counting word — a leading 2 right before 千,
 *   万 or 亿 (两千, 两万, 两亿, 两千万), and a bare 2 before a measure word (两元, 两美元, two
 *   o'clock 两点). Everywhere else 二: units and tens (十二, 二十), hundreds (二百, 二百万 — the
 *   register of bank announcements), inside a number (一万二千), in 角 and 分 (二角, 零二分),
 *   dates (二月二日) and decimals (二点五).
 * - Digit strings (card and account tails, phone numbers) read 1 as 幺 (yāo), as Chinese
 *   telephone practice does, so that 1 and 7 are not confused; years read 1 as 一.
 * - Renminbi: 元, 角, 分 (12,345.67 → 一万二千三百四十五元六角七分; 1.05 → 一元零五分;
 *   0.05 → 五分; 0 → 零元). Other currencies: the decimal number, then the currency's name
 *   (12.50 USD → 十二点五美元), trailing zeros of the cents not read.
 * - Times on the 24-hour clock (十四点零五分, 九点整), dates as 二零二四年三月五日 (星期二).
 */
export const zhFragments = {
  'num/0': '零',
  'num/1': '一',
  'num/2': '二',
  'num/3': '三',
  'num/4': '四',
  'num/5': '五',
  'num/6': '六',
  'num/7': '七',
  'num/8': '八',
  'num/9': '九',
  'num/liang': '两',
  'num/yao': '幺',
  'unit/shi': '十',
  'unit/bai': '百',
  'unit/qian': '千',
  'unit/wan': '万',
  'unit/yi': '亿',
  'word/fu': '负',
  'word/dian': '点',
  'word/percent': '百分之',
  'cur/yuan': '元',
  'cur/jiao': '角',
  'cur/fen': '分',
  'cur/USD': '美元',
  'cur/HKD': '港币',
  'cur/EUR': '欧元',
  'cur/GBP': '英镑',
  'cur/JPY': '日元',
  'cur/SGD': '新加坡元',
  'cur/AUD': '澳元',
  'cur/CAD': '加元',
  'cur/CHF': '瑞士法郎',
  'date/nian': '年',
  'date/yue': '月',
  'date/ri': '日',
  'time/dian': '点',
  'time/fen': '分',
  'time/zheng': '整',
  'week/1': '星期一',
  'week/2': '星期二',
  'week/3': '星期三',
  'week/4': '星期四',
  'week/5': '星期五',
  'week/6': '星期六',
  'week/7': '星期日',
} as const;

type ZhKey = keyof typeof zhFragments;

function f(key: ZhKey): Piece {
  return { id: `zh/${key}`, text: zhFragments[key] };
}

const digitKeys = [
  'num/0',
  'num/1',
  'num/2',
  'num/3',
  'num/4',
  'num/5',
  'num/6',
  'num/7',
  'num/8',
  'num/9',
] as const satisfies readonly ZhKey[];

function digit(d: string): Piece {
  return f(digitKeys[Number(d)] ?? 'num/0');
}

const positionUnits = [null, 'unit/shi', 'unit/bai', 'unit/qian'] as const;

/**
 * An integer given as digits (no leading zeros): up to eight digits in two groups of four
 * (个, 万); above that, the count of 亿 read the same way, then 亿, then the rest — so that
 * 1,000,100,000,000 is 一万零一亿, as 万亿 is said, not 一万亿零一亿.
 * `measure`: the number stands before a measure word (元, 点), so a bare 2 is 两.
 */
function integer(int: string, measure = false): Piece[] {
  if (/^0*$/.test(int)) return [f('num/0')];
  if (measure && int === '2') return [f('num/liang')];
  const out: Piece[] = [];
  readWithYi(int, { out, started: false }, false);
  return out;
}

interface ReadState {
  out: Piece[];
  /** A non-zero digit of the whole number has been read. */
  started: boolean;
}

function readWithYi(int: string, state: ReadState, beforeUnit: boolean): void {
  if (int.length <= 8) {
    readGroups(int.padStart(Math.ceil(int.length / 4) * 4, '0'), state, beforeUnit);
    return;
  }
  readWithYi(int.slice(0, -8), state, true);
  state.out.push(f('unit/yi'));
  readGroups(int.slice(-8), state, beforeUnit);
}

/**
 * One or two groups of four digits. A zero run inside is one 零; a group that starts with a
 * zero after something was read gets its 零 (一万零五); trailing zeros are silent.
 * `beforeUnit`: 亿 follows, so a leading bare 2 is 两 (两亿).
 */
function readGroups(padded: string, state: ReadState, beforeUnit: boolean): void {
  let gap = false;
  for (let at = 0; at < padded.length; at += 4) {
    const group = padded.slice(at, at + 4);
    const level = (padded.length - at) / 4 - 1;
    if (group === '0000') {
      if (state.started) gap = true;
      continue;
    }
    let zero = gap || (state.started && group[0] === '0');
    gap = false;
    let seen = false;
    for (let pos = 0; pos < 4; pos++) {
      const d = group[pos] ?? '0';
      if (d === '0') {
        if (seen) zero = true;
        continue;
      }
      if (zero) state.out.push(f('num/0'));
      zero = false;
      const place = 3 - pos;
      const first = !state.started;
      if (first && d === '1' && place === 1) {
        // 十五, 十万: a number opening in the tens says 十 alone.
      } else if (first && d === '2' && (place === 3 || (place === 0 && (level > 0 || beforeUnit)))) {
        state.out.push(f('num/liang'));
      } else state.out.push(digit(d));
      const unit = positionUnits[place];
      if (unit) state.out.push(f(unit));
      seen = true;
      state.started = true;
    }
    if (level === 1) state.out.push(f('unit/wan'));
  }
}

function decimal(value: Decimal, measure = false): Piece[] {
  const out: Piece[] = value.negative ? [f('word/fu')] : [];
  const frac = value.frac;
  out.push(...integer(value.int, measure && frac === ''));
  if (frac !== '') {
    out.push(f('word/dian'));
    for (const d of frac) out.push(digit(d));
  }
  return out;
}

export function zhDigits(value: string, options: { yao?: boolean } = {}): Spoken {
  const yao = options.yao ?? true;
  return joinPieces(
    'zh',
    [...checkDigits(value)].map((d) => (yao && d === '1' ? f('num/yao') : digit(d))),
  );
}

export function zhNumber(value: number | bigint | string): Spoken {
  return joinPieces('zh', decimal(parseDecimal(value)));
}

const currencyKeys = {
  USD: 'cur/USD',
  HKD: 'cur/HKD',
  EUR: 'cur/EUR',
  GBP: 'cur/GBP',
  JPY: 'cur/JPY',
  SGD: 'cur/SGD',
  AUD: 'cur/AUD',
  CAD: 'cur/CAD',
  CHF: 'cur/CHF',
} as const satisfies Record<Exclude<CurrencyCode, 'CNY'>, ZhKey>;

export function zhAmount(value: Money): Spoken {
  const parts = splitMoney(value, minorDigits(value.currency));
  if (value.currency !== 'CNY') {
    const frac = parts.frac.replace(/0+$/, '');
    return joinPieces('zh', [...decimal({ ...parts, frac }, true), f(currencyKeys[value.currency])]);
  }
  const jiao = parts.frac[0] ?? '0';
  const fen = parts.frac[1] ?? '0';
  const out: Piece[] = parts.negative ? [f('word/fu')] : [];
  const hasYuan = parts.int !== '0';
  if (hasYuan) out.push(...integer(parts.int, true), f('cur/yuan'));
  if (jiao !== '0') out.push(digit(jiao), f('cur/jiao'));
  if (fen !== '0') {
    // 一元零五分: the missing 角 between 元 and 分 is said as 零.
    if (hasYuan && jiao === '0') out.push(f('num/0'));
    out.push(digit(fen), f('cur/fen'));
  }
  if (!hasYuan && jiao === '0' && fen === '0') out.push(f('num/0'), f('cur/yuan'));
  return joinPieces('zh', out);
}

export function zhPercent(value: number | bigint | string): Spoken {
  const parsed = parseDecimal(value);
  const out: Piece[] = parsed.negative ? [f('word/fu')] : [];
  out.push(f('word/percent'), ...decimal({ ...parsed, negative: false }));
  return joinPieces('zh', out);
}

const weekdayKeys = [
  'week/1',
  'week/2',
  'week/3',
  'week/4',
  'week/5',
  'week/6',
  'week/7',
] as const satisfies readonly ZhKey[];

export function zhDate(value: string, options: { weekday?: boolean } = {}): Spoken {
  const date = parseIsoDate(value);
  const out: Piece[] = [...String(date.year)].map(digit);
  out.push(f('date/nian'), ...integer(String(date.month)), f('date/yue'));
  out.push(...integer(String(date.day)), f('date/ri'));
  if (options.weekday) out.push(f(weekdayKeys[date.weekday - 1] ?? 'week/7'));
  return joinPieces('zh', out);
}

export function zhTime(value: string): Spoken {
  const { hour, minute } = parseIsoTime(value);
  const out = [...integer(String(hour), true), f('time/dian')];
  if (minute === 0) out.push(f('time/zheng'));
  else {
    if (minute < 10) out.push(f('num/0'));
    out.push(...integer(String(minute)), f('time/fen'));
  }
  return joinPieces('zh', out);
}
