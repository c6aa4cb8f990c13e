/**
 * SIP and SIPS URIs (RFC 3261 §19.1), tel URIs (RFC 3966) and any other absoluteURI, which SIP
 * carries opaquely (a registrar or UAS answers an unknown scheme with 416, it does not fail to
 * parse it). Components are stored unescaped, so `sip:%75ser@host` and `sip:user@host` compare
 * equal, and escaped again on output.
 */
import { SipError } from './errors';
import {
  isHost,
  isUnreservedOrEscaped,
  isUricString,
  parsePort,
  percentDecode,
  percentEncode,
} from './grammar';

export interface SipUri {
  readonly type: 'sip';
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  /** uri-parameters, names lower-cased, both unescaped; null for a parameter without value (`;lr`). */
  readonly params: ReadonlyMap<string, string | null>;
  /** The `?name=value&...` part, unescaped, in order. */
  readonly headers: readonly (readonly [string, string])[];
}

export interface TelUri {
  readonly type: 'tel';
  readonly scheme: 'tel';
  /** The telephone-subscriber number as written, visual separators included. */
  readonly number: string;
  readonly params: ReadonlyMap<string, string | null>;
}

/** Any other scheme (`http:`, `urn:`, `isbn:`): kept as written, compared by its text. */
export interface AbsoluteUri {
  readonly type: 'absolute';
  /** Lower-cased. */
  readonly scheme: string;
  /** Everything after the colon, as written. */
  readonly opaque: string;
}

export type Uri = SipUri | TelUri | AbsoluteUri;

const schemePattern = /^[A-Za-z][A-Za-z0-9+.-]*$/;

function uriError(text: string): SipError {
  // The reason phrase goes on the wire and into logs: it names the fault, never echoes the input.
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
  return new SipError('SIP_PARSE_URI', 400, 'Malformed URI', { message: `Malformed URI ${shown}` });
}

/** Parses any URI SIP may carry; throws a SipError (400) when it breaks the grammar. */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw uriError(text);
  const scheme = text.slice(0, colon);
  if (!schemePattern.test(scheme)) throw uriError(text);
  const lower = scheme.toLowerCase();
  const rest = text.slice(colon + 1);
  if (lower === 'sip' || lower === 'sips') return parseSipUri(lower, rest, text);
  if (lower === 'tel') return parseTelUri(rest, text);
  // absoluteURI = scheme ":" ( hier-part / opaque-part ): no whitespace, quotes or angle brackets.
  if (!isUricString(rest)) throw uriError(text);
  return { type: 'absolute', scheme: lower, opaque: rest };
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string, text: string): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  // '@' cannot appear unescaped in the user, password, host or parameters, so the first one ends
  // the userinfo; the user part itself may hold ';', '?' and '/' (RFC 4475 semiuri, intmeth).
  const at = rest.indexOf('@');
  let hostStart = 0;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    const rawUser = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (!isUnreservedOrEscaped(rawUser, 'user')) throw uriError(text);
    user = percentDecode(rawUser);
    if (colon >= 0) {
      const rawPassword = userinfo.slice(colon + 1);
      // password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ): it may be empty.
      if (rawPassword.length > 0 && !isUnreservedOrEscaped(rawPassword, 'password')) throw uriError(text);
      password = percentDecode(rawPassword);
    }
    hostStart = at + 1;
  }
  let end = hostStart;
  if (rest[end] === '[') {
    const close = rest.indexOf(']', end);
    if (close < 0) throw uriError(text);
    end = close + 1;
  }
  while (end < rest.length && rest[end] !== ';' && rest[end] !== '?') end++;
  const hostport = rest.slice(hostStart, end);
  let host = hostport;
  let port: number | undefined;
  const portColon = hostport.startsWith('[')
    ? hostport.indexOf(':', hostport.indexOf(']'))
    : hostport.indexOf(':');
  if (portColon >= 0) {
    host = hostport.slice(0, portColon);
    port = parsePort(hostport.slice(portColon + 1));
    if (port === undefined) throw uriError(text);
  }
  if (!isHost(host)) throw uriError(text);

  const params = new Map<string, string | null>();
  const question = rest.indexOf('?', end);
  const paramText = rest.slice(end, question >= 0 ? question : rest.length);
  if (paramText.length > 0) {
    for (const param of paramText.slice(1).split(';')) {
      const eq = param.indexOf('=');
      const rawName = eq >= 0 ? param.slice(0, eq) : param;
      if (!isUnreservedOrEscaped(rawName, 'param')) throw uriError(text);
      const name = percentDecode(rawName).toLowerCase();
      let value: string | null = null;
      if (eq >= 0) {
        const rawValue = param.slice(eq + 1);
        if (!isUnreservedOrEscaped(rawValue, 'param')) throw uriError(text);
        value = percentDecode(rawValue);
      }
      if (!params.has(name)) params.set(name, value);
    }
  }
  const headers: [string, string][] = [];
  if (question >= 0) {
    for (const header of rest.slice(question + 1).split('&')) {
      const eq = header.indexOf('=');
      if (eq <= 0) throw uriError(text);
      const rawName = header.slice(0, eq);
      const rawValue = header.slice(eq + 1);
      if (!isUnreservedOrEscaped(rawName, 'header')) throw uriError(text);
      if (rawValue.length > 0 && !isUnreservedOrEscaped(rawValue, 'header')) throw uriError(text);
      headers.push([percentDecode(rawName), percentDecode(rawValue)]);
    }
  }
  return { type: 'sip', scheme, user, password, host, port, params, headers };
}

