import { speechFragments } from './say';
import { isLang, type Lang, languages } from './speech';

/**
 * The prompt library: every recorded sentence of the line, by id, in Mandarin and English.
 * Flows name prompts without a language (`menu/main`); the interpreter plays the caller's
 * language (`zh/menu/main`). A flow may also name one language's prompt (`en/lang/choose`).
 * A few prompts exist in one language only, because the other language's sentence is built
 * in a different order. `zhSpeak` overrides what the renderer reads where a character has
 * two readings (银行 háng, 重听 chóng): pinyin with tone numbers inside the characters.
 * The number fragments (`zh/num/2`, `en/scale/thousand`) come from the speech composers and
 * are rendered together with these.
 */
export interface PromptText {
  zh?: string;
  en?: string;
  zhSpeak?: string;
}

export const promptLibrary = {
  welcome: {
    zh: '您好，欢迎致电Teller银行。',
    zhSpeak: '您好，欢迎致电Teller银hang2。',
    en: 'Welcome to Teller Bank.',
  },
  'lang/choose': { zh: '普通话请按1。', en: 'For English, press 2.' },
  goodbye: { zh: '感谢您的来电，再见。', en: 'Thank you for calling. Goodbye.' },

  // Menus of the phone-banking line.
  'menu/main': {
    zh: '查询余额请按1，交易明细请按2，转账请按3，缴费请按4，利率和外汇牌价请按5，购买外汇请按6，股票服务请按7，更多服务请按8，挂失请按9，人工服务请按0，重听请按星号键。',
    zhSpeak:
      '查询余额请按1，交易明细请按2，转账请按3，缴费请按4，利率和外汇牌价请按5，购买外汇请按6，股票服务请按7，更多服务请按8，挂失请按9，人工服务请按0，chong2听请按星号键。',
    en: 'For balances, press 1. Recent transactions, 2. Transfers, 3. Bill payments, 4. Interest and exchange rates, 5. Buying foreign currency, 6. Stocks, 7. More services, 8. To report a lost or stolen card, press 9. To speak to an agent, press 0. To hear this again, press star.',
  },
  'menu/transfer': {
    zh: '本人账户间转账请按1，向已登记收款人转账请按2，返回主菜单请按星号键。',
    en: 'To move money between your own accounts, press 1. To pay a registered payee, press 2. To go back, press star.',
  },
  'menu/rates': {
    zh: '存款利率请按1，外汇牌价请按2，返回主菜单请按星号键。',
    en: 'For deposit interest rates, press 1. For exchange rates, press 2. To go back, press star.',
  },
  'menu/stocks': {
    zh: '查询股票行情请按1，买入股票请按2，卖出股票请按3，返回主菜单请按星号键。',
    en: 'For a stock quote, press 1. To buy shares, press 2. To sell shares, press 3. To go back, press star.',
  },
  'menu/order-type': {
    zh: '市价委托请按1，限价委托请按2。',
    en: 'For a market order, press 1. For a limit order, press 2.',
  },
  'menu/more': {
    zh: '查询缴费记录请按1，申请保付支票请按2，返回主菜单请按星号键。',
    en: 'For your bill payment records, press 1. To request a certified cheque, press 2. To go back, press star.',
  },
  'menu/anything-else': {
    zh: '返回主菜单请按1，人工服务请按0，结束通话请按9。',
    en: 'To return to the main menu, press 1. To speak to an agent, press 0. To end the call, press 9.',
  },
  'menu/lost-card': {
    zh: '银行卡遗失请按1，银行卡被盗请按2。',
    zhSpeak: '银hang2卡遗失请按1，银hang2卡被盗请按2。',
    en: 'If your card is lost, press 1. If it was stolen, press 2.',
  },

  // What the caller keys in.
  'collect/card-number': {
    zh: '请输入您的银行卡号或账号，以井号键结束。',
    zhSpeak: '请输入您的银hang2卡号或账号，以井号键结束。',
    en: 'Please enter your card or account number, followed by the hash key.',
  },
  'collect/pin': {
    zh: '请输入六位电话银行密码。',
    zhSpeak: '请输入六位电话银hang2密码。',
    en: 'Please enter your six-digit telephone banking PIN.',
  },
  'collect/amount': {
    zh: '请输入金额，以井号键结束，小数点请按星号键。',
    en: 'Please enter the amount, followed by the hash key. For a decimal point, press star.',
  },
  'collect/fx-amount': {
    zh: '请输入要购买的外币金额，以井号键结束。',
    en: 'Please enter the amount of foreign currency to buy, followed by the hash key.',
  },
  'collect/symbol': { zh: '请输入六位股票代码。', en: 'Please enter the six-digit stock code.' },
  'collect/quantity': {
    zh: '请输入股数，以井号键结束。',
    en: 'Please enter the number of shares, followed by the hash key.',
  },
  'collect/limit-price': {
    zh: '请输入委托价格，以井号键结束，小数点请按星号键。',
    en: 'Please enter your limit price, followed by the hash key. For a decimal point, press star.',
  },

  // Dynamic menus: "尾号0001的人民币活期账户请按1" / "For the yuan current account ending in 0001, press 1".
  'choose/account': { zh: '请选择账户。', en: 'Please choose an account.' },
  'choose/from-account': { zh: '请选择转出账户。', en: 'Please choose the account to pay from.' },
  'choose/to-account': { zh: '请选择转入账户。', en: 'Please choose the account to pay into.' },
  'choose/payee': { zh: '请选择收款人。', en: 'Please choose the payee.' },
  'choose/biller': { zh: '请选择缴费项目。', en: 'Please choose the bill to pay.' },
  'choose/card': { zh: '请选择银行卡。', zhSpeak: '请选择银hang2卡。', en: 'Please choose the card.' },
  'choose/none': { zh: '没有可以选择的项目。', en: 'There is nothing to choose from.' },
  'choose/for': { en: 'For the' },
  'choose/press': { zh: '请按', en: 'press' },
  'key/star': { zh: '星号键', en: 'star' },
  'key/hash': { zh: '井号键', en: 'hash' },
  'join/de': { zh: '的' },
  'acct/ending': { zh: '尾号', en: 'ending in' },
  'acct/kind/current': { zh: '活期账户', en: 'current account' },
  'acct/kind/savings': { zh: '储蓄账户', en: 'savings account' },
  'acct/kind/credit-card': { zh: '信用卡账户', en: 'credit card account' },
  'acct/kind/brokerage': { zh: '证券账户', en: 'brokerage account' },
  'card/kind/debit': { zh: '借记卡', en: 'debit card' },
  'card/kind/credit': { zh: '信用卡', en: 'credit card' },
  'payee/ending': { zh: '收款账号尾号', en: 'the payee with account ending in' },
  'biller/electricity': { zh: '电费', en: 'electricity' },
  'biller/water': { zh: '水费', en: 'water' },
  'biller/gas': { zh: '燃气费', en: 'gas' },
  'biller/telecom': { zh: '话费', en: 'phone top-up' },
  'biller/reference': { zh: '户号尾号', en: 'reference ending in' },
  'curname/CNY': { zh: '人民币', en: 'yuan' },
  'curname/USD': { zh: '美元', en: 'US dollar' },
  'curname/HKD': { zh: '港币', en: 'Hong Kong dollar' },
  'curname/EUR': { zh: '欧元', en: 'euro' },
  'curname/GBP': { zh: '英镑', en: 'pound sterling' },
  'curname/JPY': { zh: '日元', en: 'yen' },
  'curname/SGD': { zh: '新加坡元', en: 'Singapore dollar' },
  'curname/AUD': { zh: '澳元', en: 'Australian dollar' },
  'curname/CAD': { zh: '加元', en: 'Canadian dollar' },
  'curname/CHF': { zh: '瑞士法郎', en: 'Swiss franc' },

  // Identification and authentication.
  'auth/ok': { zh: '身份验证成功。', en: 'Thank you, you are verified.' },
  'auth/invalid': { zh: '密码错误。', en: 'That PIN is not correct.' },
  'auth/attempts-left': { zh: '剩余尝试次数', en: 'Attempts remaining:' },
  'auth/locked': {
    zh: '您的电话银行密码已被锁定，请联系人工客服解锁。',
    zhSpeak: '您的电话银hang2密码已被锁定，请联系人工客服解锁。',
    en: 'Your telephone banking PIN is locked. An agent can unlock it for you.',
  },
  'auth/unknown': { zh: '未找到该卡号或账号。', en: 'We could not find that card or account number.' },

  // Inquiries.
  'bal/balance': { zh: '余额', en: 'balance' },
  'bal/available': { zh: '可用余额', en: 'available' },
  'txn/intro': { zh: '最近的交易如下。', en: 'Here are your most recent transactions.' },
  'txn/credit': { zh: '存入', en: 'money in' },
  'txn/debit': { zh: '支出', en: 'money out' },
  'txn/none': { zh: '该账户近期没有交易。', en: 'There are no recent transactions on this account.' },
  'pay/intro': { zh: '最近的缴费记录如下。', en: 'Here are your recent bill payments.' },
  'pay/none': { zh: '没有缴费记录。', en: 'There are no bill payments on record.' },
  'rates/deposit-intro': { zh: '人民币存款年利率如下。', en: 'Yuan deposit rates, per year:' },
  'rates/fx-intro': {
    zh: '外汇牌价，以每一百外币兑人民币计。',
    en: 'Exchange rates, in yuan for one hundred units of foreign currency.',
  },
  'rates/buy': { zh: '买入价', en: 'we buy at' },
  'rates/sell': { zh: '卖出价', en: 'we sell at' },
  'term/demand': { zh: '活期', en: 'demand deposits' },
  'term/3m': { zh: '三个月', en: 'three months' },
  'term/6m': { zh: '六个月', en: 'six months' },
  'term/1y': { zh: '一年', en: 'one year' },
  'term/2y': { zh: '两年', en: 'two years' },
  'term/3y': { zh: '三年', en: 'three years' },
  'term/5y': { zh: '五年', en: 'five years' },
  'stock/code': { zh: '股票代码', en: 'Stock code' },
  'stock/price': { zh: '最新价', en: 'last price' },
  'stock/up': { zh: '上涨', en: 'up' },
  'stock/down': { zh: '下跌', en: 'down' },
  'stock/closed': { zh: '目前为非交易时间。', en: 'The market is closed now.' },

  // Read-back before money moves, and what follows.
  'rb/transfer': { zh: '的账户转账', en: 'You are about to transfer' },
  'rb/transfer-payee': { zh: '转账', en: 'You are about to transfer' },
  'rb/from': { zh: '您将从尾号', en: 'from the account ending in' },
  'rb/to-account': { zh: '的账户向尾号', en: 'to the account ending in' },
  'rb/to-payee': { zh: '的账户向', en: 'to' },
  'rb/pay-bill': { zh: '的账户缴纳', en: 'You are about to pay' },
  'rb/for': { en: 'for' },
  'rb/amount': { zh: '金额', en: 'amount' },
  'rb/cheque': { zh: '的账户申请保付支票', en: 'You are about to request a certified cheque for' },
  'rb/fx-rate': { zh: '按汇率', en: 'At a rate of' },
  'rb/fx-buy': { zh: '购买', en: 'buying' },
  'rb/fx-cost': { zh: '需支付', en: 'costs' },
  'rb/order-buy': { zh: '您将买入', en: 'You are about to buy' },
  'rb/order-sell': { zh: '您将卖出', en: 'You are about to sell' },
  'rb/shares': { zh: '股', en: 'shares of' },
  'rb/at-market': { zh: '市价委托', en: 'at the market price' },
  'rb/at-limit': { zh: '限价', en: 'with a limit of' },
  'rb/lost-card': { zh: '您将挂失', en: 'You are about to report as lost the' },
  'rb/stolen-card': { zh: '您将以被盗挂失', en: 'You are about to report as stolen the' },
  'rb/card-blocked-warning': {
    zh: '挂失后该卡将立即停用。',
    en: 'The card will be blocked at once.',
  },
  'confirm/prompt': { zh: '确认请按1，取消请按2。', en: 'To confirm, press 1. To cancel, press 2.' },
  'confirm/cancelled': { zh: '已为您取消。', en: 'Cancelled. Nothing has been changed.' },
  'result/transfer-ok': { zh: '转账成功。', en: 'Your transfer is complete.' },
  'result/bill-ok': { zh: '缴费成功。', en: 'Your bill is paid.' },
  'result/cheque-ok': {
    zh: '保付支票申请已受理，支票号码尾号',
    en: 'Your cheque request is accepted. Cheque number ending in',
  },
  'result/fee': { zh: '手续费', en: 'Fee:' },
  'result/fx-ok': { zh: '购汇成功。', en: 'Your currency purchase is complete.' },
  'result/order-filled': { zh: '委托已成交，成交价', en: 'Your order is filled at' },
  'result/order-open': { zh: '委托已提交，等待成交。', en: 'Your order is placed and waiting to be filled.' },
  'result/card-blocked': { zh: '该卡已挂失并停用。', en: 'The card is now blocked.' },
  'result/replacement': { zh: '补卡申请已受理。', en: 'A replacement card is on its way.' },
  'result/balance-after': { zh: '转出账户余额', en: 'The paying account now holds' },

  // Hand-over, callback, receipts.
  'queue/agent': {
    zh: '正在为您转接人工客服，请稍候。',
    en: 'Please hold while we connect you to an agent.',
  },
  'verify/intro': {
    zh: '您的客服代表需要核实您的身份。',
    en: 'Your agent needs to confirm who you are.',
  },
  'verify/back': { zh: '正在为您转回客服代表。', en: 'Taking you back to your agent.' },
  'queue/lost-card': {
    zh: '正在为您优先转接挂失专席。',
    en: 'We are putting you straight through to our card team.',
  },
  'callback/offer': {
    zh: '人工服务时间为每天八点至二十二点。需要我们回电请按1，结束通话请按2。',
    en: 'Our agents are available from eight a.m. to ten p.m. To ask for a call back, press 1. To end the call, press 2.',
  },
  'callback/ok': { zh: '我们将尽快给您回电。', en: 'We will call you back as soon as we can.' },
  'sms/sent': { zh: '交易凭证已通过短信发送。', en: 'We have sent you a receipt by text message.' },

  // Errors, each one a transport's answer to an error code or kind.
  'errors/invalid': { zh: '输入有误。', en: 'Sorry, that is not a valid choice.' },
  'errors/no-input': { zh: '没有收到您的输入。', en: 'Sorry, we did not hear a choice.' },
  'errors/too-many': { zh: '输入错误次数过多。', en: 'Sorry, that was too many attempts.' },
  'errors/system': { zh: '系统繁忙，暂时无法办理。', en: 'Sorry, we cannot do that right now.' },
  'errors/insufficient-funds': { zh: '账户余额不足。', en: 'There is not enough money in that account.' },
  'errors/limit-exceeded': {
    zh: '超出电话银行交易限额。',
    zhSpeak: '超出电话银hang2交易限额。',
    en: 'That is over your telephone banking limit.',
  },
  'errors/account-unavailable': {
    zh: '该账户暂不能办理此业务。',
    en: 'That account cannot be used for this.',
  },
  'errors/market-closed': { zh: '目前为非交易时间。', en: 'The market is closed now.' },
  'errors/quote-expired': { zh: '报价已过期，请重新办理。', en: 'That quote has expired. Please try again.' },
  'errors/not-verified': { zh: '请先验证身份。', en: 'We need to verify who you are first.' },
  'errors/not-found': { zh: '未找到相关信息。', en: 'We could not find that.' },
  'errors/amount-invalid': { zh: '金额无效。', en: 'That amount is not valid.' },
  'errors/card-inactive': { zh: '该卡当前无法办理此业务。', en: 'That card cannot be used for this.' },
  'errors/price-limit': { zh: '委托价格超出涨跌停限制。', en: 'That price is outside the daily limits.' },
  'errors/position': { zh: '持仓不足。', en: 'You do not hold enough of those shares.' },
  'errors/lot-size': { zh: '股数须为一百股的整数倍。', en: 'Shares trade in lots of one hundred.' },
} as const satisfies Record<string, PromptText>;

