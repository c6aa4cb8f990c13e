import { randomBytes } from 'node:crypto';
import type { Clock, ErrorReporter, Logger } from '../core/index';
import { tagOf } from './address';
import { challengeHeaders, type DigestAlgorithm, DigestAuthenticator, type Ha1Lookup } from './digest';
import { isSipError } from './errors';
import { splitList } from './grammar';
import { LocationService } from './location';
import {
  createResponse,
  getCallId,
  getCSeq,
  getFrom,
  getTo,
  getTopVia,
  newTag,
  type SipRequest,
  type SipResponse,
} from './message';
import { handleRegister, registeredUser } from './registrar';
import { defaultScannerUserAgents, type SecurityOptions, SipGuard } from './security';
import type { ClientTransactionUser } from './transactions/client';
import { type ClientTransaction, TransactionLayer } from './transactions/layer';
import type { InviteServerTransaction, ServerTransaction } from './transactions/server';
import type { Flow, HostPort, SipListener, TransportProtocol } from './transport';
import { type TcpOptions, TcpTransport } from './transport-tcp';
import { UdpTransport } from './transport-udp';
import { WsTransport } from './transport-ws';
import { defaultRequestPolicy, screenMessage } from './validate';
import { formatVia } from './via';

/** Who sent a request: an authenticated user (by extension), or a trusted trunk address. */
export type SipIdentity =
  | { kind: 'user'; extension: string; digestUsername: string }
  | { kind: 'trunk'; address: string };

/**
 * The call layer above the server (the B2BUA). The server has already screened, matched,
 * authenticated and answered what it owns (REGISTER, OPTIONS, CANCEL); everything else comes here.
 */
export interface SipCallCore {
  /** A new INVITE outside any dialog, from an authenticated caller. Answer on `transaction`. */
  onInvite(request: SipRequest, transaction: InviteServerTransaction, flow: Flow, caller: SipIdentity): void;
  /** A request inside a dialog (it has a To tag): BYE, re-INVITE, REFER, INFO, NOTIFY, UPDATE… */
  onDialogRequest(request: SipRequest, transaction: ServerTransaction, flow: Flow): void;
  /** The ACK of a 2xx (§13.3.1.4): it belongs to the dialog. */
  onAck(ack: SipRequest, flow: Flow): void;
  /** The caller cancelled an INVITE we had not answered finally; the server has sent 487. */
  onCancel(invite: InviteServerTransaction): void;
}

export interface SipServerOptions {
  host: string;
  port: number;
  /** The address peers reach us on, for Via and Contact of what we send; default: the bound address or 127.0.0.1. */
  advertisedHost?: string;
  realm: string;
  /** Digest algorithms offered, most preferred first (RFC 8760 §2.4). Default SHA-256 then MD5. */
  digestAlgorithms?: readonly DigestAlgorithm[];
  /** Signs digest nonces; random per process when not given. */
  nonceSecret?: Uint8Array;
  lookupHa1: Ha1Lookup;
  /** Maps a digest username to the extension it may register and call as; undefined when unknown. */
  extensionOf(digestUsername: string): Promise<string | undefined>;
  security?: Partial<SecurityOptions>;
  maxMessageBytes?: number;
  /**
   * TCP connection limits (in all, per remote address) and deadlines (idle, per message against
   * slow-loris); defaults in TcpOptions. Trusted addresses have no per-address limit.
   */
  tcp?: Omit<TcpOptions, 'maxMessageBytes'>;
  clock: Clock;
  logger: Logger;
  /** Called for each authentication failure and ban, for the audit trail. */
  onSecurityEvent?: (event: {
    kind: 'auth-failed' | 'banned' | 'scanner';
    address: string;
    username?: string;
    method: string;
  }) => void;
}

export interface SipCounters {
  received: number;
  rejected: number;
  dropped: number;
  droppedBanned: number;
  authFailures: number;
  registrations: number;
  /** Answers that could not be sent because the peer had closed its connection. */
  peerGone: number;
}

/**
 * What OPTIONS advertises (§11.2) is what the screening accepts: the methods it lets through and
 * the option tags it takes in Require. Advertising more (as "Supported: replaces" once did) would
 * invite requests the server then refuses with 420.
 */
