/**
 * The Via header (RFC 3261 §20.42, §18.2.1) with RFC 3581's rport: where a response goes back,
 * and the branch that names the transaction (§17.2.3).
 */
import { randomBytes } from 'node:crypto';
import { badSyntax, type SipErrorCode } from './errors';
import {
  formatParams,
  isHost,
  isIPv4,
  isIPv6Reference,
  isToken,
  type Params,
  parsePort,
  readParams,
  skipWhitespace,
} from './grammar';

export interface Via {
  /** `SIP` and `2.0` for every Via we accept. */
  readonly protocol: string;
  readonly version: string;
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, WSS, or any other token. */
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  /** branch, received, rport, maddr, ttl and extensions; names lower-cased. */
  readonly params: Params;
}

/** RFC 3261 §8.1.1.7: a branch starting with this was made by an RFC 3261 client transaction. */
export const MAGIC_COOKIE = 'z9hG4bK';

const code: SipErrorCode = 'SIP_PARSE_HEADER';

/**
 * Parses one via-parm: `sent-protocol LWS sent-by *( SEMI via-params )`, where SLASH and COLON
 * may carry whitespace on both sides (RFC 4475 wsinv). The values of received, rport, ttl and
 * maddr are checked; a bad one makes the whole Via invalid.
 */
export function parseVia(value: string): Via {
  const s = value;
  const parts: string[] = [];
  let i = skipWhitespace(s, 0);
  for (let part = 0; part < 3; part++) {
    const start = i;
    while (i < s.length && isToken(s[i]!)) i++;
    if (i === start) throw badSyntax(code, 'Via (sent-protocol)');
    parts.push(s.slice(start, i));
    i = skipWhitespace(s, i);
    if (part < 2) {
      if (s[i] !== '/') throw badSyntax(code, 'Via (sent-protocol)');
      i = skipWhitespace(s, i + 1);
    }
  }
  // sent-protocol LWS sent-by: at least one whitespace was consumed above.
  if (i === 0 || (s[i - 1] !== ' ' && s[i - 1] !== '\t')) throw badSyntax(code, 'Via (sent-by)');
  let host: string;
  if (s[i] === '[') {
    const close = s.indexOf(']', i);
    if (close < 0) throw badSyntax(code, 'Via (host)');
    host = s.slice(i, close + 1);
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length && /[A-Za-z0-9.-]/.test(s[i]!)) i++;
    host = s.slice(start, i);
  }
  if (!isHost(host)) throw badSyntax(code, 'Via (host)');
  i = skipWhitespace(s, i);
  let port: number | undefined;
  if (s[i] === ':') {
    i = skipWhitespace(s, i + 1);
    const start = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    port = parsePort(s.slice(start, i));
    if (port === undefined) throw badSyntax(code, 'Via (port)');
  }
  const params = readParams(s, i, code, 'Via parameters');
  checkViaParams(params);
  const [protocol, version, transport] = parts as [string, string, string];
  return {
    protocol: protocol.toUpperCase(),
    version,
    transport: transport.toUpperCase(),
    host,
    port,
    params,
  };
}

function checkViaParams(params: Params): void {
  const received = params.get('received');
  if (received !== undefined) {
    const ipv6 = received !== null && isIPv6Reference(received.startsWith('[') ? received : `[${received}]`);
    if (received === null || !(isIPv4(received) || ipv6)) throw badSyntax(code, 'Via received');
  }
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null && parsePort(rport) === undefined)
    throw badSyntax(code, 'Via rport');
  const ttl = params.get('ttl');
  if (ttl !== undefined && (ttl === null || !/^\d{1,3}$/.test(ttl) || Number(ttl) > 255))
    throw badSyntax(code, 'Via ttl');
  const maddr = params.get('maddr');
  if (maddr !== undefined && (maddr === null || !isHost(maddr))) throw badSyntax(code, 'Via maddr');
  const branch = params.get('branch');
  if (branch !== undefined && (branch === null || !isToken(branch))) throw badSyntax(code, 'Via branch');
}

export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.version}/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

export function branchOf(via: Via): string | undefined {
  return via.params.get('branch') ?? undefined;
}

/**
 * True when the branch marks an RFC 3261 transaction id: the magic cookie followed by something
 * (RFC 4475 badbranch sends the bare cookie; such a request falls back to RFC 2543 matching).
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}

/** A fresh branch: the magic cookie and 96 random bits (§8.1.1.7: unique across space and time). */
export function newBranch(): string {
  return `${MAGIC_COOKIE}${randomToken(16)}`;
}

/** Random token characters, for branches and tags. */
export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** The host:port in the Via, as the transaction matching rules compare it (§17.2.3 sent-by). */
export function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

/**
 * Where a response to a request with this top Via goes over an unreliable transport
 * (§18.2.2 with RFC 3581): to `maddr` if present, else to the source address when `received`
 * or `rport` says the packet came from elsewhere, else to sent-by. The transport layer passes the
 * address the request actually came from.
 */
export function responseDestination(
  via: Via,
  source: { address: string; port: number },
): { address: string; port: number } {
  const maddr = via.params.get('maddr');
  const defaultPort = via.transport === 'TLS' || via.transport === 'WSS' ? 5061 : 5060;
  if (maddr) return { address: maddr, port: via.port ?? defaultPort };
  // RFC 3581 §4: with rport the response goes to the source IP and port the request came from.
  if (via.params.has('rport')) return { address: source.address, port: source.port };
  // §18.2.2: "received" is the source address; it is used with the sent-by port.
  return { address: source.address, port: via.port ?? defaultPort };
}
