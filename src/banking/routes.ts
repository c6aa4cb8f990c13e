import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { anyRole, authErrors, problemSchema, requireSession, supervisorUp } from '../api/index';
import { parseMoney } from '../core/index';
import type { AuditEntry } from '../store/index';
import { bankError } from './errors';
import { chequeStatuses, orderSides, orderTypes, transactionKinds } from './model';
import type { CoreBanking, OperationContext } from './port';
import {
  accountSchema,
  billerSchemaList,
  billPaymentSchema,
  cardReportSchema,
  cardSchema,
  chequeSchema,
  depositRatesSchema,
  fxBoardSchema,
  fxConversionSchema,
  fxQuoteSchema,
  jsonMoney,
  ledgerLineSchema,
  moneyInputSchema,
  moneyOf,
  orderSchema,
  payeeSchema,
  paymentRecordSchema,
  pinStatusSchema,
  positionSchema,
  registrationSchema,
  stockQuoteSchema,
  transferSchema,
  verificationSchema,
} from './schemas';

export interface BankingRoutesDeps {
  bank: CoreBanking;
  audit: { record(entry: AuditEntry): Promise<unknown> };
}

const id = z.string().min(1).max(64);
const customerParams = z.strictObject({ id });
const interactionId = z.string().min(1).max(128).optional().describe('the contact this happens in (audited)');
const verificationId = z.string().min(1).max(64).optional().describe('from one of the verification routes');
const verifiedQuery = z.strictObject({ verificationId, interactionId });
const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\w.:-]{8,128}$/, '8–128 letters, digits or ._:-')
    .describe('a retry with the same key never moves money twice and gets the first answer'),
});
const errors = {
  ...authErrors,
  404: problemSchema,
  409: problemSchema,
  422: problemSchema,
  503: problemSchema,
};

function context(
  request: FastifyRequest,
  extra: { interactionId?: string | undefined; verificationId?: string | undefined },
): OperationContext {
  return {
    channel: 'agent',
    actor: requireSession(request).user.id,
    interactionId: extra.interactionId ?? null,
    verificationId: extra.verificationId ?? null,
    ip: request.ip,
  };
}

/**
 * Banking on behalf of a customer, for agents: accounts with balances, the verification
 * steps (caller number, PIN, one-time code), and every core-banking operation at the
 * verification level it declares, each audited by the bank with the agent and the
 * interaction. Money-moving routes need an `Idempotency-Key` header.
 */
