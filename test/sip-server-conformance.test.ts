/**
 * RFC 4475 against the RUNNING server: each of the 49 torture messages is sent over UDP to a whole
 * Teller (digest auth on) from its own socket, and the answer is checked against what the RFC
 * asks of a UAS and registrar. Valid requests reach the application and get its answer (a
 * registrar that authenticates challenges; OPTIONS is answered; INVITE is challenged), malformed
 * requests get the 4xx/5xx the RFC names with a reason phrase, and responses that match nothing,
 * malformed or not, get no answer at all. The framing cases are then sent over TCP, where
 * Content-Length decides where a message ends (RFC 3261 §18.3). The parser-level half is
 * test/sip-conformance.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  branchOf,
  getTopVia,
  parseNameAddr,
  type SipResponse,
  screenMessage,
  sentBy,
} from '../src/sip/index';
import { rfc4475Cases, rfc4475Message } from './fixtures/sip/rfc4475';
import { optionsRequest, TcpPeer, UdpPeer } from './fixtures/sipp/peers';
import { startTestTeller, type TestTeller } from './support/teller';

/**
 * What the application answers to each torture request that passes screening. Teller's registrar
 * wants digest auth (401 with a challenge); an out-of-dialog INVITE is challenged too; OPTIONS is
 * answered 200; a re-INVITE for a dialog that does not exist gets 481 (§12.2.2); MESSAGE is not a
 * method Teller serves (405 with Allow, §8.2.1).
 */
const applicationAnswers: Record<string, number> = {
  wsinv: 481,
  esc01: 401,
  escnull: 401,
  lwsdisp: 200,
  longreq: 401,
  dblreq: 401,
  semiuri: 200,
  transports: 200,
  mpart01: 405,
  badbranch: 200,
  regaut01: 401,
  zeromf: 200,
  cparam01: 401,
  cparam02: 401,
  regescrt: 401,
  inv2543: 401,
};

/** The request's own CSeq line as sent (undefined for a response), for comparing the echo. */
function requestOf(raw: Buffer): { cseq?: string } | undefined {
  const text = raw.toString('latin1');
  if (text.startsWith('SIP/')) return undefined;
  const head = text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const lines = [...head.matchAll(/^CSeq[ \t]*:[ \t]*(.*)$/gim)];
  return lines.length === 1 ? { cseq: collapse(lines[0]![1]!) } : {};
}

function collapse(text: string): string {
  return text.trim().replace(/[ \t]+/g, ' ');
}

/**
 * The transaction key (§17.2.3) of a torture request that reaches the transaction layer. Some of
 * the RFC's messages share one (cparam01/cparam02, escnull/regescrt), and the second would rightly
 * be taken as a retransmission of the first; those go to a second server.
 */
function transactionKey(raw: Buffer): string | undefined {
  const screened = screenMessage(raw);
  if (screened.action !== 'request') return undefined;
  const via = getTopVia(screened.request);
  return `${branchOf(via)}|${sentBy(via)}|${screened.request.method}`;
}

function toTag(response: SipResponse): string | undefined {
  const to = response.headers.get('to');
  if (to === undefined) return undefined;
  try {
    return parseNameAddr(to).params.get('tag') ?? undefined;
  } catch {
    return undefined;
  }
}

