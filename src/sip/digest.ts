/**
 * HTTP Digest authentication as SIP uses it (RFC 3261 §22.4 on RFC 2617, updated by RFC 7616
 * and, for SIP, RFC 8760): MD5, SHA-256 and SHA-512-256, qop=auth.
 *
 * The server side is stateless in what it issues: a nonce is a timestamp and random bits signed
 * with HMAC-SHA-256, so any node holding the secret can check it, and an old nonce is recognised
 * as stale (the client retries with a fresh one without asking the user again). What it must
 * remember is the nonce-count of each nonce in use, so a captured request cannot be replayed
 * (RFC 7616 §3.3, §5.12). Passwords are not needed: the verifier looks up HA1 =
 * H(username:realm:password), stored per algorithm, and never logs or returns it.
 *
 *   client                          DigestAuthenticator
 *     REGISTER ─────────────────────▶ verify(): missing
 *     ◀───────────── 401 + challenge() (SHA-256 first, then MD5: RFC 8760 §2.4)
 *     REGISTER + Authorization ─────▶ verify(): nonce MAC, realm, uri, response, age, nc
 *     ◀──────────────────────── 200  (or 401 stale=true when only the age failed)
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/index';
import { SipError } from './errors';
import { isToken, quote, readQuoted, skipWhitespace } from './grammar';
import type { SipRequest } from './message';
import { formatUri, parseUri, uriEquals } from './uri';

export const digestAlgorithms = ['SHA-256', 'SHA-512-256', 'MD5'] as const;
export type DigestAlgorithm = (typeof digestAlgorithms)[number];

const hashNames: Record<DigestAlgorithm, string> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(hashNames[algorithm]).update(text, 'utf8').digest('hex');
}

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  /** The qop options offered; Teller offers `auth` only. */
  readonly qop?: readonly string[];
  readonly opaque?: string;
  readonly stale?: boolean;
}

export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  /** Absent means MD5 (RFC 2617 §3.2.2). */
  readonly algorithm?: string;
  readonly cnonce?: string;
  /** The nonce-count, eight hex digits as sent. */
  readonly nc?: string;
  readonly qop?: string;
  readonly opaque?: string;
}

/**
 * Splits `scheme param=value, param="quoted", ...` (RFC 7235 §2.1 credentials and challenges).
 * Parameter names are lower-cased; a repeated one is malformed (RFC 7616 §3.4).
 */
