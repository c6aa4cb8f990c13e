/**
 * name-addr and addr-spec with header parameters (RFC 3261 §20.10, §25.1): the shape of From,
 * To, Contact, Route, Record-Route, Reply-To, Refer-To and the like.
 */
import { badSyntax, type SipErrorCode } from './errors';
import {
  formatParams,
  isToken,
  isWhitespace,
  type Params,
  quote,
  readParams,
  readQuoted,
  skipWhitespace,
  trimLws,
} from './grammar';
import { formatUri, parseUri, type Uri } from './uri';

export interface NameAddr {
  /** The display name, unquoted; undefined when absent. */
  readonly displayName?: string;
  readonly uri: Uri;
  /** Header parameters (tag, q, expires, ...), names lower-cased, values as written. */
  readonly params: Params;
}

const code: SipErrorCode = 'SIP_PARSE_HEADER';

/**
 * Parses one `( name-addr / addr-spec ) *( SEMI param )` value. Without angle brackets every
 * `;param` belongs to the header, not the URI, and the URI may not contain `,`, `;` or `?`
 * (§20.10: "the name-addr form MUST be used" then), so `Contact: sip:a@b?Route=...` is rejected
 * (RFC 4475 regbadct), as are spaces inside `< >` (badaspec) and a display name that is neither
 * tokens nor a quoted string (baddn).
 */
export function parseNameAddr(value: string, what = 'address'): NameAddr {
  const s = value;
  let i = skipWhitespace(s, 0);
  let displayName: string | undefined;
  let uriText: string;
  if (s.charCodeAt(i) === 34) {
    const quoted = readQuoted(s, i, code, what);
    displayName = quoted.text;
    i = skipWhitespace(s, quoted.end);
    if (s.charCodeAt(i) !== 60) throw badSyntax(code, `${what} (display name without <URI>)`);
  }
  // A display name cannot hold ';' unquoted, so a '<' after the first ';' is inside a parameter.
  const semi = s.indexOf(';', i);
  const found = s.indexOf('<', i);
  const lt = found >= 0 && (semi < 0 || found < semi) ? found : -1;
  if (s.charCodeAt(i) === 60 || (displayName === undefined && lt >= 0)) {
    if (displayName === undefined) {
      // display-name = *(token LWS) / quoted-string; LAQUOT allows no space before '<' (lwsdisp).
      const words = trimLws(s.slice(i, lt));
      if (words.length > 0) {
        for (const word of words.split(/[ \t]+/))
          if (!isToken(word)) throw badSyntax(code, `${what} display name`);
        displayName = words;
      }
      i = lt;
    }
    const gt = s.indexOf('>', i);
    if (gt < 0) throw badSyntax(code, `${what} (missing >)`);
    uriText = s.slice(i + 1, gt);
    i = gt + 1;
  } else {
    let end = i;
    while (end < s.length && s[end] !== ';' && !isWhitespace(s.charCodeAt(end))) end++;
    uriText = s.slice(i, end);
    if (uriText.includes('?') || uriText.includes(',')) {
      throw badSyntax(code, `${what} (a URI with headers must be enclosed in <>)`);
    }
    i = end;
  }
  const uri = parseUri(uriText);
  const params = readParams(s, i, code, what);
  return { displayName, uri, params };
}

export function formatNameAddr(address: NameAddr): string {
  const name = address.displayName;
  const display =
    name === undefined || name === '' ? '' : `${isPlainDisplayName(name) ? name : quote(name)} `;
  return `${display}<${formatUri(address.uri)}>${formatParams(address.params)}`;
}

function isPlainDisplayName(name: string): boolean {
  return name.split(' ').every((word) => isToken(word));
}

/** The `tag` parameter of a From or To value. */
export function tagOf(address: NameAddr): string | undefined {
  return address.params.get('tag') ?? undefined;
}

/** A copy with one header parameter set (`null`: a parameter without value). */
export function withParam(address: NameAddr, name: string, value: string | null): NameAddr {
  const params = new Map(address.params);
  params.set(name.toLowerCase(), value);
  return { ...address, params };
}
