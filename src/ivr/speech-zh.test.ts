import { describe, expect, it } from 'vitest';
import { money, parseMoney } from '../core/index';
import { speechFragments } from './say';
import { zhAmount, zhDate, zhDigits, zhNumber, zhPercent, zhTime } from './speech-zh';

describe('zh cardinal numbers', () => {
  it.each([
    [0, '零'],
    [1, '一'],
    [2, '二'],
    [5, '五'],
    [10, '十'],
    [11, '十一'],
    [12, '十二'],
    [15, '十五'],
    [19, '十九'],
    [20, '二十'],
    [21, '二十一'],
    [22, '二十二'],
    [99, '九十九'],
    [100, '一百'],
    [101, '一百零一'],
    [110, '一百一十'],
    [111, '一百一十一'],
    [120, '一百二十'],
    [200, '二百'],
    [202, '二百零二'],
    [999, '九百九十九'],
    [1000, '一千'],
    [1001, '一千零一'],
    [1010, '一千零一十'],
    [1100, '一千一百'],
    [2000, '两千'],
    [2002, '两千零二'],
    [2200, '两千二百'],
    [9999, '九千九百九十九'],
    [10000, '一万'],
    [10001, '一万零一'],
    [10005, '一万零五'],
    [10010, '一万零一十'],
    [10100, '一万零一百'],
    [11000, '一万一千'],
    [12000, '一万二千'],
    [12345, '一万二千三百四十五'],
    [20000, '两万'],
    [22000, '两万二千'],
    [100000, '十万'],
    [100010, '十万零一十'],
    [110000, '十一万'],
    [120000, '十二万'],
    [1000000, '一百万'],
    [1005000, '一百万五千'],
    [2000000, '二百万'],
    [10000000, '一千万'],
    [10000500, '一千万零五百'],
    [20000000, '两千万'],
    [100000000, '一亿'],
    [100000005, '一亿零五'],
    [100050000, '一亿零五万'],
    [110000000, '一亿一千万'],
    [200000000, '两亿'],
    [1000000000, '十亿'],
    [2000000000, '二十亿'],
    [123456789, '一亿二千三百四十五万六千七百八十九'],
    [1000000000000, '一万亿'],
    [1000100000000, '一万零一亿'],
    [2000000000000, '两万亿'],
    [100000000000000, '一百万亿'],
    [999999999999999, '九百九十九万九千九百九十九亿九千九百九十九万九千九百九十九'],
    [-5, '负五'],
    [-10005, '负一万零五'],
  ])('%d → %s', (value, text) => {
    expect(zhNumber(value).text).toBe(text);
  });

  it('composes 10005 from 一, 万, 零, 五 fragments', () => {
    expect(zhNumber(10005).fragments).toEqual(['zh/num/1', 'zh/unit/wan', 'zh/num/0', 'zh/num/5']);
  });

  it('composes 两千 with the 两 fragment and 二百万 with 二', () => {
    expect(zhNumber(2000).fragments).toEqual(['zh/num/liang', 'zh/unit/qian']);
    expect(zhNumber(2000000).fragments).toEqual(['zh/num/2', 'zh/unit/bai', 'zh/unit/wan']);
  });

  it.each([
    ['0.05', '零点零五'],
    ['3.14', '三点一四'],
    ['1.35', '一点三五'],
    ['2.5', '二点五'],
    ['10.01', '十点零一'],
    ['-0.5', '负零点五'],
    ['-0.00', '零点零零'],
    ['007', '七'],
    ['12,345.67', '一万二千三百四十五点六七'],
  ])('decimal %s → %s', (value, text) => {
    expect(zhNumber(value).text).toBe(text);
  });

  it('reads a bigint and refuses more than fifteen integer digits', () => {
    expect(zhNumber(10005n).text).toBe('一万零五');
    expect(() => zhNumber('1000000000000000')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_RANGE' }));
  });

  it('refuses what is not a decimal number', () => {
    for (const bad of ['', '1e5', '1.', 'abc', '--1']) {
      expect(() => zhNumber(bad), bad).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
    }
    expect(() => zhNumber(Number.NaN)).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
    expect(() => zhNumber(1e21)).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
  });
});

describe('zh amounts', () => {
  it.each([
    ['12345.67', 'CNY', '一万二千三百四十五元六角七分'],
    ['0.00', 'CNY', '零元'],
    ['0.05', 'CNY', '五分'],
    ['0.50', 'CNY', '五角'],
    ['0.55', 'CNY', '五角五分'],
    ['1.00', 'CNY', '一元'],
    ['1.05', 'CNY', '一元零五分'],
    ['2.00', 'CNY', '两元'],
    ['2.22', 'CNY', '两元二角二分'],
    ['10.50', 'CNY', '十元五角'],
    ['12.00', 'CNY', '十二元'],
    ['100.00', 'CNY', '一百元'],
    ['1000.05', 'CNY', '一千元零五分'],
    ['2000.00', 'CNY', '两千元'],
    ['10005.00', 'CNY', '一万零五元'],
    ['2000000.00', 'CNY', '二百万元'],
    ['-35.20', 'CNY', '负三十五元二角'],
    ['123456789012.34', 'CNY', '一千二百三十四亿五千六百七十八万九千零一十二元三角四分'],
    ['12.50', 'USD', '十二点五美元'],
    ['12.34', 'USD', '十二点三四美元'],
    ['12.00', 'USD', '十二美元'],
    ['2.00', 'USD', '两美元'],
    ['0.05', 'USD', '零点零五美元'],
    ['1000.00', 'HKD', '一千港币'],
    ['99.99', 'EUR', '九十九点九九欧元'],
    ['-1.10', 'EUR', '负一点一欧元'],
    ['1500', 'JPY', '一千五百日元'],
    ['3.50', 'GBP', '三点五英镑'],
  ])('%s %s → %s', (amount, currency, text) => {
    expect(zhAmount(parseMoney(amount, currency)).text).toBe(text);
  });

  it('composes 12,345.67 CNY fragment by fragment', () => {
    expect(zhAmount(money(1234567, 'CNY')).fragments).toEqual([
      'zh/num/1',
      'zh/unit/wan',
      'zh/num/2',
      'zh/unit/qian',
      'zh/num/3',
      'zh/unit/bai',
      'zh/num/4',
      'zh/unit/shi',
      'zh/num/5',
      'zh/cur/yuan',
      'zh/num/6',
      'zh/cur/jiao',
      'zh/num/7',
      'zh/cur/fen',
    ]);
  });

  it('speaks the largest safe amount without losing a fen', () => {
    // 90,071,992,547,409.91 yuan
    expect(zhAmount(money(Number.MAX_SAFE_INTEGER, 'CNY')).text).toBe(
      '九十万零七百一十九亿九千二百五十四万七千四百零九元九角一分',
    );
  });
});

describe('zh digits, dates, times, percentages', () => {
  it.each([
    ['0001', '零零零幺'],
    ['6222020000000001', '六二二二零二零零零零零零零零零幺'],
    ['13800000001', '幺三八零零零零零零零幺'],
    ['2580', '二五八零'],
  ])('digits %s → %s', (value, text) => {
    expect(zhDigits(value).text).toBe(text);
  });

  it('reads 1 as 一 when asked', () => {
    expect(zhDigits('101', { yao: false }).text).toBe('一零一');
  });

  it('refuses anything but digits', () => {
    expect(() => zhDigits('12a')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
    expect(() => zhDigits('')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
  });

  it.each([
    ['2024-03-05', false, '二零二四年三月五日'],
    ['2024-03-05', true, '二零二四年三月五日星期二'],
    ['2002-02-02', false, '二零零二年二月二日'],
    ['2025-10-10', false, '二零二五年十月十日'],
    ['2025-12-31', true, '二零二五年十二月三十一日星期三'],
    ['1999-11-20', false, '一九九九年十一月二十日'],
    ['2024-02-29', false, '二零二四年二月二十九日'],
  ])('date %s (weekday %s) → %s', (value, weekday, text) => {
    expect(zhDate(value, { weekday }).text).toBe(text);
  });

  it('refuses a date that does not exist', () => {
    expect(() => zhDate('2023-02-29')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
    expect(() => zhDate('2023-13-01')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
  });

  it.each([
    ['00:00', '零点整'],
    ['02:00', '两点整'],
    ['09:30', '九点三十分'],
    ['12:00', '十二点整'],
    ['14:05', '十四点零五分'],
    ['14:10', '十四点十分'],
    ['20:02', '二十点零二分'],
    ['23:59', '二十三点五十九分'],
  ])('time %s → %s', (value, text) => {
    expect(zhTime(value).text).toBe(text);
  });

  it('refuses an impossible time', () => {
    expect(() => zhTime('24:00')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
    expect(() => zhTime('9h30')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
  });

  it.each([
    ['1.35', '百分之一点三五'],
    ['0.5', '百分之零点五'],
    ['2', '百分之二'],
    ['100', '百分之一百'],
    ['-0.25', '负百分之零点二五'],
    [3.85, '百分之三点八五'],
  ])('percent %s → %s', (value, text) => {
    expect(zhPercent(value).text).toBe(text);
  });
});

describe('zh fragment catalogue', () => {
  it('every fragment a large sample of utterances uses is in the catalogue', () => {
    const catalogue = speechFragments('zh');
    const used = new Set<string>();
    for (let n = 0; n < 3000; n++)
      for (const id of zhNumber(n * 7919 + (n % 13) * 10 ** (n % 14)).fragments) used.add(id);
    for (const id of zhAmount(money(-1234567, 'CNY')).fragments) used.add(id);
    for (const id of zhPercent('-1.35').fragments) used.add(id);
    for (const id of zhDigits('0123456789').fragments) used.add(id);
    for (const id of zhDate('2024-03-05', { weekday: true }).fragments) used.add(id);
    for (const id of zhTime('02:05').fragments) used.add(id);
    expect([...used].filter((id) => !catalogue.has(id))).toEqual([]);
    expect(used.size).toBeGreaterThan(25);
  });
});