const allow = defaultRequestPolicy.allowedMethods.join(', ');
const optionsHeaders: [string, string][] = [
  ['Allow', allow],
  ['Accept', defaultRequestPolicy.sessionContentTypes.join(', ')],
  ['Accept-Encoding', 'identity'],
  ['Accept-Language', 'en, zh'],
  ...(defaultRequestPolicy.supportedExtensions.length > 0
    ? [['Supported', defaultRequestPolicy.supportedExtensions.join(', ')] as [string, string]]
    : []),
];

/**
 * Teller's SIP server: listens on UDP and TCP (and WebSocket through the HTTP server), screens
 * every message (RFC 3261 §8.2, §18; RFC 4475), refuses banned and scanning peers, runs the
 * transaction layer, authenticates REGISTER and INVITE with digest (trunk addresses excepted),
 * keeps registrations, answers OPTIONS and CANCEL, and hands calls to the call layer.
 */
export class SipServer {
  readonly location: LocationService;
  readonly guard: SipGuard;
  readonly counters: SipCounters = {
    received: 0,
    rejected: 0,
    dropped: 0,
    droppedBanned: 0,
    authFailures: 0,
    registrations: 0,
    peerGone: 0,
  };
  readonly ws: WsTransport;
  core: SipCallCore | undefined;
  private readonly transactions: TransactionLayer;
  private readonly digest: DigestAuthenticator;
  private readonly listeners: SipListener[] = [];
  private readonly maxBytes: number;
  private readonly report: ErrorReporter;
  /** Live out-of-dialog server transactions by From tag, Call-ID and CSeq (§8.2.2.2). */
  private readonly unanswered = new Map<string, ServerTransaction>();

  private constructor(private readonly options: SipServerOptions) {
    this.maxBytes = options.maxMessageBytes ?? 65_535;
    this.report = (error, context) => {
      // A peer that went away before our answer reached it is routine: logging each at error
      // level would let any peer fill the log by hanging up (it is counted, and kept at debug).
      if (isSipError(error) && error.code === 'SIP_TRANSPORT') {
        this.counters.peerGone++;
        options.logger.debug({ err: error }, `sip: ${context}`);
      } else options.logger.error({ err: error }, `sip: ${context}`);
    };
    this.location = new LocationService(options.clock);
    this.guard = new SipGuard(
      {
        maxFailures: 10,
        windowMs: 60_000,
        banMs: 15 * 60_000,
        scannerUserAgents: defaultScannerUserAgents,
        trustedAddresses: [],
        ...options.security,
      },
      options.clock,
    );
    this.digest = new DigestAuthenticator({
      realm: options.realm,
      secret: options.nonceSecret ?? randomBytes(32),
      clock: options.clock,
      lookupHa1: options.lookupHa1,
      ...(options.digestAlgorithms ? { algorithms: options.digestAlgorithms } : {}),
    });
    this.transactions = new TransactionLayer({
      clock: options.clock,
      report: this.report,
      core: {
        onRequest: (request, transaction) => this.onRequest(request, transaction),
        onAck: (ack, sender) => this.core?.onAck(ack, sender as Flow),
      },
    });
    this.ws = new WsTransport(
      (data, flow) => this.receive(data, flow),
      this.maxBytes,
      (flow) => this.forgetFlow(flow),
    );
  }

  static async start(options: SipServerOptions): Promise<SipServer> {
    const server = new SipServer(options);
    const onData = (data: Buffer, flow: Flow) => server.receive(data, flow);
    const udp = await UdpTransport.listen(options.host, options.port, onData, (error) =>
      server.report(error, 'UDP socket'),
    );
    server.listeners.push(udp);
    try {
      server.listeners.push(
        await TcpTransport.listen(options.host, udp.local.port, onData, {
          // Trunks and a front proxy carry many users' calls over their connections.
          unlimitedAddresses: options.security?.trustedAddresses ?? [],
          ...options.tcp,
          maxMessageBytes: server.maxBytes,
        }),
      );
    } catch (error) {
      await udp.close();
      throw error;
    }
    server.listeners.push(server.ws);
    return server;
  }

