import type { CurrencyCode, Money } from '../core/index';
import { ivrError } from './errors';
import type {
  BillerCategory,
  CardReportReason,
  DepositTerm,
  IvrAccountKind,
  IvrCardKind,
  OrderSide,
} from './ports';
import { type PromptKey, promptText, resolvePrompt } from './prompts';
import { type Sayable, say } from './say';
import type { Lang, Spoken } from './speech';

/**
 * What the line says, as an ordered list of prompt ids plus the same words as text. The
 * sentences that carry data (balances, read-backs) are built here, one order per language:
 * Mandarin puts the account before the amount ("尾号0001的账户转账一百元"), English after.
 */
export class Utterance {
  readonly ids: string[] = [];
  private readonly words: string[] = [];

  constructor(readonly lang: Lang) {}

  /** A library prompt or a flow's prompt reference, in this utterance's language unless qualified. */
  prompt(ref: PromptKey | string): this {
    const id = resolvePrompt(ref, this.lang);
    const text = promptText(id);
    if (text === undefined) throw ivrError('IVR_INTERNAL', `no prompt ${id}`);
    this.ids.push(id);
    this.words.push(text);
    return this;
  }

  spoken(value: Spoken): this {
    this.ids.push(...value.fragments);
    this.words.push(value.text);
    return this;
  }

  say(item: Sayable): this {
    return this.spoken(say(this.lang, item));
  }

  /** One of two prompts by language: used where only one language has a word there. */
  when(lang: Lang, ref: PromptKey): this {
    return lang === this.lang ? this.prompt(ref) : this;
  }

  get text(): string {
    return this.words.join(this.lang === 'zh' ? '' : ' ');
  }

  get empty(): boolean {
    return this.ids.length === 0;
  }
}

export interface AccountLike {
  last4: string;
  kind: IvrAccountKind;
  currency: CurrencyCode;
}

/** 尾号0001的人民币活期账户 / yuan current account ending in 0 0 0 1 */
export function accountLabel(u: Utterance, account: AccountLike): Utterance {
  if (u.lang === 'zh') {
    return u
      .prompt('acct/ending')
      .say({ kind: 'digits', value: account.last4 })
      .prompt('join/de')
      .prompt(`curname/${account.currency}`)
      .prompt(`acct/kind/${account.kind}`);
  }
  return u
    .prompt(`curname/${account.currency}`)
    .prompt(`acct/kind/${account.kind}`)
    .prompt('acct/ending')
    .say({ kind: 'digits', value: account.last4 });
}

export function cardLabel(u: Utterance, card: { last4: string; kind: IvrCardKind }): Utterance {
  if (u.lang === 'zh') {
    return u
      .prompt('acct/ending')
      .say({ kind: 'digits', value: card.last4 })
      .prompt('join/de')
      .prompt(`card/kind/${card.kind}`);
  }
  return u.prompt(`card/kind/${card.kind}`).prompt('acct/ending').say({ kind: 'digits', value: card.last4 });
}

export function payeeLabel(u: Utterance, payee: { last4: string }): Utterance {
  return u.prompt('payee/ending').say({ kind: 'digits', value: payee.last4 });
}

export function billerLabel(
  u: Utterance,
  biller: { category: BillerCategory; referenceLast4: string },
): Utterance {
  return u
    .prompt(`biller/${biller.category}`)
    .prompt('biller/reference')
    .say({ kind: 'digits', value: biller.referenceLast4 });
}

/** A key as said in "press 1": the digit as a number, star and hash by name. */
export function sayKey(u: Utterance, key: string): Utterance {
  if (key === '*') return u.prompt('key/star');
  if (key === '#') return u.prompt('key/hash');
  return u.say({ kind: 'number', value: key });
}

/** 尾号0001的人民币活期账户请按1 / For the yuan current account ending in 0 0 0 1, press 1 */
export function choiceLine(u: Utterance, key: string, label: (u: Utterance) => void): Utterance {
  u.when('en', 'choose/for');
  label(u);
  return sayKey(u.prompt('choose/press'), key);
}

export function balanceLine(
  u: Utterance,
  account: AccountLike & { balance: Money; available: Money },
): Utterance {
  return accountLabel(u, account)
    .prompt('bal/balance')
    .say({ kind: 'amount', value: account.balance })
    .prompt('bal/available')
    .say({ kind: 'amount', value: account.available });
}

export function transactionLine(u: Utterance, date: string, amount: Money): Utterance {
  const out = amount.minor < 0;
  return u
    .say({ kind: 'date', value: date })
    .prompt(out ? 'txn/debit' : 'txn/credit')
    .say({ kind: 'amount', value: { minor: Math.abs(amount.minor), currency: amount.currency } });
}

export function billPaymentLine(
  u: Utterance,
  date: string,
  payment: { category: BillerCategory; amount: Money },
): Utterance {
  return u
    .say({ kind: 'date', value: date })
    .prompt(`biller/${payment.category}`)
    .say({ kind: 'amount', value: payment.amount });
}

export function depositRateLine(u: Utterance, term: DepositTerm, ratePercent: string): Utterance {
  return u.prompt(`term/${term}`).say({ kind: 'percent', value: ratePercent });
}

