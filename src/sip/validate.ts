/**
 * What a UAS or registrar must answer before any application logic runs (RFC 3261 §8.2.1-8.2.3,
 * §16.3 step 3, §10.3, and what RFC 4475 asks for each torture message), and which responses a
 * UAC drops (§8.1.3.3). `screenMessage` goes from bytes to one decision; `validateRequest` checks an
 * already parsed request. Neither sends anything.
 */
import { type Salvage, SipError } from './errors';
import { acceptsType, parseAccept, parseDeltaSeconds, parseOptionTags } from './fields';
import { Headers } from './headers';
import {
  addToTag,
  createResponse,
  getContacts,
  getContentType,
  getCSeq,
  getMaxForwards,
  getTo,
  getVias,
  reasonPhrases,
  type SipRequest,
  type SipResponse,
} from './message';
import { type ParseOptions, parseMessage } from './parser';

/** The methods of RFC 3261 and its extensions; any other is answered 501 (§8.2.1, §21.5.2). */
export const knownMethods: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
];

/** Methods that carry an SDP offer or answer in their body (RFC 3261, 3262, 3311). */
const sessionMethods = ['INVITE', 'ACK', 'PRACK', 'UPDATE'];

export interface RequestPolicy {
  /** Methods this element serves; another known method gets 405 with Allow (§8.2.1). */
  readonly allowedMethods: readonly string[];
  /** Option tags understood in Require (§8.2.2.3); any other gets 420 with Unsupported. */
  readonly supportedExtensions: readonly string[];
  /** Request-URI schemes served (§8.2.2.1); any other gets 416. */
  readonly uriSchemes: readonly string[];
  /** Body types understood in session methods (§8.2.3); another gets 415 with Accept. */
  readonly sessionContentTypes: readonly string[];
}

export const defaultRequestPolicy: RequestPolicy = {
  allowedMethods: [
    'INVITE',
    'ACK',
    'BYE',
    'CANCEL',
    'OPTIONS',
    'REGISTER',
    'INFO',
    'REFER',
    'NOTIFY',
    'UPDATE',
  ],
  supportedExtensions: [],
  uriSchemes: ['sip', 'sips', 'tel'],
  sessionContentTypes: ['application/sdp'],
};

export type Verdict =
  | { readonly action: 'accept' }
  | {
      readonly action: 'reject';
      readonly status: number;
      readonly reason: string;
      /** Headers the response must carry (Allow with 405, Unsupported with 420, Accept with 415). */
      readonly headers: readonly (readonly [string, string])[];
    }
  /** Nothing may be sent back: a bad ACK (§17.2.1 has no response to ACK) or a bad response. */
  | { readonly action: 'drop'; readonly reason: string };

function reject(
  status: number,
  reason?: string,
  headers: readonly (readonly [string, string])[] = [],
): Verdict {
  return { action: 'reject', status, reason: reason ?? reasonPhrases[status] ?? 'Error', headers };
}

/**
 * Checks a parsed request, in the order of RFC 3261 §8.2: the headers every request needs,
 * the method, Max-Forwards, the Request-URI scheme, registrar rules, Require, then the body.
 * An ACK is never answered, so any failure of an ACK is a drop.
 */
export function validateRequest(request: SipRequest, policy: RequestPolicy = defaultRequestPolicy): Verdict {
  const verdict = check(request, policy);
  if (verdict.action === 'reject' && request.method === 'ACK')
    return { action: 'drop', reason: verdict.reason };
  return verdict;
}

function check(request: SipRequest, policy: RequestPolicy): Verdict {
  // §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are mandatory; Max-Forwards is let go
  // for RFC 2543 peers (RFC 4475 inv2543), the rest are needed to answer at all (insuf).
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!request.headers.has(name)) return reject(400, `Missing ${name} header`);
  }
  const method = request.method;
  // §8.2.1 / §21.5.2: 501 when the method is not recognised. Checked before the CSeq mismatch as
  // RFC 4475 §3.1.2.18 (mismatch02) prefers 501 to 400 for an unknown method.
  if (!knownMethods.includes(method) && !policy.allowedMethods.includes(method)) return reject(501);
  const cseq = getCSeq(request);
  if (cseq.method !== method) return reject(400, 'CSeq method does not match the request method');

  // §16.3 step 3: Max-Forwards 0 ends the request here; OPTIONS may still be answered (RFC 4475 zeromf).
  if (getMaxForwards(request) === 0 && method !== 'OPTIONS') return reject(483);

  if (!policy.allowedMethods.includes(method))
    return reject(405, undefined, [['Allow', policy.allowedMethods.join(', ')]]);

  // §8.2.2.1: "If the Request-URI uses a scheme not supported by the UAS, it SHOULD reject the
  // request with a 416 (Unsupported URI Scheme) response." (RFC 4475 unkscm, novelsc)
  if (!policy.uriSchemes.includes(request.uri.scheme)) {
    return reject(416);
  }

  if (method === 'REGISTER') {
    const registerVerdict = checkRegister(request);
    if (registerVerdict) return registerVerdict;
  }

  // §8.2.2.3: unknown option tags in Require get 420 listing them in Unsupported. Proxy-Require
  // is for proxies and a UAS ignores it (RFC 4475 bext01). ACK and CANCEL cannot be refused so.
  if (method !== 'ACK' && method !== 'CANCEL') {
    const unsupported = parseOptionTags(request.headers.getAll('require'), 'Require').filter(
      (tag) => !policy.supportedExtensions.includes(tag),
    );
    if (unsupported.length > 0) return reject(420, undefined, [['Unsupported', unsupported.join(', ')]]);
  }

  return checkBody(request, policy);
}