describe('RFC 4475 torture messages against the running server', () => {
  let teller: TestTeller;
  /** A second server on the same store, for the torture requests whose transaction key repeats. */
  let second: TestTeller;
  const keysUsed = new Set<string>();
  beforeAll(async () => {
    teller = await startTestTeller();
    second = await startTestTeller({ dataDir: teller.config.dataDir });
  });
  afterAll(async () => {
    await second?.close();
    await teller?.close();
  });

  it('names an application answer for every torture request the stack accepts', () => {
    const accepted = rfc4475Cases
      .filter(
        (c) => c.expect.outcome === 'accept' && !rfc4475Message(c.tag).toString('latin1').startsWith('SIP/'),
      )
      .map((c) => c.tag)
      .sort();
    expect(accepted).toEqual(Object.keys(applicationAnswers).sort());
  });

  describe.each(rfc4475Cases)('over UDP: $section $tag ($title)', (testCase) => {
    it(`answers as a UAS must (${testCase.why})`, async () => {
      const raw = rfc4475Message(testCase.tag);
      const request = requestOf(raw);
      const key = transactionKey(raw);
      const server = key !== undefined && keysUsed.has(key) ? second : teller;
      if (key !== undefined) keysUsed.add(key);
      const peer = await UdpPeer.open();
      try {
        await peer.send(server.sip.port, raw);
        if (!request || testCase.expect.outcome === 'drop') {
          // §8.1.3.3 / §18.1.2: a response that matches no transaction (or is malformed) is
          // discarded, and a UAS never answers a response.
          expect(testCase.expect.outcome === 'drop' || testCase.expect.outcome === 'accept').toBe(true);
          expect(await peer.next(800)).toBeUndefined();
          return;
        }
        const answer = await peer.final(3000);
        expect(answer, `${testCase.tag}: no final answer`).toBeDefined();
        if (!answer) return;
        const expected =
          testCase.expect.outcome === 'reject' ? testCase.expect.status : applicationAnswers[testCase.tag];
        expect(`${answer.status} ${answer.reason}`).toMatch(new RegExp(`^${expected} \\S`));
        // §8.2.6.2: the answer echoes the request's CSeq and carries a To tag.
        if (request.cseq !== undefined) expect(collapse(answer.headers.get('cseq') ?? '')).toBe(request.cseq);
        if (answer.headers.has('to') && answer.status > 100) {
          const to = answer.headers.get('to')!;
          let readable = true;
          try {
            parseNameAddr(to);
          } catch {
            readable = false;
          }
          if (readable) expect(toTag(answer)).toBeTruthy();
        }
        switch (answer.status) {
          case 401: {
            // §22.1, RFC 8760: a Digest challenge for Teller's realm, with qop=auth.
            const challenges = answer.headers.getAll('www-authenticate');
            expect(challenges.length).toBeGreaterThan(0);
            for (const c of challenges) expect(c).toMatch(/^Digest .*realm="teller".*qop="auth"/);
            break;
          }
          case 200:
            expect(answer.headers.get('allow')).toMatch(/INVITE.*REGISTER/);
            break;
          case 405:
            expect(answer.headers.get('allow')).toMatch(/INVITE/);
            break;
          case 415:
            expect(answer.headers.get('accept')).toBe('application/sdp');
            break;
          case 420:
            expect(answer.headers.get('unsupported')).toBe('nothingSupportsThis, nothingSupportsThisEither');
            break;
        }
        if (answer.status === 400) expect(answer.reason).not.toBe('');
      } finally {
        await peer.close();
      }
    });
  });

  it('still answers OPTIONS with 200 after all of them', async () => {
    for (const server of [teller, second]) {
      const peer = await UdpPeer.open();
      try {
        await peer.send(server.sip.port, optionsRequest());
        const answer = await peer.final();
        expect(answer?.status).toBe(200);
        expect(peer.unparsed).toEqual([]);
      } finally {
        await peer.close();
      }
    }
    expect(keysUsed.size).toBeGreaterThan(10);
  });
});

describe('RFC 4475 framing cases over TCP (Content-Length frames a stream, §18.3)', () => {
  let teller: TestTeller;
  beforeAll(async () => {
    teller = await startTestTeller();
  });
  afterAll(() => teller?.close());

  async function over(tag: string): Promise<TcpPeer> {
    const peer = await TcpPeer.connect(teller.sip.port);
    await peer.write(rfc4475Message(tag));
    return peer;
  }

  // Over a stream dblreq is three things: the REGISTER (Content-Length 0), then the INVITE that
  // UDP would have discarded (its Content-Length of 150 ends inside the last SDP line), then the
  // leftover "C\r\n\r\n", which is no message: a framing error that closes the connection.
  // The framer hands over the two complete messages before the framing error (it once threw and
  // lost them), and the connection stays open long enough for both to be answered.
  it('dblreq: on a stream the octets after Content-Length are the next request, and both are answered', async () => {
    const peer = await over('dblreq');
    try {
      const first = await peer.final();
      const second = await peer.final();
      expect([first?.status, first?.headers.get('cseq')]).toEqual([401, '8 REGISTER']);
      expect([second?.status, second?.headers.get('cseq')]).toEqual([401, '8 INVITE']);
      expect(await peer.waitClosed(2000)).toBe(true);
    } finally {
      peer.close();
    }
  });

  it('wsinv and longreq: bodies framed by a compact "l:" and by Content-Length arrive whole', async () => {
    for (const tag of ['wsinv', 'longreq']) {
      const peer = await over(tag);
      try {
        expect((await peer.final())?.status, tag).toBe(applicationAnswers[tag]);
        expect(peer.closed).toBe(false);
      } finally {
        peer.close();
      }
    }
  });

  it('clerr: a Content-Length beyond the octets sent makes the server wait for the rest, not answer', async () => {
    const peer = await over('clerr');
    try {
      expect(await peer.next(800)).toBeUndefined();
      expect(peer.closed).toBe(false);
    } finally {
      peer.close();
    }
  });

  it.each([
    ['ncl', /Content-Length/],
    ['mcl01', /Multiple Content-Length/],
    ['inv2543', /Missing Content-Length/],
  ])(
    '%s: a framing error is answered 400 and the connection closed (RFC 4475 §3.3.9)',
    async (tag, reason) => {
      const peer = await over(tag);
      try {
        const answer = await peer.final();
        expect(answer?.status).toBe(400);
        expect(answer?.reason).toMatch(reason);
        expect(await peer.waitClosed(2000)).toBe(true);
      } finally {
        peer.close();
      }
    },
  );

  it('scalarlg and bigcode: a malformed response on a stream gets no answer', async () => {
    for (const tag of ['scalarlg', 'bigcode', 'bcast']) {
      const peer = await over(tag);
      try {
        expect(await peer.next(500), tag).toBeUndefined();
      } finally {
        peer.close();
      }
    }
  });

  it('answers OPTIONS over TCP afterwards', async () => {
    const peer = await TcpPeer.connect(teller.sip.port);
    try {
      await peer.write(optionsRequest('TCP'));
      expect((await peer.final())?.status).toBe(200);
    } finally {
      peer.close();
    }
  });
});
