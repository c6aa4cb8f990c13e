/**
 * The character classes and small productions of RFC 3261 §25.1 that every header parser shares:
 * token, word, quoted-string, escaped octets, generic parameters and comma-separated lists.
 * Everything here is linear in its input (no backtracking regular expressions), because it runs on
 * whatever a peer sends.
 */
import { badSyntax, type SipErrorCode } from './errors';

const ALPHANUM = 1;
const TOKEN = 2; // alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
const WORD = 4; // token chars plus ( ) < > : \ DQUOTE / [ ] ? { }
const UNRESERVED = 8; // alphanum / mark
const USER = 16; // unreserved / user-unreserved ("&" / "=" / "+" / "$" / "," / ";" / "?" / "/")
const PASSWORD = 32; // unreserved / "&" / "=" / "+" / "$" / ","
const PARAMCHAR = 64; // unreserved / param-unreserved ("[" / "]" / "/" / ":" / "&" / "+" / "$")
const HNV = 128; // unreserved / hnv-unreserved ("[" / "]" / "/" / "?" / ":" / "+" / "$")
const URIC = 256; // reserved / unreserved, for absoluteURI
const HEX = 512;

const table = new Uint16Array(128);
function mark(chars: string, flag: number): void {
  for (const ch of chars) table[ch.charCodeAt(0)]! |= flag;
}
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch))
    table[c]! |= ALPHANUM | TOKEN | WORD | UNRESERVED | USER | PASSWORD | PARAMCHAR | HNV | URIC;
  if (/[0-9A-Fa-f]/.test(ch)) table[c]! |= HEX;
}
mark("-.!%*_+`'~", TOKEN | WORD);
mark('()<>:\\"/[]?{}', WORD);
mark("-_.!~*'()", UNRESERVED | USER | PASSWORD | PARAMCHAR | HNV | URIC);
mark('&=+$,;?/', USER);
mark('&=+$,', PASSWORD);
mark('[]/:&+$', PARAMCHAR);
mark('[]/?:+$', HNV);
mark(';/?:@&=+$,%#[]', URIC);

function allOf(s: string, flag: number): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (table[c]! & flag) === 0) return false;
  }
  return true;
}

export const isToken = (s: string): boolean => allOf(s, TOKEN);
/** Call-ID = word [ "@" word ] (RFC 3261 §25.1). */
export function isCallId(s: string): boolean {
  const at = s.indexOf('@');
  if (at < 0) return allOf(s, WORD);
  return allOf(s.slice(0, at), WORD) && allOf(s.slice(at + 1), WORD);
}
export const isUnreservedOrEscaped = (s: string, set: 'user' | 'password' | 'param' | 'header'): boolean =>
  checkEscapedSet(
    s,
    set === 'user' ? USER : set === 'password' ? PASSWORD : set === 'param' ? PARAMCHAR : HNV,
  );
export const isUricString = (s: string): boolean => checkEscapedSet(s, URIC);

/** True when every char is in `flag` or is a well-formed %HH escape. */
function checkEscapedSet(s: string, flag: number): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    if (c >= 128 || (table[c]! & flag) === 0) return false;
  }
  return true;
}

function isHex(c: number): boolean {
  return c < 128 && (table[c]! & HEX) !== 0;
}

/** Decodes %HH escapes (RFC 3261 §19.1.2); the caller has already checked they are well formed. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  // URIs carry octets; the escaped ones may form UTF-8 sequences, or not (escnull has %00).
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Escapes every octet outside the component's allowed set, so `percentDecode(percentEncode(x)) === x`. */
export function percentEncode(s: string, set: 'user' | 'password' | 'param' | 'header'): string {
  const flag = set === 'user' ? USER : set === 'password' ? PASSWORD : set === 'param' ? PARAMCHAR : HNV;
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (table[c]! & flag) === 0) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b < 128 && (table[b]! & flag) !== 0) out += String.fromCharCode(b);
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Trims SP and HTAB only. String.prototype.trim would also eat U+FEFF and other Unicode spaces
 * that are part of a UTF-8 header value (RFC 4475 intmeth starts a value with a BOM).
 */
export function trimLws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isWhitespace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export function isWhitespace(c: number): boolean {
  return c === 32 || c === 9;
}