  /** The UDP/TCP port actually bound (when 0 was asked for). */
  get port(): number {
    return this.listeners[0]!.local.port;
  }

  get advertisedHost(): string {
    const bound = this.listeners[0]?.local.address;
    return (
      this.options.advertisedHost ?? (!bound || bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound)
    );
  }

  get transactionCounts(): { server: number; client: number } {
    return this.transactions.counts;
  }

  /** A flow to send a new request on: for a registered contact, the flow it registered over. */
  async flowTo(protocol: TransportProtocol, destination: HostPort): Promise<Flow> {
    const listener = this.listeners.find((l) => l.protocol === protocol);
    if (!listener) throw new Error(`no ${protocol} transport`);
    return listener.flowTo(destination);
  }

  /** Sends a request in a client transaction (the request's top Via must carry a new branch). */
  sendRequest(request: SipRequest, flow: Flow, user: ClientTransactionUser): ClientTransaction {
    return this.transactions.sendRequest(request, flow, user);
  }

  /** A Via for a request we send on `flow` (with a fresh branch). */
  viaFor(flow: Flow, branch: string): string {
    const transport = flow.protocol === 'ws' ? 'WS' : flow.protocol.toUpperCase();
    const host = flow.protocol === 'ws' ? `${this.advertisedHost}.invalid` : this.advertisedHost;
    const port = flow.protocol === 'ws' ? '' : `:${this.port}`;
    return `SIP/2.0/${transport} ${host}${port};branch=${branch};rport`;
  }

  /**
   * A browser's WebSocket closed: it cannot be dialled (RFC 7118 §5: it has no address of its
   * own, only the socket), so its bindings are dead now, not at their expiry, and calls must not
   * be offered to them.
   */
  private forgetFlow(flow: Flow): void {
    for (const aor of this.location.registered()) {
      for (const binding of this.location.lookup(aor)) {
        if (binding.flowId === flow.id) this.location.remove(aor, binding.contact);
      }
    }
  }

