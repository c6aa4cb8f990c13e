import { describe, expect, it } from 'vitest';
import { money, parseMoney } from '../core/index';
import { speechFragments } from './say';
import { enAmount, enDate, enDigits, enNumber, enPercent, enTime } from './speech-en';

describe('en cardinal numbers', () => {
  it.each([
    [0, 'zero'],
    [1, 'one'],
    [7, 'seven'],
    [10, 'ten'],
    [11, 'eleven'],
    [13, 'thirteen'],
    [19, 'nineteen'],
    [20, 'twenty'],
    [21, 'twenty-one'],
    [40, 'forty'],
    [45, 'forty-five'],
    [99, 'ninety-nine'],
    [100, 'one hundred'],
    [101, 'one hundred one'],
    [110, 'one hundred ten'],
    [115, 'one hundred fifteen'],
    [200, 'two hundred'],
    [999, 'nine hundred ninety-nine'],
    [1000, 'one thousand'],
    [1001, 'one thousand one'],
    [1010, 'one thousand ten'],
    [1100, 'one thousand one hundred'],
    [2024, 'two thousand twenty-four'],
    [9999, 'nine thousand nine hundred ninety-nine'],
    [10000, 'ten thousand'],
    [10005, 'ten thousand five'],
    [12345, 'twelve thousand three hundred forty-five'],
    [100000, 'one hundred thousand'],
    [100010, 'one hundred thousand ten'],
    [1000000, 'one million'],
    [1000001, 'one million one'],
    [2000000, 'two million'],
    [10000000, 'ten million'],
    [100000000, 'one hundred million'],
    [123456789, 'one hundred twenty-three million four hundred fifty-six thousand seven hundred eighty-nine'],
    [1000000000, 'one billion'],
    [1000000000000, 'one trillion'],
    [1000100000000, 'one trillion one hundred million'],
    [
      999999999999999,
      'nine hundred ninety-nine trillion nine hundred ninety-nine billion nine hundred ninety-nine million nine hundred ninety-nine thousand nine hundred ninety-nine',
    ],
    [-5, 'minus five'],
    [-10005, 'minus ten thousand five'],
  ])('%d → %s', (value, text) => {
    expect(enNumber(value).text).toBe(text);
  });

  it('composes forty-five from the 40 and 5 fragments', () => {
    expect(enNumber(45).fragments).toEqual(['en/num/40', 'en/num/5']);
    expect(enNumber(1001).fragments).toEqual(['en/num/1', 'en/scale/thousand', 'en/num/1']);
  });

  it.each([
    ['0.05', 'zero point zero five'],
    ['3.14', 'three point one four'],
    ['1.35', 'one point three five'],
    ['10.01', 'ten point zero one'],
    ['-0.5', 'minus zero point five'],
    ['12,345.67', 'twelve thousand three hundred forty-five point six seven'],
  ])('decimal %s → %s', (value, text) => {
    expect(enNumber(value).text).toBe(text);
  });

  it('refuses sixteen integer digits and what is not a number', () => {
    expect(() => enNumber('1000000000000000')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_RANGE' }));
    expect(() => enNumber('1,2')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
    expect(() => enNumber(Number.POSITIVE_INFINITY)).toThrow(
      expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }),
    );
  });
});

describe('en amounts', () => {
  it.each([
    ['12345.67', 'CNY', 'twelve thousand three hundred forty-five yuan and sixty-seven fen'],
    ['0.00', 'CNY', 'zero yuan'],
    ['0.05', 'CNY', 'five fen'],
    ['1.00', 'CNY', 'one yuan'],
    ['10005.00', 'CNY', 'ten thousand five yuan'],
    ['2000000.00', 'CNY', 'two million yuan'],
    ['1.00', 'USD', 'one US dollar'],
    ['2.00', 'USD', 'two US dollars'],
    ['0.01', 'USD', 'one cent'],
    ['0.05', 'USD', 'five cents'],
    ['1.01', 'USD', 'one US dollar and one cent'],
    ['12.34', 'USD', 'twelve US dollars and thirty-four cents'],
    ['-12.34', 'USD', 'minus twelve US dollars and thirty-four cents'],
    ['100.50', 'HKD', 'one hundred Hong Kong dollars and fifty cents'],
    ['1.00', 'HKD', 'one Hong Kong dollar'],
    ['99.99', 'EUR', 'ninety-nine euros and ninety-nine cents'],
    ['1.00', 'EUR', 'one euro'],
    ['0.01', 'GBP', 'one penny'],
    ['3.50', 'GBP', 'three pounds and fifty pence'],
    ['1500', 'JPY', 'one thousand five hundred yen'],
    ['20.00', 'CHF', 'twenty Swiss francs'],
  ])('%s %s → %s', (amount, currency, text) => {
    expect(enAmount(parseMoney(amount, currency)).text).toBe(text);
  });

  it('composes the example amount fragment by fragment', () => {
    expect(enAmount(money(1234567, 'CNY')).fragments).toEqual([
      'en/num/12',
      'en/scale/thousand',
      'en/num/3',
      'en/scale/hundred',
      'en/num/40',
      'en/num/5',
      'en/cur/yuan',
      'en/word/and',
      'en/num/60',
      'en/num/7',
      'en/cur/fen',
    ]);
  });

  it('speaks the largest safe amount', () => {
    expect(enAmount(money(Number.MAX_SAFE_INTEGER, 'USD')).text).toBe(
      'ninety trillion seventy-one billion nine hundred ninety-two million five hundred forty-seven thousand four hundred nine US dollars and ninety-one cents',
    );
  });
});

