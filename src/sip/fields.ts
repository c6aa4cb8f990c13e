/**
 * The scalar and list headers of RFC 3261 §20 whose values the stack reads: CSeq, Max-Forwards,
 * Content-Length, Expires, Date, Content-Type, Accept, option-tag lists, and Contact (with `*`).
 * Each parser throws a SipError (400) on a value outside the grammar or the legal range.
 */
import { type NameAddr, parseNameAddr } from './address';
import { badSyntax, type SipErrorCode } from './errors';
import { isToken, type Params, readParams, splitList } from './grammar';

const code: SipErrorCode = 'SIP_PARSE_HEADER';

/** Largest CSeq accepted on receipt: a 32-bit unsigned integer (§20.16; RFC 4475 scalar02). */
const MAX_CSEQ = 2 ** 32 - 1;

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** CSeq = 1*DIGIT LWS Method */
export function parseCSeq(value: string): CSeq {
  const match = /^(\d{1,10})[ \t]+(\S+)$/.exec(value);
  if (!match || !isToken(match[2]!)) throw badSyntax(code, 'CSeq');
  const seq = Number(match[1]);
  if (seq > MAX_CSEQ) throw badSyntax(code, 'CSeq (sequence number out of range)');
  return { seq, method: match[2]! };
}

/** Max-Forwards = 1*DIGIT, 0 to 255 (§20.22; RFC 4475 scalar02 sends 300, wsinv 0068). */
export function parseMaxForwards(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw badSyntax(code, 'Max-Forwards');
  const hops = Number(value);
  if (hops > 255) throw badSyntax(code, 'Max-Forwards (above 255)');
  return hops;
}

/** Content-Length = 1*DIGIT; a negative or absurd value is malformed (RFC 4475 ncl). */
export function parseContentLength(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badSyntax('SIP_PARSE_CONTENT_LENGTH', 'Content-Length');
  return Number(value);
}

/**
 * Expires and the Contact `expires` parameter: delta-seconds. A value beyond 2^32-1 is not a
 * syntax error; RFC 4475 §3.1.2.4 lets the element treat it as absent (the default applies), so
 * it yields undefined. A non-numeric value is malformed.
 */
export function parseDeltaSeconds(value: string, what = 'Expires'): number | undefined {
  if (!/^\d+$/.test(value)) throw badSyntax(code, what);
  if (value.length > 10) return undefined;
  const seconds = Number(value);
  return seconds > 2 ** 32 - 1 ? undefined : seconds;
}

const dateGrammar =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/** Date = rfc1123-date, which SIP restricts to GMT (§20.17; RFC 4475 baddate sends EST). */
export function parseDate(value: string): number {
  const match = dateGrammar.exec(value);
  if (!match) throw badSyntax(code, 'Date');
  const months = 'JanFebMarAprMayJunJulAugSepOctNovDec';
  const at = Date.UTC(
    Number(match[4]),
    months.indexOf(match[3]!) / 3,
    Number(match[2]),
    Number(match[5]),
    Number(match[6]),
    Number(match[7]),
  );
  if (Number.isNaN(at)) throw badSyntax(code, 'Date');
  return at;
}

export interface MediaType {
  /** Lower-cased `type/subtype`. */
  readonly type: string;
  readonly params: Params;
}

/** media-type = m-type SLASH m-subtype *(SEMI m-parameter) */
export function parseMediaType(value: string, what = 'Content-Type'): MediaType {
  const match = /^([^\s/;]+)[ \t]*\/[ \t]*([^\s/;]+)/.exec(value);
  if (!match || !isToken(match[1]!) || !isToken(match[2]!)) throw badSyntax(code, what);
  const params = readParams(value, match[0].length, code, what);
  return { type: `${match[1]}/${match[2]}`.toLowerCase(), params };
}

/** Accept: a list of media ranges, possibly empty (an empty Accept means no body is acceptable). */
export function parseAccept(values: readonly string[]): MediaType[] {
  const out: MediaType[] = [];
  for (const value of values) {
    if (value.trim().length === 0) continue;
    for (const element of splitList(value, code, 'Accept')) out.push(parseMediaType(element, 'Accept'));
  }
  return out;
}

/** True when a media range from Accept admits `type` (`*\/*`, `application/*` or exact). */
export function acceptsType(ranges: readonly MediaType[], type: string): boolean {
  const [major] = type.split('/');
  return ranges.some((r) => r.type === '*/*' || r.type === `${major}/*` || r.type === type);
}

/** Require, Proxy-Require, Supported, Unsupported: comma-separated option tags (tokens). */
export function parseOptionTags(values: readonly string[], what: string): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (value.trim().length === 0) continue;
    for (const tag of splitList(value, code, what)) {
      if (!isToken(tag)) throw badSyntax(code, what);
      out.push(tag);
    }
  }
  return out;
}

/** A Contact value: the wildcard `*` (REGISTER removing all bindings) or a list of addresses. */
export type Contacts = { readonly star: true } | { readonly star: false; readonly list: readonly NameAddr[] };

export function parseContacts(values: readonly string[]): Contacts {
  const list: NameAddr[] = [];
  let star = false;
  for (const value of values) {
    for (const element of splitList(value, code, 'Contact')) {
      if (element === '*') star = true;
      else list.push(parseNameAddr(element, 'Contact'));
    }
  }
  if (star) {
    // §10.3 step 6: "*" stands alone (and needs Expires: 0, which the registrar checks).
    if (list.length > 0 || values.length > 1) throw badSyntax(code, 'Contact (* mixed with addresses)');
    return { star: true };
  }
  return { star: false, list };
}

/** Route, Record-Route, Path: comma-separated name-addrs. */
export function parseAddressList(values: readonly string[], what: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const value of values)
    for (const element of splitList(value, code, what)) out.push(parseNameAddr(element, what));
  return out;
}
