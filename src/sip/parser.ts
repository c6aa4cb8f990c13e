/**
 * Bytes to a SipRequest or SipResponse (RFC 3261 §7). The parser is strict where RFC 4475 asks
 * for a 400 and liberal where RFC 3261 asks for tolerance (compact forms, any case in header
 * names, line folding, leading CRLFs, bare LF line ends). Every failure is a SipError carrying the
 * status to answer and, when the header section could be read, a salvage to answer with.
 * It never throws anything else, whatever the input (see fuzz.test.ts).
 */

import { parseNameAddr } from './address';
import { type Salvage, SipError, type SipErrorCode } from './errors';
import {
  parseAccept,
  parseAddressList,
  parseContacts,
  parseContentLength,
  parseCSeq,
  parseDate,
  parseDeltaSeconds,
  parseMaxForwards,
  parseMediaType,
  parseOptionTags,
} from './fields';
import { isCallId, isToken, splitList, trimLws } from './grammar';
import { canonicalName, Headers } from './headers';
import type { SipMessage } from './message';
import { parseUri } from './uri';
import { parseVia } from './via';

export interface ParseOptions {
  /** Largest message accepted, in bytes; a larger one is a 513 (§18.1.1, §21.5.14). Default 65535. */
  maxMessageBytes?: number;
  /**
   * True for a frame cut from a stream by the StreamFramer: Content-Length is then mandatory
   * (§18.3). False (the default) for a datagram: without Content-Length the body runs to the end
   * of the datagram, and octets beyond Content-Length are discarded (RFC 4475 dblreq).
   */
  stream?: boolean;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 65_535;

/** Headers that may appear once at most; a second one makes the request malformed (RFC 4475 multi01, mcl01). */
const singleInstance = [
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'content-length',
  'content-type',
  'expires',
  'date',
];

function fail(
  code: SipErrorCode,
  status: number,
  reason: string,
  salvage?: Salvage,
  cause?: unknown,
): SipError {
  return new SipError(code, status, reason, { salvage, cause });
}

/** Where the header section ends: the index of the blank line and where the body starts. */
export function findHeaderEnd(buf: Buffer, from: number): { headEnd: number; bodyStart: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headEnd: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { headEnd: lf, bodyStart: lf + 2 };
  return undefined;
}

/** Skips the CRLFs a stream may carry between messages (§7.5) and keep-alive pings. */
function skipLeadingNewlines(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length && (buf[i] === 13 || buf[i] === 10)) i++;
  return i;
}

/**
 * Splits a header section (start line first) into the start line and header fields, unfolding
 * continuation lines into one space (§7.3.1). Returns the first syntax error rather than throwing
 * it, so the fields read so far can still answer the request.
 */
