/**
 * SIP requests and responses as values (RFC 3261 §7), the typed reading of their key headers,
 * the serializer, and the builders a UAS and UAC use (§8.1.1, §8.2.6). A message knows nothing of
 * transports, transactions or dialogs.
 */
import { formatNameAddr, type NameAddr, parseNameAddr, withParam } from './address';
import { SipError } from './errors';
import {
  type Contacts,
  type CSeq,
  type MediaType,
  parseAddressList,
  parseContacts,
  parseCSeq,
  parseMaxForwards,
  parseMediaType,
} from './fields';
import { isCallId, splitList } from './grammar';
import { Headers } from './headers';
import { formatUri, type Uri } from './uri';
import { formatVia, parseVia, randomToken, type Via } from './via';

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  uri: Uri;
  readonly headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  readonly headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** The reason phrases of RFC 3261 §21 and the extensions Teller answers with. */
export const reasonPhrases: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** Which statuses each standard phrase belongs to (406 and 606 share "Not Acceptable"). */
const phraseOwners = new Map<string, Set<number>>();
for (const [status, phrase] of Object.entries(reasonPhrases)) {
  const key = phrase.toLowerCase();
  phraseOwners.set(key, (phraseOwners.get(key) ?? new Set()).add(Number(status)));
}

/**
 * The reason phrase to send with `status`. A phrase of our own ("No Such Number") is kept, but
 * the standard phrase of another status is a status changed without its reason — a B2BUA that
 * passes a callee's 408 on as 480 must not say "480 Request Timeout" (§21: the phrase describes
 * the code; operators and phones show it) — and gives way to the status's own phrase.
 */
function pairedReason(status: number, reason: string | undefined): string {
  const own = reasonPhrases[status] ?? 'Unknown';
  if (reason === undefined) return own;
  const owners = phraseOwners.get(reason.toLowerCase());
  return owners && !owners.has(status) ? own : reason;
}

function missing(name: string): SipError {
  return new SipError('SIP_MISSING_HEADER', 400, `Missing ${name} header`);
}

function single(message: SipMessage, name: string): string {
  const value = message.headers.get(name);
  if (value === undefined) throw missing(name);
  return value;
}

/** Every Via value, top first, comma-joined lines split (§7.3.1). */
export function getVias(message: SipMessage): Via[] {
  const out: Via[] = [];
  for (const value of message.headers.getAll('via')) {
    for (const element of splitList(value, 'SIP_PARSE_HEADER', 'Via')) out.push(parseVia(element));
  }
  return out;
}

export function getTopVia(message: SipMessage): Via {
  const first = message.headers.get('via');
  if (first === undefined) throw missing('Via');
  return parseVia(splitList(first, 'SIP_PARSE_HEADER', 'Via')[0]!);
}

export function getCallId(message: SipMessage): string {
  const value = single(message, 'call-id');
  if (!isCallId(value)) throw new SipError('SIP_PARSE_HEADER', 400, 'Malformed Call-ID');
  return value;
}

export function getCSeq(message: SipMessage): CSeq {
  return parseCSeq(single(message, 'cseq'));
}

export function getFrom(message: SipMessage): NameAddr {
  return parseNameAddr(single(message, 'from'), 'From');
}

export function getTo(message: SipMessage): NameAddr {
  return parseNameAddr(single(message, 'to'), 'To');
}

/** Max-Forwards, or undefined when absent (RFC 2543 peers omit it; RFC 4475 inv2543). */
export function getMaxForwards(message: SipMessage): number | undefined {
  const value = message.headers.get('max-forwards');
  return value === undefined ? undefined : parseMaxForwards(value);
}

export function getContacts(message: SipMessage): Contacts {
  return parseContacts(message.headers.getAll('contact'));
}

export function getRoutes(message: SipMessage): NameAddr[] {
  return parseAddressList(message.headers.getAll('route'), 'Route');
}

export function getRecordRoutes(message: SipMessage): NameAddr[] {
  return parseAddressList(message.headers.getAll('record-route'), 'Record-Route');
}

export function getContentType(message: SipMessage): MediaType | undefined {
  const value = message.headers.get('content-type');
  return value === undefined ? undefined : parseMediaType(value);
}

/** The method a response answers, from its CSeq. */
export function methodOf(message: SipMessage): string {
  return message.kind === 'request' ? message.method : getCSeq(message).method;
}

export function startLine(message: SipMessage): string {
  return message.kind === 'request'
    ? `${message.method} ${formatUri(message.uri)} SIP/2.0`
    : `SIP/2.0 ${message.status} ${message.reason}`;
}

/**
 * The wire form. Content-Length is always written from the body (and first-line position kept
 * if the message had one), so a stream peer can frame what we send.
 */