  async close(): Promise<void> {
    this.transactions.close();
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  /** Every inbound message, from every transport. Never throws: a bad message is answered or dropped. */
  receive(data: Buffer, flow: Flow): void {
    this.counters.received++;
    if (this.guard.isBanned(flow.remote.address)) {
      this.counters.droppedBanned++;
      return;
    }
    try {
      const screened = screenMessage(data, { maxMessageBytes: this.maxBytes });
      switch (screened.action) {
        case 'drop':
          this.counters.dropped++;
          return;
        case 'reject':
          // §8.2.6.2: a response copies the request's Via, and without one it cannot be matched
          // to anything; garbage that salvaged no Via is dropped, not answered.
          if (!screened.response.headers.has('via')) {
            this.counters.dropped++;
            return;
          }
          this.counters.rejected++;
          // §18.2.1: the top Via records where the request really came from, in every answer.
          if (screened.request) {
            stampReceived(screened.request, flow);
            copyVias(screened.request, screened.response);
          }
          this.reply(flow, screened.response);
          return;
        case 'response':
          this.transactions.receive(screened.response, flow);
          return;
        case 'request': {
          const request = screened.request;
          if (
            !this.guard.isTrusted(flow.remote.address) &&
            this.guard.isScanner(request.headers.get('user-agent'))
          ) {
            this.counters.dropped++;
            this.options.onSecurityEvent?.({
              kind: 'scanner',
              address: flow.remote.address,
              method: request.method,
            });
            return;
          }
          stampReceived(request, flow);
          this.transactions.receive(request, flow);
          return;
        }
      }
    } catch (error) {
      this.counters.dropped++;
      this.report(error, `message from ${flow.id}`);
    }
  }

  private reply(flow: Flow, response: SipResponse): void {
    flow.send(response).catch((error: unknown) => this.report(error, `reply on ${flow.id}`));
  }

  private onRequest(request: SipRequest, transaction: ServerTransaction): void {
    const flow = transaction.transport as Flow;
    const inDialog = tagOf(getTo(request)) !== undefined;
    if (!inDialog && this.isMerged(request, transaction)) {
      // §8.2.2.2: the same request reached us twice by different paths (a fork that merged):
      // answer the copy 482 and leave the first to go on.
      transaction.respond(createResponse(request, 482));
      return;
    }
    switch (request.method) {
      case 'REGISTER':
        void this.register(request, transaction, flow);
        return;
      case 'OPTIONS':
        if (!inDialog) {
          transaction.respond(createResponse(request, 200, { headers: optionsHeaders }));
          return;
        }
        break;
      case 'CANCEL': {
        // §9.2: 200 for the CANCEL itself; the INVITE, if still unanswered, ends with 487.
        const invite = this.transactions.findInvite(request);
        if (!invite) {
          transaction.respond(createResponse(request, 481));
          return;
        }
        // §9.2: "The To tag of the response to the CANCEL and the To tag in the response to the
        // original request SHOULD be the same." The response so far may be a provisional that
        // opened an early dialog (a 180 with a tag): the 487 keeps that tag.
        const answered = invite.final ?? invite.provisional;
        const toTag = (answered && tagOf(getTo(answered))) ?? newTag();
        transaction.respond(createResponse(request, 200, { toTag }));
        if (invite.final === undefined) {
          invite.respond(createResponse(invite.request, 487, { toTag }));
          this.core?.onCancel(invite);
        }
        return;
      }
    }
    if (inDialog) {
      // §12.2.2: a request for a dialog the UAS does not have gets 481. Without a call layer
      // there are no dialogs at all.
      if (this.core) this.core.onDialogRequest(request, transaction, flow);
      else transaction.respond(createResponse(request, 481));
      return;
    }
    if (request.method !== 'INVITE') {
      // These methods live inside a dialog (or a subscription) and there is none outside one:
      // 481, not 405, as they are listed in our Allow (§21.4.6 would make a 405 contradict it).
      transaction.respond(createResponse(request, 481));
      return;
    }
    void this.invite(request, transaction as InviteServerTransaction, flow);
  }

  /**
   * §8.2.2.2 merged requests: an out-of-dialog request whose From tag, Call-ID and CSeq equal
   * those of an ongoing server transaction it did not match (§17.2.3) is a second copy of the
   * same request. Only transactions still without a final response count, so a peer that reuses
   * a CSeq after its request was answered is not mistaken for a loop.
   */
  private isMerged(request: SipRequest, transaction: ServerTransaction): boolean {
    const fromTag = tagOf(getFrom(request));
    if (fromTag === undefined) return false;
    const cseq = getCSeq(request);
    const key = `${fromTag}|${getCallId(request)}|${cseq.seq}|${cseq.method}`;
    const live = this.unanswered.get(key);
    if (live && live !== transaction && (live.state === 'trying' || live.state === 'proceeding')) return true;
    this.unanswered.set(key, transaction);
    const stop = transaction.onStateChange((_from, to) => {
      if (to === 'trying' || to === 'proceeding') return;
      stop();
      if (this.unanswered.get(key) === transaction) this.unanswered.delete(key);
    });
    return false;
  }

  private async authenticate(
    request: SipRequest,
    transaction: ServerTransaction,
    flow: Flow,
  ): Promise<SipIdentity | undefined> {
    if (this.guard.isTrusted(flow.remote.address)) return { kind: 'trunk', address: flow.remote.address };
    const verdict = await this.digest.verify(request);
    if (verdict.ok) {
      const extension = await this.options.extensionOf(verdict.username);
      if (extension) {
        this.guard.recordSuccess(flow.remote.address);
        return { kind: 'user', extension, digestUsername: verdict.username };
      }
    }
    const challenges = verdict.ok ? this.digest.challenges() : verdict.challenges;
    const failure = verdict.ok ? 'unknown-user' : verdict.failure;
    // A first request without credentials is the normal start of the exchange, not a failure.
    if (failure !== 'missing' && failure !== 'stale') {
      this.counters.authFailures++;
      const username = verdict.ok ? verdict.username : verdict.username;
      this.options.onSecurityEvent?.({
        kind: 'auth-failed',
        address: flow.remote.address,
        method: request.method,
        ...(username ? { username } : {}),
      });
      if (this.guard.recordFailure(flow.remote.address)) {
        this.options.onSecurityEvent?.({
          kind: 'banned',
          address: flow.remote.address,
          method: request.method,
        });
        transaction.respond(createResponse(request, 403, { reason: 'Forbidden' }));
        return undefined;
      }
    }
    transaction.respond(createResponse(request, 401, { headers: challengeHeaders(challenges, 401) }));
    return undefined;
  }

  private async register(request: SipRequest, transaction: ServerTransaction, flow: Flow): Promise<void> {
    // §10.3 step 1: the Request-URI names the domain whose bindings are meant; only a SIP or SIPS
    // URI names one (§10.2). Checked before authentication, as the steps are ordered.
    if (request.uri.type !== 'sip') {
      transaction.respond(createResponse(request, 416, { reason: 'REGISTER Needs a SIP Request-URI' }));
      return;
    }
    try {
      const identity = await this.authenticate(request, transaction, flow);
      if (!identity) return;
      const target = registeredUser(request);
      // §10.3 step 4: a user registers only their own address (trunks may register any).
      if (identity.kind === 'user' && target !== identity.extension && target !== identity.digestUsername) {
        transaction.respond(createResponse(request, 403, { reason: 'Not Your Address' }));
        return;
      }
      // §10.3 step 5: the address-of-record must be one of ours, or 404. A user's own is; a
      // trunk's (which may register on anyone's behalf) is looked up.
      const extension =
        identity.kind === 'user'
          ? identity.extension
          : target
            ? await this.options.extensionOf(target)
            : undefined;
      if (extension === undefined) {
        transaction.respond(createResponse(request, 404, { reason: 'Unknown Address-of-Record' }));
        return;
      }
      const response = handleRegister(request, extension, flow, this.location, this.options.clock);
      transaction.respond(response);
      if (response.status === 200) this.counters.registrations++;
    } catch (error) {
      this.report(error, 'REGISTER');
      if (transaction.state !== 'terminated') transaction.respond(createResponse(request, 500));
    }
  }

  private async invite(request: SipRequest, transaction: InviteServerTransaction, flow: Flow): Promise<void> {
    try {
      // §8.2: a UAS processes a request "starting with authentication": a caller learns nothing,
      // not even whether calls are taken, before proving who it is.
      const caller = await this.authenticate(request, transaction, flow);
      if (!caller) return;
      // The caller hung up while we looked up credentials.
      if (transaction.final !== undefined) return;
      if (!this.core) {
        transaction.respond(createResponse(request, 480, { reason: 'Calls Not Available Yet' }));
        return;
      }
      this.core.onInvite(request, transaction, flow, caller);
    } catch (error) {
      this.report(error, 'INVITE');
      if (transaction.final === undefined) transaction.respond(createResponse(request, 500));
    }
  }
}

/** §18.2.1: record where a request really came from in its top Via (received, and rport per RFC 3581). */
function stampReceived(request: SipRequest, flow: Flow): void {
  const via = getTopVia(request);
  const params = new Map(via.params);
  const rport = params.has('rport');
  // RFC 3581 §4: with rport, received is added "even if it is identical to the value of the
  // sent-by component", and an rport without a value gets the source port.
  if (via.host !== flow.remote.address || rport) params.set('received', flow.remote.address);
  if (rport && !params.get('rport')) params.set('rport', String(flow.remote.port));
  if (
    params.size === via.params.size &&
    params.get('rport') === via.params.get('rport') &&
    params.get('received') === via.params.get('received')
  )
    return;
  const elements = request.headers
    .getAll('via')
    .flatMap((line) => splitList(line, 'SIP_PARSE_HEADER', 'Via'));
  elements[0] = formatVia({ ...via, params });
  request.headers.delete('via');
  for (const element of elements) request.headers.append('Via', element);
}

/** Puts the request's Via values, as they are now, in place of the response's (keeping them first). */
function copyVias(request: SipRequest, response: SipResponse): void {
  response.headers.delete('via');
  const vias = request.headers.getAll('via');
  for (let i = vias.length - 1; i >= 0; i--) response.headers.prepend('Via', vias[i]!);
}