export function skipWhitespace(s: string, i: number): number {
  while (i < s.length && isWhitespace(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Reads a quoted-string starting at `start` (which must be a DQUOTE). Returns the decoded text and
 * the index after the closing quote; quoted-pair escapes any octet but CR and LF (§25.1).
 */
export function readQuoted(
  s: string,
  start: number,
  code: SipErrorCode,
  what: string,
): { text: string; end: number } {
  const quoted = scanQuoted(s, start);
  if (!quoted) throw badSyntax(code, `${what} (unterminated quoted string)`);
  return quoted;
}

function scanQuoted(s: string, start: number): { text: string; end: number } | undefined {
  let text = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) return { text, end: i + 1 };
    if (c === 92) {
      const next = s.charCodeAt(i + 1);
      if (Number.isNaN(next) || next === 10 || next === 13) return undefined;
      text += s[i + 1];
      i++;
      continue;
    }
    // qdtext admits LWS, %x21, %x23-5B, %x5D-7E and UTF-8 beyond ASCII; bare controls are not text.
    if ((c < 32 && c !== 9) || c === 127) return undefined;
    text += s[i];
  }
  return undefined;
}

/**
 * Quotes a display name or parameter value. `"` and `\` and control characters become
 * quoted-pairs (§25.1); CR and LF cannot be carried in a header at all and become spaces.
 */
export function quote(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped here
  return `"${s.replace(/[\r\n]/g, ' ').replace(/["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (m) => `\\${m}`)}"`;
}

/** Generic header parameters, names lower-cased, values as written (quotes kept) or null when bare. */
export type Params = Map<string, string | null>;

/**
 * Reads `*( SEMI generic-param )` from `start` to the end of `s` (§25.1): SEMI and EQUAL may have
 * whitespace on either side; a value is a token, a host (IPv6 reference included) or a quoted
 * string. Anything left over is an error: an empty parameter (`;;`) is not allowed.
 */
export function readParams(s: string, start: number, code: SipErrorCode, what: string): Params {
  const params: Params = new Map();
  let i = skipWhitespace(s, start);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 59 /* ; */) throw badSyntax(code, what);
    i = skipWhitespace(s, i + 1);
    const nameStart = i;
    while (i < s.length && isTokenCode(s.charCodeAt(i))) i++;
    if (i === nameStart) throw badSyntax(code, `${what} (empty parameter)`);
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWhitespace(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === 61 /* = */) {
      i = skipWhitespace(s, i + 1);
      if (s.charCodeAt(i) === 34) {
        const quoted = readQuoted(s, i, code, what);
        value = s.slice(i, quoted.end);
        i = quoted.end;
      } else {
        const valueStart = i;
        if (s.charCodeAt(i) === 91 /* [ */) {
          const close = s.indexOf(']', i);
          if (close < 0) throw badSyntax(code, what);
          i = close + 1;
        } else {
          // token, or an IPv6 address written bare as Via's received= is (§20.42 via-received).
          while (i < s.length && (isTokenCode(s.charCodeAt(i)) || s.charCodeAt(i) === 58)) i++;
        }
        if (i === valueStart) throw badSyntax(code, `${what} (empty parameter value)`);
        value = s.slice(valueStart, i);
        if (value.startsWith('[') && !/^\[[0-9A-Fa-f:.]+\]$/.test(value)) throw badSyntax(code, what);
      }
      i = skipWhitespace(s, i);
    }
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

function isTokenCode(c: number): boolean {
  return c < 128 && (table[c]! & TOKEN) !== 0;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** A parameter's value without its quotes (and quoted-pair escapes resolved). */
export function paramText(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (!value.startsWith('"')) return value;
  // Values stored by readParams were checked already; a hand-built malformed one is taken literally.
  return scanQuoted(value, 0)?.text ?? value;
}

/**
 * Splits a header value at the commas that separate list elements (§7.3.1), ignoring commas inside
 * quoted strings and `<...>`. An empty element (`a,,b`) is a syntax error for SIP's list headers.
 */
export function splitList(value: string, code: SipErrorCode, what: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) inAngle = true;
    else if (c === 62) inAngle = false;
    else if (c === 44 && !inAngle) {
      out.push(trimLws(value.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(trimLws(value.slice(start)));
  if (out.some((element) => element.length === 0)) throw badSyntax(code, `${what} (empty list element)`);
  return out;
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return ipv4.test(s);
}

export function isIPv6Reference(s: string): boolean {
  if (s.length < 4 || s[0] !== '[' || s[s.length - 1] !== ']') return false;
  const inner = s.slice(1, -1);
  return /^[0-9A-Fa-f:.]+$/.test(inner) && inner.includes(':') && inner.length <= 45;
}

/** host = hostname / IPv4address / IPv6reference (§25.1); labels of alphanum and inner hyphens. */
export function isHost(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  if (s[0] === '[') return isIPv6Reference(s);
  const labels = (s.endsWith('.') ? s.slice(0, -1) : s).split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return false;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      const alnum = c < 128 && (table[c]! & ALPHANUM) !== 0;
      if (!alnum && !(c === 45 && i > 0 && i < label.length - 1)) return false;
    }
  }
  return true;
}

export function parsePort(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const port = Number(s);
  return port <= 65535 ? port : undefined;
}