export function fxRateLine(
  u: Utterance,
  rate: { currency: CurrencyCode; buy: string; sell: string },
): Utterance {
  return u
    .prompt(`curname/${rate.currency}`)
    .prompt('rates/buy')
    .say({ kind: 'number', value: rate.buy })
    .prompt('rates/sell')
    .say({ kind: 'number', value: rate.sell });
}

export function stockQuoteLine(
  u: Utterance,
  quote: { symbol: string; price: Money; changePercent: string },
): Utterance {
  const down = quote.changePercent.trim().startsWith('-');
  const change = down ? quote.changePercent.trim().slice(1) : quote.changePercent;
  return u
    .prompt('stock/code')
    .say({ kind: 'digits', value: quote.symbol })
    .prompt('stock/price')
    .say({ kind: 'amount', value: quote.price })
    .prompt(down ? 'stock/down' : 'stock/up')
    .say({ kind: 'percent', value: change });
}

// ---- read-backs: what is about to happen, said before the caller confirms ----

/** 您将从尾号0001的账户向尾号0002的账户转账一百元 / You are about to transfer one hundred yuan from the account ending in … to the account ending in … */
export function transferReadBack(u: Utterance, fromLast4: string, toLast4: string, amount: Money): Utterance {
  const from = { kind: 'digits', value: fromLast4 } as const;
  const to = { kind: 'digits', value: toLast4 } as const;
  if (u.lang === 'zh') {
    return u
      .prompt('rb/from')
      .say(from)
      .prompt('rb/to-account')
      .say(to)
      .prompt('rb/transfer')
      .say({ kind: 'amount', value: amount });
  }
  return u
    .prompt('rb/transfer')
    .say({ kind: 'amount', value: amount })
    .prompt('rb/from')
    .say(from)
    .prompt('rb/to-account')
    .say(to);
}

export function payeeReadBack(u: Utterance, fromLast4: string, payeeLast4: string, amount: Money): Utterance {
  const from = { kind: 'digits', value: fromLast4 } as const;
  if (u.lang === 'zh') {
    u.prompt('rb/from').say(from).prompt('rb/to-payee');
    return payeeLabel(u, { last4: payeeLast4 })
      .prompt('rb/transfer-payee')
      .say({ kind: 'amount', value: amount });
  }
  u.prompt('rb/transfer-payee')
    .say({ kind: 'amount', value: amount })
    .prompt('rb/from')
    .say(from)
    .prompt('rb/to-payee');
  return payeeLabel(u, { last4: payeeLast4 });
}

export function billReadBack(
  u: Utterance,
  fromLast4: string,
  biller: { category: BillerCategory; referenceLast4: string },
  amount: Money,
): Utterance {
  const from = { kind: 'digits', value: fromLast4 } as const;
  if (u.lang === 'zh') {
    u.prompt('rb/from').say(from).prompt('rb/pay-bill');
    return billerLabel(u, biller).prompt('rb/amount').say({ kind: 'amount', value: amount });
  }
  u.prompt('rb/pay-bill').say({ kind: 'amount', value: amount }).prompt('rb/for');
  return billerLabel(u, biller).prompt('rb/from').say(from);
}

export function chequeReadBack(u: Utterance, fromLast4: string, amount: Money): Utterance {
  const from = { kind: 'digits', value: fromLast4 } as const;
  if (u.lang === 'zh') {
    return u
      .prompt('rb/from')
      .say(from)
      .prompt('rb/cheque')
      .prompt('rb/amount')
      .say({ kind: 'amount', value: amount });
  }
  return u.prompt('rb/cheque').say({ kind: 'amount', value: amount }).prompt('rb/from').say(from);
}

export function fxReadBack(u: Utterance, rate: string, buy: Money, sell: Money): Utterance {
  return u
    .prompt('rb/fx-rate')
    .say({ kind: 'number', value: rate })
    .prompt('rb/fx-buy')
    .say({ kind: 'amount', value: buy })
    .prompt('rb/fx-cost')
    .say({ kind: 'amount', value: sell });
}

export function orderReadBack(
  u: Utterance,
  order: { side: OrderSide; symbol: string; quantity: number; limitPrice: Money | null },
): Utterance {
  u.prompt(order.side === 'buy' ? 'rb/order-buy' : 'rb/order-sell');
  if (u.lang === 'zh') {
    u.prompt('stock/code').say({ kind: 'digits', value: order.symbol });
    u.say({ kind: 'number', value: order.quantity }).prompt('rb/shares');
  } else {
    u.say({ kind: 'number', value: order.quantity }).prompt('rb/shares');
    u.say({ kind: 'digits', value: order.symbol });
  }
  if (order.limitPrice) return u.prompt('rb/at-limit').say({ kind: 'amount', value: order.limitPrice });
  return u.prompt('rb/at-market');
}

export function cardReadBack(
  u: Utterance,
  card: { last4: string; kind: IvrCardKind },
  reason: CardReportReason,
): Utterance {
  u.prompt(reason === 'lost' ? 'rb/lost-card' : 'rb/stolen-card');
  return cardLabel(u, card).prompt('rb/card-blocked-warning');
}