export type PromptKey = keyof typeof promptLibrary;

const library: Readonly<Record<string, PromptText>> = promptLibrary;

export interface RenderablePrompt {
  /** Full id: `zh/menu/main`, `en/num/40`. */
  id: string;
  lang: Lang;
  text: string;
  /** What the speech synthesiser reads (differs from `text` where a reading is forced). */
  speak: string;
}

/** Every prompt of both languages: the library and the number fragments. */
export function allPrompts(): RenderablePrompt[] {
  const out: RenderablePrompt[] = [];
  for (const lang of languages) {
    for (const [key, entry] of Object.entries(library)) {
      const text = entry[lang];
      if (text === undefined) continue;
      out.push({ id: `${lang}/${key}`, lang, text, speak: lang === 'zh' ? (entry.zhSpeak ?? text) : text });
    }
    for (const [id, text] of speechFragments(lang)) out.push({ id, lang, text, speak: text });
  }
  return out;
}

let index: Map<string, string> | undefined;

/** The text of a full prompt id (library entry or number fragment), or undefined. */
export function promptText(id: string): string | undefined {
  index ??= new Map(allPrompts().map((prompt) => [prompt.id, prompt.text]));
  return index.get(id);
}

/** A flow's prompt reference in a language: `menu/main` → `zh/menu/main`; a qualified id stays as it is. */
export function resolvePrompt(ref: string, lang: Lang): string {
  const head = ref.split('/', 1)[0] ?? '';
  return isLang(head) ? ref : `${lang}/${ref}`;
}
