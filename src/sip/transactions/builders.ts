/**
 * The two requests RFC 3261 builds from another request rather than from a dialog: the ACK a
 * client transaction sends for a non-2xx final response (§17.1.1.3) and a CANCEL (§9.1).
 */

import { SipError } from '../errors';
import { splitList } from '../grammar';
import { Headers } from '../headers';
import type { SipRequest, SipResponse } from '../message';

function topViaValue(request: SipRequest): string {
  const first = request.headers.get('via');
  if (first === undefined) throw new SipError('SIP_MISSING_HEADER', 400, 'Missing Via header');
  return splitList(first, 'SIP_PARSE_HEADER', 'Via')[0]!;
}

function cseqNumber(request: SipRequest): string {
  const cseq = request.headers.get('cseq');
  if (cseq === undefined) throw new SipError('SIP_MISSING_HEADER', 400, 'Missing CSeq header');
  return cseq.split(/[ \t]+/)[0]!;
}

/**
 * §17.1.1.3: "The ACK request constructed by the client transaction MUST contain values for the
 * Call-ID, From, and Request-URI that are equal to the values of those header fields in the
 * request passed to the transport by the client transaction ... The To header field in the ACK
 * MUST equal the To header field in the response being acknowledged ... The ACK MUST contain a
 * single Via header field, and this MUST be equal to the top Via header field of the original
 * request ... If the INVITE request whose response is being acknowledged had Route header
 * fields, those header fields MUST appear in the ACK."
 */
export function createNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new Headers();
  headers.append('Via', topViaValue(invite));
  headers.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('route')) headers.append('Route', route);
  headers.append('From', invite.headers.get('from') ?? '');
  headers.append('To', response.headers.get('to') ?? invite.headers.get('to') ?? '');
  headers.append('Call-ID', invite.headers.get('call-id') ?? '');
  headers.append('CSeq', `${cseqNumber(invite)} ACK`);
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/**
 * §9.1: a CANCEL has the Request-URI, Call-ID, To, From and CSeq number of the request it
 * cancels, CSeq method CANCEL, a single Via equal to the request's top Via (so it reaches the
 * same server transaction, §9.2), the same Route headers, and no Require or Proxy-Require.
 * The UAC must not send it before a provisional response has arrived.
 */
export function createCancel(request: SipRequest): SipRequest {
  const headers = new Headers();
  headers.append('Via', topViaValue(request));
  headers.append('Max-Forwards', '70');
  for (const route of request.headers.getAll('route')) headers.append('Route', route);
  headers.append('From', request.headers.get('from') ?? '');
  headers.append('To', request.headers.get('to') ?? '');
  headers.append('Call-ID', request.headers.get('call-id') ?? '');
  headers.append('CSeq', `${cseqNumber(request)} CANCEL`);
  return { kind: 'request', method: 'CANCEL', uri: request.uri, headers, body: Buffer.alloc(0) };
}
