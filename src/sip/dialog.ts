/**
 * Dialogs (RFC 3261 §12): the state two user agents share after an INVITE (or SUBSCRIBE, REFER)
 * is answered with a To tag: the id (Call-ID and both tags), both CSeq counters, the peer's
 * target, the route set. A dialog builds the requests sent within it (§12.2.1.1: BYE, re-INVITE,
 * REFER, INFO, NOTIFY, and the ACK for a 2xx, §13.2.2.4) and checks the ones received (§12.2.2).
 * It sends nothing itself; the UA core passes what it builds to the transaction layer.
 *
 *        1xx with To tag         2xx
 *   (none) ────────────▶ early ───────▶ confirmed
 *      │                   │                │
 *      │ 2xx               │ 3xx-6xx, BYE   │ BYE, timeout
 *      └──────────────────▶│────────────────┴──────▶ terminated
 */
import type { Clock } from '../core/index';
import { formatNameAddr, type NameAddr, tagOf } from './address';
import { SipError } from './errors';
import { Headers } from './headers';
import {
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getRecordRoutes,
  getTo,
  type SipRequest,
  type SipResponse,
} from './message';
import { defaultTimers, type TimerValues } from './transactions/timers';
import { formatUri, type SipUri, type Uri } from './uri';
import { formatVia, type Via } from './via';

export const dialogStates = ['early', 'confirmed', 'terminated'] as const;
export type DialogState = (typeof dialogStates)[number];

const edges: Record<DialogState, readonly DialogState[]> = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

/** Methods whose 2xx (or the request itself) replaces the remote target (§12.2, RFC 3311, RFC 6665). */
const targetRefreshMethods = ['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'];

/** The id of a dialog as seen from one side: Call-ID, our tag, their tag (§12). */
export interface DialogId {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}

/** The id of the dialog an inbound request belongs to, seen by us as UAS (§12.2.2); undefined without both tags. */
export function dialogIdOfRequest(request: SipRequest): DialogId | undefined {
  const localTag = tagOf(getTo(request));
  const remoteTag = tagOf(getFrom(request));
  if (!localTag || !remoteTag) return undefined;
  return { callId: getCallId(request), localTag, remoteTag };
}

/** The id of the dialog a response to our request sets up or belongs to, seen by us as UAC (§12.1.2). */
export function dialogIdOfResponse(response: SipResponse): DialogId | undefined {
  const localTag = tagOf(getFrom(response));
  const remoteTag = tagOf(getTo(response));
  if (!localTag || !remoteTag) return undefined;
  return { callId: getCallId(response), localTag, remoteTag };
}

function contactUri(message: SipRequest | SipResponse, what: string): Uri {
  const contacts = getContacts(message);
  const first = contacts.star ? undefined : contacts.list[0];
  if (!first) throw new SipError('SIP_BAD_REQUEST', 400, `Missing Contact in ${what}`);
  return first.uri;
}

export interface DialogInit {
  readonly id: DialogId;
  readonly state: 'early' | 'confirmed';
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly remoteTarget: Uri;
  readonly routeSet: readonly NameAddr[];
  readonly localSeq: number | undefined;
  readonly remoteSeq: number | undefined;
  readonly secure: boolean;
}

export interface InDialogRequestInit {
  /** The top Via with a fresh branch (newBranch()); the transport fills in sent-by. */
  readonly via: Via;
  /** Our Contact, required in target refresh requests (§12.2.1.1). */
  readonly contact?: NameAddr;
  readonly headers?: Iterable<readonly [string, string]>;
  readonly body?: Buffer | string;
  readonly contentType?: string;
}

export class Dialog {
  readonly id: DialogId;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly secure: boolean;
  private current: DialogState;
  private target: Uri;
  private routes: readonly NameAddr[];
  private local: number | undefined;
  private remote: number | undefined;

  constructor(init: DialogInit) {
    this.id = init.id;
    this.current = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.target = init.remoteTarget;
    this.routes = init.routeSet;
    this.local = init.localSeq;
    this.remote = init.remoteSeq;
    this.secure = init.secure;
  }

  /**
   * §12.1.1, the UAS: from the request and our response with a To tag (101-299). The route set
   * is the request's Record-Route in order; the remote target its Contact; remote CSeq its CSeq.
   */
  static asUas(request: SipRequest, response: SipResponse): Dialog {
    const to = getTo(response);
    const localTag = tagOf(to);
    const from = getFrom(request);
    const remoteTag = tagOf(from);
    if (!localTag)
      throw new SipError('SIP_DIALOG_STATE', 500, 'Server Internal Error', {
        message: 'response without To tag',
      });
    return new Dialog({
      id: { callId: getCallId(request), localTag, remoteTag: remoteTag ?? '' },
      state: response.status < 200 ? 'early' : 'confirmed',
      localUri: to,
      remoteUri: from,
      remoteTarget: contactUri(request, request.method),
      routeSet: getRecordRoutes(request),
      localSeq: undefined,
      remoteSeq: getCSeq(request).seq,
      secure: request.uri.type === 'sip' && request.uri.scheme === 'sips',
    });
  }

