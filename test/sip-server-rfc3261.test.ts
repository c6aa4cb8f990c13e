/**
 * The running server read against RFC 3261 §8.2 (UAS behaviour), §9.2 (CANCEL), §10.3 (the
 * registrar's steps 1-8) and RFC 3581 §4 (rport), one test for each defect the review found and
 * fixed. Requests go over real UDP sockets from raw peers; digest credentials are computed with
 * answerChallenge, as a phone would.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  answerChallenge,
  createResponse,
  type DigestChallenge,
  formatCredentials,
  getCallId,
  getContacts,
  getTopVia,
  type InviteServerTransaction,
  parseDigestChallenge,
  parseNameAddr,
  type SipResponse,
} from '../src/sip/index';
import { optionsRequest, UdpPeer, waitUntil } from './fixtures/sipp/peers';
import { startTestTeller, type TestTeller } from './support/teller';

let sequence = 0;

/** A request over UDP from 127.0.0.1:LOCALPORT; `lines` are the headers after the defaults. */
function request(
  method: string,
  uri: string,
  o: {
    callId?: string;
    cseq?: number;
    fromTag?: string;
    to?: string;
    branch?: string;
    lines?: string[];
  } = {},
): string {
  const id = `${Date.now().toString(36)}-${sequence++}`;
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:LOCALPORT;branch=${o.branch ?? `z9hG4bK-${id}`};rport`,
    'Max-Forwards: 70',
    `From: <sip:1009@127.0.0.1>;tag=${o.fromTag ?? id}`,
    `To: ${o.to ?? '<sip:1009@127.0.0.1>'}`,
    `Call-ID: ${o.callId ?? `call-${id}@test`}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    ...(o.lines ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function exchange(teller: TestTeller, text: string): Promise<SipResponse | undefined> {
  const peer = await UdpPeer.open();
  try {
    await peer.send(teller.sip.port, text);
    return await peer.final();
  } finally {
    await peer.close();
  }
}

/** A phone's digest state: one challenge, answered with a rising nonce-count (RFC 7616 §3.4). */
class DigestUser {
  private nc = 0;
  constructor(
    private readonly challenge: DigestChallenge,
    private readonly username: string,
  ) {}

  static async challenged(teller: TestTeller, username: string): Promise<DigestUser> {
    const answer = await exchange(teller, request('REGISTER', 'sip:127.0.0.1'));
    expect(answer?.status).toBe(401);
    const challenges = answer!.headers.getAll('www-authenticate').map((h) => parseDigestChallenge(h)!);
    return new DigestUser(challenges.find((c) => c.algorithm === 'SHA-256') ?? challenges[0]!, username);
  }

  authorization(method: string, uri: string): string {
    this.nc++;
    const credentials = answerChallenge(this.challenge, {
      username: this.username,
      password: 'teller-demo',
      method,
      uri,
      nc: this.nc,
    });
    return `Authorization: ${formatCredentials(credentials)}`;
  }
}

function toTagOf(response: SipResponse | undefined): string | undefined {
  const to = response?.headers.get('to');
  return to === undefined ? undefined : (parseNameAddr(to).params.get('tag') ?? undefined);
}

describe('the server against RFC 3261 §8.2, §9.2, §10.3 and RFC 3581', () => {
  let teller: TestTeller;
  beforeAll(async () => {
    teller = await startTestTeller();
  });
  afterAll(() => teller?.close());

  it('§8.2: challenges an INVITE before saying anything else, and tells only an authenticated caller that calls are not taken', async () => {
    // The server's own answer, without the call layer the app plugs in (it is restored after).
    const core = teller.sip.core;
    teller.sip.core = undefined;
    onTestFinished(() => {
      teller.sip.core = core;
    });
    const user = await DigestUser.challenged(teller, '1009');
    const bare = await exchange(
      teller,
      request('INVITE', 'sip:8888@127.0.0.1', { to: '<sip:8888@127.0.0.1>' }),
    );
    expect(bare?.status).toBe(401);
    const authenticated = await exchange(
      teller,
      request('INVITE', 'sip:8888@127.0.0.1', {
        to: '<sip:8888@127.0.0.1>',
        lines: [user.authorization('INVITE', 'sip:8888@127.0.0.1')],
      }),
    );
    expect([authenticated?.status, authenticated?.reason]).toEqual([480, 'Calls Not Available Yet']);
  });

  it('§12.2.2, §21.4.6: BYE, INFO and UPDATE outside a dialog get 481, never a 405 that contradicts Allow', async () => {
    for (const method of ['BYE', 'INFO', 'UPDATE', 'NOTIFY']) {
      const answer = await exchange(teller, request(method, 'sip:1009@127.0.0.1'));
      expect([method, answer?.status]).toEqual([method, 481]);
    }
    const inDialog = await exchange(
      teller,
      request('BYE', 'sip:1009@127.0.0.1', { to: '<sip:1009@127.0.0.1>;tag=no-such-dialog' }),
    );
    expect(inDialog?.status).toBe(481);
  });

  it('§11.2: OPTIONS advertises only option tags that a Require may then name', async () => {
    const options = await exchange(teller, optionsRequest());
    expect(options?.status).toBe(200);
    expect(options?.headers.get('accept-encoding')).toBe('identity');
    const supported = (options?.headers.get('supported') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    for (const tag of [...supported, 'replaces']) {
      const answer = await exchange(
        teller,
        optionsRequest().replace('Content-Length: 0', `Require: ${tag}\r\nContent-Length: 0`),
      );
      // Refused with 420 exactly when it was not advertised.
      expect([tag, answer?.status === 420]).toEqual([tag, !supported.includes(tag)]);
    }
  });

  it('RFC 3581 §4: with rport, received is added even when it equals the sent-by, and rport gets the port', async () => {
    const peer = await UdpPeer.open();
    try {
      await peer.send(teller.sip.port, optionsRequest());
      const via = getTopVia((await peer.final())!);
      expect([via.params.get('received'), via.params.get('rport')]).toEqual(['127.0.0.1', String(peer.port)]);
      // A request the stack refuses by itself (CSeq method mismatch: 400) is stamped the same way.
      await peer.send(teller.sip.port, optionsRequest().replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'));
      const refused = await peer.final();
      expect(refused?.status).toBe(400);
      const refusedVia = getTopVia(refused!);
      expect([refusedVia.params.get('received'), refusedVia.params.get('rport')]).toEqual([
        '127.0.0.1',
        String(peer.port),
      ]);
    } finally {
      await peer.close();
    }
  });

  it('§8.2.6.2: a request too broken to copy a Via from gets no answer', async () => {
    const peer = await UdpPeer.open();
    try {
      await peer.send(teller.sip.port, 'HELLO there\r\nX: y\r\n\r\n');
      await peer.send(teller.sip.port, 'INVITE sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\n\r\n');
      expect(await peer.next(500)).toBeUndefined();
    } finally {
      await peer.close();
    }
  });

  it('§10.3 step 1: a REGISTER whose Request-URI names no SIP domain is refused before any challenge', async () => {
    const answer = await exchange(teller, request('REGISTER', 'tel:+861088888888'));
    expect(answer?.status).toBe(416);
  });

  describe('§10.3 steps 6-8 (one phone, one Call-ID)', () => {
    const callId = 'registrar-steps@test';
    let user: DigestUser;
    const register = (cseq: number, lines: string[]) =>
      exchange(
        teller,
        request('REGISTER', 'sip:127.0.0.1', {
          callId,
          cseq,
          fromTag: 'phone',
          lines: [...lines, user.authorization('REGISTER', 'sip:127.0.0.1')],
        }),
      );
    const bound = () => teller.sip.location.lookup('sip:1009@teller').map((b) => b.contact);

    beforeAll(async () => {
      user = await DigestUser.challenged(teller, '1009');
    });

    it('step 7: a refresh that writes the same contact differently (§19.1.4) updates it, not adds one', async () => {
      const first = await register(10, [
        'Contact: <sip:1009@Phone.Example.COM:5070;a=1;b=2>',
        'Expires: 600',
      ]);
      expect(first?.status).toBe(200);
      const second = await register(11, [
        'Contact: <sip:1009@phone.example.com:5070;b=2;a=1>',
        'Expires: 900',
      ]);
      expect(second?.status).toBe(200);
      const contacts = getContacts(second!);
      expect(!contacts.star && contacts.list.map((c) => c.params.get('expires'))).toEqual(['900']);
      expect(bound()).toEqual(['sip:1009@phone.example.com:5070;b=2;a=1']);
      // Same Call-ID, CSeq not higher: the update is aborted and the request fails.
      const stale = await register(11, ['Contact: <sip:1009@phone.example.com:5070;a=1;b=2>', 'Expires: 0']);
      expect(stale?.status).toBe(500);
      expect(bound()).toHaveLength(1);
    });

    it('step 6: "*" with a CSeq not higher than a binding of the same Call-ID fails and removes nothing', async () => {
      const extra = await register(12, ['Contact: <sip:1009@10.0.0.9:5071>', 'Expires: 600']);
      expect(extra?.status).toBe(200);
      expect(bound()).toHaveLength(2);
      const stale = await register(12, ['Contact: *', 'Expires: 0']);
      expect(stale?.status).toBe(500);
      expect(bound()).toHaveLength(2);
      const fresh = await register(13, ['Contact: *', 'Expires: 0']);
      expect(fresh?.status).toBe(200);
      expect(bound()).toEqual([]);
    });
  });
});

describe('the server for a trusted trunk (§8.2.2.2, §9.2, §10.3 step 5)', () => {
  let teller: TestTeller;
  const held: InviteServerTransaction[] = [];
  beforeAll(async () => {
    teller = await startTestTeller({ env: { TELLER_SIP_TRUSTED_ADDRESSES: '127.0.0.1' } });
    // The call layer's port, as the B2BUA will implement it: this one takes each INVITE and does
    // not answer yet (an agent is still being found).
    teller.sip.core = {
      onInvite: (_request, transaction) => held.push(transaction),
      onDialogRequest: () => undefined,
      onAck: () => undefined,
      onCancel: () => undefined,
    };
  });
  afterAll(() => teller?.close());

  it('§10.3 step 5: a trunk may register any extension, and gets 404 for an address that is not one', async () => {
    const known = await exchange(
      teller,
      request('REGISTER', 'sip:127.0.0.1', {
        to: '<sip:1010@127.0.0.1>',
        lines: ['Contact: <sip:1010@10.0.0.10>', 'Expires: 600'],
      }),
    );
    expect(known?.status).toBe(200);
    expect(teller.sip.location.lookup('sip:1010@teller')).toHaveLength(1);
    const unknown = await exchange(
      teller,
      request('REGISTER', 'sip:127.0.0.1', {
        to: '<sip:nobody@127.0.0.1>',
        lines: ['Contact: <sip:nobody@10.0.0.10>', 'Expires: 600'],
      }),
    );
    expect(unknown?.status).toBe(404);
    expect(teller.sip.location.registered()).toEqual(['sip:1010@teller']);
  });

  it('§8.2.2.2: a second copy of an INVITE still in progress (same From tag, Call-ID, CSeq; another branch) gets 482', async () => {
    const first = await UdpPeer.open();
    const copy = await UdpPeer.open();
    try {
      const common = { to: '<sip:8888@127.0.0.1>', fromTag: 'forked', callId: 'merged@test', cseq: 7 };
      await first.send(
        teller.sip.port,
        request('INVITE', 'sip:8888@127.0.0.1', { ...common, branch: 'z9hG4bK-path-a' }),
      );
      expect(await first.next(1000)).toMatchObject({ status: 100 });
      expect(held).toHaveLength(1);
      await copy.send(
        teller.sip.port,
        request('INVITE', 'sip:8888@127.0.0.1', { ...common, branch: 'z9hG4bK-path-b' }),
      );
      expect((await copy.final())?.status).toBe(482);
      expect(held).toHaveLength(1);
      expect(held[0]!.final).toBeUndefined();

      // §9.2: CANCEL the first; the 200 for the CANCEL and the 487 for the INVITE share a To tag.
      await first.send(
        teller.sip.port,
        request('CANCEL', 'sip:8888@127.0.0.1', { ...common, branch: 'z9hG4bK-path-a' }),
      );
      const answers = [await first.final(), await first.final()];
      expect(answers.map((a) => `${a?.status} ${a?.headers.get('cseq')}`).sort()).toEqual([
        '200 7 CANCEL',
        '487 7 INVITE',
      ]);
      expect(toTagOf(answers[0])).toBeTruthy();
      expect(toTagOf(answers[0])).toBe(toTagOf(answers[1]));
    } finally {
      await first.close();
      await copy.close();
    }
  });

  it('§9.2: after a 180 with a To tag, CANCEL ends the INVITE with a 487 (and a 200) carrying that same tag', async () => {
    const phone = await UdpPeer.open();
    try {
      const common = { to: '<sip:8888@127.0.0.1>', fromTag: 'ringing', callId: 'rings@test', cseq: 3 };
      const branch = 'z9hG4bK-ring';
      await phone.send(teller.sip.port, request('INVITE', 'sip:8888@127.0.0.1', { ...common, branch }));
      expect(await waitUntil(() => held.some((t) => getCallId(t.request) === 'rings@test'), 5000)).toBe(true);
      const invite = held.find((t) => getCallId(t.request) === 'rings@test')!;
      // The call layer rings: a 180 that opens the early dialog with its tag.
      invite.respond(createResponse(invite.request, 180, { toTag: 'early-dialog' }));
      let ringing: SipResponse | undefined;
      while (ringing?.status !== 180) {
        const next = await phone.next(2000);
        if (!next) break;
        if (next.kind === 'response') ringing = next;
      }
      expect(toTagOf(ringing)).toBe('early-dialog');

      await phone.send(teller.sip.port, request('CANCEL', 'sip:8888@127.0.0.1', { ...common, branch }));
      const answers = [await phone.final(), await phone.final()];
      expect(answers.map((a) => `${a?.status} ${a?.headers.get('cseq')}`).sort()).toEqual([
        '200 3 CANCEL',
        '487 3 INVITE',
      ]);
      expect(answers.map(toTagOf)).toEqual(['early-dialog', 'early-dialog']);
    } finally {
      await phone.close();
    }
  });
});
