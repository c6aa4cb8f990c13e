/**
 * banking: the core-banking port and the built-in simulator bank.
 * In: customer operations from the IVR and the agent desktop (each with its channel, actor,
 * interaction and verification), idempotency keys on everything that moves money, a Clock.
 * Out: accounts, balances, ledger history, transfers, bill payments, certified cheques,
 * FX quotes and conversions, stock quotes and orders, card blocks; a domain event after each
 * committed change and an audit entry for every attempt.
 * It never returns or publishes a PIN, a one-time code or a full card number, and it never
 * moves money twice for one idempotency key.
 */
import './events';

export { type BankErrorCode, bankError, bankErrors, isFinalRejection } from './errors';
export type { BankingEvents } from './events';
export {
  convertBuy,
  convertSell,
  type DepositRate,
  type DepositTerm,
  defaultFxCurrencies,
  depositRates,
  type FxBoard,
  type FxBoardRow,
  type FxCurrencyConfig,
  FxFeed,
  formatDecimal,
  parseDecimal,
  rateDecimals,
} from './fx';
export {
  bankDay,
  billerAccountId,
  ensureLedgerAccounts,
  type LedgerPurpose,
  ledgerAccountId,
  ledgerPurposes,
} from './ledger';
export {
  type ListedStock,
  listedStocks,
  MarketSimulator,
  type StockQuoteData,
  type TradingHours,
} from './market';
export {
  type Account,
  type AccountKind,
  type AccountStatus,
  accountKinds,
  type Biller,
  type BillerCategory,
  type BillerRegistration,
  type BillPaymentRecord,
  billerCategories,
  type Card,
  type CardKind,
  type CardStatus,
  type Channel,
  type Cheque,
  type ChequeStatus,
  type CustomerAccountKind,
  cardMachine,
  cardStatuses,
  channels,
  chequeMachine,
  chequeStatuses,
  customerAccountKinds,
  depositCurrencies,
  type HistoryQuery,
  type LedgerLine,
  type Order,
  type OrderSide,
  type OrderStatus,
  type OrderType,
  orderMachine,
  orderSides,
  orderStatuses,
  orderTypes,
  type Page,
  type Payee,
  type Position,
  type StateMachine,
  stateMachine,
  type TransactionKind,
  transactionKinds,
} from './model';
export type {
  BillPaymentRequest,
  BillPaymentResult,
  CardReportRequest,
  CardReportResult,
  ChequeRequest,
  CoreBanking,
  FxConversionRequest,
  FxConversionResult,
  FxQuote,
  FxQuoteRequest,
  OperationContext,
  OrderRequest,
  OtpDelivery,
  OwnTransferRequest,
  PayeeTransferRequest,
  PinStatus,
  StockQuote,
  TransferResult,
} from './port';
export { hash32, SeededRandom } from './random';
export { type BankingRoutesDeps, bankingRoutes } from './routes';
export {
  accountSchema,
  cardSchema,
  jsonMoney,
  moneyInputSchema,
  moneyJsonSchema,
  moneyOf,
  pinStatusSchema,
} from './schemas';
export { defaultPanKey, hashPin, isCardNumber, panDigest } from './secrets';
export {
  type BankingPublish,
  type DailyLimits,
  defaultChequeFees,
  defaultDailyLimits,
  type FaultInjector,
  type FaultPoint,
  normalizePhone,
  type OtpMessage,
  type OtpSender,
  SimulatorOtpOutbox,
  StoreBank,
  type StoreBankOptions,
} from './store-bank';
export {
  type BankOperation,
  levelAtLeast,
  operationLevels,
  requireLevel,
  type Verification,
  type VerificationLevel,
  verificationLevels,
} from './verification';
