import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/index';
import {
  answerChallenge,
  challengeHeaders,
  computeDigestResponse,
  computeHa1,
  type DigestAlgorithm,
  DigestAuthenticator,
  type DigestChallenge,
  type DigestCredentials,
  formatCredentials,
  parseDigestChallenge,
  parseDigestCredentials,
  parseMessage,
  type SipRequest,
} from './index';

describe('digest computations against published vectors', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(ha1).toBe('939e7578ed9e3c518a452acee763bce9');
    expect(
      computeDigestResponse({
        algorithm: 'MD5',
        ha1,
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('RFC 7616 §3.9.1 (%s)', (algorithm, response) => {
    const ha1 = computeHa1(algorithm, 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(
      computeDigestResponse({
        algorithm,
        ha1,
        nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      }),
    ).toBe(response);
  });

  it('without qop, response = H(HA1:nonce:HA2) (RFC 2617 §3.2.2.1), pinned to a value computed apart', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const nonce = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';
    expect(
      computeDigestResponse({ algorithm: 'MD5', ha1, nonce, method: 'GET', uri: '/dir/index.html' }),
    ).toBe('670fd8c2df070c60b045671b8b24ff02');
  });
});

describe('digest header syntax', () => {
  it('reads the challenge and credentials real phones send', () => {
    const challenge = readFileSync(
      path.resolve(import.meta.dirname, '../../test/fixtures/sip/challenge.sip'),
    );
    const values = parseMessage(challenge).headers.getAll('www-authenticate');
    expect(values.map((v) => parseDigestChallenge(v)?.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(parseDigestChallenge(values[0]!)).toMatchObject({ realm: 'teller', qop: ['auth'], stale: false });
    const credentials = parseDigestCredentials(
      'Digest username="1001",realm="teller",nonce="abc",uri="sip:8888@127.0.0.1",response="6629fae49393a05397450978507c4ef1",cnonce="0a4f113b",nc=00000001,qop=auth,algorithm=MD5',
    );
    expect(credentials).toMatchObject({ username: '1001', nc: '00000001', qop: 'auth', algorithm: 'MD5' });
    expect(parseDigestCredentials('NoOneKnowsThisScheme opaque-data=here')).toBeUndefined();
  });

  it('round-trips what it writes, and refuses repeated or broken parameters', () => {
    const credentials: DigestCredentials = {
      username: 'agent "01"',
      realm: 'teller',
      nonce: 'n.1',
      uri: 'sip:8888@127.0.0.1',
      response: 'abc',
      algorithm: 'SHA-256',
      cnonce: 'c',
      nc: '0000000a',
      qop: 'auth',
    };
    expect(parseDigestCredentials(formatCredentials(credentials))).toEqual({
      ...credentials,
      opaque: undefined,
    });
    expect(() => parseDigestCredentials('Digest username="a", username="b"')).toThrowError(/Malformed/);
    expect(() => parseDigestCredentials('Digest username="a", realm')).toThrowError(/Malformed/);
    expect(() => parseDigestCredentials('Digest realm="r"')).toThrowError(/without username/);
  });
});

describe('DigestAuthenticator', () => {
  const realm = 'teller';
  const password = 'teller-demo';
  const users = new Set(['1001', '1002']);

  function setup(options: { allowNoQop?: boolean; maxTrackedNonces?: number } = {}) {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const lookups: string[] = [];
    const auth = new DigestAuthenticator({
      realm,
      secret: Buffer.alloc(32, 7),
      clock,
      nonceTtlMs: 60_000,
      lookupHa1: async (username, r, algorithm) => {
        lookups.push(`${username}/${algorithm}`);
        return users.has(username) ? computeHa1(algorithm, username, r, password) : undefined;
      },
      ...options,
    });
    return { clock, auth, lookups };
  }

  function register(authorization?: string, uri = 'sip:127.0.0.1'): SipRequest {
    const text =
      `REGISTER ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.11:5062;branch=z9hG4bK1\r\nFrom: <sip:1001@127.0.0.1>;tag=a\r\n` +
      `To: <sip:1001@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@192.0.2.11:5062>\r\n` +
      `${authorization ? `Authorization: ${authorization}\r\n` : ''}Content-Length: 0\r\n\r\n`;
    const message = parseMessage(text);
    if (message.kind !== 'request') throw new Error('not a request');
    return message;
  }

  function answer(
    challenge: DigestChallenge,
    nc = 1,
    overrides: { username?: string; password?: string; uri?: string } = {},
  ) {
    return formatCredentials(
      answerChallenge(challenge, {
        username: overrides.username ?? '1001',
        password: overrides.password ?? password,
        method: 'REGISTER',
        uri: overrides.uri ?? 'sip:127.0.0.1',
        nc,
      }),
    );
  }

  it('challenges with SHA-256 first, then MD5, one nonce, qop=auth', async () => {
    const { auth } = setup();
    const verdict = await auth.verify(register());
    expect(verdict).toMatchObject({ ok: false, failure: 'missing' });
    if (verdict.ok) return;
    expect(verdict.challenges.map((c) => c.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(new Set(verdict.challenges.map((c) => c.nonce)).size).toBe(1);
    const headers = challengeHeaders(verdict.challenges);
    expect(headers[0]![0]).toBe('WWW-Authenticate');
    expect(parseDigestChallenge(headers[0]![1])).toEqual({
      ...verdict.challenges[0],
      opaque: undefined,
      stale: false,
    });
  });

  it.each<DigestAlgorithm>(['SHA-256', 'MD5'])(
    'accepts a correct %s answer, by HA1 alone',
    async (algorithm) => {
      const { auth, lookups } = setup();
      const challenge = auth.challenges().find((c) => c.algorithm === algorithm)!;
      expect(await auth.verify(register(answer(challenge)))).toEqual({
        ok: true,
        username: '1001',
        algorithm,
      });
      expect(lookups).toEqual([`1001/${algorithm}`]);
    },
  );

  it('counts nonce uses: a higher nc passes, a replayed or lower one does not', async () => {
    const { auth } = setup();
    const [challenge] = auth.challenges();
    expect((await auth.verify(register(answer(challenge!, 1)))).ok).toBe(true);
    expect(await auth.verify(register(answer(challenge!, 1)))).toMatchObject({
      ok: false,
      failure: 'replay',
    });
    expect((await auth.verify(register(answer(challenge!, 2)))).ok).toBe(true);
    expect((await auth.verify(register(answer(challenge!, 5)))).ok).toBe(true);
    expect(await auth.verify(register(answer(challenge!, 3)))).toMatchObject({
      ok: false,
      failure: 'replay',
    });
  });

  it('marks an expired nonce stale only when the digest was right', async () => {
    const { auth, clock } = setup();
    const [challenge] = auth.challenges();
    clock.advance(60_001);
    const stale = await auth.verify(register(answer(challenge!)));
    expect(stale).toMatchObject({ ok: false, failure: 'stale' });
    if (!stale.ok) expect(stale.challenges[0]!.stale).toBe(true);
    const wrong = await auth.verify(register(answer(challenge!, 1, { password: 'guess' })));
    expect(wrong).toMatchObject({ ok: false, failure: 'response' });
    if (!wrong.ok) expect(wrong.challenges[0]!.stale).toBeUndefined();
  });

  it('refuses forged nonces, other realms, unknown users, wrong passwords and a moved URI', async () => {
    const { auth } = setup();
    const [challenge] = auth.challenges();
    const forged = { ...challenge!, nonce: `${challenge!.nonce.slice(0, -2)}AA` };
    expect(await auth.verify(register(answer(forged)))).toMatchObject({ failure: 'nonce' });
    const other = setup().auth;
    expect(await other.verify(register(answer({ ...challenge!, realm: 'elsewhere' })))).toMatchObject({
      failure: 'realm',
    });
    expect(await auth.verify(register(answer(challenge!, 1, { username: '9999' })))).toMatchObject({
      failure: 'unknown-user',
      username: '9999',
    });
    expect(await auth.verify(register(answer(challenge!, 2, { password: 'Teller-demo' })))).toMatchObject({
      failure: 'response',
    });
    expect(await auth.verify(register(answer(challenge!, 3, { uri: 'sip:evil.example' })))).toMatchObject({
      failure: 'uri',
    });
  });

  it('accepts the digest-uri in another spelling of the same Request-URI', async () => {
    const { auth } = setup();
    const [challenge] = auth.challenges();
    const request = register(
      answer(challenge!, 1, { uri: 'sip:127.0.0.1;transport=UDP' }),
      'sip:127.0.0.1;transport=udp',
    );
    expect((await auth.verify(request)).ok).toBe(true);
  });

  it('requires qop=auth unless told otherwise (RFC 2069 answers have no replay protection)', async () => {
    const noQop = { realm, nonce: '', algorithm: 'MD5' as const };
    const strict = setup();
    const lenient = setup({ allowNoQop: true });
    for (const { auth } of [strict, lenient]) {
      const [c] = auth.challenges();
      const credentials = answer({ ...noQop, nonce: c!.nonce });
      expect((await auth.verify(register(credentials))).ok).toBe(auth === lenient.auth);
    }
  });

  it('treats an unknown scheme as no credentials (RFC 4475 regaut01) and a broken header as malformed', async () => {
    const { auth } = setup();
    const regaut01 = readFileSync(
      path.resolve(import.meta.dirname, '../../test/fixtures/sip/rfc4475/regaut01.dat'),
    );
    const request = parseMessage(regaut01);
    if (request.kind !== 'request') throw new Error('fixture');
    expect(await auth.verify(request)).toMatchObject({ ok: false, failure: 'missing' });
    expect(await auth.verify(register('Digest username="1001", nonce='))).toMatchObject({
      failure: 'malformed',
    });
  });

  it('forgets the oldest nonces beyond its limit, and makes their next use stale, not accepted', async () => {
    const { auth } = setup({ maxTrackedNonces: 2 });
    const nonces = [auth.challenges()[0]!, auth.challenges()[0]!, auth.challenges()[0]!];
    for (const c of nonces) expect((await auth.verify(register(answer(c, 1)))).ok).toBe(true);
    // The first nonce's count was evicted, so its next count cannot be checked: it comes back
    // stale and the client takes a fresh nonce.
    expect(await auth.verify(register(answer(nonces[0]!, 2)))).toMatchObject({ failure: 'stale' });
    expect(await auth.verify(register(answer(nonces[2]!, 1)))).toMatchObject({ failure: 'replay' });
  });
});
