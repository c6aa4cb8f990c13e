import { describe, expect, it } from 'vitest';
import { addMoney, divideHalfEven, formatMoney, money, moneyToJson, parseMoney } from './money';

describe('Money', () => {
  it('parses decimal strings into integer minor units', () => {
    expect(parseMoney('100.00', 'CNY')).toEqual({ minor: 10000, currency: 'CNY' });
    expect(parseMoney('12345.6', 'USD').minor).toBe(1234560);
    expect(parseMoney('-0.07', 'EUR').minor).toBe(-7);
    expect(parseMoney('500', 'JPY').minor).toBe(500);
    expect(parseMoney('-0', 'CNY').minor).toBe(0);
  });

  it('refuses floats in disguise, extra decimals and unknown currencies', () => {
    expect(() => parseMoney('1.005', 'CNY')).toThrow(/more than 2 decimal places/);
    expect(() => parseMoney('1e3', 'CNY')).toThrow(/not a decimal/);
    expect(() => parseMoney('1.5', 'JPY')).toThrow(/more than 0/);
    expect(() => parseMoney('10', 'XXX')).toThrow(/unknown currency/);
    expect(() => money(1.5, 'CNY')).toThrow(/whole number/);
  });

  it('formats with exactly the currency digits', () => {
    expect(formatMoney(money(7, 'CNY'))).toBe('0.07');
    expect(formatMoney(money(-123456, 'HKD'))).toBe('-1234.56');
    expect(formatMoney(money(42, 'JPY'))).toBe('42');
    expect(moneyToJson(money(10000, 'CNY'))).toEqual({ amount: '100.00', currency: 'CNY' });
  });

  it('round-trips every amount it formats', () => {
    for (const minor of [0, 1, 9, 10, 99, 100, 101, 123456789, -5, -100]) {
      expect(parseMoney(formatMoney(money(minor, 'USD')), 'USD').minor).toBe(minor);
    }
  });

  it('refuses to add different currencies', () => {
    expect(addMoney(money(1, 'CNY'), money(2, 'CNY')).minor).toBe(3);
    expect(() => addMoney(money(1, 'CNY'), money(2, 'USD'))).toThrow(/CNY with USD/);
  });

  it("rounds half to even (banker's rounding)", () => {
    expect(divideHalfEven(25n, 10n)).toBe(2n);
    expect(divideHalfEven(35n, 10n)).toBe(4n);
    expect(divideHalfEven(26n, 10n)).toBe(3n);
    expect(divideHalfEven(-25n, 10n)).toBe(-2n);
    expect(divideHalfEven(-35n, 10n)).toBe(-4n);
    expect(divideHalfEven(24n, 10n)).toBe(2n);
  });
});
