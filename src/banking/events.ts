import type { moneyToJson } from '../core/index';
import type { CardStatus, ChequeStatus, OrderStatus } from './model';
import type { VerificationLevel } from './verification';

type MoneyJson = ReturnType<typeof moneyToJson>;

/**
 * The domain events the banking module publishes. Card and account numbers appear masked to
 * their last four digits; PINs and one-time codes never appear.
 */
export interface BankingEvents {
  'banking.verification.changed': {
    customerId: string;
    verificationId: string;
    level: VerificationLevel;
    method: 'caller-number' | 'pin' | 'otp';
    channel: string;
  };
  'banking.pin.failed': { customerId: string; failures: number; channel: string };
  'banking.pin.locked': { customerId: string; channel: string };
  'banking.pin.reset': { customerId: string; newPinSet: boolean };
  'banking.otp.sent': { customerId: string; verificationId: string; sentTo: string };
  'banking.transfer.completed': {
    transactionId: string;
    customerId: string;
    kind: 'own' | 'payee';
    fromAccountId: string;
    toAccountId: string | null;
    payeeId: string | null;
    amount: MoneyJson;
    channel: string;
    interactionId: string | null;
  };
  'banking.bill.paid': {
    transactionId: string;
    customerId: string;
    billerCode: string;
    amount: MoneyJson;
    channel: string;
    interactionId: string | null;
  };
  'banking.cheque.requested': {
    chequeId: string;
    customerId: string;
    amount: MoneyJson;
    fee: MoneyJson;
    channel: string;
    interactionId: string | null;
  };
  'banking.cheque.changed': { chequeId: string; customerId: string; from: ChequeStatus; to: ChequeStatus };
  'banking.fx.quoted': {
    quoteId: string;
    customerId: string;
    sell: MoneyJson;
    buy: MoneyJson;
    rate: string;
    expiresAt: number;
  };
  'banking.fx.converted': {
    transactionId: string;
    quoteId: string;
    customerId: string;
    sold: MoneyJson;
    bought: MoneyJson;
    rate: string;
    channel: string;
    interactionId: string | null;
  };
  'banking.order.placed': {
    orderId: string;
    customerId: string;
    symbol: string;
    side: string;
    type: string;
    quantity: number;
    status: OrderStatus;
    channel: string;
    interactionId: string | null;
  };
  'banking.order.changed': {
    orderId: string;
    customerId: string;
    from: OrderStatus;
    to: OrderStatus;
    fillPrice: MoneyJson | null;
  };
  'banking.card.reported': {
    customerId: string;
    cardId: string;
    card: string;
    from: CardStatus;
    to: CardStatus;
    replacementCardId: string | null;
    channel: string;
    interactionId: string | null;
  };
}

declare module '../core/index' {
  interface DomainEvents extends BankingEvents {}
}