// telephone-subscriber (RFC 3966 §3): digits with visual separators, global ("+...") or local.
const telNumber = /^(\+[0-9().-]*[0-9][0-9().-]*|[0-9A-Fa-f*#().-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().-]*)$/;

function parseTelUri(rest: string, text: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi >= 0 ? rest.slice(0, semi) : rest;
  if (!telNumber.test(number)) throw uriError(text);
  const params = new Map<string, string | null>();
  if (semi >= 0) {
    for (const param of rest.slice(semi + 1).split(';')) {
      const eq = param.indexOf('=');
      const name = eq >= 0 ? param.slice(0, eq) : param;
      const value = eq >= 0 ? param.slice(eq + 1) : null;
      if (!isUnreservedOrEscaped(name, 'param')) throw uriError(text);
      if (value !== null && !isUnreservedOrEscaped(value, 'param')) throw uriError(text);
      params.set(percentDecode(name).toLowerCase(), value === null ? null : percentDecode(value));
    }
  }
  return { type: 'tel', scheme: 'tel', number, params };
}

export function formatUri(uri: Uri): string {
  if (uri.type === 'absolute') return `${uri.scheme}:${uri.opaque}`;
  if (uri.type === 'tel') {
    let out = `tel:${uri.number}`;
    for (const [name, value] of uri.params) {
      out +=
        value === null
          ? `;${percentEncode(name, 'param')}`
          : `;${percentEncode(name, 'param')}=${percentEncode(value, 'param')}`;
    }
    return out;
  }
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    out += percentEncode(uri.user, 'user');
    if (uri.password !== undefined) out += `:${percentEncode(uri.password, 'password')}`;
    out += '@';
  }
  out += uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  for (const [name, value] of uri.params) {
    out +=
      value === null
        ? `;${percentEncode(name, 'param')}`
        : `;${percentEncode(name, 'param')}=${percentEncode(value, 'param')}`;
  }
  uri.headers.forEach(([name, value], index) => {
    out += `${index === 0 ? '?' : '&'}${percentEncode(name, 'header')}=${value.length > 0 ? percentEncode(value, 'header') : ''}`;
  });
  return out;
}

/** Builds a SIP URI value with sensible empty defaults. */
export function sipUri(parts: {
  scheme?: 'sip' | 'sips';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params?: Iterable<readonly [string, string | null]>;
  headers?: readonly (readonly [string, string])[];
}): SipUri {
  return {
    type: 'sip',
    scheme: parts.scheme ?? 'sip',
    user: parts.user,
    password: parts.password,
    host: parts.host,
    port: parts.port,
    params: new Map(parts.params ?? []),
    headers: parts.headers ?? [],
  };
}

/** The parameters whose presence in only one URI makes two SIP URIs differ (§19.1.4). */
const mustMatchParams = ['user', 'ttl', 'method', 'maddr', 'transport'];

/**
 * URI equality as RFC 3261 §19.1.4 defines it for SIP and SIPS: user and password compare
 * case-sensitively, host case-insensitively, an absent port is not 5060, `user`, `ttl`, `method`,
 * `maddr` and `transport` must agree when either side has them, other parameters only when both
 * do, and URI headers must all agree. Other schemes compare by their text, scheme case-folded.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.type === 'absolute' || b.type === 'absolute') {
    return a.type === b.type && formatUri(a).toLowerCase() === formatUri(b).toLowerCase();
  }
  if (a.type === 'tel' || b.type === 'tel') {
    if (a.type !== 'tel' || b.type !== 'tel') return false;
    const digits = (n: string) => n.replace(/[().-]/g, '').toLowerCase();
    return digits(a.number) === digits(b.number) && paramsAgree(a.params, b.params, []);
  }
  if (a.scheme !== b.scheme || a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  if (!paramsAgree(a.params, b.params, mustMatchParams)) return false;
  if (a.headers.length !== b.headers.length) return false;
  const headerMap = (h: SipUri['headers']) => new Map(h.map(([n, v]) => [n.toLowerCase(), v]));
  const ha = headerMap(a.headers);
  for (const [name, value] of headerMap(b.headers)) if (ha.get(name) !== value) return false;
  return true;
}

function paramsAgree(
  a: ReadonlyMap<string, string | null>,
  b: ReadonlyMap<string, string | null>,
  required: readonly string[],
): boolean {
  for (const name of required) if (a.has(name) !== b.has(name)) return false;
  for (const [name, value] of a) {
    if (!b.has(name)) continue;
    const other = b.get(name);
    if ((value ?? '').toLowerCase() !== (other ?? '').toLowerCase()) return false;
  }
  return true;
}

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.type === 'sip';
}

/** Throws unless the URI is SIP or SIPS; `what` names the header for the reason phrase. */
export function requireSipUri(uri: Uri, what: string): SipUri {
  if (uri.type !== 'sip') throw new SipError('SIP_BAD_REQUEST', 400, `${what} must be a SIP or SIPS URI`);
  return uri;
}
