/**
 * SIP over TCP against the running server (RFC 3261 §18.3): SIPp registers with digest auth over
 * one TCP connection, and raw connections check the stream rules: CRLF keep-alive ping and pong
 * (RFC 5626 §3.5.1), two messages in one segment, one message over many segments, and answers
 * on the connection the request came in on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTopVia, TcpTransport } from '../src/sip/index';
import { optionsRequest, TcpPeer, waitUntil } from './fixtures/sipp/peers';
import { runSipp, sippFixtures } from './support/sipp';
import { startTestTeller, type TestTeller } from './support/teller';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An INVITE with an SDP body, so Content-Length has something to frame. */
function invite(id: string): string {
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 40000 RTP/AVP 0 101',
    'a=rtpmap:101 telephone-event/8000',
    '',
  ].join('\r\n');
  return [
    'INVITE sip:8888@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:LOCALPORT;branch=z9hG4bK-inv-${id};rport`,
    'Max-Forwards: 70',
    `From: <sip:1001@127.0.0.1>;tag=${id}`,
    'To: <sip:8888@127.0.0.1>',
    `Call-ID: invite-${id}@test`,
    'CSeq: 1 INVITE',
    'Contact: <sip:1001@127.0.0.1:LOCALPORT;transport=tcp>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
}

describe('SIP over TCP', () => {
  let teller: TestTeller;
  beforeAll(async () => {
    teller = await startTestTeller({ env: { TELLER_SIP_DIGEST_ALGORITHMS: 'MD5,SHA-256' } });
  });
  afterAll(() => teller?.close());

  it('registers SIPp over one TCP connection (-t t1) after a digest challenge', async () => {
    const result = await runSipp(`127.0.0.1:${teller.sip.port}`, [
      '-t',
      't1',
      '-sf',
      `${sippFixtures}/register.xml`,
      '-s',
      '1008',
      '-au',
      '1008',
      '-ap',
      'teller-demo',
      '-m',
      '1',
    ]);
    expect(result.status, result.output).toBe(0);
    const bindings = teller.sip.location.lookup('sip:1008@teller');
    expect(bindings.map((b) => b.protocol)).toEqual(['tcp']);
    expect(bindings[0]!.contact).toMatch(/^sip:1008@127\.0\.0\.1:\d+;transport=TCP$/i);
  });

  it('answers a double-CRLF ping with a single CRLF pong, also between messages and when split', async () => {
    const peer = await TcpPeer.connect(teller.sip.port);
    try {
      await peer.write('\r\n\r\n');
      expect(await waitUntil(() => peer.raw.length >= 2, 2000)).toBe(true);
      await sleep(100);
      expect(peer.raw.toString('latin1')).toBe('\r\n');

      await peer.write(optionsRequest('TCP'));
      expect((await peer.final())?.status).toBe(200);
      const before = peer.raw.length;
      // RFC 5626 §3.5.1: the ping may arrive in pieces; one pong for it, nothing for the halves.
      await peer.write('\r\n');
      await sleep(50);
      await peer.write('\r\n');
      expect(await waitUntil(() => peer.raw.length > before, 2000)).toBe(true);
      await sleep(100);
      expect(peer.raw.subarray(before).toString('latin1')).toBe('\r\n');
      expect(peer.closed).toBe(false);
    } finally {
      peer.close();
    }
  });

  it('answers two requests that arrive in one segment, in order, on the same connection', async () => {
    const peer = await TcpPeer.connect(teller.sip.port);
    try {
      const first = optionsRequest('TCP');
      const second = invite('two-in-one');
      await peer.write(first + second);
      const answers = [await peer.final(), await peer.final()];
      expect(answers.map((a) => [a?.status, a?.headers.get('cseq')])).toEqual([
        [200, '1 OPTIONS'],
        [401, '1 INVITE'],
      ]);
      // §18.2.1 and RFC 3581: received and rport name where the request really came from.
      const via = getTopVia(answers[0]!);
      expect(via.params.get('rport')).toBe(String(peer.port));
    } finally {
      peer.close();
    }
  });

  it('reassembles one request sent over many segments, whatever the cut', async () => {
    const peer = await TcpPeer.connect(teller.sip.port);
    try {
      const bytes = Buffer.from(invite('many-segments').replaceAll('LOCALPORT', String(peer.port)));
      const blank = bytes.indexOf('\r\n\r\n');
      const length = bytes.indexOf('Content-Length: ') + 'Content-Length: '.length;
      // Cuts inside the blank line, inside the Content-Length value, and every 37 octets.
      const cuts = new Set([blank + 1, blank + 3, length + 1]);
      for (let at = 37; at < bytes.length; at += 37) cuts.add(at);
      let from = 0;
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        await peer.write(bytes.subarray(from, cut));
        await sleep(3);
        from = cut;
      }
      expect(peer.pending).toBe(0);
      await peer.write(bytes.subarray(from));
      const answer = await peer.final();
      expect([answer?.status, answer?.headers.get('call-id')]).toEqual([401, 'invite-many-segments@test']);
      // The body was framed by Content-Length, not by the end of a segment: nothing was left over
      // to be taken for a second message.
      expect(await peer.next(300)).toBeUndefined();
      expect(peer.closed).toBe(false);
    } finally {
      peer.close();
    }
  });
});

