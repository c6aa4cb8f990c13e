import { z } from 'zod';
import { type CurrencyCode, currencies } from '../core/index';
import { ivrAccountKinds, ivrCardKinds, orderSides } from './ports';
import { languages } from './speech';

/**
 * The flow format, version 1: a JSON document naming its steps by id. Each step says what
 * to do and where to go next; every way a step can end (a choice, a timeout, a refusal, an
 * error) names a step. The zod schema below is the single source: the JSON Schema in
 * `docs/ivr-flow.schema.json` is generated from it, and `validateFlow` adds the checks a
 * schema cannot express (that a named step exists, that an expression parses).
 */

const stepId = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a step id is lower-case letters, digits and dashes, starting with a letter');
const flowId = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a flow id is lower-case letters, digits and dashes, starting with a letter');
const promptRef = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]*(?:\/[A-Za-z0-9][A-Za-z0-9-]*)*$/,
    'a prompt id such as "menu/main", or one language\'s "en/lang/choose"',
  );
const expr = z.string().min(1).max(500).describe('an expression (docs/ivr.md, "Expressions")');
const varName = z
  .string()
  .regex(/^[a-z][A-Za-z0-9_]*$/, 'a variable name starts with a lower-case letter: letters, digits, _');
const dtmfKey = z.enum(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']);
const currencyCode = z.enum(Object.keys(currencies) as [CurrencyCode, ...CurrencyCode[]]);
const queueName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a queue name is lower-case letters, digits and dashes');
const timeoutMs = (fallback: number) => z.int().min(500).max(60_000).default(fallback);
const retries = z.int().min(0).max(5).default(2);
const prompts = z.array(promptRef);

const description = z.string().max(500).optional();

const play = z.strictObject({
  type: z.literal('play'),
  description,
  prompts: prompts.min(1),
  bargeIn: z.boolean().default(true),
  next: stepId,
});

const sayPart = z.union([
  z.strictObject({ prompt: promptRef }),
  z.strictObject({ digits: expr }),
  z.strictObject({ number: expr }),
  z.strictObject({ amount: expr }),
  z.strictObject({ date: expr, weekday: z.boolean().optional() }),
  z.strictObject({ time: expr }),
  z.strictObject({ percent: expr }),
]);

const say = z.strictObject({
  type: z.literal('say'),
  description,
  parts: z.array(sayPart).min(1),
  bargeIn: z.boolean().default(true),
  next: stepId,
  onError: stepId.optional(),
});

const menu = z.strictObject({
  type: z.literal('menu'),
  description,
  prompts: prompts.min(1),
  choices: z.partialRecord(dtmfKey, z.strictObject({ goto: stepId, intent: z.string().max(60).optional() })),
  timeoutMs: timeoutMs(5000),
  retries,
  invalidPrompt: promptRef.default('errors/invalid'),
  timeoutPrompt: promptRef.default('errors/no-input'),
  repeatKey: dtmfKey.optional(),
  bargeIn: z.boolean().default(true),
  onFail: stepId,
});

const collect = z.strictObject({
  type: z.literal('collect'),
  description,
  prompts: prompts.min(1),
  into: varName,
  min: z.int().min(1).max(32),
  max: z.int().min(1).max(32),
  terminator: z.enum(['#', '*']).nullable().default('#'),
  timeoutMs: timeoutMs(8000),
  interDigitTimeoutMs: timeoutMs(4000),
  masked: z.boolean().default(false).describe('PCI: pause the recording, keep the digits out of every event'),
  secret: z.enum(['pin', 'card-number']).optional().describe('what a masked entry is; required when masked'),
  decimalKey: z.literal('*').optional().describe('the key that stands for a decimal point in an amount'),
  retries,
  invalidPrompt: promptRef.default('errors/invalid'),
  timeoutPrompt: promptRef.default('errors/no-input'),
  bargeIn: z.boolean().default(true),
  next: stepId,
  onFail: stepId,
  onError: stepId.optional(),
});

const identify = z.strictObject({
  type: z.literal('identify'),
  description,
  next: stepId,
  onUnknown: stepId,
  onError: stepId.optional(),
});

const language = z.strictObject({
  type: z.literal('language'),
  description,
  value: expr,
  remember: z.boolean().default(true),
  next: stepId,
  onError: stepId.optional(),
});

const authenticate = z.strictObject({
  type: z.literal('authenticate'),
  description,
  pin: varName,
  card: varName
    .optional()
    .describe('the card or account number; without it, the customer identified by number'),
  next: stepId,
  onInvalid: stepId,
  onLocked: stepId,
  onUnknown: stepId,
  onError: stepId.optional(),
});

const choose = z.strictObject({
  type: z.literal('choose'),
  description,
  from: z.enum(['accounts', 'payees', 'billers', 'cards']),
  kinds: z.array(z.enum([...ivrAccountKinds, ...ivrCardKinds])).optional(),
  currencies: z.array(currencyCode).optional(),
  exclude: expr.optional().describe('an item whose id equals this is left out (the account already chosen)'),
  prompts,
  into: varName,
  timeoutMs: timeoutMs(5000),
  retries,
  next: stepId,
  onEmpty: stepId,
  onFail: stepId,
  onError: stepId.optional(),
});

const inquiry = <T extends string>(type: T) => ({
  type: z.literal(type),
  description,
  next: stepId,
  onError: stepId.optional(),
});

const moneyMoving = <T extends string>(type: T) => ({ ...inquiry(type), onCancel: stepId });

const balance = z.strictObject({ ...inquiry('balance'), account: expr.optional() });
const transactions = z.strictObject({
  ...inquiry('transactions'),
  account: expr,
  count: z.int().min(1).max(10).default(5),
});
const paymentRecords = z.strictObject({
  ...inquiry('payment-records'),
  count: z.int().min(1).max(10).default(5),
});
const transfer = z.strictObject({
  ...moneyMoving('transfer'),
  from: expr,
  to: expr.optional().describe('an own account (from a choose step)'),
  payee: expr.optional().describe('a registered payee (from a choose step)'),
  amount: expr.describe('Money, or a decimal string in the paying account’s currency'),
});
const billPayment = z.strictObject({
  ...moneyMoving('bill-payment'),
  from: expr,
  biller: expr,
  amount: expr,
});
const cheque = z.strictObject({ ...moneyMoving('cheque'), from: expr, amount: expr });
const depositRates = z.strictObject({ ...inquiry('deposit-rates'), currency: currencyCode.default('CNY') });
const fxRates = z.strictObject({
  ...inquiry('fx-rates'),
  currencies: z.array(currencyCode).min(1).default(['USD', 'HKD', 'EUR']),
});
const fxPurchase = z.strictObject({
  ...moneyMoving('fx-purchase'),
  from: expr,
  to: expr,
  amount: expr.describe('how much foreign currency to buy, in the receiving account’s currency'),
});
const stockQuote = z.strictObject({ ...inquiry('stock-quote'), symbol: expr });
const stockOrder = z.strictObject({
  ...moneyMoving('stock-order'),
  side: z.enum(orderSides),
  symbol: expr,
  quantity: expr,
  limitPrice: expr.optional().describe('absent: a market order'),
});
const lostCard = z.strictObject({
  ...moneyMoving('lost-card'),
  card: expr,
  reason: expr.default("'lost'").describe("'lost' or 'stolen'"),
});

const set = z.strictObject({
  type: z.literal('set'),
  description,
  assign: z.record(varName, expr),
  next: stepId,
  onError: stepId.optional(),
});

const branch = z.strictObject({
  type: z.literal('branch'),
  description,
  cases: z.array(z.strictObject({ when: expr, goto: stepId })).min(1),
  otherwise: stepId,
  onError: stepId.optional(),
});

const attached = z.record(z.string().regex(/^[a-zA-Z][A-Za-z0-9_-]*$/), expr);

const queue = z.strictObject({
  type: z.literal('queue'),
  description,
  queue: queueName,
  priority: expr.default('0').describe('a number from 0 (normal) to 10'),
  intent: z.string().min(1).max(60),
  data: attached.default({}),
  prompts: prompts.default([]),
  onError: stepId.optional(),
});

const callback = z.strictObject({
  type: z.literal('callback'),
  description,
  queue: queueName,
  number: expr.optional().describe("the number to call back; the caller's by default"),
  priority: expr.default('0'),
  intent: z.string().min(1).max(60),
  data: attached.default({}),
  next: stepId,
  onError: stepId.optional(),
});

const sms = z.strictObject({
  type: z.literal('sms'),
  description,
  to: expr.optional().describe("the caller's number by default"),
  message: z.strictObject({ zh: z.string().min(1).max(300), en: z.string().min(1).max(300) }),
  params: attached.default({}).describe('values for the {name} placeholders of the message'),
  next: stepId,
  onError: stepId.optional(),
});

const http = z.strictObject({
  type: z.literal('http'),
  description,
  method: z.enum(['GET', 'POST']).default('GET'),
  url: z.string().regex(/^https?:\/\/[^\s]+$/, 'an http or https URL'),
  query: attached.default({}),
  body: attached.optional(),
  timeoutMs: z.int().min(100).max(30_000).default(3000),
  into: varName,
  next: stepId,
  onError: stepId.optional(),
});

const subflow = z.strictObject({
  type: z.literal('subflow'),
  description,
  flow: flowId,
  next: stepId,
  onError: stepId.optional(),
});

const returnStep = z.strictObject({ type: z.literal('return'), description });
const goto = z.strictObject({ type: z.literal('goto'), description, to: stepId });
const hangup = z.strictObject({
  type: z.literal('hangup'),
  description,
  prompts: prompts.default([]),
  outcome: z.enum(['self-service', 'failed']).default('self-service'),
});

export const stepSchema = z.discriminatedUnion('type', [
  play,
  say,
  menu,
  collect,
  identify,
  language,
  authenticate,
  choose,
  balance,
  transactions,
  paymentRecords,
  transfer,
  billPayment,
  cheque,
  depositRates,
  fxRates,
  fxPurchase,
  stockQuote,
  stockOrder,
  lostCard,
  set,
  branch,
  queue,
  callback,
  sms,
  http,
  subflow,
  returnStep,
  goto,
  hangup,
]);

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

export const flowSchema = z.strictObject({
  $schema: z.string().optional(),
  format: z.literal(1).describe('the version of this file format'),
  id: flowId,
  version: z.int().min(1).optional().describe('set by the repository when the flow is saved'),
  name: z.string().min(1).max(120),
  description,
  languages: z.array(z.enum(languages)).min(1).default(['zh', 'en']),
  defaultLanguage: z.enum(languages),
  start: stepId,
  onError: stepId.optional().describe('where a failing step without its own onError goes'),
  variables: z.record(varName, jsonValue).default({}),
  steps: z.record(stepId, stepSchema),
});

export type Flow = z.output<typeof flowSchema>;
export type FlowDocument = z.input<typeof flowSchema>;
export type Step = z.output<typeof stepSchema>;
export type StepType = Step['type'];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;
export type SayPart = z.output<typeof sayPart>;

/** The JSON Schema of a flow document, as published in docs/ivr-flow.schema.json. */
export function flowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(flowSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://teller.example/schemas/ivr-flow-1.json',
    title: 'Teller IVR flow, format 1',
  };
}