export function parseAuthHeader(value: string): { scheme: string; params: Map<string, string> } {
  const malformed = () => new SipError('SIP_DIGEST_INVALID', 400, 'Malformed authorization header');
  let i = skipWhitespace(value, 0);
  const schemeStart = i;
  while (i < value.length && value[i] !== ' ' && value[i] !== '\t') i++;
  const scheme = value.slice(schemeStart, i);
  if (!isToken(scheme)) throw malformed();
  const params = new Map<string, string>();
  i = skipWhitespace(value, i);
  while (i < value.length) {
    const nameStart = i;
    while (i < value.length && /[A-Za-z0-9_.*+!%`'~-]/.test(value[i]!)) i++;
    const name = value.slice(nameStart, i).toLowerCase();
    if (name.length === 0) throw malformed();
    i = skipWhitespace(value, i);
    if (value[i] !== '=') throw malformed();
    i = skipWhitespace(value, i + 1);
    let text: string;
    if (value[i] === '"') {
      const quoted = readQuoted(value, i, 'SIP_DIGEST_INVALID', 'authorization header');
      text = quoted.text;
      i = quoted.end;
    } else {
      const start = i;
      while (i < value.length && value[i] !== ',' && value[i] !== ' ' && value[i] !== '\t') i++;
      text = value.slice(start, i);
      if (text.length === 0) throw malformed();
    }
    if (params.has(name)) throw malformed();
    params.set(name, text);
    i = skipWhitespace(value, i);
    if (i < value.length) {
      if (value[i] !== ',') throw malformed();
      i = skipWhitespace(value, i + 1);
    }
  }
  return { scheme, params };
}

/** Reads Digest credentials from an Authorization or Proxy-Authorization value; undefined if another scheme. */
export function parseDigestCredentials(value: string): DigestCredentials | undefined {
  const { scheme, params } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== 'digest') return undefined;
  const required = (name: string) => {
    const v = params.get(name);
    if (v === undefined) throw new SipError('SIP_DIGEST_INVALID', 400, `Digest credentials without ${name}`);
    return v;
  };
  return {
    username: required('username'),
    realm: required('realm'),
    nonce: required('nonce'),
    uri: required('uri'),
    response: required('response'),
    algorithm: params.get('algorithm'),
    cnonce: params.get('cnonce'),
    nc: params.get('nc'),
    qop: params.get('qop'),
    opaque: params.get('opaque'),
  };
}

/** Reads a Digest challenge from a WWW-Authenticate or Proxy-Authenticate value. */
export function parseDigestChallenge(value: string): DigestChallenge | undefined {
  const { scheme, params } = parseAuthHeader(value);
  if (scheme.toLowerCase() !== 'digest') return undefined;
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) {
    throw new SipError('SIP_DIGEST_INVALID', 400, 'Digest challenge without realm or nonce');
  }
  const algorithm = algorithmOf(params.get('algorithm'));
  if (!algorithm) throw new SipError('SIP_DIGEST_INVALID', 400, 'Unsupported digest algorithm');
  const qop = params.get('qop');
  return {
    realm,
    nonce,
    algorithm,
    qop: qop?.split(',').map((q) => q.trim()),
    opaque: params.get('opaque'),
    stale: params.get('stale')?.toLowerCase() === 'true',
  };
}

function algorithmOf(name: string | undefined): DigestAlgorithm | undefined {
  if (name === undefined) return 'MD5';
  return digestAlgorithms.find((a) => a.toLowerCase() === name.toLowerCase());
}

export function formatChallenge(challenge: DigestChallenge): string {
  let out = `Digest realm=${quote(challenge.realm)}, nonce=${quote(challenge.nonce)}`;
  if (challenge.opaque !== undefined) out += `, opaque=${quote(challenge.opaque)}`;
  out += `, algorithm=${challenge.algorithm}`;
  if (challenge.qop && challenge.qop.length > 0) out += `, qop=${quote(challenge.qop.join(','))}`;
  if (challenge.stale) out += ', stale=TRUE';
  return out;
}

export function formatCredentials(credentials: DigestCredentials): string {
  let out = `Digest username=${quote(credentials.username)}, realm=${quote(credentials.realm)}, nonce=${quote(credentials.nonce)}, uri=${quote(credentials.uri)}, response=${quote(credentials.response)}`;
  if (credentials.algorithm !== undefined) out += `, algorithm=${credentials.algorithm}`;
  if (credentials.cnonce !== undefined) out += `, cnonce=${quote(credentials.cnonce)}`;
  if (credentials.opaque !== undefined) out += `, opaque=${quote(credentials.opaque)}`;
  if (credentials.qop !== undefined) out += `, qop=${credentials.qop}`;
  if (credentials.nc !== undefined) out += `, nc=${credentials.nc}`;
  return out;
}

/** HA1 = H(username ":" realm ":" password): what a user store keeps instead of the password. */
export function computeHa1(
  algorithm: DigestAlgorithm,
  username: string,
  realm: string,
  password: string,
): string {
  return hash(algorithm, `${username}:${realm}:${password}`);
}

/** request-digest of RFC 7616 §3.4.1 (and RFC 2617 §3.2.2.1 without qop). */
export function computeDigestResponse(input: {
  algorithm: DigestAlgorithm;
  ha1: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha2 = hash(input.algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return hash(input.algorithm, `${input.ha1}:${input.nonce}:${ha2}`);
  return hash(input.algorithm, `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/**
 * The UAC side: credentials answering a challenge (for trunks that challenge Teller, and for
 * tests). Give the password or, better, its HA1 for the challenge's algorithm.
 */
export function answerChallenge(
  challenge: DigestChallenge,
  input: {
    username: string;
    password?: string;
    ha1?: string;
    method: string;
    uri: string;
    nc?: number;
    cnonce?: string;
  },
): DigestCredentials {
  const ha1 =
    input.ha1 ??
    (input.password !== undefined
      ? computeHa1(challenge.algorithm, input.username, challenge.realm, input.password)
      : undefined);
  if (ha1 === undefined)
    throw new SipError('SIP_DIGEST_INVALID', 400, 'Neither password nor HA1 to answer with');
  const useQop = challenge.qop?.includes('auth') ? 'auth' : undefined;
  const nc = useQop ? (input.nc ?? 1).toString(16).padStart(8, '0') : undefined;
  const cnonce = useQop ? (input.cnonce ?? randomBytes(12).toString('base64url')) : undefined;
  const response = computeDigestResponse({
    algorithm: challenge.algorithm,
    ha1,
    nonce: challenge.nonce,
    method: input.method,
    uri: input.uri,
    qop: useQop,
    nc,
    cnonce,
  });
  return {
    username: input.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: input.uri,
    response,
    algorithm: challenge.algorithm,
    cnonce,
    nc,
    qop: useQop,
    opaque: challenge.opaque,
  };
}

/** Looks up HA1 for a user in a realm for one algorithm; undefined when the user is unknown. */
export type Ha1Lookup = (
  username: string,
  realm: string,
  algorithm: DigestAlgorithm,
) => Promise<string | undefined>;

export interface DigestAuthenticatorOptions {
  realm: string;
  /** The HMAC key that signs nonces; at least 32 bytes, shared by every node that verifies. */
  secret: Uint8Array;
  clock: Clock;
  lookupHa1: Ha1Lookup;
  /** How long a nonce stays fresh. Default 5 minutes. */
  nonceTtlMs?: number;
  /** Offered in this order of preference. Default SHA-256 then MD5 (RFC 8760 §2.4). */
  algorithms?: readonly DigestAlgorithm[];
  /** Accept RFC 2069-style responses without qop (no nonce-count, so no replay protection). Default false. */
  allowNoQop?: boolean;
  /** How many nonces' counts are remembered. Default 100,000. */
  maxTrackedNonces?: number;
}

export const digestFailures = [
  'missing',
  'malformed',
  'realm',
  'algorithm',
  'qop',
  'nonce',
  'stale',
  'replay',
  'uri',
  'unknown-user',
  'response',
] as const;
export type DigestFailure = (typeof digestFailures)[number];

export type DigestVerdict =
  | { readonly ok: true; readonly username: string; readonly algorithm: DigestAlgorithm }
  | {
      readonly ok: false;
      readonly failure: DigestFailure;
      /** The username the client claimed, for rate limiting and audit (not proof of anything). */
      readonly username?: string;
      /** Fresh challenges to send with the 401/407, stale=true on the first when the nonce had aged. */
      readonly challenges: readonly DigestChallenge[];
    };

const NONCE_RANDOM_BYTES = 9;
const MAC_BYTES = 16;

/**
 * Issues challenges and verifies credentials for one realm. The only state is the table of
 * nonce-counts; everything else is in the signed nonce.
 */
export class DigestAuthenticator {
  private readonly ttlMs: number;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly maxTracked: number;
  /** nonce → highest nonce-count seen; Map order is first-use order, which evicts oldest first. */
  private readonly counts = new Map<string, number>();

  constructor(private readonly options: DigestAuthenticatorOptions) {
    if (options.secret.length < 32)
      throw new SipError('SIP_DIGEST_INVALID', 500, 'Digest secret shorter than 32 bytes');
    this.ttlMs = options.nonceTtlMs ?? 5 * 60_000;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    this.maxTracked = options.maxTrackedNonces ?? 100_000;
  }

  get realm(): string {
    return this.options.realm;
  }

  /** A fresh challenge per algorithm, in preference order, all with one nonce. */
  challenges(stale = false): DigestChallenge[] {
    const nonce = this.issueNonce();
    return this.algorithms.map((algorithm) => ({
      realm: this.options.realm,
      nonce,
      algorithm,
      qop: ['auth'],
      ...(stale ? { stale: true } : {}),
    }));
  }

  /**
   * Checks the Digest credentials for our realm in `Authorization` (a registrar or UAS, 401) or
   * `Proxy-Authorization` (407). Every refusal comes with fresh challenges to send back.
   */
  async verify(
    request: SipRequest,
    header: 'authorization' | 'proxy-authorization' = 'authorization',
  ): Promise<DigestVerdict> {
    let credentials: DigestCredentials | undefined;
    try {
      // A request may carry credentials for several realms (§22.3); ours is the one we check.
      for (const value of request.headers.getAll(header)) {
        const parsed = parseDigestCredentials(value);
        if (parsed && parsed.realm === this.options.realm) credentials = parsed;
        else if (parsed && !credentials) credentials = parsed;
      }
    } catch (error) {
      if (error instanceof SipError) return this.refuse('malformed');
      throw error;
    }
    if (!credentials) return this.refuse('missing');
    const username = credentials.username;
    if (credentials.realm !== this.options.realm) return this.refuse('realm', username);
    const algorithm = algorithmOf(credentials.algorithm);
    if (!algorithm || !this.algorithms.includes(algorithm)) return this.refuse('algorithm', username);

    let nc: number | undefined;
    if (credentials.qop === undefined) {
      if (!this.options.allowNoQop) return this.refuse('qop', username);
    } else {
      if (credentials.qop !== 'auth' || credentials.cnonce === undefined || credentials.nc === undefined) {
        return this.refuse('qop', username);
      }
      if (!/^[0-9a-fA-F]{8}$/.test(credentials.nc)) return this.refuse('malformed', username);
      nc = Number.parseInt(credentials.nc, 16);
    }

    const issuedAt = this.checkNonce(credentials.nonce);
    if (issuedAt === undefined) return this.refuse('nonce', username);

    // RFC 3261 §22.4 via RFC 2617 §3.2.2.5: the digest-uri must name the Request-URI.
    let uriMatches = false;
    try {
      uriMatches = uriEquals(parseUri(credentials.uri), request.uri);
    } catch (error) {
      if (!(error instanceof SipError)) throw error;
    }
    if (!uriMatches) return this.refuse('uri', username);

    const ha1 = await this.options.lookupHa1(username, this.options.realm, algorithm);
    // The digest is computed for an unknown user too (with a throwaway HA1), so the time taken
    // does not tell a prober which extensions exist.
    const expected = computeDigestResponse({
      algorithm,
      ha1: ha1 ?? hash(algorithm, `${username}:${this.options.realm}:${randomBytes(8).toString('hex')}`),
      nonce: credentials.nonce,
      method: request.method,
      uri: credentials.uri,
      qop: credentials.qop,
      nc: credentials.nc,
      cnonce: credentials.cnonce,
    });
    const matches = sameText(expected, credentials.response.toLowerCase());
    if (ha1 === undefined) return this.refuse('unknown-user', username);
    if (!matches) return this.refuse('response', username);

    // RFC 7616 §3.3: stale only when the digest itself was right, so the client retries silently.
    if (this.options.clock.now() - issuedAt > this.ttlMs) return this.refuse('stale', username);

    if (nc !== undefined) {
      const seen = this.counts.get(credentials.nonce);
      // A nonce we hold no count for must start at 1; a higher first count means its entry was
      // evicted (or the process restarted), and stale=true makes the client take a fresh nonce.
      if (seen === undefined && nc !== 1) return this.refuse('stale', username);
      if (seen !== undefined && nc <= seen) return this.refuse('replay', username);
      this.remember(credentials.nonce, nc);
    }
    return { ok: true, username, algorithm };
  }

  private refuse(failure: DigestFailure, username?: string): DigestVerdict {
    return { ok: false, failure, username, challenges: this.challenges(failure === 'stale') };
  }

  private remember(nonce: string, nc: number): void {
    this.counts.delete(nonce);
    this.counts.set(nonce, nc);
    const now = this.options.clock.now();
    // Evict expired entries from the old end, then the oldest if still over the limit.
    for (const [key] of this.counts) {
      const issued = this.checkNonce(key);
      if (this.counts.size <= this.maxTracked && issued !== undefined && now - issued <= this.ttlMs) break;
      this.counts.delete(key);
    }
  }

  /** nonce = base64url(issued-at ms, 6 bytes | random) "." base64url(HMAC-SHA-256 truncated). */
  private issueNonce(): string {
    const body = Buffer.alloc(6 + NONCE_RANDOM_BYTES);
    body.writeUIntBE(Math.floor(this.options.clock.now()), 0, 6);
    randomBytes(NONCE_RANDOM_BYTES).copy(body, 6);
    return `${body.toString('base64url')}.${this.mac(body).toString('base64url')}`;
  }

  /** The nonce's issue time if we signed it (and it is not from the future), else undefined. */
  private checkNonce(nonce: string): number | undefined {
    const dot = nonce.indexOf('.');
    if (dot < 0) return undefined;
    const body = Buffer.from(nonce.slice(0, dot), 'base64url');
    const mac = Buffer.from(nonce.slice(dot + 1), 'base64url');
    if (body.length !== 6 + NONCE_RANDOM_BYTES || mac.length !== MAC_BYTES) return undefined;
    if (!timingSafeEqual(mac, this.mac(body))) return undefined;
    const issuedAt = body.readUIntBE(0, 6);
    return issuedAt > this.options.clock.now() + 60_000 ? undefined : issuedAt;
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.options.secret)
      .update(this.options.realm)
      .update(body)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The header a challenge goes in: WWW-Authenticate with 401, Proxy-Authenticate with 407. */
export function challengeHeaders(
  challenges: readonly DigestChallenge[],
  status: 401 | 407 = 401,
): [string, string][] {
  const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  return challenges.map((c) => [name, formatChallenge(c)]);
}

/** The digest-uri a UAC puts in its credentials: the Request-URI as written. */
export function digestUriOf(request: SipRequest): string {
  return formatUri(request.uri);
}
