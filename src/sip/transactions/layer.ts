/**
 * The transaction layer (RFC 3261 §17): matches each inbound message to its transaction
 * (§17.1.3 for responses, §17.2.3 for requests, with the RFC 2543 fallback), creates server
 * transactions for new requests, runs client transactions for the requests the core sends, and
 * hands the core only what is new: a request once, however often it is retransmitted; every
 * response its client transaction passes up; and the ACKs and responses that match nothing.
 */
import type { Clock, ErrorReporter } from '../../core/index';
import { tagOf } from '../address';
import { SipError } from '../errors';
import {
  createResponse,
  getCallId,
  getCSeq,
  getFrom,
  getTo,
  getTopVia,
  type SipRequest,
  type SipResponse,
} from '../message';
import type { SipSender } from '../sender';
import { formatUri } from '../uri';
import { branchOf, formatVia, isRfc3261Branch, sentBy } from '../via';
import { type ClientTransactionUser, InviteClientTransaction, NonInviteClientTransaction } from './client';
import { InviteServerTransaction, NonInviteServerTransaction, type ServerTransaction } from './server';
import { defaultTimers, type TimerValues } from './timers';
import type { Transaction, TransactionContext } from './transaction';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

/** The transaction user above the layer: the UA core (UAS and UAC halves) of the server. */
export interface TransactionCore {
  /** A new request (never an ACK, never a retransmission), with the server transaction to answer on. */
  onRequest(request: SipRequest, transaction: ServerTransaction): void;
  /** An ACK that no INVITE server transaction absorbed: the ACK for a 2xx, which belongs to the dialog (§13.3.1.4). */
  onAck(ack: SipRequest, transport: SipSender): void;
  /** A response no client transaction matches: a late 2xx retransmission, or a stray to drop (§17.1.3). */
  onStrayResponse?(response: SipResponse, transport: SipSender): void;
  /** INVITE server transaction: Timer H fired, the ACK for a final non-2xx never came. */
  onServerTimeout?(transaction: ServerTransaction): void;
  /** A server transaction could not send a response (§17.2.4). */
  onServerTransportError?(transaction: ServerTransaction, error: unknown): void;
}

export interface TransactionLayerOptions {
  clock: Clock;
  core: TransactionCore;
  /** Where exceptions thrown by callbacks go (they never break a state machine). */
  report: ErrorReporter;
  timers?: Partial<TimerValues>;
  /**
   * Most server transactions alive at once; beyond it a new request is answered 503 with
   * Retry-After without creating one, so a flood cannot grow memory without bound. Default 50,000.
   */
  maxServerTransactions?: number;
}

/** The key of a server transaction for a request; ACK and CANCEL map onto the INVITE's (§17.2.3, §9.2). */
function serverKey(request: SipRequest, method: string, toTag: string | undefined): string {
  const via = getTopVia(request);
  const branch = branchOf(via);
  if (isRfc3261Branch(branch)) return `3261|${branch}|${sentBy(via)}|${method}`;
  // §17.2.3 for RFC 2543 peers: Request-URI, To tag, From tag, Call-ID, CSeq and top Via.
  return [
    '2543',
    formatUri(request.uri),
    toTag ?? '',
    tagOf(getFrom(request)) ?? '',
    getCallId(request),
    getCSeq(request).seq,
    method,
    formatVia(via),
  ].join('|');
}

