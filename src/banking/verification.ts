import { bankError } from './errors';

/**
 * How sure the bank is that it is talking to the customer, weakest first: nothing; the
 * calling number is one of the customer's phones; the telephone PIN; the PIN and a one-time
 * code sent by SMS to the customer's phone.
 */
export const verificationLevels = ['none', 'caller-number', 'pin', 'pin-otp'] as const;
export type VerificationLevel = (typeof verificationLevels)[number];

export function levelAtLeast(have: VerificationLevel, need: VerificationLevel): boolean {
  return verificationLevels.indexOf(have) >= verificationLevels.indexOf(need);
}

/**
 * The level every customer-facing operation declares. Moving money to a third party or
 * issuing a cheque needs the one-time code on top of the PIN; blocking a lost card needs the
 * least (stopping fraud must be quick), but ordering its replacement needs the PIN.
 */
export const operationLevels = {
  balance: 'pin',
  history: 'pin',
  'recent-transactions': 'pin',
  'payment-records': 'pin',
  payees: 'pin',
  billers: 'pin',
  cards: 'caller-number',
  'own-transfer': 'pin',
  'payee-transfer': 'pin-otp',
  'bill-payment': 'pin',
  'cheque-request': 'pin-otp',
  cheques: 'pin',
  'fx-quote': 'pin',
  'fx-conversion': 'pin',
  'place-order': 'pin',
  'cancel-order': 'pin',
  orders: 'pin',
  positions: 'pin',
  'card-block': 'caller-number',
  'card-replacement': 'pin',
  'deposit-rates': 'none',
  'fx-board': 'none',
  'stock-quotes': 'none',
} as const satisfies Record<string, VerificationLevel>;
export type BankOperation = keyof typeof operationLevels;

export interface Verification {
  id: string;
  customerId: string;
  level: VerificationLevel;
  channel: string;
  expiresAt: number;
}

/** Refuses when `have` is below what `operation` declares. */
export function requireLevel(operation: BankOperation, have: VerificationLevel): void {
  const need = operationLevels[operation];
  if (!levelAtLeast(have, need)) {
    throw bankError(
      'BANK_VERIFICATION_REQUIRED',
      `${operation} needs the customer verified by ${need}; the caller is verified by ${have}`,
    );
  }
}
