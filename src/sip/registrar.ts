import type { Clock } from '../core/index';

import { SipError } from './errors';
import { parseDeltaSeconds } from './fields';
import type { Binding, LocationService } from './location';
import {
  createResponse,
  getCallId,
  getContacts,
  getCSeq,
  getTo,
  type SipRequest,
  type SipResponse,
} from './message';
import type { Flow } from './transport';
import { formatUri, parseUri, type Uri, uriEquals } from './uri';

export interface RegistrarOptions {
  /** Shortest registration accepted (§10.3 step 7: 423 Interval Too Brief below it). */
  minExpires: number;
  /** Longest granted; a longer request is shortened, not refused. */
  maxExpires: number;
  defaultExpires: number;
}

export const defaultRegistrarOptions: RegistrarOptions = {
  minExpires: 60,
  maxExpires: 7200,
  defaultExpires: 3600,
};

/** The address-of-record of a SIP URI: `sip:user@host`, lower-cased host, no port or params (§10.3 step 5). */
export function aorOf(user: string | undefined, host: string): string {
  return `sip:${user ?? ''}@${host.toLowerCase()}`;
}

/**
 * A registrar (RFC 3261 §10.3) over the location service. The caller has already authenticated
 * the request (step 3) and checked that the authenticated user may register this AOR (step 4).
 * `aorUser` is the extension the binding is stored under, whatever host the phone put in To,
 * since Teller is one domain.
 */
export function handleRegister(
  request: SipRequest,
  aorUser: string,
  flow: Flow,
  location: LocationService,
  clock: Clock,
  options: RegistrarOptions = defaultRegistrarOptions,
): SipResponse {
  const aor = aorOf(aorUser, 'teller');
  const callId = getCallId(request);
  const cseq = getCSeq(request).seq;
  const contacts = getContacts(request);
  const expiresHeader = request.headers.get('expires');
  let headerExpires: number | undefined;
  if (expiresHeader !== undefined) {
    try {
      headerExpires = parseDeltaSeconds(expiresHeader) ?? options.maxExpires;
    } catch (error) {
      if (error instanceof SipError) return createResponse(request, 400, { reason: 'Malformed Expires' });
      throw error;
    }
  }
  const now = clock.now();

  if (contacts.star) {
    // §10.3 step 6: "*" is only allowed with Expires: 0. A binding with another Call-ID is
    // removed; one with the same Call-ID only if this CSeq is higher, "otherwise, the update MUST
    // be aborted and the request fails" — checked for every binding before any is removed.
    if (headerExpires !== 0) return createResponse(request, 400, { reason: 'Contact * needs Expires: 0' });
    const bindings = location.lookup(aor);
    if (bindings.some((b) => b.callId === callId && cseq <= b.cseq)) return outOfOrder(request);
    for (const binding of bindings) location.remove(aor, binding.contact);
    return ok(request, aor, location, now);
  }

  // §10.3 step 7: every contact's expiry, checked before any binding changes (all or nothing).
  const changes: { contact: string; existing: Binding | undefined; expires: number; q: number }[] = [];
  const current = location.lookup(aor);
  for (const contact of contacts.list) {
    const param = contact.params.get('expires');
    let expires: number;
    try {
      expires =
        param !== undefined && param !== null
          ? (parseDeltaSeconds(param) ?? options.maxExpires)
          : (headerExpires ?? options.defaultExpires);
    } catch (error) {
      if (error instanceof SipError)
        return createResponse(request, 400, { reason: 'Malformed expires parameter' });
      throw error;
    }
    if (expires > 0 && expires < options.minExpires) {
      return createResponse(request, 423, { headers: [['Min-Expires', String(options.minExpires)]] });
    }
    const qText = contact.params.get('q');
    const q = qText ? Number(qText) : 1;
    changes.push({
      contact: formatUri(contact.uri),
      // §10.3 step 7: "the registrar checks whether the binding already exists" by the URI
      // comparison of §19.1.4, so a refresh that writes the same contact differently (parameter
      // order, host case, an escape) updates the binding instead of adding a second one.
      existing: current.find((b) => sameContact(b.contact, contact.uri)),
      expires: Math.min(expires, options.maxExpires),
      q: Number.isFinite(q) ? q : 1,
    });
  }
  for (const { existing } of changes) {
    // §10.3 step 7: with the same Call-ID, a CSeq that is not higher aborts the update.
    if (existing && existing.callId === callId && cseq <= existing.cseq) return outOfOrder(request);
  }
  for (const change of changes) {
    if (change.existing) location.remove(aor, change.existing.contact);
    if (change.expires === 0) continue;
    location.put({
      aor,
      contact: change.contact,
      expiresAt: now + change.expires * 1000,
      callId,
      cseq,
      flowId: flow.id,
      protocol: flow.protocol,
      source: flow.remote,
      userAgent: request.headers.get('user-agent') ?? null,
      q: change.q,
    });
  }
  return ok(request, aor, location, now);
}

/** §10.3 steps 6 and 7: "the update MUST be aborted and the request fails". */
function outOfOrder(request: SipRequest): SipResponse {
  return createResponse(request, 500, { reason: 'Out of order REGISTER', headers: [['Retry-After', '1']] });
}

function sameContact(stored: string, uri: Uri): boolean {
  try {
    return uriEquals(parseUri(stored), uri);
  } catch (error) {
    // A stored contact was formatted from a parsed URI, so it parses; if not, it is not this one.
    if (error instanceof SipError) return false;
    throw error;
  }
}

/** §10.3 step 8: 200 OK listing every current binding with its remaining time, and a Date. */
function ok(request: SipRequest, aor: string, location: LocationService, now: number): SipResponse {
  const headers: [string, string][] = location
    .lookup(aor)
    .map((b) => ['Contact', `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`]);
  headers.push(['Date', new Date(now).toUTCString()]);
  return createResponse(request, 200, { headers });
}

/** The user part of the To of a REGISTER: whom it registers. */
export function registeredUser(request: SipRequest): string | undefined {
  const to = getTo(request);
  return to.uri.type === 'sip' ? to.uri.user : undefined;
}