export function serializeMessage(message: SipMessage): Buffer {
  let head = `${startLine(message)}\r\n`;
  let wroteLength = false;
  for (const field of message.headers.entries()) {
    if (field.key === 'content-length') {
      if (wroteLength) continue;
      wroteLength = true;
      head += `Content-Length: ${message.body.length}\r\n`;
      continue;
    }
    head += `${field.name}: ${field.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${message.body.length}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'utf8');
  return message.body.length === 0 ? headBytes : Buffer.concat([headBytes, message.body]);
}

/** A fresh tag for From or To (§19.3: at least 32 bits of randomness). */
export function newTag(): string {
  return randomToken(10);
}

export interface RequestInit {
  method: string;
  uri: Uri;
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: number;
  /** The top Via, branch included; the transport fills sent-by if it is a placeholder. */
  via: Via;
  maxForwards?: number;
  contact?: NameAddr;
  routes?: readonly NameAddr[];
  /** Extra header lines, appended in order. */
  headers?: Iterable<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

/** A request with the six headers §8.1.1 requires, in the customary order. */
export function createRequest(init: RequestInit): SipRequest {
  const headers = new Headers();
  headers.append('Via', formatVia(init.via));
  headers.append('Max-Forwards', String(init.maxForwards ?? 70));
  for (const route of init.routes ?? []) headers.append('Route', formatNameAddr(route));
  headers.append('From', formatNameAddr(init.from));
  headers.append('To', formatNameAddr(init.to));
  headers.append('Call-ID', init.callId);
  headers.append('CSeq', `${init.cseq} ${init.method}`);
  if (init.contact) headers.append('Contact', formatNameAddr(init.contact));
  for (const [name, value] of init.headers ?? []) headers.append(name, value);
  const body =
    typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : (init.body ?? Buffer.alloc(0));
  if (body.length > 0 && init.contentType) headers.append('Content-Type', init.contentType);
  return { kind: 'request', method: init.method, uri: init.uri, headers, body };
}

export interface ResponseInit {
  reason?: string;
  /** The To tag to add when the request's To has none (§8.2.6.2); generated when omitted. */
  toTag?: string;
  headers?: Iterable<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * A response to `request` per §8.2.6.2: Via (all, in order), From, Call-ID and CSeq copied, To
 * copied with a tag added unless it has one or the status is 100, and for responses that set up
 * an INVITE dialog (101-299) the Record-Route copied as §12.1.1 asks.
 */
export function createResponse(request: SipRequest, status: number, init: ResponseInit = {}): SipResponse {
  const headers = new Headers();
  for (const via of request.headers.getAll('via')) headers.append('Via', via);
  const from = request.headers.get('from');
  if (from !== undefined) headers.append('From', from);
  const to = request.headers.get('to');
  if (to !== undefined) headers.append('To', status === 100 ? to : addToTag(to, init.toTag));
  const callId = request.headers.get('call-id');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = request.headers.get('cseq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (request.method === 'INVITE' && status > 100 && status < 300) {
    for (const rr of request.headers.getAll('record-route')) headers.append('Record-Route', rr);
  }
  for (const [name, value] of init.headers ?? []) headers.append(name, value);
  const body =
    typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : (init.body ?? Buffer.alloc(0));
  if (body.length > 0 && init.contentType) headers.append('Content-Type', init.contentType);
  return {
    kind: 'response',
    status,
    reason: pairedReason(status, init.reason),
    headers,
    body,
  };
}

/**
 * The 100 (Trying) for `request`. §8.2.6.1: "When a 100 (Trying) response is generated, any
 * Timestamp header field present in the request MUST be copied into this 100 (Trying) response.
 * If there is a delay in generating the response, the UAS SHOULD add a delay value into the
 * Timestamp value in the response. This value MUST contain the difference between the time of
 * sending of the response and receipt of the request, measured in seconds." The delay is the
 * optional second part of the value (§20.38, `Timestamp: 54.2 0.200`); a value that is not a
 * timestamp is copied as it came, with no delay added to it.
 */
export function createTrying(request: SipRequest, delaySeconds = 0): SipResponse {
  const response = createResponse(request, 100);
  const stamp = request.headers.get('timestamp')?.trim();
  if (stamp !== undefined) {
    const time = /^\d+(?:\.\d*)?/.exec(stamp)?.[0];
    const delay = Math.max(0, delaySeconds);
    response.headers.append('Timestamp', time && delay > 0 ? `${time} ${delay.toFixed(3)}` : stamp);
  }
  return response;
}

/** A To value with a tag added (a fresh one unless given), or as it came if it has one or does not parse. */
export function addToTag(to: string, tag?: string): string {
  let address: NameAddr;
  try {
    address = parseNameAddr(to, 'To');
  } catch (error) {
    // A To we cannot parse is echoed as it came (we are answering a malformed request with 400).
    if (error instanceof SipError) return to;
    throw error;
  }
  if (address.params.has('tag')) return to;
  return formatNameAddr(withParam(address, 'tag', tag ?? newTag()));
}

/** A deep copy, so a retransmission or a forwarded copy can be changed without touching the original. */
export function cloneMessage<M extends SipMessage>(message: M): M {
  return { ...message, headers: message.headers.clone() };
}