export function bankingRoutes(deps: BankingRoutesDeps): FastifyPluginAsync {
  const { bank, audit } = deps;
  return async (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['banking'];

    r.get('/customers/:id/accounts', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: "The customer's accounts with balances (the agent's view; audited)",
        params: customerParams,
        querystring: z.strictObject({ interactionId }),
        response: { 200: z.object({ accounts: z.array(accountSchema) }), ...errors },
      },
      handler: async (request) => {
        const accounts = await bank.accountsOf(request.params.id);
        if (accounts.length === 0) await bank.pinStatus(request.params.id); // 404 for an unknown customer
        await audit.record({
          actor: requireSession(request).user.id,
          action: 'banking.accounts-view',
          target: request.params.id,
          outcome: 'success',
          ip: request.ip,
          details: { interactionId: request.query.interactionId ?? null },
        });
        return { accounts: jsonMoney(accounts) };
      },
    });

    // ---- verification ----
    const verifyBody = {
      interactionId,
      verificationId: verificationId.describe('an earlier verification to raise'),
    };
    r.post('/customers/:id/verification/caller-number', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: "Verify the caller by the calling number (one of the customer's phones)",
        params: customerParams,
        body: z.strictObject({ callerNumber: z.string().min(3).max(32), ...verifyBody }),
        response: { 200: verificationSchema, ...errors },
      },
      handler: async (request) =>
        bank.verifyCallerNumber(request.params.id, request.body.callerNumber, context(request, request.body)),
    });

    r.post('/customers/:id/verification/pin', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Verify the telephone PIN (three wrong PINs lock it until reset)',
        params: customerParams,
        body: z.strictObject({ pin: z.string().min(1).max(12), ...verifyBody }),
        response: { 200: verificationSchema, ...errors },
      },
      handler: async (request) =>
        bank.verifyPin(request.params.id, request.body.pin, context(request, request.body)),
    });

    r.post('/customers/:id/verification/otp/send', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: "Send a one-time code by SMS to the customer's phone (after the PIN)",
        params: customerParams,
        body: z.strictObject({ verificationId: id, interactionId }),
        response: { 200: z.object({ sentTo: z.string(), expiresAt: z.number().int() }), ...errors },
      },
      handler: async (request) => bank.sendOtp(request.body.verificationId, context(request, request.body)),
    });

    r.post('/customers/:id/verification/otp', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Check the one-time code: raises the verification to PIN + OTP',
        params: customerParams,
        body: z.strictObject({ verificationId: id, code: z.string().min(4).max(8), interactionId }),
        response: { 200: verificationSchema, ...errors },
      },
      handler: async (request) =>
        bank.verifyOtp(request.body.verificationId, request.body.code, context(request, request.body)),
    });

    r.get('/customers/:id/pin', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Whether the telephone PIN is set or locked',
        params: customerParams,
        response: { 200: pinStatusSchema, ...errors },
      },
      handler: async (request) => bank.pinStatus(request.params.id),
    });

    r.post('/customers/:id/pin/reset', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Lift a PIN lock (and optionally set a new PIN) after identifying the customer',
        params: customerParams,
        body: z.strictObject({
          newPin: z
            .string()
            .regex(/^\d{6}$/)
            .optional(),
          interactionId,
        }),
        response: { 200: pinStatusSchema, ...errors },
      },
      handler: async (request) =>
        bank.resetPin(request.params.id, context(request, request.body), request.body.newPin),
    });

    // ---- reads on behalf of the customer ----
    r.get('/customers/:id/balances', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Balance inquiry (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery.extend({ accountId: id.optional() }),
        response: { 200: z.object({ accounts: z.array(accountSchema) }), ...errors },
      },
      handler: async (request) => ({
        accounts: jsonMoney(
          await bank.balance(context(request, request.query), request.params.id, request.query.accountId),
        ),
      }),
    });

    r.get('/customers/:id/accounts/:accountId/transactions', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Account history, newest first, with filters and a cursor (needs PIN verification)',
        params: z.strictObject({ id, accountId: id }),
        querystring: verifiedQuery.extend({
          limit: z.coerce.number().int().min(1).max(200).optional(),
          cursor: z.string().max(200).optional(),
          from: z.coerce.number().int().optional().describe('epoch ms, inclusive'),
          to: z.coerce.number().int().optional().describe('epoch ms, exclusive'),
          kinds: z
            .string()
            .max(300)
            .optional()
            .describe(`comma-separated: ${transactionKinds.join(', ')}`),
          direction: z.enum(['debit', 'credit']).optional(),
          minAmount: z
            .string()
            .regex(/^\d{1,15}(\.\d{1,2})?$/)
            .optional(),
          maxAmount: z
            .string()
            .regex(/^\d{1,15}(\.\d{1,2})?$/)
            .optional(),
        }),
        response: {
          200: z.object({ items: z.array(ledgerLineSchema), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
      handler: async (request) => {
        const q = request.query;
        const kinds = q.kinds?.split(',').map((k) => k.trim());
        for (const kind of kinds ?? []) {
          if (!(transactionKinds as readonly string[]).includes(kind)) {
            throw bankError('BANK_INVALID_AMOUNT', `unknown transaction kind ${kind}`, [
              { field: 'querystring.kinds', message: `unknown kind ${kind}` },
            ]);
          }
        }
        let currency = 'CNY';
        if (q.minAmount || q.maxAmount) {
          const account = (await bank.accountsOf(request.params.id)).find(
            (a) => a.id === request.params.accountId,
          );
          currency = account?.currency ?? 'CNY';
        }
        const page = await bank.history(context(request, q), request.params.id, request.params.accountId, {
          ...(q.limit ? { limit: q.limit } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
          ...(q.from !== undefined ? { from: q.from } : {}),
          ...(q.to !== undefined ? { to: q.to } : {}),
          ...(kinds ? { kinds: kinds as (typeof transactionKinds)[number][] } : {}),
          ...(q.direction ? { direction: q.direction } : {}),
          ...(q.minAmount ? { minAmount: parseMoney(q.minAmount, currency).minor } : {}),
          ...(q.maxAmount ? { maxAmount: parseMoney(q.maxAmount, currency).minor } : {}),
        });
        return jsonMoney(page);
      },
    });

    r.get('/customers/:id/transactions/recent', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'The latest transactions across all accounts (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery.extend({ limit: z.coerce.number().int().min(1).max(50).optional() }),
        response: { 200: z.object({ items: z.array(ledgerLineSchema) }), ...errors },
      },
      handler: async (request) => ({
        items: jsonMoney(
          await bank.recentTransactions(
            context(request, request.query),
            request.params.id,
            request.query.limit,
          ),
        ),
      }),
    });

    r.get('/customers/:id/payees', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Registered payees (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery,
        response: { 200: z.object({ payees: z.array(payeeSchema) }), ...errors },
      },
      handler: async (request) => ({
        payees: await bank.payees(context(request, request.query), request.params.id),
      }),
    });

    r.get('/customers/:id/billers', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Registered billers with the customer reference (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery,
        response: { 200: z.object({ registrations: z.array(registrationSchema) }), ...errors },
      },
      handler: async (request) => ({
        registrations: await bank.billerRegistrations(context(request, request.query), request.params.id),
      }),
    });

    r.get('/customers/:id/bill-payments', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Payment records: bill payments made, newest first (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery.extend({
          limit: z.coerce.number().int().min(1).max(200).optional(),
          cursor: z.string().max(200).optional(),
        }),
        response: {
          200: z.object({ items: z.array(paymentRecordSchema), nextCursor: z.string().nullable() }),
          ...errors,
        },
      },
      handler: async (request) =>
        jsonMoney(
          await bank.paymentRecords(context(request, request.query), request.params.id, {
            ...(request.query.limit ? { limit: request.query.limit } : {}),
            ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
          }),
        ),
    });

    r.get('/customers/:id/cards', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: "The customer's cards, masked (needs caller-number verification)",
        params: customerParams,
        querystring: verifiedQuery,
        response: { 200: z.object({ cards: z.array(cardSchema) }), ...errors },
      },
      handler: async (request) => ({
        cards: await bank.cards(context(request, request.query), request.params.id),
      }),
    });

    // ---- money ----
    const moneyBody = { verificationId, interactionId };

    r.post('/customers/:id/transfers', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Transfer between own accounts (needs PIN verification)',
        params: customerParams,
        headers: idempotencyHeaders,
        body: z.strictObject({
          fromAccountId: id,
          toAccountId: id,
          amount: moneyInputSchema,
          memo: z.string().max(140).optional(),
          ...moneyBody,
        }),
        response: { 200: transferSchema, ...errors },
      },
      handler: async (request) => {
        const b = request.body;
        return jsonMoney(
          await bank.transferOwn(context(request, b), {
            customerId: request.params.id,
            fromAccountId: b.fromAccountId,
            toAccountId: b.toAccountId,
            amount: moneyOf(b.amount),
            ...(b.memo ? { memo: b.memo } : {}),
            idempotencyKey: request.headers['idempotency-key'],
          }),
        );
      },
    });

    r.post('/customers/:id/payee-transfers', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Transfer to a registered payee (needs PIN + one-time code; daily limit)',
        params: customerParams,
        headers: idempotencyHeaders,
        body: z.strictObject({
          fromAccountId: id,
          payeeId: id,
          amount: moneyInputSchema,
          memo: z.string().max(140).optional(),
          ...moneyBody,
        }),
        response: { 200: transferSchema, ...errors },
      },
      handler: async (request) => {
        const b = request.body;
        return jsonMoney(
          await bank.transferToPayee(context(request, b), {
            customerId: request.params.id,
            fromAccountId: b.fromAccountId,
            payeeId: b.payeeId,
            amount: moneyOf(b.amount),
            ...(b.memo ? { memo: b.memo } : {}),
            idempotencyKey: request.headers['idempotency-key'],
          }),
        );
      },
    });

    r.post('/customers/:id/bill-payments', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Pay a registered biller (needs PIN verification; daily limit)',
        params: customerParams,
        headers: idempotencyHeaders,
        body: z.strictObject({
          fromAccountId: id,
          registrationId: id,
          amount: moneyInputSchema,
          ...moneyBody,
        }),
        response: { 200: billPaymentSchema, ...errors },
      },
      handler: async (request) => {
        const b = request.body;
        return jsonMoney(
          await bank.payBill(context(request, b), {
            customerId: request.params.id,
            fromAccountId: b.fromAccountId,
            registrationId: b.registrationId,
            amount: moneyOf(b.amount),
            idempotencyKey: request.headers['idempotency-key'],
          }),
        );
      },
    });

    r.post('/customers/:id/cheques', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Request a certified cheque (保付支票), fee charged (needs PIN + one-time code)',
        params: customerParams,
        headers: idempotencyHeaders,
        body: z.strictObject({
          accountId: id,
          payeeName: z.string().min(1).max(100),
          amount: moneyInputSchema,
          ...moneyBody,
        }),
        response: { 200: chequeSchema, ...errors },
      },
      handler: async (request) => {
        const b = request.body;
        return jsonMoney(
          await bank.requestCheque(context(request, b), {
            customerId: request.params.id,
            accountId: b.accountId,
            payeeName: b.payeeName,
            amount: moneyOf(b.amount),
            idempotencyKey: request.headers['idempotency-key'],
          }),
        );
      },
    });

    r.get('/customers/:id/cheques', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Certified cheques and their status (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery,
        response: { 200: z.object({ cheques: z.array(chequeSchema) }), ...errors },
      },
      handler: async (request) => ({
        cheques: jsonMoney(await bank.cheques(context(request, request.query), request.params.id)),
      }),
    });

    r.post('/cheques/:id/status', {
      config: { access: supervisorUp },
      schema: {
        tags,
        summary: 'Back office: move a certified cheque along (cancelling refunds the amount)',
        params: customerParams,
        body: z.strictObject({ status: z.enum(chequeStatuses), interactionId }),
        response: { 200: chequeSchema, ...errors },
      },
      handler: async (request) =>
        jsonMoney(
          await bank.updateChequeStatus(
            request.params.id,
            request.body.status,
            context(request, request.body),
          ),
        ),
    });

    r.post('/customers/:id/fx-quotes', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Quote an FX conversion between own accounts; the quote expires (needs PIN verification)',
        params: customerParams,
        body: z.strictObject({
          fromAccountId: id,
          toAccountId: id,
          sell: moneyInputSchema.optional().describe('amount to sell, in the from-account currency'),
          buy: moneyInputSchema.optional().describe('amount to buy, in the to-account currency'),
          ...moneyBody,
        }),
        response: { 200: fxQuoteSchema, ...errors },
      },
      handler: async (request) => {
        const b = request.body;
        return jsonMoney(
          await bank.quoteFx(context(request, b), {
            customerId: request.params.id,
            fromAccountId: b.fromAccountId,
            toAccountId: b.toAccountId,
            ...(b.sell ? { sell: moneyOf(b.sell) } : {}),
            ...(b.buy ? { buy: moneyOf(b.buy) } : {}),
          }),
        );
      },
    });

    r.post('/customers/:id/fx-conversions', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Convert at a quoted rate before the quote expires (needs PIN verification)',
        params: customerParams,
        headers: idempotencyHeaders,
        body: z.strictObject({ quoteId: id, ...moneyBody }),
        response: { 200: fxConversionSchema, ...errors },
      },
      handler: async (request) =>
        jsonMoney(
          await bank.convertFx(context(request, request.body), {
            customerId: request.params.id,
            quoteId: request.body.quoteId,
            idempotencyKey: request.headers['idempotency-key'],
          }),
        ),
    });

    r.post('/customers/:id/orders', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Place a market or limit order in the brokerage account (needs PIN verification)',
        params: customerParams,
        headers: idempotencyHeaders,
        body: z.strictObject({
          accountId: id,
          symbol: z.string().regex(/^\d{6}$/),
          side: z.enum(orderSides),
          type: z.enum(orderTypes),
          quantity: z.number().int().positive(),
          limitPrice: moneyInputSchema.optional(),
          ...moneyBody,
        }),
        response: { 200: orderSchema, ...errors },
      },
      handler: async (request) => {
        const b = request.body;
        return jsonMoney(
          await bank.placeOrder(context(request, b), {
            customerId: request.params.id,
            accountId: b.accountId,
            symbol: b.symbol,
            side: b.side,
            type: b.type,
            quantity: b.quantity,
            limitPrice: b.limitPrice ? moneyOf(b.limitPrice) : null,
            idempotencyKey: request.headers['idempotency-key'],
          }),
        );
      },
    });

    r.get('/customers/:id/orders', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Orders, newest first (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery,
        response: { 200: z.object({ orders: z.array(orderSchema) }), ...errors },
      },
      handler: async (request) => ({
        orders: jsonMoney(await bank.orders(context(request, request.query), request.params.id)),
      }),
    });

    r.delete('/customers/:id/orders/:orderId', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Cancel an open order (needs PIN verification)',
        params: z.strictObject({ id, orderId: id }),
        querystring: verifiedQuery,
        response: { 200: orderSchema, ...errors },
      },
      handler: async (request) =>
        jsonMoney(
          await bank.cancelOrder(context(request, request.query), request.params.id, request.params.orderId),
        ),
    });

    r.get('/customers/:id/positions', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Shares held, at the current price (needs PIN verification)',
        params: customerParams,
        querystring: verifiedQuery,
        response: { 200: z.object({ positions: z.array(positionSchema) }), ...errors },
      },
      handler: async (request) => ({
        positions: jsonMoney(await bank.positions(context(request, request.query), request.params.id)),
      }),
    });

    r.post('/customers/:id/cards/:cardId/report', {
      config: { access: anyRole },
      schema: {
        tags,
        summary:
          'Report a card lost or stolen: blocked at once (caller-number verification); a replacement needs the PIN',
        params: z.strictObject({ id, cardId: id }),
        headers: idempotencyHeaders,
        body: z.strictObject({ reason: z.enum(['lost', 'stolen']), replace: z.boolean(), ...moneyBody }),
        response: { 200: cardReportSchema, ...errors },
      },
      handler: async (request) =>
        bank.reportCard(context(request, request.body), {
          customerId: request.params.id,
          cardId: request.params.cardId,
          reason: request.body.reason,
          replace: request.body.replace,
          idempotencyKey: request.headers['idempotency-key'],
        }),
    });

    // ---- public information ----
    r.get('/bank/deposit-rates', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Time-deposit interest rates by currency and term',
        response: { 200: depositRatesSchema, ...authErrors },
      },
      handler: async () => ({ rates: bank.depositRates() }),
    });

    r.get('/bank/fx-rates', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'The FX rate board (CNY per unit; the bank buys / sells)',
        response: { 200: fxBoardSchema, ...authErrors },
      },
      handler: async () => bank.fxBoard(),
    });

    r.get('/bank/stocks', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Quotes of the listed stocks (simulated market)',
        querystring: z.strictObject({ symbols: z.string().max(200).optional().describe('comma-separated') }),
        response: { 200: z.object({ quotes: z.array(stockQuoteSchema) }), ...errors },
      },
      handler: async (request) => ({
        quotes: jsonMoney(bank.stockQuotes(request.query.symbols?.split(',').map((s) => s.trim()))),
      }),
    });

    r.get('/bank/billers', {
      config: { access: anyRole },
      schema: {
        tags,
        summary: 'Billers customers can register and pay',
        response: { 200: billerSchemaList, ...authErrors },
      },
      handler: async () => ({ billers: await bank.billers() }),
    });
  };
}