export function readHeaderSection(head: string): { startLine: string; headers: Headers; error?: string } {
  const lines = head.split('\n');
  const startLine = stripCr(lines[0] ?? '');
  const headers = new Headers();
  let error: string | undefined;
  let name: string | undefined;
  let value = '';
  const flush = () => {
    if (name !== undefined) headers.append(name, trimLws(value));
    name = undefined;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i]!);
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      if (name === undefined) {
        error ??= 'Malformed header line (continuation without a header)';
        continue;
      }
      value += ` ${trimLws(line)}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    const fieldName = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!isToken(fieldName)) {
      error ??= 'Malformed header line';
      continue;
    }
    name = fieldName;
    value = line.slice(colon + 1);
  }
  flush();
  return error === undefined ? { startLine, headers } : { startLine, headers, error };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export function salvageOf(startLine: string, headers: Headers): Salvage {
  const isResponse = /^SIP\//i.test(startLine);
  const first = startLine.split(' ')[0] ?? '';
  return isResponse || !isToken(first) ? { isResponse, headers } : { isResponse, method: first, headers };
}

/** Parses one SIP message; see ParseOptions for the datagram and stream rules. */
export function parseMessage(data: Uint8Array | string, options: ParseOptions = {}): SipMessage {
  const buf =
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const start = skipLeadingNewlines(buf, 0);
  if (start >= buf.length) throw fail('SIP_PARSE_MESSAGE', 400, 'Empty message');
  const end = findHeaderEnd(buf, start);
  const head = buf.toString('utf8', start, end ? end.headEnd : Math.min(buf.length, start + max));
  const section = readHeaderSection(head);
  const salvage = salvageOf(section.startLine, section.headers);
  if (buf.length - start > max) throw fail('SIP_PARSE_TOO_LARGE', 513, 'Message Too Large', salvage);
  if (!end) throw fail('SIP_PARSE_MESSAGE', 400, 'Header section not terminated', salvage);
  if (section.error) throw fail('SIP_PARSE_HEADER', 400, section.error, salvage);
  const { headers } = section;

  for (const name of singleInstance) {
    if (headers.count(name) > 1) {
      throw fail('SIP_PARSE_DUPLICATE_HEADER', 400, `Multiple ${canonicalName(name)} headers`, salvage);
    }
  }

  let body: Buffer;
  const lengthValue = headers.get('content-length');
  const available = buf.length - end.bodyStart;
  if (lengthValue === undefined) {
    if (options.stream) throw fail('SIP_PARSE_CONTENT_LENGTH', 400, 'Missing Content-Length', salvage);
    body = buf.subarray(end.bodyStart);
  } else {
    let length: number;
    try {
      length = parseContentLength(lengthValue);
    } catch (error) {
      throw rethrow(error, salvage);
    }
    if (length > available)
      throw fail('SIP_PARSE_CONTENT_LENGTH', 400, 'Content-Length larger than message', salvage);
    body = buf.subarray(end.bodyStart, end.bodyStart + length);
  }

  let message: SipMessage;
  if (salvage.isResponse) {
    const match = /^SIP\/(\d+)\.(\d+) (\d{3})(?: (.*))?$/i.exec(section.startLine);
    if (!match) throw fail('SIP_PARSE_START_LINE', 400, 'Malformed Status-Line', salvage);
    if (match[1] !== '2' || match[2] !== '0')
      throw fail('SIP_PARSE_VERSION', 505, 'Version Not Supported', salvage);
    const status = Number(match[3]);
    if (status < 100 || status > 699)
      throw fail('SIP_PARSE_START_LINE', 400, 'Status code out of range', salvage);
    message = { kind: 'response', status, reason: match[4] ?? '', headers, body };
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version: single spaces, nothing trailing
    // (RFC 4475 lwsstart, trws, lwsruri).
    const parts = section.startLine.split(' ');
    const [method, uriText, version] = parts;
    if (parts.length !== 3 || !method || !uriText || !version || !isToken(method)) {
      throw fail('SIP_PARSE_START_LINE', 400, 'Malformed Request-Line', salvage);
    }
    const versionMatch = /^SIP\/(\d+)\.(\d+)$/i.exec(version);
    if (!versionMatch) throw fail('SIP_PARSE_START_LINE', 400, 'Malformed Request-Line', salvage);
    if (Number(versionMatch[1]) !== 2 || Number(versionMatch[2]) !== 0) {
      throw fail('SIP_PARSE_VERSION', 505, 'Version Not Supported', salvage);
    }
    let uri: ReturnType<typeof parseUri>;
    try {
      uri = parseUri(uriText);
    } catch (error) {
      throw rethrow(error, salvage, 'Malformed Request-URI');
    }
    // §19.1.1 (table of components): URI headers are not allowed in a Request-URI (RFC 4475 escruri).
    if (uri.type === 'sip' && uri.headers.length > 0) {
      throw fail('SIP_PARSE_URI', 400, 'Request-URI must not carry headers', salvage);
    }
    message = { kind: 'request', method, uri, headers, body };
  }
  try {
    checkHeaders(headers);
  } catch (error) {
    throw rethrow(error, salvage);
  }
  return message;
}

function rethrow(error: unknown, salvage: Salvage, reason?: string): SipError {
  if (error instanceof SipError)
    return fail(error.code, error.status, reason ?? error.reason, salvage, error);
  return fail('SIP_PARSE_MESSAGE', 400, 'Malformed message', salvage, error);
}

/**
 * Reads every header whose grammar the stack relies on, so that a message that parses can be
 * read later without surprises, and a malformed one is refused here with a 400. Unknown headers
 * are kept verbatim and not checked.
 */
function checkHeaders(headers: Headers): void {
  for (const value of headers.getAll('via'))
    for (const element of splitList(value, 'SIP_PARSE_HEADER', 'Via')) parseVia(element);
  const from = headers.get('from');
  if (from !== undefined) parseNameAddr(from, 'From');
  const to = headers.get('to');
  if (to !== undefined) parseNameAddr(to, 'To');
  const callId = headers.get('call-id');
  if (callId !== undefined && !isCallId(callId))
    throw new SipError('SIP_PARSE_HEADER', 400, 'Malformed Call-ID');
  const cseq = headers.get('cseq');
  if (cseq !== undefined) parseCSeq(cseq);
  const maxForwards = headers.get('max-forwards');
  if (maxForwards !== undefined) parseMaxForwards(maxForwards);
  if (headers.has('contact')) parseContacts(headers.getAll('contact'));
  if (headers.has('route')) parseAddressList(headers.getAll('route'), 'Route');
  if (headers.has('record-route')) parseAddressList(headers.getAll('record-route'), 'Record-Route');
  const contentType = headers.get('content-type');
  if (contentType !== undefined) parseMediaType(contentType);
  const date = headers.get('date');
  if (date !== undefined) parseDate(date);
  const expires = headers.get('expires');
  if (expires !== undefined) parseDeltaSeconds(expires);
  parseOptionTags(headers.getAll('require'), 'Require');
  parseOptionTags(headers.getAll('proxy-require'), 'Proxy-Require');
  parseOptionTags(headers.getAll('supported'), 'Supported');
  parseAccept(headers.getAll('accept'));
}