  /**
   * §12.1.2, the UAC: from our request and a response with a To tag. The route set is the
   * response's Record-Route reversed; the remote target its Contact; local CSeq the request's.
   */
  static asUac(request: SipRequest, response: SipResponse): Dialog {
    const from = getFrom(request);
    const to = getTo(response);
    const localTag = tagOf(from);
    const remoteTag = tagOf(to);
    if (!localTag || !remoteTag)
      throw new SipError('SIP_DIALOG_MISMATCH', 400, 'Response without tags for a dialog');
    return new Dialog({
      id: { callId: getCallId(request), localTag, remoteTag },
      state: response.status < 200 ? 'early' : 'confirmed',
      localUri: from,
      remoteUri: to,
      remoteTarget: contactUri(response, `${response.status} response`),
      routeSet: getRecordRoutes(response).reverse(),
      localSeq: getCSeq(request).seq,
      remoteSeq: undefined,
      secure: request.uri.type === 'sip' && request.uri.scheme === 'sips',
    });
  }

  get state(): DialogState {
    return this.current;
  }

  get remoteTarget(): Uri {
    return this.target;
  }

  get routeSet(): readonly NameAddr[] {
    return this.routes;
  }

  get localSeq(): number | undefined {
    return this.local;
  }

  get remoteSeq(): number | undefined {
    return this.remote;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /** Moves the dialog; refuses an edge it does not have, naming both states. */
  transition(next: DialogState): void {
    if (next === this.current) return;
    if (!edges[this.current].includes(next)) {
      throw new SipError('SIP_DIALOG_STATE', 500, 'Server Internal Error', {
        message: `dialog ${this.key.replaceAll('\n', ';')}: no transition from ${this.current} to ${next}`,
      });
    }
    this.current = next;
  }

  /**
   * §12.2.1.1: a request within the dialog. To carries the remote URI and tag, From the local URI
   * and tag, CSeq the next local number (an ACK or CANCEL would reuse one, so they are not built
   * here); Request-URI and Route follow the route set, with loose routing (`;lr`) or the strict
   * routing of RFC 2543 proxies.
   */
  createRequest(method: string, init: InDialogRequestInit): SipRequest {
    if (method === 'ACK' || method === 'CANCEL') {
      throw new SipError('SIP_DIALOG_STATE', 500, 'Server Internal Error', {
        message: `${method} is not built with createRequest (see createAck, createCancel)`,
      });
    }
    if (this.current === 'terminated') {
      throw new SipError('SIP_DIALOG_STATE', 481, 'Call/Transaction Does Not Exist', {
        message: 'the dialog has ended',
      });
    }
    // "The UAC uses the remote target and route set to build the Request-URI and Route header field."
    this.local = (this.local ?? Math.floor(Math.random() * 2 ** 16)) + 1;
    return this.build(method, this.local, init);
  }

  /**
   * §13.2.2.4: the ACK for a 2xx, built like any in-dialog request but with the CSeq number of
   * the INVITE it acknowledges, in a new transaction-less request with its own branch.
   */
  createAck(inviteSeq: number, init: InDialogRequestInit): SipRequest {
    return this.build('ACK', inviteSeq, init);
  }

  private build(method: string, seq: number, init: InDialogRequestInit): SipRequest {
    const { requestUri, routes } = this.requestTarget();
    const headers = new Headers();
    headers.append('Via', formatVia(init.via));
    headers.append('Max-Forwards', '70');
    for (const route of routes) headers.append('Route', route);
    headers.append('From', formatNameAddr(this.localUri));
    headers.append('To', formatNameAddr(this.remoteUri));
    headers.append('Call-ID', this.id.callId);
    headers.append('CSeq', `${seq} ${method}`);
    if (init.contact) headers.append('Contact', formatNameAddr(init.contact));
    for (const [name, value] of init.headers ?? []) headers.append(name, value);
    const body =
      typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : (init.body ?? Buffer.alloc(0));
    if (body.length > 0 && init.contentType) headers.append('Content-Type', init.contentType);
    return { kind: 'request', method, uri: requestUri, headers, body };
  }

  private requestTarget(): { requestUri: Uri; routes: string[] } {
    const first = this.routes[0];
    if (!first) return { requestUri: this.target, routes: [] };
    if (first.uri.type === 'sip' && first.uri.params.has('lr')) {
      return { requestUri: this.target, routes: this.routes.map((r) => formatNameAddr(r)) };
    }
    // Strict routing (§12.2.1.1): the first route becomes the Request-URI, stripped of the
    // parameters a Request-URI may not carry; the remote target goes last in Route.
    const requestUri = first.uri.type === 'sip' ? stripForRequestUri(first.uri) : first.uri;
    const routes = this.routes.slice(1).map((r) => formatNameAddr(r));
    routes.push(`<${formatUri(this.target)}>`);
    return { requestUri, routes };
  }

  /**
   * §12.2.2: a request received within the dialog. A CSeq lower than the last one is out of order
   * (500); a target refresh request updates the remote target. ACK and CANCEL carry the CSeq of
   * the request they belong to and are not checked here.
   */
  receiveRequest(request: SipRequest): { ok: true } | { ok: false; status: number; reason: string } {
    if (this.current === 'terminated')
      return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
    if (request.method === 'ACK' || request.method === 'CANCEL') return { ok: true };
    const seq = getCSeq(request).seq;
    if (this.remote !== undefined && seq < this.remote) {
      // "If the remote sequence number was not empty, but the sequence number of the request is
      // lower than the remote sequence number, the request is out of order and MUST be rejected
      // with a 500 (Server Internal Error) response."
      return { ok: false, status: 500, reason: 'Out of order' };
    }
    this.remote = seq;
    if (targetRefreshMethods.includes(request.method)) {
      const contacts = getContacts(request);
      const first = contacts.star ? undefined : contacts.list[0];
      if (first) this.target = first.uri;
    }
    if (request.method === 'BYE') this.transition('terminated');
    return { ok: true };
  }

  /**
   * A response to a request we sent in this dialog (or to the INVITE that made it): a 2xx
   * confirms an early dialog and, for a target refresh, updates the remote target (§12.2.1.2);
   * a failure of the initial INVITE ends an early dialog (§12.3); 481 and 408 to any in-dialog
   * request end it too (§12.2.1.2).
   */
  receiveResponse(response: SipResponse, requestMethod: string): void {
    const status = response.status;
    if (status >= 200 && status < 300) {
      if (this.current === 'early') this.transition('confirmed');
      if (targetRefreshMethods.includes(requestMethod)) {
        const contacts = getContacts(response);
        const first = contacts.star ? undefined : contacts.list[0];
        if (first) this.target = first.uri;
      }
      return;
    }
    if (status >= 300 && this.current === 'early' && requestMethod === 'INVITE')
      this.transition('terminated');
    else if (status === 481 || status === 408) this.transition('terminated');
  }
}

/** A Request-URI may not carry method, maddr, ttl, transport, lr or headers taken from a Route (§19.1.1). */
function stripForRequestUri(uri: SipUri): SipUri {
  const params = new Map(
    [...uri.params].filter(([name]) => !['method', 'maddr', 'ttl', 'transport', 'lr'].includes(name)),
  );
  return { ...uri, params, headers: [] };
}

/**
 * §13.3.1.4: the UAS core retransmits its 2xx to an INVITE, T1 doubling up to T2, until the ACK
 * arrives; without an ACK after 64*T1 it gives up, and the UAS should end the dialog with a BYE.
 * Over a reliable transport it sends once and only waits.
 */
export class AckWait {
  private interval: number;
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private deadline: ReturnType<Clock['setTimeout']> | undefined;
  private done = false;

  constructor(
    private readonly options: {
      clock: Clock;
      reliable: boolean;
      /** Sends the 2xx again (through the INVITE server transaction, in its Accepted state). */
      resend: () => void;
      /** 64*T1 passed without an ACK. */
      onTimeout: () => void;
      timers?: TimerValues;
    },
  ) {
    this.interval = (options.timers ?? defaultTimers).t1;
  }

  /** Call right after sending the 2xx. */
  start(): void {
    const timers = this.options.timers ?? defaultTimers;
    if (!this.options.reliable) this.schedule();
    this.deadline = this.options.clock.setTimeout(() => {
      if (this.done) return;
      this.stop();
      this.options.onTimeout();
    }, 64 * timers.t1);
  }

  /** The ACK arrived: no more retransmissions. */
  acknowledged(): void {
    this.stop();
  }

  get finished(): boolean {
    return this.done;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      if (this.done) return;
      this.options.resend();
      this.interval = Math.min(2 * this.interval, (this.options.timers ?? defaultTimers).t2);
      this.schedule();
    }, this.interval);
  }

  private stop(): void {
    this.done = true;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    if (this.deadline) this.options.clock.clearTimeout(this.deadline);
  }
}