/** §17.1.3: a response matches the client transaction with its top Via branch and CSeq method. */
function clientKeyOfResponse(response: SipResponse): string | undefined {
  const branch = branchOf(getTopVia(response));
  return branch === undefined ? undefined : `${branch}|${getCSeq(response).method}`;
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly timers: TimerValues;
  private readonly maxServers: number;

  constructor(private readonly options: TransactionLayerOptions) {
    this.timers = { ...defaultTimers, ...options.timers };
    this.maxServers = options.maxServerTransactions ?? 50_000;
  }

  /** Live transactions, for metrics and tests. */
  get counts(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  /**
   * Takes one message that screenMessage accepted, with the transport it came on (for a request,
   * the one its responses go back on).
   */
  receive(message: SipRequest | SipResponse, transport: SipSender): void {
    if (message.kind === 'response') {
      const key = clientKeyOfResponse(message);
      const transaction = key === undefined ? undefined : this.clients.get(key);
      if (transaction) transaction.receiveResponse(message);
      else this.safely('onStrayResponse', () => this.options.core.onStrayResponse?.(message, transport));
      return;
    }
    if (message.method === 'ACK') {
      this.receiveAck(message, transport);
      return;
    }
    const key = serverKey(message, message.method, tagOf(getTo(message)));
    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRequest(message);
      return;
    }
    if (this.servers.size >= this.maxServers) {
      // Stateless 503 (§21.5.4): the peer retries later; no state is kept for it.
      const busy = createResponse(message, 503, { headers: [['Retry-After', '5']] });
      transport.send(busy).catch((error: unknown) => this.options.report(error, 'stateless 503'));
      return;
    }
    const transaction = this.createServer(key, message, transport);
    this.safely(`onRequest ${message.method}`, () => this.options.core.onRequest(message, transaction));
  }

  private receiveAck(ack: SipRequest, transport: SipSender): void {
    const toTag = tagOf(getTo(ack));
    const branch = branchOf(getTopVia(ack));
    // RFC 3261 peers: the ACK for a non-2xx carries the INVITE's branch. RFC 2543 peers: the
    // INVITE had no To tag (initial) or the same one (re-INVITE), and the ACK's To tag must be
    // the one in our final response.
    const candidates = isRfc3261Branch(branch)
      ? [serverKey(ack, 'INVITE', undefined)]
      : [serverKey(ack, 'INVITE', undefined), serverKey(ack, 'INVITE', toTag)];
    for (const key of candidates) {
      const transaction = this.servers.get(key);
      if (!(transaction instanceof InviteServerTransaction)) continue;
      if (!isRfc3261Branch(branch)) {
        const finalTag = transaction.final ? tagOf(getTo(transaction.final)) : undefined;
        if (finalTag !== toTag) continue;
      }
      if (transaction.receiveAck(ack)) break; // an ACK for a 2xx: the dialog's business
      return;
    }
    this.safely('onAck', () => this.options.core.onAck(ack, transport));
  }

  /**
   * §9.2: the INVITE server transaction a CANCEL is for (same key, method INVITE). Undefined
   * when there is none, and the CANCEL is answered 481.
   */
  findInvite(cancel: SipRequest): InviteServerTransaction | undefined {
    const transaction = this.servers.get(serverKey(cancel, 'INVITE', tagOf(getTo(cancel))));
    return transaction instanceof InviteServerTransaction ? transaction : undefined;
  }

  /**
   * Sends a request in a new client transaction. The top Via must carry an RFC 3261 branch
   * (newBranch()); an ACK is not sent this way (an ACK for a 2xx goes straight to the transport,
   * the one for a non-2xx is the transaction's own).
   */
  sendRequest(request: SipRequest, transport: SipSender, user: ClientTransactionUser): ClientTransaction {
    if (request.method === 'ACK') {
      throw new SipError('SIP_TRANSACTION_STATE', 500, 'Server Internal Error', {
        message: 'an ACK is not sent in a client transaction',
      });
    }
    const branch = branchOf(getTopVia(request));
    if (!isRfc3261Branch(branch)) {
      throw new SipError('SIP_TRANSACTION_STATE', 500, 'Server Internal Error', {
        message: 'a request we send needs an RFC 3261 branch in its top Via',
      });
    }
    const key = `${branch}|${request.method}`;
    if (this.clients.has(key)) {
      throw new SipError('SIP_TRANSACTION_STATE', 500, 'Server Internal Error', {
        message: `a client transaction ${key} already exists`,
      });
    }
    const context = this.context(transport, (t) => this.clients.delete(t.id));
    const transaction =
      request.method === 'INVITE'
        ? new InviteClientTransaction(key, context, request, user)
        : new NonInviteClientTransaction(key, context, request, user);
    this.clients.set(key, transaction);
    transaction.start();
    return transaction;
  }

  /** Ends every transaction and its timers (at shutdown). */
  close(): void {
    for (const transaction of [...this.servers.values(), ...this.clients.values()]) {
      if (transaction.state !== 'terminated') transaction.abandon();
    }
    this.servers.clear();
    this.clients.clear();
  }

  private createServer(key: string, request: SipRequest, transport: SipSender): ServerTransaction {
    const context = this.context(transport, (t) => this.servers.delete(t.id));
    const core = this.options.core;
    let transaction: ServerTransaction;
    const user = {
      onTimeout: () => core.onServerTimeout?.(transaction),
      onTransportError: (error: unknown) => core.onServerTransportError?.(transaction, error),
    };
    transaction =
      request.method === 'INVITE'
        ? new InviteServerTransaction(key, context, request, user)
        : new NonInviteServerTransaction(key, context, request, user);
    this.servers.set(key, transaction);
    return transaction;
  }

  private context(transport: SipSender, forget: (t: Transaction<string>) => void): TransactionContext {
    return {
      clock: this.options.clock,
      timers: this.timers,
      transport,
      report: this.options.report,
      onTerminated: forget,
    };
  }

  private safely(context: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.report(error, `transaction core: ${context}`);
    }
  }
}
