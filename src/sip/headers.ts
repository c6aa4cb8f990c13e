/**
 * The header section of a message as an ordered list of fields. Names are matched
 * case-insensitively with compact forms expanded (RFC 3261 §7.3.3); known headers are written in
 * their usual capitalisation, unknown ones exactly as received, with their values verbatim.
 */

/** Compact forms (RFC 3261 §7.3.3, and the RFCs that registered the later letters). */
const compactForms: Record<string, string> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

const canonicalNames = new Map(
  [
    'Accept',
    'Accept-Contact',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Authentication-Info',
    'Authorization',
    'Call-ID',
    'Call-Info',
    'Contact',
    'Content-Disposition',
    'Content-Encoding',
    'Content-Language',
    'Content-Length',
    'Content-Type',
    'CSeq',
    'Date',
    'Error-Info',
    'Event',
    'Expires',
    'From',
    'Identity',
    'Identity-Info',
    'In-Reply-To',
    'Max-Forwards',
    'MIME-Version',
    'Min-Expires',
    'Min-SE',
    'Organization',
    'P-Asserted-Identity',
    'Path',
    'Priority',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'Proxy-Require',
    'RAck',
    'Reason',
    'Record-Route',
    'Refer-To',
    'Referred-By',
    'Reject-Contact',
    'Replaces',
    'Reply-To',
    'Request-Disposition',
    'Require',
    'Retry-After',
    'Route',
    'RSeq',
    'Server',
    'Session-Expires',
    'Subject',
    'Subscription-State',
    'Supported',
    'Timestamp',
    'To',
    'Unsupported',
    'User-Agent',
    'Via',
    'Warning',
    'WWW-Authenticate',
  ].map((name) => [name.toLowerCase(), name]),
);

/** The lookup key of a header name: lower case, compact form expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return (lower.length === 1 ? compactForms[lower] : undefined) ?? lower;
}

/** The name a header is written with: the usual capitalisation if known, else as given. */
export function canonicalName(name: string): string {
  return canonicalNames.get(headerKey(name)) ?? name;
}

export interface HeaderField {
  /** As written on output: canonical for known headers, verbatim for unknown ones. */
  readonly name: string;
  /** headerKey(name), for matching. */
  readonly key: string;
  /** The field value with line folding replaced by single spaces, surrounding whitespace trimmed. */
  readonly value: string;
}

export class Headers {
  private readonly fields: HeaderField[] = [];

  constructor(fields?: Iterable<readonly [string, string]>) {
    if (fields) for (const [name, value] of fields) this.append(name, value);
  }

  /** Adds a field line at the end (after any with the same name). */
  append(name: string, value: string): this {
    this.fields.push({ name: canonicalName(name), key: headerKey(name), value });
    return this;
  }

  /** Adds a field line before all others (a proxy's Via, a Record-Route). */
  prepend(name: string, value: string): this {
    this.fields.unshift({ name: canonicalName(name), key: headerKey(name), value });
    return this;
  }

  /** Replaces every line of this header with one line holding `value`, kept at the first line's place. */
  set(name: string, value: string): this {
    const key = headerKey(name);
    const first = this.fields.findIndex((f) => f.key === key);
    const field = { name: canonicalName(name), key, value };
    if (first < 0) {
      this.fields.push(field);
      return this;
    }
    this.fields[first] = field;
    for (let i = this.fields.length - 1; i > first; i--)
      if (this.fields[i]!.key === key) this.fields.splice(i, 1);
    return this;
  }

  delete(name: string): this {
    const key = headerKey(name);
    for (let i = this.fields.length - 1; i >= 0; i--)
      if (this.fields[i]!.key === key) this.fields.splice(i, 1);
    return this;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.fields.some((f) => f.key === key);
  }

  /** The value of the first line with this name. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const field of this.fields) if (field.key === key) return field.value;
    return undefined;
  }

  /** The values of every line with this name, in order (a comma-joined line is one value here). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const field of this.fields) if (field.key === key) out.push(field.value);
    return out;
  }

  /** How many lines carry this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const field of this.fields) if (field.key === key) n++;
    return n;
  }

  /** Removes and returns the first value of this header (a proxy popping its Route). */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const index = this.fields.findIndex((f) => f.key === key);
    if (index < 0) return undefined;
    return this.fields.splice(index, 1)[0]!.value;
  }

  entries(): readonly HeaderField[] {
    return this.fields;
  }

  clone(): Headers {
    const copy = new Headers();
    copy.fields.push(...this.fields);
    return copy;
  }
}