function checkRegister(request: SipRequest): Verdict | undefined {
  // §10.3 step 3 and RFC 4475 §3.3.4 (unksm2): the To of a REGISTER is the address-of-record,
  // which must be a SIP or SIPS URI.
  if (getTo(request).uri.type !== 'sip') return reject(400, 'To must be a SIP or SIPS URI');
  const contacts = getContacts(request);
  if (contacts.star) {
    // §10.3 step 6: "*" is only allowed with Expires: 0.
    const expires = request.headers.get('expires');
    if (expires === undefined || parseDeltaSeconds(expires) !== 0)
      return reject(400, 'Contact * requires Expires: 0');
  }
  return undefined;
}

function checkBody(request: SipRequest, policy: RequestPolicy): Verdict {
  const method = request.method;
  if (request.body.length > 0) {
    // §8.2.3: an unknown Content-Encoding gets 415 listing what we take in Accept-Encoding.
    const encodings = request.headers.getAll('content-encoding').join(',').toLowerCase();
    if (encodings.trim().length > 0 && encodings.split(',').some((e) => e.trim() !== 'identity')) {
      return reject(415, undefined, [['Accept-Encoding', 'identity']]);
    }
    const type = getContentType(request);
    // §20.15: "The Content-Type header field MUST be present if the body is not empty."
    if (!type) return reject(400, 'Missing Content-Type');
    // §8.2.3: "If a UAS does not understand the body of a request, it SHOULD respond with 415 ...
    // [with] an Accept header field" (RFC 4475 invut).
    if (sessionMethods.includes(method) && !policy.sessionContentTypes.includes(type.type)) {
      return reject(415, undefined, [['Accept', policy.sessionContentTypes.join(', ')]]);
    }
  }
  // An INVITE's answer carries SDP; if Accept rules it out there is no answer to give
  // (RFC 4475 §3.3.15 sdp01: 406 Not Acceptable).
  if (method === 'INVITE' && request.headers.has('accept')) {
    const ranges = parseAccept(request.headers.getAll('accept'));
    if (!policy.sessionContentTypes.some((t) => acceptsType(ranges, t))) return reject(406);
  }
  return { action: 'accept' };
}

/**
 * §8.1.3.3: a UAC discards a response with more than one Via (it was meant for a proxy; RFC 4475
 * bcast), and a response lacking the headers that match it to a transaction is unusable.
 */
export function validateResponse(response: SipResponse): Verdict {
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!response.headers.has(name)) return { action: 'drop', reason: `Missing ${name} header` };
  }
  if (getVias(response).length !== 1) return { action: 'drop', reason: 'More than one Via in a response' };
  return { action: 'accept' };
}

export type Screened =
  | { readonly action: 'request'; readonly request: SipRequest }
  | { readonly action: 'response'; readonly response: SipResponse }
  | {
      readonly action: 'reject';
      readonly status: number;
      readonly reason: string;
      /** The response to send back on the flow the request came from. */
      readonly response: SipResponse;
      /** The request, when it parsed (a semantic rejection). */
      readonly request?: SipRequest;
    }
  | { readonly action: 'drop'; readonly reason: string };

export interface ScreenOptions extends ParseOptions {
  policy?: RequestPolicy;
}

/**
 * From the bytes of one datagram, WebSocket message or framed stream message to one decision:
 * a request to hand to the transaction layer, a response to match, a rejection with the response
 * to send, or a drop. Never throws for anything a peer can send.
 */
export function screenMessage(data: Uint8Array | string, options: ScreenOptions = {}): Screened {
  let message: ReturnType<typeof parseMessage>;
  try {
    message = parseMessage(data, options);
  } catch (error) {
    if (!(error instanceof SipError)) throw error;
    const salvage = error.salvage;
    if (!salvage || salvage.isResponse) return { action: 'drop', reason: error.reason };
    if (salvage.method === 'ACK') return { action: 'drop', reason: error.reason };
    return {
      action: 'reject',
      status: error.status,
      reason: error.reason,
      response: responseFromSalvage(salvage, error.status, error.reason),
    };
  }
  try {
    if (message.kind === 'response') {
      const verdict = validateResponse(message);
      return verdict.action === 'accept'
        ? { action: 'response', response: message }
        : { action: 'drop', reason: verdict.reason };
    }
    const verdict = validateRequest(message, options.policy);
    if (verdict.action === 'accept') return { action: 'request', request: message };
    if (verdict.action === 'drop') return verdict;
    const response = createResponse(message, verdict.status, {
      reason: verdict.reason,
      headers: verdict.headers,
    });
    return { action: 'reject', status: verdict.status, reason: verdict.reason, response, request: message };
  } catch (error) {
    // The parser has checked every header these checks read, so this should not happen; if a
    // header still fails to read, the peer gets the 400 it names. Anything else is a defect and
    // is thrown on.
    if (!(error instanceof SipError)) throw error;
    if (message.kind === 'response' || message.method === 'ACK')
      return { action: 'drop', reason: error.reason };
    const response = createResponse(message, error.status, { reason: error.reason });
    return { action: 'reject', status: error.status, reason: error.reason, response, request: message };
  }
}

/**
 * A response to a request that did not parse, from what could be read (§8.2.6.2 copies Via,
 * From, To, Call-ID and CSeq; when a header was duplicated only its first line is used).
 */
export function responseFromSalvage(salvage: Salvage, status: number, reason: string): SipResponse {
  const headers = new Headers();
  for (const via of salvage.headers.getAll('via')) headers.append('Via', via);
  const from = salvage.headers.get('from');
  if (from !== undefined) headers.append('From', from);
  const to = salvage.headers.get('to');
  if (to !== undefined) headers.append('To', addToTag(to));
  const callId = salvage.headers.get('call-id');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = salvage.headers.get('cseq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  return { kind: 'response', status, reason, headers, body: Buffer.alloc(0) };
}