describe('TCP transport: connections per remote address', () => {
  it('closes connections from an address past its limit, counts them, and takes one again when one closes', async () => {
    const received: string[] = [];
    const transport = await TcpTransport.listen(
      '127.0.0.1',
      0,
      (data) => received.push(data.toString('latin1').split('\r\n')[0]!),
      { maxMessageBytes: 65_535, maxConnectionsPerAddress: 3 },
    );
    const peers: TcpPeer[] = [];
    try {
      for (let i = 0; i < 3; i++) peers.push(await TcpPeer.connect(transport.local.port));
      // The fourth is reset: as it connects, or just after.
      const fourth = await TcpPeer.connect(transport.local.port).catch(
        (error: NodeJS.ErrnoException) => error,
      );
      if (fourth instanceof TcpPeer) {
        peers.push(fourth);
        expect(await fourth.waitClosed(3000)).toBe(true);
      } else expect(fourth.code).toBe('ECONNRESET');
      expect(await waitUntil(() => transport.refusedConnections === 1, 3000)).toBe(true);
      // The three within the limit work.
      for (const peer of peers.slice(0, 3)) await peer.write(optionsRequest('TCP'));
      expect(await waitUntil(() => received.length === 3, 3000)).toBe(true);
      expect(peers.slice(0, 3).every((p) => !p.closed)).toBe(true);
      // One leaves: its slot is free again.
      peers[0]!.close();
      await sleep(200);
      const again = await TcpPeer.connect(transport.local.port);
      peers.push(again);
      await again.write(optionsRequest('TCP'));
      expect(await waitUntil(() => received.length === 4, 3000)).toBe(true);
      expect(again.closed).toBe(false);
      expect(transport.refusedConnections).toBe(1);
    } finally {
      for (const peer of peers) peer.close();
      await transport.close();
    }
  });

  it('has no per-address limit for the addresses it is told are trunks', async () => {
    const transport = await TcpTransport.listen('127.0.0.1', 0, () => undefined, {
      maxMessageBytes: 65_535,
      maxConnectionsPerAddress: 2,
      unlimitedAddresses: ['127.0.0.1'],
    });
    const peers: TcpPeer[] = [];
    try {
      for (let i = 0; i < 5; i++) peers.push(await TcpPeer.connect(transport.local.port));
      await sleep(300);
      expect(peers.every((p) => !p.closed)).toBe(true);
      expect(transport.refusedConnections).toBe(0);
    } finally {
      for (const peer of peers) peer.close();
      await transport.close();
    }
  });
});