describe('en digits, dates, times, percentages', () => {
  it.each([
    ['0001', 'zero zero zero one'],
    ['13800000001', 'one three eight zero zero zero zero zero zero zero one'],
    ['42', 'four two'],
  ])('digits %s → %s', (value, text) => {
    expect(enDigits(value).text).toBe(text);
  });

  it('refuses anything but digits', () => {
    expect(() => enDigits('1-2')).toThrow(expect.objectContaining({ code: 'IVR_SPEECH_INVALID' }));
  });

  it.each([
    ['2024-03-05', false, 'March fifth twenty twenty-four'],
    ['2024-03-05', true, 'Tuesday March fifth twenty twenty-four'],
    ['2000-01-01', false, 'January first two thousand'],
    ['2005-07-22', false, 'July twenty-second two thousand five'],
    ['2010-10-30', false, 'October thirtieth twenty ten'],
    ['1999-12-31', false, 'December thirty-first nineteen ninety-nine'],
    ['1905-06-20', false, 'June twentieth nineteen oh five'],
    ['1900-02-11', false, 'February eleventh nineteen hundred'],
    ['2100-05-13', false, 'May thirteenth twenty-one hundred'],
  ])('date %s (weekday %s) → %s', (value, weekday, text) => {
    expect(enDate(value, { weekday }).text).toBe(text);
  });

  it.each([
    ['00:00', 'twelve midnight'],
    ['00:15', 'twelve fifteen a.m.'],
    ['09:00', 'nine a.m.'],
    ['09:05', 'nine oh five a.m.'],
    ['12:00', 'twelve noon'],
    ['12:30', 'twelve thirty p.m.'],
    ['14:05', 'two oh five p.m.'],
    ['23:45', 'eleven forty-five p.m.'],
  ])('time %s → %s', (value, text) => {
    expect(enTime(value).text).toBe(text);
  });

  it.each([
    ['1.35', 'one point three five percent'],
    ['0.5', 'zero point five percent'],
    ['2', 'two percent'],
    ['100', 'one hundred percent'],
    [-0.25, 'minus zero point two five percent'],
  ])('percent %s → %s', (value, text) => {
    expect(enPercent(value).text).toBe(text);
  });
});

describe('en fragment catalogue', () => {
  it('every fragment a large sample of utterances uses is in the catalogue', () => {
    const catalogue = speechFragments('en');
    const used = new Set<string>();
    for (let n = 0; n < 3000; n++)
      for (const id of enNumber(n * 7919 + (n % 13) * 10 ** (n % 14)).fragments) used.add(id);
    for (let day = 1; day <= 31; day++) {
      for (const id of enDate(`2024-01-${String(day).padStart(2, '0')}`, { weekday: true }).fragments)
        used.add(id);
    }
    for (const currency of ['CNY', 'USD', 'HKD', 'EUR', 'GBP', 'JPY', 'SGD', 'AUD', 'CAD', 'CHF'] as const) {
      for (const minor of [-101, 1, 100, 101, 250])
        for (const id of enAmount(money(minor, currency)).fragments) used.add(id);
    }
    for (let h = 0; h < 24; h++) for (const id of enTime(`${h}:0${h % 10}`).fragments) used.add(id);
    expect([...used].filter((id) => !catalogue.has(id))).toEqual([]);
    expect(used.size).toBeGreaterThan(60);
  });
});
