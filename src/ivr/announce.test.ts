import { describe, expect, it } from 'vitest';
import { money } from '../core/index';
import {
  accountLabel,
  balanceLine,
  billPaymentLine,
  billReadBack,
  cardReadBack,
  chequeReadBack,
  choiceLine,
  depositRateLine,
  fxRateLine,
  fxReadBack,
  orderReadBack,
  payeeReadBack,
  stockQuoteLine,
  transactionLine,
  transferReadBack,
  Utterance,
} from './announce';
import { ivrAccountKinds, ivrCardKinds } from './ports';
import { allPrompts, promptLibrary, promptText } from './prompts';
import { speechFragments } from './say';
import { languages } from './speech';

describe('sentences that carry data', () => {
  it('reads back an own-account transfer in each language order', () => {
    const zh = transferReadBack(new Utterance('zh'), '0001', '0002', money(10000, 'CNY'));
    expect(zh.text).toBe('您将从尾号零零零幺的账户向尾号零零零二的账户转账一百元');
    const en = transferReadBack(new Utterance('en'), '0001', '0002', money(10000, 'CNY'));
    expect(en.text).toBe(
      'You are about to transfer one hundred yuan from the account ending in zero zero zero one to the account ending in zero zero zero two',
    );
    expect(en.ids.slice(0, 4)).toEqual(['en/rb/transfer', 'en/num/1', 'en/scale/hundred', 'en/cur/yuan']);
  });

  it('labels an account and offers it as a choice', () => {
    const account = { last4: '0001', kind: 'current', currency: 'CNY' } as const;
    expect(choiceLine(new Utterance('zh'), '1', (u) => accountLabel(u, account)).text).toBe(
      '尾号零零零幺的人民币活期账户请按一',
    );
    expect(choiceLine(new Utterance('en'), '#', (u) => accountLabel(u, account)).text).toBe(
      'For the yuan current account ending in zero zero zero one press hash',
    );
  });

  it('announces a balance with the available amount', () => {
    const line = balanceLine(new Utterance('zh'), {
      last4: '0002',
      kind: 'savings',
      currency: 'USD',
      balance: money(123450, 'USD'),
      available: money(123450, 'USD'),
    });
    expect(line.text).toBe(
      '尾号零零零二的美元储蓄账户余额一千二百三十四点五美元可用余额一千二百三十四点五美元',
    );
  });

  it('refuses a prompt the library does not have', () => {
    expect(() => new Utterance('zh').prompt('menu/nope')).toThrow(
      expect.objectContaining({ code: 'IVR_INTERNAL' }),
    );
    expect(() => new Utterance('zh').prompt('choose/for')).toThrow(
      expect.objectContaining({ code: 'IVR_INTERNAL' }),
    );
  });

  it('every sentence template, in both languages, uses only prompts the library has', () => {
    for (const lang of languages) {
      const used: string[] = [];
      const collect = (u: Utterance) => used.push(...u.ids);
      for (const kind of ivrAccountKinds) {
        collect(accountLabel(new Utterance(lang), { last4: '1234', kind, currency: 'HKD' }));
      }
      for (const kind of ivrCardKinds) {
        collect(cardReadBack(new Utterance(lang), { last4: '0001', kind }, 'lost'));
        collect(cardReadBack(new Utterance(lang), { last4: '0001', kind }, 'stolen'));
      }
      collect(transactionLine(new Utterance(lang), '2024-03-05', money(-500, 'CNY')));
      collect(transactionLine(new Utterance(lang), '2024-03-05', money(500, 'CNY')));
      for (const category of ['electricity', 'water', 'gas', 'telecom'] as const) {
        collect(billPaymentLine(new Utterance(lang), '2024-03-05', { category, amount: money(8800, 'CNY') }));
        collect(
          billReadBack(new Utterance(lang), '0001', { category, referenceLast4: '4321' }, money(1, 'CNY')),
        );
      }
      collect(payeeReadBack(new Utterance(lang), '0001', '5678', money(100, 'CNY')));
      collect(chequeReadBack(new Utterance(lang), '0001', money(500000, 'CNY')));
      collect(fxReadBack(new Utterance(lang), '7.1234', money(10000, 'USD'), money(71234, 'CNY')));
      collect(
        orderReadBack(new Utterance(lang), {
          side: 'buy',
          symbol: '600519',
          quantity: 100,
          limitPrice: null,
        }),
      );
      collect(
        orderReadBack(new Utterance(lang), {
          side: 'sell',
          symbol: '600519',
          quantity: 100,
          limitPrice: money(168000, 'CNY'),
        }),
      );
      for (const term of ['demand', '3m', '6m', '1y', '2y', '3y', '5y'] as const) {
        collect(depositRateLine(new Utterance(lang), term, '1.35'));
      }
      collect(fxRateLine(new Utterance(lang), { currency: 'EUR', buy: '771.2', sell: '776.9' }));
      collect(
        stockQuoteLine(new Utterance(lang), {
          symbol: '600519',
          price: money(168000, 'CNY'),
          changePercent: '-1.2',
        }),
      );
      collect(
        stockQuoteLine(new Utterance(lang), {
          symbol: '600519',
          price: money(168000, 'CNY'),
          changePercent: '0.8',
        }),
      );
      expect(used.filter((id) => promptText(id) === undefined)).toEqual([]);
      expect(used.every((id) => id.startsWith(`${lang}/`))).toBe(true);
    }
  });
});

describe('the prompt library', () => {
  it('gives every entry a text in at least one language and keeps clear of the number fragments', () => {
    for (const [key, entry] of Object.entries(promptLibrary)) {
      expect(Object.hasOwn(entry, 'zh') || Object.hasOwn(entry, 'en'), key).toBe(true);
      for (const lang of languages) expect(speechFragments(lang).has(`${lang}/${key}`), key).toBe(false);
    }
  });

  it('lists each full id once', () => {
    const ids = allPrompts().map((prompt) => prompt.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
